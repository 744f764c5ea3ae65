import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type Client, ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import type { AccountJson } from '../../modules/accounts/account.presenter.js';

/**
 * Idempotency-Key on writes (DESIGN §7), through the real app and the real crm_idempotency_keys table.
 * Every test uses its own workspace, so counts are exact.
 */

interface AccountList {
  data: AccountJson[];
  page: { total?: number };
}

interface KeyRow {
  status: 'in_progress' | 'completed';
  response_status: number | null;
  method: string;
  path: string;
}

const ACCOUNTS = '/crm/v1/accounts';

describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  async function total(c: Client): Promise<number> {
    const res = await c.get<AccountList>(`${ACCOUNTS}?include_total=true&deleted=include`);
    expect(res.status).toBe(200);
    return res.body.page.total ?? -1;
  }

  async function keyRows(workspaceId: string, key: string): Promise<KeyRow[]> {
    const r = await t.db.read(workspaceId, (k) =>
      sql<KeyRow>`SELECT status, response_status, method, path FROM crm_core.crm_idempotency_keys
                  WHERE key = ${key}`.execute(k),
    );
    return r.rows;
  }

  /** Puts a stored key back into "first request still running" state, keeping its request hash. */
  async function markInProgress(workspaceId: string, key: string, lease: 'live' | 'expired'): Promise<void> {
    const r = await t.db.read(workspaceId, (k) =>
      sql`UPDATE crm_core.crm_idempotency_keys
          SET status = 'in_progress', response_status = NULL, response_body = NULL, response_headers = NULL,
              locked_until = now() + ${sql.raw(lease === 'live' ? "interval '1 hour'" : "interval '-1 second'")}
          WHERE key = ${key}`.execute(k),
    );
    expect(Number(r.numAffectedRows)).toBe(1);
  }

  describe('replay', () => {
    let ws: TestWorkspace;
    beforeAll(async () => {
      ws = await createWorkspace(t);
    });

    it('never stores a secret shown once: a replay answers the shape with the secret null', async () => {
      const c = ws.admin.client;
      const body = { name: 'ci', scopes: ['crm.read'] };
      const first = await c.post<{ token: string; api_key: { id: string } }>('/crm/v1/api-keys', body, {
        'idempotency-key': 'key-with-secret',
      });
      expect(first.status).toBe(201);
      expect(first.body.token).toMatch(/^crm_sk_/);
      const stored = await t.db.read(ws.id, (k) =>
        sql<{ response_body: string }>`SELECT response_body FROM crm_core.crm_idempotency_keys
          WHERE key = 'key-with-secret'`.execute(k),
      );
      expect(stored.rows[0]?.response_body).not.toContain(first.body.token);
      const again = await c.post<{
        token: string | null;
        api_key: { id: string };
        secrets_redacted: boolean;
      }>('/crm/v1/api-keys', body, { 'idempotency-key': 'key-with-secret' });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toMatchObject({
        token: null,
        secrets_redacted: true,
        api_key: { id: first.body.api_key.id },
      });
    });

    it('replays the same status, body and headers for the same key and body, creating one account', async () => {
      const c = ws.admin.client;
      const before = await total(c);
      const body = { name: 'Idempotent Co', industry: 'Retail' };
      const first = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'create-1' });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const second = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'create-1' });
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.raw).toBe(first.raw);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers.location).toBe(first.headers.location);
      expect(second.headers.etag).toBe(first.headers.etag);
      expect(String(second.headers['content-type'])).toMatch(/^application\/json/);
      // The replay is a new request: it has its own request id.
      expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);

      expect(await total(c)).toBe(before + 1);
      expect(await keyRows(ws.id, 'create-1')).toEqual([
        { status: 'completed', response_status: 201, method: 'POST', path: ACCOUNTS },
      ]);
    });

    it('answers 422 idempotency_key_reused for the same key with a different body', async () => {
      const c = ws.admin.client;
      const first = await c.post<AccountJson>(
        ACCOUNTS,
        { name: 'Reuse A' },
        { 'idempotency-key': 'reuse-1' },
      );
      expect(first.status).toBe(201);
      const before = await total(c);
      const other = await c.post(ACCOUNTS, { name: 'Reuse B' }, { 'idempotency-key': 'reuse-1' });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('idempotency_key_reused');
      expect(String(other.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(await total(c)).toBe(before);
    });

    it('treats the same key on another URL as a different request', async () => {
      const c = ws.admin.client;
      const a = await accountFor(c, 'Url A');
      const created = await c.post<AccountJson>(ACCOUNTS, { name: 'Url B' }, { 'idempotency-key': 'url-1' });
      expect(created.status).toBe(201);
      const res = await c.post(`${ACCOUNTS}/${a.id}/restore`, {}, { 'idempotency-key': 'url-1' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('idempotency_key_reused');
    });

    it('replays PATCH: the second call does not apply the change again', async () => {
      const c = ws.admin.client;
      const acc = await accountFor(c, 'Patch Me');
      const headers = { 'idempotency-key': 'patch-1', 'if-match': '"1"' };
      const first = await c.patch<AccountJson>(`${ACCOUNTS}/${acc.id}`, { name: 'Patched' }, headers);
      expect(first.status).toBe(200);
      expect(first.body.version).toBe(2);
      // Without the key this would be a 412 (If-Match "1" is stale now).
      const second = await c.patch<AccountJson>(`${ACCOUNTS}/${acc.id}`, { name: 'Patched' }, headers);
      expect(second.status).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.raw).toBe(first.raw);
      expect(second.headers.etag).toBe('"2"');
      const now = await c.get<AccountJson>(`${ACCOUNTS}/${acc.id}`);
      expect(now.body.version).toBe(2);
    });

    it('replays DELETE: the second call answers like the first instead of 404', async () => {
      const c = ws.admin.client;
      const acc = await accountFor(c, 'Delete Me');
      const first = await c.delete<AccountJson>(`${ACCOUNTS}/${acc.id}`, { 'idempotency-key': 'delete-1' });
      expect(first.status).toBe(200);
      expect(first.body.deleted_at).not.toBeNull();
      const second = await c.delete<AccountJson>(`${ACCOUNTS}/${acc.id}`, { 'idempotency-key': 'delete-1' });
      expect(second.status).toBe(200);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.raw).toBe(first.raw);
      const fresh = await c.delete(`${ACCOUNTS}/${acc.id}`, { 'idempotency-key': 'delete-2' });
      expect(fresh.status).toBe(404);
    });

    it('replays a 4xx outcome of the service as it was (412 on PATCH)', async () => {
      const c = ws.admin.client;
      const acc = await accountFor(c, 'Stale Write');
      const stale = { 'idempotency-key': 'stale-1', 'if-match': '"2"' };
      const first = await c.patch(`${ACCOUNTS}/${acc.id}`, { name: 'Stale Write 2' }, stale);
      expect(first.status).toBe(412);
      expect(first.body.code).toBe('precondition_failed');
      // Now the account really is at version 2: a fresh request with If-Match "2" would succeed.
      const bump = await c.patch<AccountJson>(
        `${ACCOUNTS}/${acc.id}`,
        { industry: 'Tea' },
        { 'if-match': '"1"' },
      );
      expect(bump.body.version).toBe(2);
      const second = await c.patch(`${ACCOUNTS}/${acc.id}`, { name: 'Stale Write 2' }, stale);
      expect(second.status).toBe(412);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.raw).toBe(first.raw);
      expect(String(second.headers['content-type'])).toMatch(/^application\/problem\+json/);
      const now = await c.get<AccountJson>(`${ACCOUNTS}/${acc.id}`);
      expect(now.body).toMatchObject({ name: 'Stale Write', version: 2 });
    });

    it('does not store a request refused by schema validation', async () => {
      const c = ws.admin.client;
      const bad = await c.post(ACCOUNTS, { name: '' }, { 'idempotency-key': 'fix-me-1' });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_failed');
      expect(await keyRows(ws.id, 'fix-me-1')).toEqual([]);
      const good = await c.post<AccountJson>(
        ACCOUNTS,
        { name: 'Fixed Co' },
        { 'idempotency-key': 'fix-me-1' },
      );
      expect(good.status).toBe(201);
      expect(good.headers['idempotent-replayed']).toBeUndefined();
      expect(good.body.name).toBe('Fixed Co');
    });

    it('ignores the header on reads', async () => {
      const res = await ws.admin.client.get<AccountList>(ACCOUNTS, { 'idempotency-key': 'read-1' });
      expect(res.status).toBe(200);
      expect(await keyRows(ws.id, 'read-1')).toEqual([]);
    });
  });

  describe('concurrency and expiry', () => {
    let ws: TestWorkspace;
    beforeAll(async () => {
      ws = await createWorkspace(t);
    });

    it('answers 409 idempotency_request_in_progress while the first request holds the key', async () => {
      const c = ws.admin.client;
      const body = { name: 'In Flight Co' };
      const first = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'flight-1' });
      expect(first.status).toBe(201);
      await markInProgress(ws.id, 'flight-1', 'live');
      const before = await total(c);

      const dup = await c.post(ACCOUNTS, body, { 'idempotency-key': 'flight-1' });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('idempotency_request_in_progress');
      expect(dup.headers['retry-after']).toBe('1');
      // A different body is still a misuse of the key, in progress or not.
      const other = await c.post(ACCOUNTS, { name: 'Other' }, { 'idempotency-key': 'flight-1' });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('idempotency_key_reused');
      expect(await total(c)).toBe(before);
      // The 409 must not have completed or released the key.
      expect((await keyRows(ws.id, 'flight-1'))[0]?.status).toBe('in_progress');
    });

    it('never runs two concurrent duplicates: one creates, the other is replayed or told 409', async () => {
      const c = ws.admin.client;
      const before = await total(c);
      const body = { name: 'Racing Co' };
      const results = await Promise.all(
        [1, 2, 3].map(() => c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'race-1' })),
      );
      const executed = results.filter(
        (r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined,
      );
      expect(executed).toHaveLength(1);
      for (const r of results) {
        if (r.status === 201) expect(r.body.id).toBe(executed[0]?.body.id);
        else expect(r.status).toBe(409);
      }
      expect(await total(c)).toBe(before + 1);
    });

    it('takes over an in-progress key whose lease expired', async () => {
      const c = ws.admin.client;
      const body = { name: 'Abandoned Co' };
      const first = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'lease-1' });
      expect(first.status).toBe(201);
      await markInProgress(ws.id, 'lease-1', 'expired');
      const before = await total(c);

      const retry = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'lease-1' });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.body.id).not.toBe(first.body.id);
      expect(await total(c)).toBe(before + 1);
      expect((await keyRows(ws.id, 'lease-1'))[0]).toMatchObject({
        status: 'completed',
        response_status: 201,
      });

      const again = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'lease-1' });
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(retry.body.id);
    });

    it('re-executes a request whose key expired', async () => {
      const c = ws.admin.client;
      const body = { name: 'Expired Key Co' };
      const first = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'expire-1' });
      expect(first.status).toBe(201);
      await t.db.read(ws.id, (k) =>
        sql`UPDATE crm_core.crm_idempotency_keys SET expires_at = now() - interval '1 second'
            WHERE key = 'expire-1'`.execute(k),
      );
      const before = await total(c);
      const second = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'expire-1' });
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(second.body.id).not.toBe(first.body.id);
      expect(await total(c)).toBe(before + 1);
      // The new outcome is stored and replayed from now on.
      const third = await c.post<AccountJson>(ACCOUNTS, body, { 'idempotency-key': 'expire-1' });
      expect(third.headers['idempotent-replayed']).toBe('true');
      expect(third.body.id).toBe(second.body.id);
    });

    it('keeps a stored key for IDEMPOTENCY_TTL_SECONDS', async () => {
      const c = ws.admin.client;
      await c.post(ACCOUNTS, { name: 'TTL Co' }, { 'idempotency-key': 'ttl-1' });
      const r = await t.db.read(ws.id, (k) =>
        sql<{ seconds: number }>`SELECT extract(epoch FROM expires_at - created_at)::float8 AS seconds
                                 FROM crm_core.crm_idempotency_keys WHERE key = 'ttl-1'`.execute(k),
      );
      expect(Math.round(r.rows[0]?.seconds ?? 0)).toBe(t.config.IDEMPOTENCY_TTL_SECONDS);
      expect(t.config.IDEMPOTENCY_TTL_SECONDS).toBe(86_400);
    });

    it.runIf(ENGINE === 'postgres')(
      'answers 409 to a duplicate that arrives while the first request is really running',
      async () => {
        const c = ws.admin.client;
        const acc = await accountFor(c, 'Locked Co');
        const url = `${ACCOUNTS}/${acc.id}`;
        const headers = { 'idempotency-key': 'real-flight-1', 'if-match': '"1"' };

        // Hold the account's row lock so the first PATCH blocks inside its transaction.
        let release = () => {};
        const gate = new Promise<void>((r) => {
          release = r;
        });
        let signalLocked = () => {};
        const locked = new Promise<void>((r) => {
          signalLocked = r;
        });
        const holder = t.db.transaction(ws.id, async (trx) => {
          await sql`SELECT id FROM crm_core.crm_accounts WHERE id = ${acc.id} FOR UPDATE`.execute(trx);
          signalLocked();
          await gate;
        });
        await locked;
        const first = c.patch<AccountJson>(url, { name: 'Locked Co 2' }, headers);
        try {
          // Wait (not a timed assertion) until the first request has claimed the key.
          for (let i = 0; (await keyRows(ws.id, 'real-flight-1')).length === 0; i++) {
            if (i > 2000) throw new Error('the first request never claimed the key');
            await new Promise((r) => setTimeout(r, 5));
          }
          const dup = await c.patch(url, { name: 'Locked Co 2' }, headers);
          expect(dup.status).toBe(409);
          expect(dup.body.code).toBe('idempotency_request_in_progress');
        } finally {
          release();
          await holder;
        }
        const done = await first;
        expect(done.status).toBe(200);
        expect(done.body.version).toBe(2);
        const replay = await c.patch<AccountJson>(url, { name: 'Locked Co 2' }, headers);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.raw).toBe(done.raw);
      },
    );
  });

  describe('scoping and key rules', () => {
    let ws: TestWorkspace;
    beforeAll(async () => {
      ws = await createWorkspace(t);
    });

    it('scopes keys per principal: two users with the same key both succeed', async () => {
      const rep = await addMember(t, ws, 'sales_rep');
      const a = await ws.admin.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Same Key' },
        { 'idempotency-key': 'shared' },
      );
      const b = await rep.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Same Key' },
        { 'idempotency-key': 'shared' },
      );
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.created_by).toBe(rep.userId);
      // A different body under the same key is fine for the other principal too.
      const rep2 = await addMember(t, ws, 'sales_rep');
      const c = await rep2.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Another' },
        { 'idempotency-key': 'shared' },
      );
      expect(c.status).toBe(201);
    });

    it('scopes keys per workspace', async () => {
      const other = await createWorkspace(t);
      const a = await ws.admin.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Cross' },
        { 'idempotency-key': 'ws-key' },
      );
      const b = await other.admin.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Cross' },
        { 'idempotency-key': 'ws-key' },
      );
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);
    });

    it('requires the header from API-key clients and replays for them', async () => {
      const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
      const missing = await key.client.post(ACCOUNTS, { name: 'Via Key' });
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('idempotency_key_required');
      expect(missing.body.errors).toEqual([
        expect.objectContaining({ field: 'Idempotency-Key', in: 'headers' }),
      ]);
      const delMissing = await key.client.delete(
        `${ACCOUNTS}/${(await accountFor(ws.admin.client, 'K')).id}`,
      );
      expect(delMissing.status).toBe(400);
      expect(delMissing.body.code).toBe('idempotency_key_required');

      const first = await key.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Via Key' },
        { 'idempotency-key': 'k-1' },
      );
      expect(first.status).toBe(201);
      const second = await key.client.post<AccountJson>(
        ACCOUNTS,
        { name: 'Via Key' },
        { 'idempotency-key': 'k-1' },
      );
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      // Reads need no key.
      expect((await key.client.get(ACCOUNTS)).status).toBe(200);
    });

    it('lets session clients omit the header', async () => {
      const c = ws.admin.client;
      const a = await c.post<AccountJson>(ACCOUNTS, { name: 'No Key' });
      const b = await c.post<AccountJson>(ACCOUNTS, { name: 'No Key' });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses a malformed key with 400', async () => {
      const c = ws.admin.client;
      for (const bad of ['k'.repeat(300), 'has space', '']) {
        const res = await c.post(ACCOUNTS, { name: 'Bad Key' }, { 'idempotency-key': bad });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('bad_request');
        expect(res.body.errors?.[0]).toMatchObject({
          field: 'Idempotency-Key',
          in: 'headers',
          code: 'invalid',
        });
      }
      const longest = await c.post(ACCOUNTS, { name: 'Longest Key' }, { 'idempotency-key': 'k'.repeat(255) });
      expect(longest.status).toBe(201);
    });
  });
});

async function accountFor(c: Client, name: string): Promise<AccountJson> {
  const res = await c.post<AccountJson>(ACCOUNTS, { name });
  expect(res.status).toBe(201);
  return res.body;
}
