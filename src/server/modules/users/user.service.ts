import type { Role } from '../../../shared/auth.js';
import { PERMISSIONS } from '../../../shared/auth.js';
import type { AppPlatform, DB } from '../../db.js';
import { type Actor, ALL_SCOPES, can, systemActor } from '../../platform/auth/actor.js';
import {
  dummyPasswordHash,
  hashPassword,
  parseWorkspaceToken,
  sha256,
  verifyPassword,
  workspaceToken,
} from '../../platform/auth/crypto.js';
import { sqlState, UNIQUE_VIOLATION, violatedConstraint } from '../../platform/db/errors.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { presentWorkspace } from '../workspaces/workspace.presenter.js';
import { provisionWorkspace } from '../workspaces/workspace.provision.js';
import { findWorkspace, insertWorkspace } from '../workspaces/workspace.repository.js';
import { findMembership, insertMembership } from './member.repository.js';
import { memberAdded, workspaceCreated } from './user.events.js';
import { presentUser, type TokensJson } from './user.presenter.js';
import {
  findLoginUser,
  findRefreshToken,
  findVisibleUser,
  insertRefreshToken,
  insertUser,
  markRotated,
  revokeFamily,
  slugTaken,
  type UserWorkspace,
  workspacesOfUser,
} from './user.repository.js';
import type { CreateWorkspaceInput, LogInInput, SignUpInput } from './user.schema.js';

/**
 * Sessions: sign-up, sign-in, refresh-token rotation, sign-out, switching workspace, "who am I".
 * Refresh tokens are opaque, stored hashed, rotated on every use and grouped in families: presenting a
 * token that was already rotated means it was copied, so the whole family is revoked (and its access
 * tokens stop working at once through SessionRevocations).
 */

export const REFRESH_PREFIX = 'crm_rt';

