import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Opaque high-entropy tokens (API keys, refresh tokens, invitations): `<prefix>_<base64url>`. */
export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/**
 * Tokens we generate carry 256 bits of entropy, so a plain SHA-256 is enough to store them (a slow hash
 * only matters for guessable secrets such as passwords) and lets us look them up by hash.
 */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

// OWASP's argon2id baseline (m=19 MiB, t=2, p=1).
const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * A real hash of a random password, verified against when the email is unknown, so a login attempt
 * takes as long for a missing user as for a wrong password (no account enumeration by timing).
 */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

/**
 * Tokens that name their workspace: `<prefix>_<workspace id, 32 hex>_<secret>`. The workspace part lets
 * the lookup run inside that workspace under RLS (no cross-workspace role needed); the secret part is
 * what proves possession. The whole token is what gets hashed and stored.
 */
export function workspaceToken(prefix: string, workspaceId: string): string {
  return `${prefix}_${workspaceId.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
}

export function parseWorkspaceToken(prefix: string, token: string): { workspaceId: string } | null {
  const m = new RegExp(`^${prefix}_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$`).exec(token);
  if (!m?.[1]) return null;
  const h = m[1];
  return {
    workspaceId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
  };
}
