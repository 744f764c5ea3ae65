import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Signing secrets and signatures of outbound webhooks (ADR 0014, docs/api.md "Webhooks").
 *
 * - A secret is `whsec_` + 32 random bytes (base64url). The HMAC key is the whole secret string as UTF-8
 *   bytes: a receiver pastes it as shown, nothing to decode.
 * - `Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<Webhook-Timestamp>.<raw body>")>`; while a rotated
 *   secret is in its grace period the header carries one `v1=` per secret, separated by a space, and a
 *   receiver accepts the message when any of them matches (Standard Webhooks' multi-signature idea).
 * - At rest: `enc:v1:<iv>.<tag>.<ciphertext>` (AES-256-GCM, key = SHA-256 of WEBHOOK_SECRET_KEY) when a key is
 *   configured, else the secret as is (the signer needs it back, so it cannot be hashed like an API key).
 */

const SECRET_PREFIX = 'whsec_';
const SEALED_PREFIX = 'enc:v1:';

export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The last characters of a secret, to tell two secrets apart in the UI without revealing them. */
export function secretHint(secret: string): string {
  return `${SECRET_PREFIX}…${secret.slice(-4)}`;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for a message signed with each of `secrets` (current first). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((s) => `v1=${sign(s, timestamp, body)}`).join(' ');
}

/**
 * What a receiver does (here for tests and as the reference for docs/api.md): the header must hold a `v1=`
 * signature of `${timestamp}.${body}` under the secret, and the timestamp must be within `toleranceSeconds`
 * of now (replay protection).
 */
export function verifySignature(args: {
  secret: string;
  header: string;
  timestamp: string;
  body: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  if (!/^\d{1,12}$/.test(args.timestamp)) return false;
  const ts = Number(args.timestamp);
  const now = args.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (args.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(sign(args.secret, ts, args.body), 'hex');
  return args.header.split(' ').some((part) => {
    const m = /^v1=([0-9a-f]{64})$/.exec(part.trim());
    if (!m?.[1]) return false;
    return timingSafeEqual(Buffer.from(m[1], 'hex'), expected);
  });
}

const keyOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** The stored form of a secret: sealed when a key is configured. */
export function sealSecret(secret: string, key: string | undefined): string {
  if (!key) return secret;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(key), iv);
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
}

export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

/**
 * The secret back from its stored form. Throws when it is sealed and the key is missing or wrong (a
 * delivery then fails with that error instead of signing with garbage).
 */
export function openSecret(stored: string, key: string | undefined): string {
  if (!isSealed(stored)) return stored;
  if (!key) throw new Error('webhook secret is encrypted but WEBHOOK_SECRET_KEY is not set');
  const [iv, tag, ct] = stored.slice(SEALED_PREFIX.length).split('.');
  if (!iv || !tag || !ct) throw new Error('webhook secret: malformed sealed value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(key), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(
      'webhook secret could not be decrypted: WEBHOOK_SECRET_KEY differs from the one that sealed it',
    );
  }
}
