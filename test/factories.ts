import type { AccountJson } from '../src/server/modules/accounts/account.presenter.js';
import type { CreateAccountInput } from '../src/server/modules/accounts/account.schema.js';
import { createAccount } from '../src/server/modules/accounts/account.service.js';
import { createApiKey } from '../src/server/modules/users/api-key.service.js';
import { insertMembership } from '../src/server/modules/users/member.repository.js';
import { insertUser } from '../src/server/modules/users/user.repository.js';
import { userActor } from '../src/server/modules/users/user.service.js';
import { provisionWorkspace } from '../src/server/modules/workspaces/workspace.provision.js';
import { insertWorkspace } from '../src/server/modules/workspaces/workspace.repository.js';
import type { Actor } from '../src/server/platform/auth/actor.js';
import { hashPassword } from '../src/server/platform/auth/crypto.js';
import { newId } from '../src/server/platform/ids.js';
import type { Role, Scope } from '../src/shared/auth.js';
import { api, type Client, type TestApp } from './helpers.js';

/**
 * Factories in the Outline style: each test gets its own workspace, so tests never see each other's
 * rows and can run in any order on one shared database. Rows are written through repositories (and
 * the unit of work, so audit chains stay valid); tokens are real JWTs from the app's SessionTokens.
 */

export const TEST_PASSWORD = 'correct-horse-battery-staple';
let passwordHash: Promise<string> | undefined;
const hashed = () => {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  return passwordHash;
};

export interface TestMember {
  userId: string;
  email: string;
  role: Role;
  workspaceId: string;
  token: string;
  actor: Actor;
  client: Client;
}

export interface TestWorkspace {
  id: string;
  slug: string;
  admin: TestMember;
}

const short = () => newId().slice(-12);

async function memberToken(t: TestApp, m: Omit<TestMember, 'token' | 'client'>): Promise<string> {
  const { token } = await t.platform.tokens.issue({
    userId: m.userId,
    workspaceId: m.workspaceId,
    role: m.role,
    sessionId: newId(),
    email: m.email,
  });
  return token;
}

export async function createWorkspace(t: TestApp, opts: { name?: string } = {}): Promise<TestWorkspace> {
  const id = newId();
  const userId = newId();
  const slug = `ws-${short()}`;
  const email = `admin-${short()}@test.local`;
  const actor = userActor({ id: userId, email }, id, 'admin');
  const hash = await hashed();
  await t.platform.write({ actor, requestId: 'factory' }, async (uow) => {
    await insertUser(uow.trx, {
      id: userId,
      email,
      display_name: 'Admin',
      password_hash: hash,
      locale: 'vi',
    });
    await insertWorkspace(uow.trx, { id, slug, name: opts.name ?? `Workspace ${slug}`, created_by: userId });
    await insertMembership(uow.trx, {
      tenant_id: id,
      id: newId(),
      user_id: userId,
      role: 'admin',
      created_by: userId,
    });
    uow.audit({ action: 'workspace.created', entityType: 'workspace', entityId: id, diff: {} });
    await provisionWorkspace(uow, id);
  });
  const base = { userId, email, role: 'admin' as const, workspaceId: id, actor };
  const token = await memberToken(t, base);
  return { id, slug, admin: { ...base, token, client: api(t.app, token) } };
}

export async function addMember(
  t: TestApp,
  ws: TestWorkspace | string,
  role: Role,
  opts: { email?: string; name?: string } = {},
): Promise<TestMember> {
  const workspaceId = typeof ws === 'string' ? ws : ws.id;
  const userId = newId();
  const email = opts.email ?? `${role}-${short()}@test.local`;
  const hash = await hashed();
  const actor = userActor({ id: userId, email }, workspaceId, role);
  await t.platform.write({ actor, requestId: 'factory' }, async (uow) => {
    await insertUser(uow.trx, {
      id: userId,
      email,
      display_name: opts.name ?? role,
      password_hash: hash,
      locale: 'vi',
    });
    await insertMembership(uow.trx, {
      tenant_id: workspaceId,
      id: newId(),
      user_id: userId,
      role,
      created_by: null,
    });
    uow.audit({ action: 'member.added', entityType: 'member', entityId: userId, diff: {} });
  });
  const base = { userId, email, role, workspaceId, actor };
  const token = await memberToken(t, base);
  return { ...base, token, client: api(t.app, token) };
}

/** An API key of this member with the given scopes; returns its token and a client using it. */
export async function apiKeyFor(
  t: TestApp,
  member: TestMember,
  scopes: Scope[],
): Promise<{ id: string; token: string; client: Client }> {
  const created = await createApiKey(
    t.platform,
    { actor: member.actor, requestId: 'factory' },
    { name: `key-${short()}`, scopes },
  );
  return { id: created.api_key.id, token: created.token, client: api(t.app, { apiKey: created.token }) };
}

export async function accountFor(
  t: TestApp,
  member: TestMember,
  input: Partial<CreateAccountInput> & { name?: string } = {},
): Promise<AccountJson> {
  return createAccount(
    t.platform,
    { actor: member.actor, requestId: 'factory' },
    {
      name: input.name ?? `Account ${short()}`,
      legal_type: 'other',
      lifecycle: 'prospect',
      domains: [],
      addresses: [],
      custom_fields: {},
      ...input,
    },
  );
}