export interface ClientMeta {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export function userActor(
  user: { id: string; email: string },
  workspaceId: string,
  role: Role,
  sessionId?: string,
): Actor {
  return {
    type: 'user',
    id: user.id,
    userId: user.id,
    workspaceId,
    role,
    scopes: ALL_SCOPES,
    label: user.email,
    via: 'session',
    ...(sessionId ? { sessionId } : {}),
  };
}

async function issueTokens(
  p: AppPlatform,
  claims: { userId: string; email: string; workspaceId: string; role: Role; familyId: string },
  refreshToken: string,
): Promise<TokensJson> {
  const access = await p.tokens.issue({
    userId: claims.userId,
    workspaceId: claims.workspaceId,
    role: claims.role,
    sessionId: claims.familyId,
    email: claims.email,
  });
  return {
    token_type: 'Bearer',
    access_token: access.token,
    expires_in: p.config.ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refreshToken,
    refresh_expires_in: p.config.REFRESH_TOKEN_TTL_SECONDS,
  };
}

/** Writes a new refresh token (a new family unless one is given) inside the caller's transaction. */
async function createRefreshToken(
  p: AppPlatform,
  uow: UnitOfWork<DB>,
  userId: string,
  meta: ClientMeta,
  familyId: string = newId(),
): Promise<{ token: string; familyId: string }> {
  const token = workspaceToken(REFRESH_PREFIX, uow.actor.workspaceId);
  await insertRefreshToken(uow.trx, {
    tenant_id: uow.actor.workspaceId,
    id: newId(),
    family_id: familyId,
    user_id: userId,
    token_hash: sha256(token),
    expires_at: new Date(Date.now() + p.config.REFRESH_TOKEN_TTL_SECONDS * 1000),
    user_agent: meta.userAgent?.slice(0, 300) ?? null,
    ip: meta.ip,
  });
  return { token, familyId };
}

function slugify(name: string): string {
  const s = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return s.length >= 2 ? s : 'workspace';
}

async function chooseSlug(p: AppPlatform, name: string, requested: string | undefined): Promise<string> {
  if (requested) {
    if (await p.db.system((db) => slugTaken(db, requested))) {
      throw new AppError('slug_taken', `The workspace address "${requested}" is taken`, {
        fields: [
          {
            field: 'workspace_slug',
            pointer: '/workspace_slug',
            in: 'body',
            code: 'taken',
            message: 'taken',
          },
        ],
      });
    }
    return requested;
  }
  const base = slugify(name);
  if (!(await p.db.system((db) => slugTaken(db, base)))) return base;
  return `${base}-${newId().slice(-6)}`;
}

function mapUniqueViolation(e: unknown): never {
  if (sqlState(e) === UNIQUE_VIOLATION) {
    const where = `${violatedConstraint(e) ?? ''} ${(e as Error).message}`;
    if (where.includes('email'))
      throw new AppError('email_taken', 'An account with this email already exists; sign in');
    if (where.includes('slug')) throw new AppError('slug_taken', 'That workspace address is taken');
  }
  throw e;
}

export interface SessionResult {
  user: ReturnType<typeof presentUser>;
  workspace: ReturnType<typeof presentWorkspace>;
  role: Role;
  workspaces: UserWorkspace[];
  tokens: TokensJson;
}

/** Creates the workspace and its first admin in one transaction (or, for a signed-in user, just the workspace). */
async function createWorkspaceWithAdmin(
  p: AppPlatform,
  args: {
    workspaceName: string;
    slug: string;
    user: { id: string; email: string; display_name: string; locale: string };
    newUserPasswordHash: string | null | undefined;
  },
  meta: ClientMeta,
): Promise<SessionResult> {
  const workspaceId = newId();
  const actor = userActor(args.user, workspaceId, 'admin');
  const result = await p
    .write({ actor, requestId: meta.requestId }, async (uow) => {
      if (args.newUserPasswordHash !== undefined) {
        await insertUser(uow.trx, {
          id: args.user.id,
          email: args.user.email,
          display_name: args.user.display_name,
          password_hash: args.newUserPasswordHash,
          locale: args.user.locale,
        });
      }
      const workspace = await insertWorkspace(uow.trx, {
        id: workspaceId,
        slug: args.slug,
        name: args.workspaceName,
        created_by: args.user.id,
        locale: args.user.locale,
      });
      await insertMembership(uow.trx, {
        tenant_id: workspaceId,
        id: newId(),
        user_id: args.user.id,
        role: 'admin',
        created_by: args.user.id,
      });
      await provisionWorkspace(uow, workspaceId, workspace.base_currency);
      const session = await createRefreshToken(p, uow, args.user.id, meta);
      uow.audit({
        action: 'workspace.created',
        entityType: 'workspace',
        entityId: workspaceId,
        diff: { name: { from: null, to: workspace.name }, slug: { from: null, to: workspace.slug } },
      });
      uow.audit({
        action: 'member.added',
        entityType: 'member',
        entityId: args.user.id,
        diff: { email: { from: null, to: args.user.email }, role: { from: null, to: 'admin' } },
      });
      uow.audit({ action: 'session.created', entityType: 'session', entityId: session.familyId, diff: {} });
      uow.emit(workspaceCreated(workspace));
      uow.emit(memberAdded({ user_id: args.user.id, email: args.user.email, role: 'admin' }));
      return { workspace, session };
    })
    .catch(mapUniqueViolation);
  const workspaces = await p.db.system((db) => workspacesOfUser(db, args.user.id));
  return {
    user: presentUser(args.user),
    workspace: presentWorkspace(result.workspace),
    role: 'admin',
    workspaces,
    tokens: await issueTokens(
      p,
      {
        userId: args.user.id,
        email: args.user.email,
        workspaceId,
        role: 'admin',
        familyId: result.session.familyId,
      },
      result.session.token,
    ),
  };
}

export async function signUp(p: AppPlatform, input: SignUpInput, meta: ClientMeta): Promise<SessionResult> {
  if (await p.db.system((db) => findLoginUser(db, input.email))) {
    throw new AppError(
      'email_taken',
      'An account with this email already exists; sign in and create a workspace',
      {
        fields: [
          { field: 'email', pointer: '/email', in: 'body', code: 'taken', message: 'already registered' },
        ],
      },
    );
  }
  const slug = await chooseSlug(p, input.workspace_name, input.workspace_slug);
  return createWorkspaceWithAdmin(
    p,
    {
      workspaceName: input.workspace_name,
      slug,
      user: { id: newId(), email: input.email, display_name: input.display_name, locale: input.locale },
      newUserPasswordHash: await hashPassword(input.password),
    },
    meta,
  );
}

/** A signed-in member creates another workspace and becomes its admin. */
export async function createAnotherWorkspace(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateWorkspaceInput,
  meta: ClientMeta,
): Promise<SessionResult> {
  const { actor } = ctx;
  if (actor.type !== 'user' || !actor.userId) {
    throw new AppError('forbidden', 'Only a signed-in person can create a workspace');
  }
  const user = await p.db.read(actor.workspaceId, (db) => findVisibleUser(db, actor.userId as string));
  if (!user) throw new AppError('unauthenticated', 'Sign in again');
  const slug = await chooseSlug(p, input.name, input.slug);
  return createWorkspaceWithAdmin(
    p,
    { workspaceName: input.name, slug, user, newUserPasswordHash: undefined },
    meta,
  );
}

/**
 * Brute-force protection: failures per email and per IP, locked for LOGIN_LOCKOUT_SECONDS. Exported for
 * every endpoint that checks a password (accepting an invitation too).
 */
export class LoginThrottle {
  constructor(private readonly p: AppPlatform) {}
  #keys(email: string, ip: string) {
    return { email: `login-fail:email:${email}`, ip: `login-fail:ip:${ip}` };
  }
  async assertOpen(email: string, ip: string): Promise<void> {
    const k = this.#keys(email, ip);
    const max = this.p.config.LOGIN_MAX_FAILURES;
    const [e, i] = await Promise.all([this.p.kv.get(k.email), this.p.kv.get(k.ip)]);
    // An office behind one NAT address gets ten times the allowance of a single account.
    const locked = Number(e ?? 0) >= max ? k.email : Number(i ?? 0) >= max * 10 ? k.ip : null;
    if (locked) {
      const ttl = Math.max(1, await this.p.kv.ttl(locked));
      throw new AppError('login_locked', `Too many failed sign-in attempts; try again in ${ttl} seconds`, {
        headers: { 'retry-after': String(ttl) },
      });
    }
  }
  async failed(email: string, ip: string): Promise<void> {
    const k = this.#keys(email, ip);
    const ttl = this.p.config.LOGIN_LOCKOUT_SECONDS;
    await Promise.all([this.p.kv.increment(k.email, ttl), this.p.kv.increment(k.ip, ttl)]);
  }
  async succeeded(email: string): Promise<void> {
    await this.p.kv.delete(this.#keys(email, '').email);
  }
}

export async function logIn(p: AppPlatform, input: LogInInput, meta: ClientMeta): Promise<SessionResult> {
  const throttle = new LoginThrottle(p);
  await throttle.assertOpen(input.email, meta.ip);
  const user = await p.db.system((db) => findLoginUser(db, input.email));
  // Verify against a dummy hash when the user is unknown: same cost, no account enumeration.
  const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), input.password);
  if (!user?.password_hash || !ok || user.disabled_at) {
    await throttle.failed(input.email, meta.ip);
    throw new AppError('invalid_credentials', 'Wrong email or password');
  }
  await throttle.succeeded(input.email);
  const workspaces = await p.db.system((db) => workspacesOfUser(db, user.id));
  const chosen = input.workspace_id ? workspaces.find((w) => w.id === input.workspace_id) : workspaces[0];
  if (!chosen) {
    throw new AppError(
      'forbidden',
      input.workspace_id ? 'You are not a member of that workspace' : 'You are not a member of any workspace',
    );
  }
  return openSession(p, user, chosen, workspaces, meta);
}

