import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import type { Scope } from '../../../shared/auth.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { KeyValueStore } from '../kv.js';
import { type Actor, ALL_SCOPES } from './actor.js';
import { SessionTokens } from './session-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** A credential that was sent but rejected; thrown before the handler, after rate limiting. */
    authError: AppError | null;
  }
  interface FastifyContextConfig {
    /** 'public': no credentials needed. Default: a signed-in member or API key. */
    auth?: 'public';
    /** Coarse scope the credential must carry (checked before the handler runs). */
    scope?: Scope;
  }
}

/** Lookups that need the identity tables; implemented by the users module and injected. */
export interface CredentialResolver {
  /** Returns the actor for a live API key, or null for an unknown, revoked or expired one. */
  apiKey(token: string): Promise<Actor | null>;
  /** Maps verified claims of the external OIDC issuer to a member of a workspace. */
  oidc(claims: JWTPayload): Promise<Actor>;
}

export const API_KEY_PREFIX = 'crm_sk';

/** Sessions revoked by logout or refresh-token reuse: their access tokens stop working at once. */
export class SessionRevocations {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly ttlSeconds: number,
  ) {}
  revoke(sessionId: string): Promise<void> {
    return this.kv.set(`revoked-session:${sessionId}`, '1', this.ttlSeconds);
  }
  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.kv.get(`revoked-session:${sessionId}`)) !== null;
  }
}

export interface AuthenticationDeps {
  config: Config;
  tokens: SessionTokens;
  revocations: SessionRevocations;
  resolver: CredentialResolver;
}

const unauthenticated = () =>
  new AppError('unauthenticated', 'Sign in or send an API key (Authorization: Bearer …)', {
    headers: { 'www-authenticate': 'Bearer realm="cyberos-crm"' },
  });

/**
 * Reads the credential of every request (Authorization: Bearer <jwt | API key>, or X-API-Key) into
 * `request.actor`, then, before the handler, enforces the route's `auth`/`scope` config. A credential
 * that is present but invalid is always a 401, even on a public route: silently ignoring it would hide
 * client bugs.
 */
export function installAuthentication(
  app: FastifyInstance,
  deps: AuthenticationDeps,
): { authenticateToken(token: string): Promise<Actor> } {
  const jwks = deps.config.oidc ? createRemoteJWKSet(new URL(deps.config.oidc.jwksUrl)) : null;

  async function fromBearer(token: string): Promise<Actor> {
    if (token.startsWith(`${API_KEY_PREFIX}_`)) return fromApiKey(token);
    if (!jwks) return fromSession(token);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new AppError('token_invalid', 'The bearer token is neither a JWT nor an API key');
    }
    if (jwks && deps.config.oidc && issuer === deps.config.oidc.issuer) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: deps.config.oidc.issuer,
          ...(deps.config.oidc.audience ? { audience: deps.config.oidc.audience } : {}),
        }));
      } catch (e) {
        throw new AppError(
          'token_invalid',
          `The identity provider's token was rejected: ${(e as Error).message}`,
        );
      }
      return deps.resolver.oidc(payload);
    }
    if (!SessionTokens.isOwnIssuer(issuer)) throw new AppError('token_invalid', 'Unknown token issuer');
    return fromSession(token);
  }

  async function fromSession(token: string): Promise<Actor> {
    const claims = await deps.tokens.verify(token);
    if (await deps.revocations.isRevoked(claims.sessionId)) {
      throw new AppError('token_invalid', 'This session has been signed out');
    }
    return {
      type: 'user',
      id: claims.userId,
      userId: claims.userId,
      workspaceId: claims.workspaceId,
      role: claims.role,
      scopes: ALL_SCOPES,
      label: claims.email,
      via: 'session',
      sessionId: claims.sessionId,
    };
  }

  async function fromApiKey(token: string): Promise<Actor> {
    const actor = await deps.resolver.apiKey(token);
    if (!actor) throw new AppError('token_invalid', 'The API key is unknown, revoked or expired');
    return actor;
  }

  app.decorateRequest('actor', null);
  app.decorateRequest('authError', null);

  // A rejected credential is recorded here and thrown in preHandler, so the rate limiter (which runs
  // between the two, keyed by IP for such requests) counts credential guessing like anything else.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const auth = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    try {
      if (typeof auth === 'string' && auth.length > 0) {
        const match = /^Bearer\s+(\S+)$/i.exec(auth);
        if (!match?.[1]) throw new AppError('token_invalid', 'Use the Authorization: Bearer <token> scheme');
        request.actor = await fromBearer(match[1]);
      } else if (typeof apiKey === 'string' && apiKey.length > 0) {
        request.actor = await fromApiKey(apiKey);
      }
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      request.authError = e;
    }
  });

  // Synchronous (callback style): it runs on every request and awaits nothing.
  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    if (request.authError) return done(request.authError);
    const config = request.routeOptions.config;
    if (config.auth === 'public' || request.is404) return done();
    if (!request.actor) return done(unauthenticated());
    if (config.scope && !request.actor.scopes.has(config.scope)) {
      return done(
        new AppError('insufficient_scope', `This endpoint needs the ${config.scope} scope`, {
          extra: { required_scope: config.scope },
        }),
      );
    }
    done();
  });

  // The same rules for a token that does not arrive in a header (the WebSocket's first message).
  return { authenticateToken: fromBearer };
}

/** The actor of an authenticated route (the preHandler guarantees it is set). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthenticated();
  return request.actor;
}
