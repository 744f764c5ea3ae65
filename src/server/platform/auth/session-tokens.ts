import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { ROLES, type Role } from '../../../shared/auth.js';
import { AppError } from '../errors.js';

/**
 * Short-lived access tokens (JWT, HS256) for signed-in members. Refresh tokens are opaque, see users.
 *
 * fast-jwt rather than jose here: its synchronous node:crypto HMAC costs microseconds, where jose's
 * WebCrypto path (re-importing the key on each call) was a quarter of the CPU of an authenticated read
 * (docs/benchmarks.md). jose still verifies the external OIDC issuer's tokens (remote JWKS).
 *
 * Verified claims are kept per token string (a Map lookup), not in fast-jwt's cache: that one keys its
 * entries by a SHA-256 of the token, which costs about what verifying the HMAC does (~4% of an
 * authenticated read's CPU). Only a token that verified is ever stored, so an equal string is the same
 * token; a cached entry is used only until the token's `exp`, and revocation is checked separately on
 * every request.
 */

/** Verified tokens kept; the oldest entry leaves first when full. */
const CACHE_MAX = 10_000;

const ISSUER = 'cyberos-crm';
const AUDIENCE = 'cyberos-crm';

export interface AccessClaims {
  userId: string;
  workspaceId: string;
  role: Role;
  sessionId: string;
  email: string;
}

interface Payload {
  sub?: unknown;
  wid?: unknown;
  role?: unknown;
  sid?: unknown;
  email?: unknown;
  typ?: unknown;
  exp?: unknown;
}

export class SessionTokens {
  readonly #sign: (payload: Record<string, unknown>) => string;
  readonly #verify: (token: string) => Payload;
  readonly #verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    this.#sign = createSigner({
      key: secret,
      algorithm: 'HS256',
      iss: ISSUER,
      aud: AUDIENCE,
      expiresIn: accessTtlSeconds * 1000,
    });
    this.#verify = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub'],
    }) as (token: string) => Payload;
  }

  async issue(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const token = this.#sign({
      sub: claims.userId,
      wid: claims.workspaceId,
      role: claims.role,
      sid: claims.sessionId,
      email: claims.email,
      typ: 'access',
    });
    const { exp } = this.#verify(token);
    return { token, expiresAt: new Date(Number(exp) * 1000) };
  }

  async verify(token: string): Promise<AccessClaims> {
    const hit = this.#verified.get(token);
    if (hit) {
      if (Date.now() < hit.expiresAtMs) return hit.claims;
      this.#verified.delete(token);
    }
    return this.#verifyUncached(token);
  }

  #verifyUncached(token: string): AccessClaims {
    let payload: Payload;
    try {
      payload = this.#verify(token);
    } catch (e) {
      if (e instanceof TokenError && e.code === TokenError.codes.expired) {
        throw new AppError('token_expired', 'The access token has expired; refresh it', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
        });
      }
      throw new AppError('token_invalid', 'The access token is not valid', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    const { sub, wid, role, sid, email, typ } = payload;
    if (
      typ !== 'access' ||
      typeof sub !== 'string' ||
      typeof wid !== 'string' ||
      typeof sid !== 'string' ||
      typeof email !== 'string' ||
      !ROLES.includes(role as Role)
    ) {
      throw new AppError('token_invalid', 'The access token is malformed');
    }
    const claims: AccessClaims = { userId: sub, workspaceId: wid, role: role as Role, sessionId: sid, email };
    // `exp` is required and checked by the verifier: a number of seconds.
    this.#remember(token, claims, Number(payload.exp) * 1000);
    return claims;
  }

  #remember(token: string, claims: AccessClaims, expiresAtMs: number): void {
    if (this.#verified.size >= CACHE_MAX) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(token, { claims, expiresAtMs });
  }

  /** True when the token's issuer is ours (used to route a bearer token to the right verifier). */
  static isOwnIssuer(issuer: unknown): boolean {
    return issuer === ISSUER;
  }
}