async function openSession(
  p: AppPlatform,
  user: { id: string; email: string; display_name: string; locale: string },
  workspace: UserWorkspace,
  workspaces: UserWorkspace[],
  meta: ClientMeta,
): Promise<SessionResult> {
  const actor = userActor(user, workspace.id, workspace.role);
  const { session, ws } = await p.write({ actor, requestId: meta.requestId }, async (uow) => {
    const ws = await findWorkspace(uow.trx, workspace.id);
    if (!ws) throw new AppError('workspace_not_found', 'Workspace not found');
    const session = await createRefreshToken(p, uow, user.id, meta);
    uow.audit({
      action: 'session.created',
      entityType: 'session',
      entityId: session.familyId,
      diff: { ip: { from: null, to: meta.ip } },
    });
    return { session, ws };
  });
  return {
    user: presentUser(user),
    workspace: presentWorkspace(ws),
    role: workspace.role,
    workspaces,
    tokens: await issueTokens(
      p,
      {
        userId: user.id,
        email: user.email,
        workspaceId: workspace.id,
        role: workspace.role,
        familyId: session.familyId,
      },
      session.token,
    ),
  };
}

const invalidRefresh = () => new AppError('token_invalid', 'The refresh token is not valid; sign in again');

/**
 * A refresh token presented again this soon after its rotation is a client that never received the
 * rotation's answer — a page reloaded while its first refresh was in flight, two tabs opened together —
 * not a thief: it gets a sibling token in the same family instead of revoking every session of it (the
 * "reuse interval" of Auth0 and Okta). Later, a rotated token is a replay and revokes the family. ADR 0010.
 */
