import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import type { Client, TestApp } from '../../../../test/helpers.js';
import { testApp } from '../../../../test/helpers.js';
import type { AccountJson } from './account.presenter.js';
import type { CreateAccountInput } from './account.schema.js';
import type { AccountPage } from './account.service.js';

/**
 * Tenant isolation of every accounts endpoint (DESIGN rule 5): workspace B never sees, counts, finds or
 * changes workspace A's accounts, through a session or an API key, and another workspace's record
 * answers 404 `account_not_found`, never 403. A and B hold accounts with identical names so that a leak
 * cannot hide behind a non-matching filter.
 */

const BASE = '/crm/v1/accounts';

let t: TestApp;
let a: TestWorkspace;
let b: TestWorkspace;
let bRep: TestMember;
let bKey: Client;
let aLive: AccountJson;
let aDeleted: AccountJson;
let aUnowned: AccountJson;
let bLive: AccountJson;
let bDeleted: AccountJson;

const SHARED_NAME = 'Công ty Cổ phần Sao Mai';

beforeAll(async () => {
  t = await testApp();
  a = await createWorkspace(t);
  b = await createWorkspace(t);
  bRep = await addMember(t, b, 'sales_rep');
  bKey = (await apiKeyFor(t, b.admin, ['crm.read', 'crm.write'])).client;
  const same: Partial<CreateAccountInput> = {
    lifecycle: 'customer',
    legal_type: 'jsc',
    industry: 'Logistics',
    country: 'VN',
    domains: ['saomai.vn'],
    vn_mst: '0312273838',
  };
  aLive = await accountFor(t, a.admin, { name: SHARED_NAME, ...same });
  aUnowned = await accountFor(t, a.admin, { name: `${SHARED_NAME} Unowned`, ...same, owner_id: null });
  aDeleted = await accountFor(t, a.admin, { name: `${SHARED_NAME} Deleted`, ...same });
  expect((await a.admin.client.delete(`${BASE}/${aDeleted.id}`)).status).toBe(200);
  aDeleted = (await a.admin.client.get<AccountJson>(`${BASE}/${aDeleted.id}?include_deleted=true`)).body;
  bLive = await accountFor(t, b.admin, { name: SHARED_NAME, ...same });
  bDeleted = await accountFor(t, b.admin, { name: `${SHARED_NAME} Deleted`, ...same });
  expect((await b.admin.client.delete(`${BASE}/${bDeleted.id}`)).status).toBe(200);
});
afterAll(async () => t.close());

/** A's accounts as A sees them, to prove nothing B tried changed them. */
async function aSnapshot(): Promise<AccountJson[]> {
  const res = await a.admin.client.get<AccountPage>(`${BASE}?deleted=include&limit=100`);
  expect(res.status).toBe(200);
  return res.body.data;
}

async function counts(workspaceId: string): Promise<{ audit: number; outbox: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox) AS outbox`.execute(k),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { audit: Number(row.audit), outbox: Number(row.outbox) };
}

describe.each([
  ['B admin (session)', () => b.admin.client],
  ['B sales rep (session)', () => bRep.client],
  ['B API key', () => bKey],
])('%s', (_label, clientOf) => {
  const idem = () => ({ 'idempotency-key': `iso-${Math.random().toString(36).slice(2)}` });

  it("answers 404 account_not_found on every single-record endpoint for A's accounts", async () => {
    const c = clientOf();
    const before = await aSnapshot();
    const aCounts = await counts(a.id);
    const bCounts = await counts(b.id);
    for (const target of [aLive, aUnowned, aDeleted]) {
      const attempts: Array<[string, () => Promise<{ status: number; body: { code: string } }>]> = [
        ['GET', () => c.get(`${BASE}/${target.id}`)],
        ['GET include_deleted', () => c.get(`${BASE}/${target.id}?include_deleted=true`)],
        ['PATCH', () => c.patch(`${BASE}/${target.id}`, { name: 'Hijacked' }, idem())],
        [
          'PATCH If-Match',
          () =>
            c.patch(
              `${BASE}/${target.id}`,
              { name: 'Hijacked' },
              { ...idem(), 'if-match': `"${target.version}"` },
            ),
        ],
        [
          'PATCH stale If-Match',
          () => c.patch(`${BASE}/${target.id}`, { name: 'Hijacked' }, { ...idem(), 'if-match': '"99"' }),
        ],
        [
          'PATCH body version',
          () => c.patch(`${BASE}/${target.id}`, { owner_id: null, version: target.version }, idem()),
        ],
        ['DELETE', () => c.delete(`${BASE}/${target.id}`, idem())],
        ['DELETE stale If-Match', () => c.delete(`${BASE}/${target.id}`, { ...idem(), 'if-match': '"99"' })],
        ['restore', () => c.post(`${BASE}/${target.id}/restore`, {}, idem())],
      ];
      for (const [label, attempt] of attempts) {
        const res = await attempt();
        expect(res.status, `${label} ${target.name}`).toBe(404);
        expect(res.body.code, `${label} ${target.name}`).toBe('account_not_found');
      }
    }
    expect(await aSnapshot()).toEqual(before);
    expect(await counts(a.id)).toEqual(aCounts);
    expect(await counts(b.id)).toEqual(bCounts);
  });

  it("never lists, counts, finds or filters A's rows", async () => {
    const c = clientOf();
    const aIds = new Set([aLive.id, aUnowned.id, aDeleted.id]);
    const queries = [
      '',
      'deleted=include',
      'deleted=only',
      'sort=-created_at',
      'sort=updated_at',
      'owner_id=none',
      `owner_id=${a.admin.userId}`,
      'lifecycle=customer&legal_type=jsc&industry=Logistics&country=VN',
      `q=${encodeURIComponent(SHARED_NAME)}`,
      `q=${encodeURIComponent(SHARED_NAME)}&deleted=include`,
      `q=${encodeURIComponent(SHARED_NAME)}&deleted=only`,
      'q=sao%20mai&owner_id=none',
      `q=${encodeURIComponent(`${SHARED_NAME} Unowned`)}`,
      'q=saomai.vn',
      'q=0312273838',
      'q=cong',
    ];
    for (const query of queries) {
      const res = await c.get<AccountPage>(`${BASE}?${query}&include_total=true&limit=100`);
      expect(res.status, query).toBe(200);
      const ids = res.body.data.map((x) => x.id);
      for (const id of ids) expect(aIds.has(id), `${query} returned A's ${id}`).toBe(false);
      expect(res.body.page.total, query).toBe(ids.length);
    }
    const all = await c.get<AccountPage>(`${BASE}?deleted=include&include_total=true`);
    expect(all.body.data.map((x) => x.id).sort()).toEqual([bLive.id, bDeleted.id].sort());
    expect(all.body.page.total).toBe(2);
    const exact = await c.get<AccountPage>(`${BASE}?q=${encodeURIComponent(SHARED_NAME)}&include_total=true`);
    expect(exact.body.data.map((x) => x.id)).toEqual([bLive.id]);
    expect(exact.body.page.total).toBe(1);
    const owned = await c.get<AccountPage>(`${BASE}?owner_id=${a.admin.userId}&include_total=true`);
    expect(owned.body.data).toEqual([]);
    expect(owned.body.page.total).toBe(0);
    const unowned = await c.get<AccountPage>(`${BASE}?q=unowned&include_total=true&deleted=include`);
    expect(unowned.body.data).toEqual([]);
    expect(unowned.body.page.total).toBe(0);
  });
});

