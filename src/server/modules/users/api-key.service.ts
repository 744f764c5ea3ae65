import type { Scope } from '../../../shared/auth.js';
import type { AppPlatform } from '../../db.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { API_KEY_PREFIX } from '../../platform/auth/authenticate.js';
import { parseWorkspaceToken, sha256, workspaceToken } from '../../platform/auth/crypto.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import {
  type ApiKeyPrincipal,
  findApiKey,
  findApiKeyPrincipal,
  insertApiKey,
  listApiKeyRows,
  revokeApiKeyRow,
  touchApiKey,
} from './api-key.repository.js';
import type { CreateApiKeyInput } from './api-key.schema.js';
import { apiKeyEvent } from './user.events.js';
import type { ApiKey } from './user.table.js';

/**
 * API keys: shown once, stored as SHA-256, scoped, revocable, acting with their creator's current role
 * (so removing the member disables their keys). Lookups are cached briefly per process; revoking here
 * evicts at once, other processes follow within CACHE_MS.
 */

const CACHE_MS = 30_000;
const NEGATIVE_CACHE_MS = 5_000;
const TOUCH_EVERY_MS = 60_000;

export function presentApiKey(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    token_prefix: k.token_prefix,
    scopes: k.scopes as Scope[],
    created_by: k.created_by,
    created_at: k.created_at.toISOString(),
    last_used_at: k.last_used_at?.toISOString() ?? null,
    expires_at: k.expires_at?.toISOString() ?? null,
    revoked_at: k.revoked_at?.toISOString() ?? null,
  };
}

export async function createApiKey(p: AppPlatform, ctx: RequestContext, input: CreateApiKeyInput) {
  const { actor } = ctx;
  requirePermission(actor, 'crm.apikeys.manage');
  if (!actor.userId) throw new AppError('forbidden', 'API keys are created by members');
  const creator = actor.userId;
  // A key can never carry more than the credential that creates it.
  const missing = input.scopes.filter((s) => !actor.scopes.has(s));
  if (missing.length > 0) {
    throw new AppError(
      'insufficient_scope',
      `You cannot grant scopes you do not hold: ${missing.join(', ')}`,
    );
  }
  const ws = actor.workspaceId;
  const token = workspaceToken(API_KEY_PREFIX, ws);
  const key = await p.write(ctx, async (uow) => {
    const row = await insertApiKey(uow.trx, {
      tenant_id: ws,
      id: newId(),
      name: input.name,
      token_prefix: `${API_KEY_PREFIX}_…${token.slice(-6)}`,
      token_hash: sha256(token),
      scopes: input.scopes,
      created_by: creator,
      expires_at: input.expires_at ?? null,
    });
    uow.audit({
      action: 'api_key.created',
      entityType: 'api_key',
      entityId: row.id,
      diff: { name: { from: null, to: row.name }, scopes: { from: null, to: row.scopes } },
    });
    uow.emit(apiKeyEvent('api_key.created', row));
    return row;
  });
  return { api_key: presentApiKey(key), token };
}

export async function listApiKeys(p: AppPlatform, ctx: RequestContext) {
  requirePermission(ctx.actor, 'crm.apikeys.manage');
  const ws = ctx.actor.workspaceId;
  return { data: (await p.db.read(ws, (db) => listApiKeyRows(db, ws))).map(presentApiKey) };
}

export class ApiKeyAuthenticator {
  readonly #cache = new Map<string, { actor: Actor | null; until: number }>();
  readonly #touched = new Map<string, number>();

  constructor(private readonly p: AppPlatform) {}

  async resolve(token: string): Promise<Actor | null> {
    const parsed = parseWorkspaceToken(API_KEY_PREFIX, token);
    if (!parsed) return null;
    const hash = sha256(token);
    const now = Date.now();
    const cached = this.#cache.get(hash);
    let actor: Actor | null;
    if (cached && cached.until > now) {
      actor = cached.actor;
    } else {
      const loaded = await this.#load(parsed.workspaceId, hash);
      actor = loaded?.actor ?? null;
      if (this.#cache.size > 10_000) this.#cache.clear();
      // Never cache a key past its own expiry: without the bound, a key that expires within CACHE_MS of
      // its last lookup kept working until the cache entry aged out.
      const until = actor
        ? Math.min(now + CACHE_MS, loaded?.expiresAt ?? Number.POSITIVE_INFINITY)
        : now + NEGATIVE_CACHE_MS;
      this.#cache.set(hash, { actor, until });
    }
    if (actor) this.#touch(actor);
    return actor;
  }

  async #load(ws: string, hash: string): Promise<{ actor: Actor; expiresAt: number | null } | null> {
    const k = await this.p.db.read(ws, (db) => findApiKeyPrincipal(db, ws, hash));
    if (!k || k.revoked_at || (k.expires_at && k.expires_at.getTime() <= Date.now())) return null;
    if (k.member_status !== 'active' || k.user_disabled_at) return null;
    return { actor: this.#actorOf(ws, k), expiresAt: k.expires_at?.getTime() ?? null };
  }

  #actorOf(ws: string, k: ApiKeyPrincipal): Actor {
    return {
      type: 'api_key',
      id: k.id,
      userId: k.created_by,
      workspaceId: ws,
      role: k.role,
      scopes: new Set(k.scopes as Scope[]),
      label: `API key ${k.name} (${k.email})`,
      via: 'api_key',
    };
  }

  #touch(actor: Actor): void {
    const last = this.#touched.get(actor.id) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    this.#touched.set(actor.id, Date.now());
    void this.p.db
      .read(actor.workspaceId, (db) => touchApiKey(db, actor.workspaceId, actor.id))
      .catch((err) => this.p.log.warn({ err }, 'could not record API key use'));
  }

  evict(keyId: string): void {
    for (const [hash, entry] of this.#cache) if (entry.actor?.id === keyId) this.#cache.delete(hash);
  }

  /**
   * Forgets the cached keys of one member: their keys act with the member's current role and stop when
   * the member is disabled, so a membership change must not wait for the cache to age out (it did: a
   * disabled admin's key kept working, and a demoted admin's key kept the admin role, for CACHE_MS).
   */
  evictCreator(workspaceId: string, userId: string): void {
    for (const [hash, entry] of this.#cache) {
      if (entry.actor?.workspaceId === workspaceId && entry.actor.userId === userId) this.#cache.delete(hash);
    }
  }
}

export async function revokeApiKey(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  auth: ApiKeyAuthenticator,
) {
  requirePermission(ctx.actor, 'crm.apikeys.manage');
  const ws = ctx.actor.workspaceId;
  const key = await p.write(ctx, async (uow) => {
    const current = await findApiKey(uow.trx, ws, id);
    if (!current) throw new AppError('api_key_not_found', 'API key not found');
    if (current.revoked_at) return current;
    const row = await revokeApiKeyRow(uow.trx, ws, id);
    uow.audit({
      action: 'api_key.revoked',
      entityType: 'api_key',
      entityId: id,
      diff: { revoked: { from: false, to: true } },
    });
    uow.emit(apiKeyEvent('api_key.revoked', row));
    return row;
  });
  auth.evict(id);
  return presentApiKey(key);
}
