import type { JWTPayload } from 'jose';
import { ROLES, type Role, SCOPES, type Scope } from '../../../shared/auth.js';
import type { AppPlatform } from '../../db.js';
import { type Actor, ALL_SCOPES, systemActor } from '../../platform/auth/actor.js';
import type { CredentialResolver } from '../../platform/auth/authenticate.js';
import { sqlState, UNIQUE_VIOLATION } from '../../platform/db/errors.js';
import { AppError } from '../../platform/errors.js';
import { isUuid, newId } from '../../platform/ids.js';
import { ApiKeyAuthenticator } from './api-key.service.js';
import { findMembership, insertMembership } from './member.repository.js';
import { memberAdded } from './user.events.js';
import { findExternalUser, findLoginUser, insertUser } from './user.repository.js';

/** The resolver of each platform (one per app), so membership changes can evict what it cached. */
const resolvers = new WeakMap<AppPlatform, { forgetMember(workspaceId: string, userId: string): void }>();

/**
 * Drops this process's cached credentials (API keys, OIDC actors) of a member whose role or status
 * changed, so the change applies at once here; other processes follow when their cache entries age out.
 */
export function forgetCachedCredentials(p: AppPlatform, workspaceId: string, userId: string): void {
  resolvers.get(p)?.forgetMember(workspaceId, userId);
}

/**
 * Credentials that need the identity tables, for the platform's authentication hook: API keys, and
 * tokens of the external OIDC issuer (the seeds' "central system JWT"). For the latter, claims name the
 * workspace (id or slug), the role and the email; the person and their membership are provisioned on
 * first sight (audited), and the token's role is the one that applies.
 */
export function createCredentialResolver(
  p: AppPlatform,
): CredentialResolver & { apiKeys: ApiKeyAuthenticator } {
  const apiKeys = new ApiKeyAuthenticator(p);
  const oidcCache = new Map<string, { actor: Actor; until: number }>();
  resolvers.set(p, {
    forgetMember(workspaceId, userId) {
      apiKeys.evictCreator(workspaceId, userId);
      for (const [key, entry] of oidcCache) {
        if (entry.actor.workspaceId === workspaceId && entry.actor.userId === userId) oidcCache.delete(key);
      }
    },
  });

  async function workspaceIdFor(value: string): Promise<string | undefined> {
    return p.db.system(async (db) => {
      const q = db.selectFrom('crm_core.crm_workspaces').select('id').where('deleted_at', 'is', null);
      const row = await (isUuid(value)
        ? q.where('id', '=', value)
        : q.where('slug', '=', value)
      ).executeTakeFirst();
      return row?.id;
    });
  }

  async function oidc(claims: JWTPayload): Promise<Actor> {
    const cfg = p.config;
    const iss = claims.iss;
    const sub = claims.sub;
    const wsClaim = claims[cfg.OIDC_WORKSPACE_CLAIM];
    const emailClaim = claims[cfg.OIDC_EMAIL_CLAIM];
    const roleClaim = claims[cfg.OIDC_ROLE_CLAIM];
    if (!iss || !sub || typeof wsClaim !== 'string' || typeof emailClaim !== 'string') {
      throw new AppError(
        'token_invalid',
        `The token needs sub, ${cfg.OIDC_WORKSPACE_CLAIM} and ${cfg.OIDC_EMAIL_CLAIM} claims`,
      );
    }
    if (claims.email_verified === false)
      throw new AppError('token_invalid', 'The token email is not verified');
    const role: Role = ROLES.includes(roleClaim as Role) ? (roleClaim as Role) : 'viewer';
    const scopeClaim = typeof claims.scope === 'string' ? claims.scope.split(' ') : null;
    const scopes: ReadonlySet<Scope> = scopeClaim
      ? new Set(scopeClaim.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)))
      : ALL_SCOPES;
    const cacheKey = [iss, sub, wsClaim, role, [...scopes].join(' ')].join('|');
    const hit = oidcCache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.actor;

    const ws = await workspaceIdFor(wsClaim);
    if (!ws) throw new AppError('forbidden', 'The workspace named by the token does not exist');
    const email = emailClaim.toLowerCase();
    const name =
      typeof claims[cfg.OIDC_NAME_CLAIM] === 'string' ? (claims[cfg.OIDC_NAME_CLAIM] as string) : email;
    /** Finds the person and their membership, provisioning what is missing; returns the user id. */
    const provision = async (): Promise<string> => {
      const user =
        (await p.db.system((db) => findExternalUser(db, iss, sub))) ??
        (await p.db.system((db) => findLoginUser(db, email)));
      if (user?.disabled_at) throw new AppError('forbidden', 'This user is disabled');
      const userId = user?.id ?? newId();
      const membership = user ? await p.db.read(ws, (db) => findMembership(db, ws, userId)) : undefined;
      if (membership && membership.status !== 'active')
        throw new AppError('forbidden', 'Your membership is disabled');
      if (!membership) {
        await p.write({ actor: systemActor(ws, `oidc:${iss}`), requestId: null }, async (uow) => {
          if (!user) {
            await insertUser(uow.trx, {
              id: userId,
              email,
              display_name: name.slice(0, 200),
              password_hash: null,
              locale: 'vi',
              external_issuer: iss,
              external_subject: sub,
            });
          }
          await insertMembership(uow.trx, {
            tenant_id: ws,
            id: newId(),
            user_id: userId,
            role,
            created_by: null,
          });
          uow.audit({
            action: 'member.provisioned',
            entityType: 'member',
            entityId: userId,
            diff: {
              email: { from: null, to: email },
              role: { from: null, to: role },
              issuer: { from: null, to: iss },
            },
          });
          uow.emit(memberAdded({ user_id: userId, email, role }));
        });
      }
      return userId;
    };
    let userId: string;
    try {
      userId = await provision();
    } catch (e) {
      // Two first requests of the same person raced (a client firing calls in parallel): the loser's
      // insert hit a unique index and surfaced as a 500. The winner has committed, so looking up again
      // finds the user and the membership.
      if (sqlState(e) !== UNIQUE_VIOLATION) throw e;
      userId = await provision();
    }
    const actor: Actor = {
      type: 'user',
      id: userId,
      userId,
      workspaceId: ws,
      role,
      scopes,
      label: email,
      via: 'oidc',
    };
    if (oidcCache.size > 10_000) oidcCache.clear();
    oidcCache.set(cacheKey, { actor, until: Date.now() + 60_000 });
    return actor;
  }

  return { apiKey: (token) => apiKeys.resolve(token), oidc, apiKeys };
}