describe('cursors and references across workspaces', () => {
  it("does not page into A's rows with a cursor taken from A", async () => {
    for (let i = 0; i < 3; i++) await accountFor(t, a.admin, { name: `${SHARED_NAME} Extra ${i}` });
    const page = await a.admin.client.get<AccountPage>(`${BASE}?limit=1&sort=name`);
    const cursor = page.body.page.next_cursor;
    if (!cursor) throw new Error('expected a cursor');
    const fromB = await b.admin.client.get<AccountPage>(`${BASE}?limit=100&sort=name&cursor=${cursor}`);
    expect(fromB.status).toBe(200);
    expect(fromB.body.data.every((x) => x.id === bLive.id)).toBe(true);
    const search = await a.admin.client.get<AccountPage>(`${BASE}?limit=1&q=sao`);
    const searchCursor = search.body.page.next_cursor;
    if (!searchCursor) throw new Error('expected a search cursor');
    const searchFromB = await b.admin.client.get<AccountPage>(
      `${BASE}?limit=100&q=sao&cursor=${searchCursor}`,
    );
    expect(searchFromB.status).toBe(200);
    for (const x of searchFromB.body.data) expect(x.id).toBe(bLive.id);
  });

  it("refuses A's member as owner of B's account, and B cannot read A's audit trail", async () => {
    const res = await b.admin.client.patch(`${BASE}/${bLive.id}`, { owner_id: a.admin.userId });
    expect(res.status).toBe(422);
    expect(res.body.errors?.[0]?.field).toBe('owner_id');
    const create = await b.admin.client.post(BASE, { name: 'Cross', owner_id: a.admin.userId });
    expect(create.status).toBe(422);
    const audit = await b.admin.client.get<{ data: unknown[] }>(`/crm/v1/audit?entity_id=${aLive.id}`);
    expect(audit.status).toBe(200);
    expect(audit.body.data).toEqual([]);
  });

  it("keeps A's rows out of B's database scope and out of an unscoped query", async () => {
    const ids = [aLive.id, aUnowned.id, aDeleted.id];
    const inB = await t.db.read(b.id, (k) =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_accounts
        WHERE id IN (${sql.join(ids)})`.execute(k),
    );
    expect(Number(inB.rows[0]?.n)).toBe(0);
    const unscoped = await t.db.unscoped((k) =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_accounts`.execute(k),
    );
    expect(Number(unscoped.rows[0]?.n)).toBe(0);
    const unscopedSearch = await t.db.unscoped((k) =>
      sql<{
        id: string;
      }>`SELECT id FROM crm_core.crm_account_search('sao mai', '{}'::jsonb, NULL, NULL, NULL, 100)`.execute(
        k,
      ),
    );
    expect(unscopedSearch.rows).toEqual([]);
    const bSearch = await t.db.read(b.id, (k) =>
      sql<{
        id: string;
      }>`SELECT id FROM crm_core.crm_account_search('sao mai', '{"deleted":"include"}'::jsonb,
        NULL, NULL, NULL, 100)`.execute(k),
    );
    expect(bSearch.rows.map((r) => r.id).sort()).toEqual([bLive.id, bDeleted.id].sort());
    const bCount = await t.db.read(b.id, (k) =>
      sql<{
        n: number;
      }>`SELECT crm_core.crm_account_search_count('sao mai', '{"deleted":"include"}'::jsonb) AS n`.execute(k),
    );
    expect(Number(bCount.rows[0]?.n)).toBe(2);
    // Writes under B's scope cannot touch A's rows either (RLS is the second wall).
    const updated = await t.db.transaction(b.id, (trx) =>
      sql`UPDATE crm_core.crm_accounts SET name = 'x' WHERE id IN (${sql.join(ids)})`.execute(trx),
    );
    expect(Number(updated.numAffectedRows ?? 0)).toBe(0);
    expect((await a.admin.client.get<AccountJson>(`${BASE}/${aLive.id}`)).body.name).toBe(SHARED_NAME);
  });
});
