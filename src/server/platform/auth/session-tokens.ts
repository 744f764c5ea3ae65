import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ROLES, type Role } from '../../../shared/auth.js';
import { AppError } from '../errors.js';

/** Short-lived access tokens (JWT, HS256) for signed-in members. Refresh tokens are opaque, see users. */

const ISSUER = 'cyberos-crm';
const AUDIENCE = 'cyberos-crm';

export interface AccessClaims {
  userId: string;
  workspaceId: string;
  role: Role;
  sessionId: string;
  email: string;
}

export class SessionTokens {
  readonly #key: Uint8Array;
  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    this.#key = new TextEncoder().encode(secret);
  }

  async issue(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      wid: claims.workspaceId,
      role: claims.role,
      sid: claims.sessionId,
      email: claims.email,
      typ: 'access',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.accessTtlSeconds)
      .sign(this.#key);
    return { token, expiresAt: new Date((now + this.accessTtlSeconds) * 1000) };
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const { sub, wid, role, sid, email, typ } = payload as Record<string, unknown>;
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
      return { userId: sub, workspaceId: wid, role: role as Role, sessionId: sid, email };
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof joseErrors.JWTExpired) {
        throw new AppError('token_expired', 'The access token has expired; refresh it', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
        });
      }
      throw new AppError('token_invalid', 'The access token is not valid', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
  }

  /** True when the token's issuer is ours (used to route a bearer token to the right verifier). */
  static isOwnIssuer(issuer: unknown): boolean {
    return issuer === ISSUER;
  }
}