export const REFRESH_REUSE_GRACE_MS = 10_000;

export async function refreshSession(
  p: AppPlatform,
  refreshToken: string,
  meta: ClientMeta,
): Promise<TokensJson> {
  const parsed = parseWorkspaceToken(REFRESH_PREFIX, refreshToken);
  if (!parsed) throw invalidRefresh();
  const ws = parsed.workspaceId;
  const outcome = await p.write(
    { actor: systemActor(ws, 'auth'), requestId: meta.requestId },
    async (uow) => {
      const row = await findRefreshToken(uow.trx, ws, sha256(refreshToken));
      if (!row || row.revoked_at) return { kind: 'invalid' as const };
      if (row.rotated_at && Date.now() - row.rotated_at.getTime() > REFRESH_REUSE_GRACE_MS) {
        await revokeFamily(uow.trx, ws, row.family_id, 'reuse_detected');
        uow.audit({
          action: 'session.reuse_detected',
          entityType: 'session',
          entityId: row.family_id,
          diff: { revoked: { from: false, to: true } },
        });
        return { kind: 'reused' as const, familyId: row.family_id };
      }
      if (row.expires_at.getTime() <= Date.now()) return { kind: 'expired' as const };
      const member = await findMembership(uow.trx, ws, row.user_id);
      const user = await findVisibleUser(uow.trx, row.user_id);
      if (member?.status !== 'active' || !user || user.disabled_at) {
        await revokeFamily(uow.trx, ws, row.family_id, 'membership_ended');
        return { kind: 'invalid' as const };
      }
      if (!row.rotated_at) await markRotated(uow.trx, ws, row.id);
      const next = await createRefreshToken(
        p,
        { ...uow, actor: userActor(user, ws, member.role) },
        user.id,
        meta,
        row.family_id,
      );
      return { kind: 'ok' as const, user, role: member.role, next };
    },
  );
  switch (outcome.kind) {
    case 'ok':
      return issueTokens(
        p,
        {
          userId: outcome.user.id,
          email: outcome.user.email,
          workspaceId: ws,
          role: outcome.role,
          familyId: outcome.next.familyId,
        },
        outcome.next.token,
      );
    case 'reused':
      await p.revocations.revoke(outcome.familyId);
      throw new AppError(
        'refresh_token_reused',
        'This refresh token was already used; every session of its family is signed out',
      );
    case 'expired':
      throw new AppError('token_expired', 'The refresh token has expired; sign in again');
    default:
      throw invalidRefresh();
  }
}

