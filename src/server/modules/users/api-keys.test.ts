import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { addMember, apiKeyFor, createWorkspace } from '../../../../test/factories.js';
import { api, type TestApp, testApp } from '../../../../test/helpers.js';
import { sha256 } from '../../platform/auth/crypto.js';
import { newId } from '../../platform/ids.js';
import type { AccountJson } from '../accounts/account.presenter.js';
import type { auditListResponseSchema } from '../audit/audit.schema.js';
import type { apiKeyResponseSchema, createdApiKeyResponseSchema } from './api-key.schema.js';
import type { meResponseSchema } from './user.schema.js';

type ApiKeyJson = z.infer<typeof apiKeyResponseSchema>;
type CreatedKey = z.infer<typeof createdApiKeyResponseSchema>;
type Me = z.infer<typeof meResponseSchema>;
type AuditList = z.infer<typeof auditListResponseSchema>;

const idem = () => ({ 'idempotency-key': newId() });

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('creates a key: 201, the token once, a SHA-256 of it stored, a recognisable prefix', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<CreatedKey>('/crm/v1/api-keys', {
      name: 'Zapier',
      scopes: ['crm.read', 'crm.write', 'crm.read'],
    });
    expect(res.status).toBe(201);
    const { token, api_key: key } = res.body;
    expect(token).toMatch(new RegExp(`^crm_sk_${ws.id.replaceAll('-', '')}_[A-Za-z0-9_-]{43}$`));
    expect(key).toMatchObject({
      name: 'Zapier',
      scopes: ['crm.read', 'crm.write'],
      created_by: ws.admin.userId,
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
    });
    expect(key.token_prefix).toBe(`crm_sk_…${token.slice(-6)}`);

    const row = await t.db.read(ws.id, (k) =>
      k.selectFrom('crm_core.crm_api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow(),
    );
    expect(row.token_hash).toBe(sha256(token));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);

    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=api_key.created');
    expect(audit.body.data.map((a) => a.entity_id)).toEqual([key.id]);
    expect(JSON.stringify(audit.body)).not.toContain(token);
  });

  it('lists keys without ever returning the token or its hash', async () => {
    const ws = await createWorkspace(t);
    const a = await apiKeyFor(t, ws.admin, ['crm.read']);
    const b = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const list = await ws.admin.client.get<{ data: ApiKeyJson[] }>('/crm/v1/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.data.map((k) => k.id).sort()).toEqual([a.id, b.id].sort());
    expect(list.raw).not.toContain(a.token);
    expect(list.raw).not.toContain(b.token);
    expect(list.raw).not.toContain(sha256(a.token));
    for (const k of list.body.data) expect(Object.keys(k)).not.toContain('token');
  });

  it('enforces scopes at the edge: a crm.read key reads but cannot write', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const read = await key.client.get<{ data: AccountJson[] }>('/crm/v1/accounts');
    expect(read.status).toBe(200);
    const write = await key.client.post('/crm/v1/accounts', { name: 'Nope' }, idem());
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('insufficient_scope');
    expect(write.body.required_scope).toBe('crm.write');
    const admin = await key.client.get('/crm/v1/api-keys');
    expect(admin.status).toBe(403);
    expect(admin.body.code).toBe('insufficient_scope');

    const me = await key.client.get<Me>('/crm/v1/me');
    expect(me.body.via).toBe('api_key');
    expect(me.body.scopes).toEqual(['crm.read']);
    expect(me.body.permissions).not.toContain('crm.account.create');
    expect(me.body.workspaces).toEqual([]);
  });

  it('a key with crm.write creates records acting as its creator', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const res = await key.client.post<AccountJson>('/crm/v1/accounts', { name: 'Từ API' }, idem());
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('Từ API');
  });

  it('cannot grant scopes the creating credential lacks', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.admin', 'crm.read']);
    const escalate = await key.client.post(
      '/crm/v1/api-keys',
      { name: 'more', scopes: ['crm.read', 'crm.write'] },
      idem(),
    );
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe('insufficient_scope');
    expect(escalate.body.detail).toContain('crm.write');
    const subset = await key.client.post<CreatedKey>(
      '/crm/v1/api-keys',
      { name: 'less', scopes: ['crm.read'] },
      idem(),
    );
    expect(subset.status).toBe(201);
    expect(subset.body.api_key.scopes).toEqual(['crm.read']);
    expect(subset.body.api_key.created_by).toBe(ws.admin.userId);
  });

  it('a sales rep (and a manager) cannot create or list keys (403)', async () => {
    const ws = await createWorkspace(t);
    for (const role of ['sales_rep', 'manager'] as const) {
      const m = await addMember(t, ws, role);
      const res = await m.client.post('/crm/v1/api-keys', { name: 'mine', scopes: ['crm.read'] });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect((await m.client.get('/crm/v1/api-keys')).status).toBe(403);
    }
  });

  it('revoking a key stops it at once (401)', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    expect((await key.client.get('/crm/v1/accounts')).status).toBe(200);
    const res = await ws.admin.client.delete<ApiKeyJson>(`/crm/v1/api-keys/${key.id}`);
    expect(res.status).toBe(200);
    expect(res.body.revoked_at).not.toBeNull();
    const after = await key.client.get('/crm/v1/accounts');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('token_invalid');
    // Revoking again is harmless and keeps the first revocation time.
    const again = await ws.admin.client.delete<ApiKeyJson>(`/crm/v1/api-keys/${key.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revoked_at).toBe(res.body.revoked_at);
    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=api_key.revoked');
    expect(audit.body.data.map((a) => a.entity_id)).toEqual([key.id]);
    expect((await ws.admin.client.delete(`/crm/v1/api-keys/${newId()}`)).status).toBe(404);
  });

  it('records last_used_at after use', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const before = await ws.admin.client.get<{ data: ApiKeyJson[] }>('/crm/v1/api-keys');
    expect(before.body.data[0]?.last_used_at).toBeNull();
    const startedAt = Date.now();
    expect((await key.client.get('/crm/v1/accounts')).status).toBe(200);
    // The bookkeeping write is not on the request path: wait for it to land.
    await vi.waitFor(
      async () => {
        const after = await ws.admin.client.get<{ data: ApiKeyJson[] }>('/crm/v1/api-keys');
        expect(after.body.data[0]?.last_used_at).not.toBeNull();
      },
      { timeout: 10_000, interval: 25 },
    );
    const after = await ws.admin.client.get<{ data: ApiKeyJson[] }>('/crm/v1/api-keys');
    expect(Date.parse(after.body.data[0]?.last_used_at ?? '')).toBeGreaterThanOrEqual(startedAt - 5_000);
  });

  it('an expired key is refused (401)', async () => {
    const ws = await createWorkspace(t);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await ws.admin.client.post<CreatedKey>('/crm/v1/api-keys', {
      name: 'short-lived',
      scopes: ['crm.read'],
      expires_at: future,
    });
    expect(res.status).toBe(201);
    expect(res.body.api_key.expires_at).toBe(future);
    await t.db.read(ws.id, (k) =>
      sql`update crm_core.crm_api_keys set expires_at = now() - interval '1 minute'
          where id = ${res.body.api_key.id}`.execute(k),
    );
    const used = await api(t.app, { apiKey: res.body.token }).get('/crm/v1/accounts');
    expect(used.status).toBe(401);
    expect(used.body.code).toBe('token_invalid');

    const past = await ws.admin.client.post('/crm/v1/api-keys', {
      name: 'already expired',
      scopes: ['crm.read'],
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past.status).toBe(422);
  });

  it('a key that expires while cached is refused from its expiry on', async () => {
    const ws = await createWorkspace(t);
    const now = Date.now();
    const res = await ws.admin.client.post<CreatedKey>('/crm/v1/api-keys', {
      name: 'ten seconds',
      scopes: ['crm.read'],
      expires_at: new Date(now + 10_000).toISOString(),
    });
    const c = api(t.app, { apiKey: res.body.token });
    expect((await c.get('/crm/v1/me')).status).toBe(200); // now cached
    vi.useFakeTimers({ toFake: ['Date'], now: now + 11_000 });
    const later = await c.get('/crm/v1/me');
    expect(later.status).toBe(401);
  });

  it('a key whose creator was disabled stops working at once (401)', async () => {
    const ws = await createWorkspace(t);
    const second = await addMember(t, ws, 'admin');
    const key = await apiKeyFor(t, second, ['crm.read']);
    expect((await key.client.get('/crm/v1/accounts')).status).toBe(200);
    const off = await ws.admin.client.patch(`/crm/v1/members/${second.userId}`, { status: 'disabled' });
    expect(off.status).toBe(200);
    const res = await key.client.get('/crm/v1/accounts');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('a key acts with its creator’s current role: a demotion applies at once', async () => {
    const ws = await createWorkspace(t);
    const second = await addMember(t, ws, 'admin');
    const key = await apiKeyFor(t, second, ['crm.read', 'crm.write']);
    expect((await key.client.get<Me>('/crm/v1/me')).body.role).toBe('admin');
    const demote = await ws.admin.client.patch(`/crm/v1/members/${second.userId}`, { role: 'viewer' });
    expect(demote.status).toBe(200);
    const me = await key.client.get<Me>('/crm/v1/me');
    expect(me.body.role).toBe('viewer');
    const write = await key.client.post('/crm/v1/accounts', { name: 'Viewer via key' }, idem());
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('forbidden');
  });

  it('a user disabled outright (not only their membership) loses their keys', async () => {
    const ws = await createWorkspace(t);
    const second = await addMember(t, ws, 'admin');
    const key = await apiKeyFor(t, second, ['crm.read']);
    await t.db.system((k) =>
      sql`update crm_core.crm_users set disabled_at = now() where id = ${second.userId}`.execute(k),
    );
    expect((await key.client.get('/crm/v1/accounts')).status).toBe(401);
  });

  it('works as Authorization: Bearer and as X-API-Key; a garbage key is 401', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const bearer = await api(t.app, key.token).get<Me>('/crm/v1/me');
    expect(bearer.status).toBe(200);
    expect(bearer.body.via).toBe('api_key');
    const header = await api(t.app, { apiKey: key.token }).get<Me>('/crm/v1/me');
    expect(header.status).toBe(200);
    expect(header.body.via).toBe('api_key');
    expect(header.body.workspace.id).toBe(ws.id);

    for (const bad of ['crm_sk_garbage', `crm_sk_${ws.id.replaceAll('-', '')}_${'A'.repeat(43)}`]) {
      expect((await api(t.app, bad).get('/crm/v1/me')).status).toBe(401);
      expect((await api(t.app, { apiKey: bad }).get('/crm/v1/me')).status).toBe(401);
    }
  });

  it('writes with a key need an Idempotency-Key (400 idempotency_key_required)', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const res = await key.client.post('/crm/v1/accounts', { name: 'No key' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_key_required');
    const list = await key.client.get<{ data: AccountJson[] }>('/crm/v1/accounts');
    expect(list.body.data).toEqual([]);
    // A browser session does not need one.
    expect((await ws.admin.client.post('/crm/v1/accounts', { name: 'Session write' })).status).toBe(201);
  });
});