/** Signs out the session of the access token and/or of the given refresh token. */
export async function logOut(
  p: AppPlatform,
  args: { actor: Actor | null; refreshToken: string | undefined },
  meta: ClientMeta,
): Promise<void> {
  const targets: Array<{ workspaceId: string; familyId?: string; tokenHash?: string }> = [];
  if (args.actor?.via === 'session' && args.actor.sessionId) {
    targets.push({ workspaceId: args.actor.workspaceId, familyId: args.actor.sessionId });
  }
  if (args.refreshToken) {
    const parsed = parseWorkspaceToken(REFRESH_PREFIX, args.refreshToken);
    if (!parsed) throw invalidRefresh();
    targets.push({ workspaceId: parsed.workspaceId, tokenHash: sha256(args.refreshToken) });
  }
  if (targets.length === 0) {
    throw new AppError('unauthenticated', 'Send the refresh token, or sign out with an access token');
  }
  for (const t of targets) {
    const actor =
      args.actor && args.actor.workspaceId === t.workspaceId
        ? args.actor
        : systemActor(t.workspaceId, 'auth');
    const familyId = await p.write({ actor, requestId: meta.requestId }, async (uow) => {
      let family = t.familyId;
      if (!family && t.tokenHash)
        family = (await findRefreshToken(uow.trx, t.workspaceId, t.tokenHash))?.family_id;
      if (!family) return null;
      const n = await revokeFamily(uow.trx, t.workspaceId, family, 'logout');
      if (n > 0) {
        uow.audit({
          action: 'session.revoked',
          entityType: 'session',
          entityId: family,
          diff: { revoked: { from: false, to: true } },
        });
      }
      return family;
    });
    if (familyId) await p.revocations.revoke(familyId);
  }
}

export async function switchWorkspace(
  p: AppPlatform,
  ctx: RequestContext,
  workspaceId: string,
  meta: ClientMeta,
): Promise<SessionResult> {
  const { actor } = ctx;
  if (actor.via !== 'session' || !actor.userId) {
    throw new AppError('forbidden', 'Only a signed-in person can switch workspace');
  }
  const userId = actor.userId;
  const workspaces = await p.db.system((db) => workspacesOfUser(db, userId));
  const target = workspaces.find((w) => w.id === workspaceId);
  if (!target) throw new AppError('workspace_not_found', 'Workspace not found');
  const user = await p.db.read(workspaceId, (db) => findVisibleUser(db, userId));
  if (!user || user.disabled_at) throw new AppError('unauthenticated', 'Sign in again');
  return openSession(p, user, target, workspaces, meta);
}

export async function whoAmI(p: AppPlatform, ctx: RequestContext) {
  const { actor } = ctx;
  const ws = actor.workspaceId;
  const [workspace, user] = await p.db.read(
    ws,
    async (db) =>
      [
        await findWorkspace(db, ws),
        actor.userId ? await findVisibleUser(db, actor.userId) : undefined,
      ] as const,
  );
  if (!workspace) throw new AppError('workspace_not_found', 'Workspace not found');
  const workspaces =
    actor.userId && actor.via !== 'api_key'
      ? await p.db.system((db) => workspacesOfUser(db, actor.userId as string))
      : [];
  return {
    user: user ? presentUser(user) : null,
    workspace: presentWorkspace(workspace),
    role: actor.role,
    via: actor.via,
    scopes: [...actor.scopes],
    permissions: PERMISSIONS.filter((perm) => can(actor, perm)),
    workspaces,
  };
}
