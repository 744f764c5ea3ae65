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
import { type ApiResponse, api, type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { FieldDiff } from '../../platform/audit/audit.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { AccountJson, AccountSnapshot } from './account.presenter.js';
import type { AccountSort } from './account.schema.js';
import type { AccountPage } from './account.service.js';

/**
 * The accounts REST API end to end on a real database: CRUD, validation, listing and keyset
 * pagination, optimistic concurrency, soft delete/restore, authorization (roles, record rules, API-key
 * scopes), and the audit row + outbox event each mutation must write in its transaction.
 */

interface AuditEntryJson {
  seq: number;
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null; label: string };
  action: string;
  entity_type: string;
  entity_id: string;
  diff: FieldDiff;
}
interface AuditPage {
  data: AuditEntryJson[];
}
interface OutboxRow {
  topic: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: EventEnvelope<{ account: AccountSnapshot; changes?: FieldDiff }>;
}

const BASE = '/crm/v1/accounts';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

/** The audit rows of one entity, oldest first (the endpoint lists newest first). */
async function auditOf(ws: TestWorkspace, entityId: string): Promise<AuditEntryJson[]> {
  const res = await ws.admin.client.get<AuditPage>(`/crm/v1/audit?entity_id=${entityId}&limit=100`);
  expect(res.status).toBe(200);
  return [...res.body.data].reverse();
}

/** The outbox rows of one aggregate, in write order. */
async function outboxOf(workspaceId: string, aggregateId: string): Promise<OutboxRow[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<OutboxRow>`
      SELECT topic, aggregate_type, aggregate_id, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${aggregateId}
      ORDER BY created_at, id`.execute(k),
  );
  return r.rows;
}

/** Every audit and outbox row of a workspace (to prove a failed request wrote nothing). */
async function writeCounts(workspaceId: string): Promise<{ audit: number; outbox: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log WHERE tenant_id = ${workspaceId}) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox WHERE tenant_id = ${workspaceId}) AS outbox`.execute(
      k,
    ),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { audit: Number(row.audit), outbox: Number(row.outbox) };
}

function fieldsOf(p: ProblemDocument): string[] {
  return (p.errors ?? []).map((e) => e.field).sort();
}

/** Follows next_cursor to the end; checks page sizes and has_more on the way. */
async function readAll(c: Client, query: string, limit: number): Promise<AccountJson[]> {
  const out: AccountJson[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const url: string = `${BASE}?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: ApiResponse<AccountPage> = await c.get<AccountPage>(url);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.page.limit).toBe(limit);
    expect(res.body.page.has_more).toBe(res.body.page.next_cursor !== null);
    if (res.body.page.has_more) expect(res.body.data).toHaveLength(limit);
    out.push(...res.body.data);
    cursor = res.body.page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('pagination did not end');
}

/** What name_fold holds, for the names used here (NFC, unaccent incl. đ, lower). */
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function expectedOrder(rows: AccountJson[], sort: AccountSort): string[] {
  const desc = sort.startsWith('-');
  const key = (r: AccountJson) =>
    sort.endsWith('name') ? fold(r.name) : sort.endsWith('created_at') ? r.created_at : r.updated_at;
  const sorted = [...rows].sort((a, b) => byCodeUnits(key(a), key(b)) || byCodeUnits(a.id, b.id));
  if (desc) sorted.reverse();
  return sorted.map((r) => r.id);
}

describe('create', () => {
  it('answers 201 with Location, ETag "1", defaults, and the creator as owner', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<AccountJson>(BASE, { name: '  Công ty TNHH An Phát  ' });
    expect(res.status).toBe(201);
    const a = res.body;
    expect(res.headers.location).toBe(`${BASE}/${a.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(a).toMatchObject({
      name: 'Công ty TNHH An Phát',
      legal_type: 'other',
      lifecycle: 'prospect',
      mst_status: 'unverified',
      mst_checked_at: null,
      vn_mst: null,
      industry: null,
      size: null,
      website: null,
      domains: [],
      country: null,
      phone: null,
      email: null,
      addresses: [],
      lead_source: null,
      description: null,
      custom_fields: {},
      owner_id: ws.admin.userId,
      created_by: ws.admin.userId,
      updated_by: ws.admin.userId,
      version: 1,
      deleted_at: null,
      abilities: ['update', 'delete'],
    });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.created_at).toBe(a.updated_at);
    const got = await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toEqual(a);
  });

  it('normalizes domains, email, country and empty optional text', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<AccountJson>(BASE, {
      name: 'Acme Việt Nam',
      domains: [
        'ACME.vn',
        'https://www.acme.vn/about',
        'http://Acme.com.vn',
        'www.acme.com.vn',
        'shop.acme.vn',
      ],
      email: 'Sales@ACME.vn',
      country: 'vn',
      phone: '   ',
      website: 'https://acme.vn',
      legal_type: 'jsc',
      lifecycle: 'customer',
      size: '51-200',
      vn_mst: '0101248141',
      industry: 'Logistics',
      addresses: [{ street: '1 Lê Lợi', province: 'TP Hồ Chí Minh' }],
      custom_fields: { tier: 'gold', seats: 12 },
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.domains).toEqual(['acme.vn', 'acme.com.vn', 'shop.acme.vn']);
    expect(res.body.email).toBe('sales@acme.vn');
    expect(res.body.country).toBe('VN');
    expect(res.body.phone).toBeNull();
    expect(res.body.addresses).toEqual([
      {
        kind: 'headquarters',
        street: '1 Lê Lợi',
        ward: null,
        district: null,
        province: 'TP Hồ Chí Minh',
        country: 'VN',
        postal_code: null,
        // The 2025 units: the province is recognised, the ward is missing (a warning says so).
        ward_code: null,
        province_code: '79',
        dataset_version: expect.stringMatching(/^vn-2025-07-01\//),
      },
    ]);
    expect(res.body.custom_fields).toEqual({ tier: 'gold', seats: 12 });
    expect(res.body).toMatchObject({
      legal_type: 'jsc',
      lifecycle: 'customer',
      size: '51-200',
      vn_mst: '0101248141',
    });
  });

  it('accepts an explicit null owner and another member as owner (admin)', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const unowned = await ws.admin.client.post<AccountJson>(BASE, { name: 'Nobody', owner_id: null });
    expect(unowned.status).toBe(201);
    expect(unowned.body.owner_id).toBeNull();
    const given = await ws.admin.client.post<AccountJson>(BASE, { name: 'Rep’s', owner_id: rep.userId });
    expect(given.status).toBe(201);
    expect(given.body.owner_id).toBe(rep.userId);
  });

  it('names every bad field, with pointer and location, in one 422', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post(BASE, {
      name: '',
      legal_type: 'corporation',
      email: 'not-an-email',
      website: 'ftp://acme.vn',
      domains: ['acme.vn', 'not a domain'],
      country: 'Vietnam',
      size: '2-3',
      lifecycle: 'zombie',
      owner_id: 'someone',
      addresses: [{ kind: 'home', country: 'VNM' }],
      custom_fields: 'x',
      colour: 'red',
    });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(
      [
        'name',
        'legal_type',
        'email',
        'website',
        'domains.1',
        'country',
        'size',
        'lifecycle',
        'owner_id',
        'addresses.0.kind',
        'addresses.0.country',
        'custom_fields',
        'colour',
      ].sort(),
    );
    for (const e of res.body.errors ?? []) {
      expect(e.in).toBe('body');
      expect(e.pointer).toBe(`/${e.field.split('.').join('/')}`);
      expect(e.message.length).toBeGreaterThan(0);
    }
    const unknown = res.body.errors?.find((e) => e.field === 'colour');
    expect(unknown?.message).toBe('unknown field');
  });

  it('refuses U+0000 (which PostgreSQL cannot store) with a 422 naming each field, never a 500', async () => {
    const ws = await createWorkspace(t);
    const nul = 'a\u0000b';
    const res = await ws.admin.client.post(BASE, {
      name: nul,
      industry: nul,
      description: nul,
      website: `https://acme.vn/${nul}`,
      addresses: [{ street: nul }],
      custom_fields: { ok: 'fine', nested: { deep: [nul] } },
    });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual([
      'addresses.0.street',
      'custom_fields',
      'description',
      'industry',
      'name',
      'website',
    ]);
    const key = await ws.admin.client.post(BASE, { name: 'ok', custom_fields: { [nul]: 1 } });
    expect(key.status).toBe(422);
    expect(fieldsOf(key.body)).toEqual(['custom_fields']);
    const a = await accountFor(t, ws.admin, { name: 'Clean' });
    const patch = await ws.admin.client.patch(`${BASE}/${a.id}`, { lead_source: nul });
    expect(patch.status).toBe(422);
    expect(fieldsOf(patch.body)).toEqual(['lead_source']);
    const query = await ws.admin.client.get(`${BASE}?q=a%00b&industry=x%00`);
    expect(query.status).toBe(422);
    expect(fieldsOf(query.body)).toEqual(['industry', 'q']);
    expect((await ws.admin.client.get<AccountPage>(`${BASE}?include_total=true`)).body.page.total).toBe(1);
  });

  it('requires a name, and rejects a body that is not JSON', async () => {
    const ws = await createWorkspace(t);
    const missing = await ws.admin.client.post(BASE, { legal_type: 'llc' });
    expect(missing.status).toBe(422);
    expect(fieldsOf(missing.body)).toEqual(['name']);
    const tooLong = await ws.admin.client.post(BASE, { name: 'x'.repeat(201) });
    expect(tooLong.status).toBe(422);
    expect(fieldsOf(tooLong.body)).toEqual(['name']);
    const bad = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: `Bearer ${ws.admin.token}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expect((JSON.parse(bad.body) as ProblemDocument).code).toBe('malformed_body');
  });

  it('rejects an owner who is not a member of the workspace, naming owner_id', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    for (const owner of [UNKNOWN_ID, other.admin.userId]) {
      const res = await ws.admin.client.post(BASE, { name: 'Orphan', owner_id: owner });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: 'owner_id', pointer: '/owner_id', in: 'body' }),
      ]);
    }
    const list = await ws.admin.client.get<AccountPage>(`${BASE}?include_total=true`);
    expect(list.body.page.total).toBe(0);
  });
});

describe('get', () => {
  it('404s an unknown id and 422s a malformed one', async () => {
    const ws = await createWorkspace(t);
    const missing = await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('account_not_found');
    expect(missing.body.instance).toBe(`${BASE}/${UNKNOWN_ID}`);
    const bad = await ws.admin.client.get(`${BASE}/not-a-uuid`);
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'id', in: 'params', pointer: '/id' })]);
    const badQuery = await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}?include_deleted=yes`);
    expect(badQuery.status).toBe(422);
    expect(badQuery.body.errors).toEqual([
      expect.objectContaining({ field: 'include_deleted', in: 'query' }),
    ]);
  });

  it('hides a soft-deleted account unless include_deleted=true', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Gone Soon' });
    expect((await ws.admin.client.delete(`${BASE}/${a.id}`)).status).toBe(200);
    const hidden = await ws.admin.client.get(`${BASE}/${a.id}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('account_not_found');
    const shown = await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}?include_deleted=true`);
    expect(shown.status).toBe(200);
    expect(shown.body.deleted_at).not.toBeNull();
    expect(shown.body.version).toBe(2);
    expect(shown.headers.etag).toBe('"2"');
    expect(shown.body.abilities).toEqual(['restore']);
  });
});

describe('list', () => {
  it('filters by owner, lifecycle, legal type, industry, country and deletion', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const mine = await accountFor(t, ws.admin, { name: 'Mine', lifecycle: 'customer', legal_type: 'jsc' });
    const reps = await accountFor(t, ws.admin, {
      name: 'Rep',
      owner_id: rep.userId,
      industry: 'Logistics',
      country: 'VN',
    });
    const nobody = await accountFor(t, ws.admin, { name: 'Nobody', owner_id: null, country: 'SG' });
    const gone = await accountFor(t, ws.admin, { name: 'Gone', lifecycle: 'customer' });
    expect((await ws.admin.client.delete(`${BASE}/${gone.id}`)).status).toBe(200);

    const ids = async (query: string, c: Client = ws.admin.client) => {
      const res = await c.get<AccountPage>(`${BASE}?${query}`);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => a.id);
    };
    expect(await ids('')).toEqual([mine.id, nobody.id, reps.id]);
    expect(await ids('owner_id=me')).toEqual([mine.id]);
    expect(await ids('owner_id=me', rep.client)).toEqual([reps.id]);
    expect(await ids('owner_id=none')).toEqual([nobody.id]);
    expect(await ids(`owner_id=${rep.userId}`)).toEqual([reps.id]);
    expect(await ids(`owner_id=${UNKNOWN_ID}`)).toEqual([]);
    expect(await ids('lifecycle=customer')).toEqual([mine.id]);
    expect(await ids('lifecycle=customer&deleted=include')).toEqual([gone.id, mine.id]);
    expect(await ids('legal_type=jsc')).toEqual([mine.id]);
    expect(await ids('legal_type=llc')).toEqual([]);
    expect(await ids('industry=Logistics')).toEqual([reps.id]);
    expect(await ids('country=vn')).toEqual([reps.id]);
    expect(await ids('country=SG')).toEqual([nobody.id]);
    expect(await ids('deleted=exclude')).toEqual([mine.id, nobody.id, reps.id]);
    expect(await ids('deleted=include')).toEqual([gone.id, mine.id, nobody.id, reps.id]);
    expect(await ids('deleted=only')).toEqual([gone.id]);
    expect(await ids('owner_id=me&lifecycle=customer&deleted=only')).toEqual([gone.id]);

    const total = await ws.admin.client.get<AccountPage>(`${BASE}?include_total=true&limit=1`);
    expect(total.body.page).toEqual({ limit: 1, next_cursor: expect.any(String), has_more: true, total: 3 });
    const filteredTotal = await ws.admin.client.get<AccountPage>(
      `${BASE}?include_total=true&deleted=include&lifecycle=customer`,
    );
    expect(filteredTotal.body.page.total).toBe(2);
    const noTotal = await ws.admin.client.get<AccountPage>(BASE);
    expect(noTotal.body.page).toEqual({ limit: 25, next_cursor: null, has_more: false });
  });

  it('pages through 23 rows exactly once in order, for every sort', async () => {
    const ws = await createWorkspace(t);
    // Equal folded names (Alpha/alpha/ÁLPHA, Nguyễn/nguyen, Đức/Duc) force the id tie-breaker.
    const names = [
      'Alpha',
      'alpha',
      'ÁLPHA',
      'Nguyễn Văn A',
      'nguyen van a',
      'Đức Thành',
      'Duc Thanh',
      'Zeta',
      'Ánh Dương',
      'beta',
      'Bê Tông',
      'Cửu Long',
      'cuu long',
      'Mekong',
      'Hà Nội Foods',
      'Ha Noi Foods',
      'Ô Long',
      'omega',
      'Phở 24',
      'Quang Trung',
      'Sài Gòn Co',
      'Tân Cảng',
      'Yên Bái',
    ];
    expect(names).toHaveLength(23);
    for (const name of names) await accountFor(t, ws.admin, { name });
    // Several rows written in one statement share created_at/updated_at exactly (ties on timestamps).
    await t.db.transaction(ws.id, (trx) =>
      sql`UPDATE crm_core.crm_accounts SET name = name || '' , updated_at = now()
          WHERE tenant_id = ${ws.id} AND name_fold IN ('alpha', 'zeta', 'beta', 'mekong', 'omega')`.execute(
        trx,
      ),
    );
    await t.db.transaction(ws.id, (trx) =>
      sql`UPDATE crm_core.crm_accounts SET created_at = (SELECT min(created_at) FROM crm_core.crm_accounts
            WHERE tenant_id = ${ws.id})
          WHERE tenant_id = ${ws.id} AND name_fold IN ('cuu long', 'ha noi foods', 'pho 24')`.execute(trx),
    );
    const all = (await ws.admin.client.get<AccountPage>(`${BASE}?limit=100`)).body.data;
    expect(all).toHaveLength(23);
    expect(new Set(all.map((a) => a.created_at)).size).toBeLessThan(23);
    expect(new Set(all.map((a) => a.updated_at)).size).toBeLessThan(23);

    const sorts: AccountSort[] = ['name', '-name', 'created_at', '-created_at', 'updated_at', '-updated_at'];
    for (const sort of sorts) {
      const paged = await readAll(ws.admin.client, `sort=${sort}`, 5);
      expect(
        paged.map((a) => a.id),
        sort,
      ).toEqual(expectedOrder(all, sort));
      expect(new Set(paged.map((a) => a.id)).size).toBe(23);
    }
    // Filters hold across pages too.
    const mine = await readAll(ws.admin.client, 'sort=-name&owner_id=me&include_total=true', 4);
    expect(mine.map((a) => a.id)).toEqual(expectedOrder(all, '-name'));
  });

  it('rejects bad query parameters, naming each one in the query', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.get(
      `${BASE}?limit=500&sort=bogus&lifecycle=zombie&owner_id=someone&deleted=maybe&include_total=yes&country=Vietnam&colour=red`,
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
    expect(fieldsOf(res.body)).toEqual(
      ['limit', 'sort', 'lifecycle', 'owner_id', 'deleted', 'include_total', 'country', 'colour'].sort(),
    );
    for (const e of res.body.errors ?? []) expect(e.in).toBe('query');
    for (const limit of ['101', '0', '-1', 'abc', '2.5']) {
      const r = await ws.admin.client.get(`${BASE}?limit=${limit}`);
      expect(r.status, limit).toBe(422);
      expect(fieldsOf(r.body)).toEqual(['limit']);
    }
    expect((await ws.admin.client.get<AccountPage>(`${BASE}?limit=100`)).status).toBe(200);
  });

  it('refuses tampered cursors and cursors of another sort with 400 invalid_cursor', async () => {
    const ws = await createWorkspace(t);
    for (let i = 0; i < 3; i++) await accountFor(t, ws.admin, { name: `Row ${i}` });
    const first = await ws.admin.client.get<AccountPage>(`${BASE}?limit=1&sort=name`);
    const cursor = first.body.page.next_cursor;
    if (!cursor) throw new Error('expected a next cursor');
    const ok = await ws.admin.client.get<AccountPage>(`${BASE}?limit=1&sort=name&cursor=${cursor}`);
    expect(ok.status).toBe(200);
    expect(ok.body.data[0]?.name).toBe('Row 1');

    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const search = await ws.admin.client.get<AccountPage>(`${BASE}?q=row&limit=1`);
    const searchCursor = search.body.page.next_cursor;
    if (!searchCursor) throw new Error('expected a search cursor');
    const cases: Array<[string, string]> = [
      ['other sort', `sort=-name&cursor=${cursor}`],
      ['other sort (created_at)', `sort=created_at&cursor=${cursor}`],
      ['search cursor on a list', `sort=name&cursor=${searchCursor}`],
      ['list cursor on a search', `q=row&cursor=${cursor}`],
      ['garbage', 'cursor=!!!not-base64!!!'],
      ['truncated', `cursor=${cursor.slice(3)}`],
      ['wrong shape', `cursor=${b64({ s: 'name', k: ['row 0'] })}`],
      ['wrong types', `cursor=${b64({ s: 'name', k: [1, 2] })}`],
      // The right shape with values the database cannot cast must not become a 500.
      ['bad id', `sort=name&cursor=${b64({ s: 'name', k: ['row 0', 'not-a-uuid'] })}`],
      ['bad date', `sort=created_at&cursor=${b64({ s: 'created_at', k: ['yesterday', UNKNOWN_ID] })}`],
      ['bad rank', `q=row&cursor=${b64({ s: 'search', k: [1.5, 'row 0', UNKNOWN_ID] })}`],
      ['bad search id', `q=row&cursor=${b64({ s: 'search', k: [0, 'row 0', 'nope'] })}`],
      ['NUL in name key', `sort=name&cursor=${b64({ s: 'name', k: ['row\u0000', UNKNOWN_ID] })}`],
      ['NUL in search key', `q=row&cursor=${b64({ s: 'search', k: [0, 'row\u0000', UNKNOWN_ID] })}`],
      ['rank out of range', `q=row&cursor=${b64({ s: 'search', k: [7, 'row 0', UNKNOWN_ID] })}`],
    ];
    for (const [label, query] of cases) {
      const res = await ws.admin.client.get(`${BASE}?limit=1&${query}`);
      expect(res.status, label).toBe(400);
      expect(res.body.code, label).toBe('invalid_cursor');
      expect(res.body.errors?.[0]?.in, label).toBe('query');
    }
  });
});

describe('update', () => {
  it('applies a change under If-Match, bumps the version and the ETag', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Before', domains: ['before.vn'] });
    const res = await ws.admin.client.patch<AccountJson>(
      `${BASE}/${a.id}`,
      { name: 'After', domains: ['https://www.After.vn', 'after.vn'], email: 'Hi@After.VN', industry: '' },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      name: 'After',
      domains: ['after.vn'],
      email: 'hi@after.vn',
      industry: null,
      version: 2,
      created_at: a.created_at,
      owner_id: ws.admin.userId,
    });
    expect(res.body.updated_at >= a.updated_at).toBe(true);
    const again = await ws.admin.client.patch<AccountJson>(
      `${BASE}/${a.id}`,
      { lifecycle: 'customer' },
      { 'if-match': 'W/"2"' },
    );
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(3);
    expect(again.headers.etag).toBe('"3"');
    const star = await ws.admin.client.patch<AccountJson>(
      `${BASE}/${a.id}`,
      { lifecycle: 'partner' },
      { 'if-match': '*' },
    );
    expect(star.status).toBe(200);
    expect(star.body.version).toBe(4);
    const none = await ws.admin.client.patch<AccountJson>(`${BASE}/${a.id}`, {
      description: 'no precondition',
    });
    expect(none.status).toBe(200);
    expect(none.body.version).toBe(5);
    expect((await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`)).body).toEqual(none.body);
  });

  it('treats a PATCH that changes nothing as a no-op: same version, no audit row, no event', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Steady', domains: ['steady.vn'], industry: 'Retail' });
    const before = await writeCounts(ws.id);
    const res = await ws.admin.client.patch<AccountJson>(
      `${BASE}/${a.id}`,
      { name: 'Steady', domains: ['https://www.steady.vn'], industry: 'Retail' },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body.version).toBe(1);
    expect(res.headers.etag).toBe('"1"');
    expect(await writeCounts(ws.id)).toEqual(before);
  });

  it('answers 412 with the current version for a stale If-Match or body version, changing nothing', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Contested' });
    expect(
      (await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'First' }, { 'if-match': '"1"' })).status,
    ).toBe(200);
    const before = await writeCounts(ws.id);

    const stale = await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'Second' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect(stale.body.current_version).toBe(2);
    expect(stale.headers.etag).toBe('"2"');
    expect((stale.body.current as AccountJson).name).toBe('First');

    const staleBody = await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'Second', version: 1 });
    expect(staleBody.status).toBe(412);
    expect(staleBody.body.current_version).toBe(2);

    const staleDelete = await ws.admin.client.delete(`${BASE}/${a.id}`, { 'if-match': '"1"' });
    expect(staleDelete.status).toBe(412);
    expect(staleDelete.body.current_version).toBe(2);

    // A failing request writes neither an audit row nor an event.
    expect(await writeCounts(ws.id)).toEqual(before);
    const now = await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`);
    expect(now.body).toMatchObject({ name: 'First', version: 2, deleted_at: null });

    const current = await ws.admin.client.patch<AccountJson>(`${BASE}/${a.id}`, {
      name: 'Second',
      version: 2,
    });
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ name: 'Second', version: 3 });
    expect(current.headers.etag).toBe('"3"');
  });

  it('lets exactly one of two concurrent writers with the same If-Match win', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Race' });
    const results = await Promise.all(
      ['Left', 'Right'].map((name) =>
        ws.admin.client.patch<AccountJson>(`${BASE}/${a.id}`, { name }, { 'if-match': '"1"' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200);
    const now = await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`);
    expect(now.body).toMatchObject({ version: 2, name: winner?.body.name });
    expect((await auditOf(ws, a.id)).map((e) => e.action)).toEqual(['account.created', 'account.updated']);
  });

  it('rejects a malformed If-Match with 400 and an empty change with 422', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Strict' });
    for (const h of ['1', '"abc"', 'W/1', '"1", "2"', '"-1"']) {
      const res = await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'x' }, { 'if-match': h });
      expect(res.status, h).toBe(400);
      expect(res.body.code, h).toBe('bad_request');
      expect(res.body.errors?.[0]).toMatchObject({ field: 'If-Match', in: 'headers' });
    }
    const empty = await ws.admin.client.patch(`${BASE}/${a.id}`, {});
    expect(empty.status).toBe(422);
    expect(empty.body.code).toBe('validation_failed');
    const onlyVersion = await ws.admin.client.patch(`${BASE}/${a.id}`, { version: 1 });
    expect(onlyVersion.status).toBe(422);
    const bad = await ws.admin.client.patch(`${BASE}/${a.id}`, {
      name: '',
      email: 'nope',
      version: 0,
      created_by: UNKNOWN_ID,
    });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['created_by', 'email', 'name', 'version']);
    const unknown = await ws.admin.client.patch(`${BASE}/${UNKNOWN_ID}`, { name: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('account_not_found');
    expect((await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`)).body.version).toBe(1);
  });

  it('rejects an owner who is not a member, naming owner_id', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Owned' });
    for (const owner of [UNKNOWN_ID, other.admin.userId]) {
      const res = await ws.admin.client.patch(`${BASE}/${a.id}`, { owner_id: owner });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: 'owner_id', pointer: '/owner_id', in: 'body' }),
      ]);
    }
    expect((await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`)).body).toMatchObject({
      owner_id: ws.admin.userId,
      version: 1,
    });
  });
});

describe('delete and restore', () => {
  it('soft-deletes, hides, lists under deleted=only, restores, and 409s a restore of a live account', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Phoenix' });
    const notDeleted = await ws.admin.client.post(`${BASE}/${a.id}/restore`);
    expect(notDeleted.status).toBe(409);
    expect(notDeleted.body.code).toBe('conflict');

    const del = await ws.admin.client.delete<AccountJson>(`${BASE}/${a.id}`, { 'if-match': '"1"' });
    expect(del.status).toBe(200);
    expect(del.headers.etag).toBe('"2"');
    expect(del.body.deleted_at).not.toBeNull();
    expect(del.body.version).toBe(2);
    expect(del.body.abilities).toEqual(['restore']);

    expect((await ws.admin.client.get(`${BASE}/${a.id}`)).status).toBe(404);
    // Soft: the row is still there, only marked.
    const row = await t.db.read(ws.id, (k) =>
      sql<{ name: string; deleted_at: Date | null }>`
        SELECT name, deleted_at FROM crm_core.crm_accounts WHERE tenant_id = ${ws.id} AND id = ${a.id}`.execute(
        k,
      ),
    );
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0]?.deleted_at?.toISOString()).toBe(del.body.deleted_at);
    const again = await ws.admin.client.delete(`${BASE}/${a.id}`);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('account_not_found');
    const patchDeleted = await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'Zombie' });
    expect(patchDeleted.status).toBe(404);
    expect(patchDeleted.body.code).toBe('account_not_found');
    expect((await ws.admin.client.get<AccountPage>(BASE)).body.data).toEqual([]);
    const only = await ws.admin.client.get<AccountPage>(`${BASE}?deleted=only`);
    expect(only.body.data.map((x) => x.id)).toEqual([a.id]);

    const restored = await ws.admin.client.post<AccountJson>(`${BASE}/${a.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.headers.etag).toBe('"3"');
    expect(restored.body).toMatchObject({
      deleted_at: null,
      version: 3,
      name: 'Phoenix',
      abilities: ['update', 'delete'],
    });
    expect((await ws.admin.client.get<AccountJson>(`${BASE}/${a.id}`)).status).toBe(200);
    expect((await ws.admin.client.get<AccountPage>(`${BASE}?deleted=only`)).body.data).toEqual([]);
    const missing = await ws.admin.client.post(`${BASE}/${UNKNOWN_ID}/restore`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('account_not_found');
  });
});

describe('authorization', () => {
  let ws: TestWorkspace;
  let rep: TestMember;
  let otherRep: TestMember;
  let manager: TestMember;
  let viewer: TestMember;
  beforeAll(async () => {
    ws = await createWorkspace(t);
    rep = await addMember(t, ws, 'sales_rep');
    otherRep = await addMember(t, ws, 'sales_rep');
    manager = await addMember(t, ws, 'manager');
    viewer = await addMember(t, ws, 'viewer');
  });

  it('lets a rep create (owning it), and write their own and unowned accounts', async () => {
    const created = await rep.client.post<AccountJson>(BASE, { name: 'Rep Co' });
    expect(created.status).toBe(201);
    expect(created.body.owner_id).toBe(rep.userId);
    expect(created.body.abilities).toEqual(['update', 'delete']);
    const own = await rep.client.patch<AccountJson>(`${BASE}/${created.body.id}`, { lifecycle: 'customer' });
    expect(own.status).toBe(200);

    const unowned = await accountFor(t, ws.admin, { name: 'Free Co', owner_id: null });
    const seen = await rep.client.get<AccountJson>(`${BASE}/${unowned.id}`);
    expect(seen.body.abilities).toEqual(['update', 'delete']);
    const edit = await rep.client.patch<AccountJson>(`${BASE}/${unowned.id}`, { industry: 'Retail' });
    expect(edit.status).toBe(200);
    expect(edit.body.owner_id).toBeNull();
    // Taking an unowned account and letting it go again are a rep's own moves.
    const take = await rep.client.patch<AccountJson>(`${BASE}/${unowned.id}`, { owner_id: rep.userId });
    expect(take.status).toBe(200);
    expect(take.body.owner_id).toBe(rep.userId);
    const release = await rep.client.patch<AccountJson>(`${BASE}/${unowned.id}`, { owner_id: null });
    expect(release.status).toBe(200);
    expect(release.body.owner_id).toBeNull();
    const unownedByRep = await rep.client.post<AccountJson>(BASE, { name: 'Pool Co', owner_id: null });
    expect(unownedByRep.status).toBe(201);
    expect(unownedByRep.body.owner_id).toBeNull();

    const del = await rep.client.delete<AccountJson>(`${BASE}/${created.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body.abilities).toEqual(['restore']);
    const restore = await rep.client.post<AccountJson>(`${BASE}/${created.body.id}/restore`);
    expect(restore.status).toBe(200);
    expect((await rep.client.delete(`${BASE}/${unowned.id}`)).status).toBe(200);
  });

  it("forbids a rep to write someone else's account, and shows no abilities on it", async () => {
    const theirs = await accountFor(t, otherRep, { name: 'Not Yours' });
    const before = await writeCounts(ws.id);
    const seen = await rep.client.get<AccountJson>(`${BASE}/${theirs.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.abilities).toEqual([]);
    const listed = await rep.client.get<AccountPage>(`${BASE}?owner_id=${otherRep.userId}`);
    expect(listed.body.data.find((a) => a.id === theirs.id)?.abilities).toEqual([]);

    const patch = await rep.client.patch(`${BASE}/${theirs.id}`, { name: 'Mine now' });
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe('forbidden');
    const steal = await rep.client.patch(`${BASE}/${theirs.id}`, { owner_id: rep.userId });
    expect(steal.status).toBe(403);
    const del = await rep.client.delete(`${BASE}/${theirs.id}`);
    expect(del.status).toBe(403);
    expect(del.body.code).toBe('forbidden');
    expect(await writeCounts(ws.id)).toEqual(before);

    expect((await otherRep.client.delete(`${BASE}/${theirs.id}`)).status).toBe(200);
    const deletedSeen = await rep.client.get<AccountJson>(`${BASE}/${theirs.id}?include_deleted=true`);
    expect(deletedSeen.body.abilities).toEqual([]);
    const ownerSeen = await otherRep.client.get<AccountJson>(`${BASE}/${theirs.id}?include_deleted=true`);
    expect(ownerSeen.body.abilities).toEqual(['restore']);
    const restore = await rep.client.post(`${BASE}/${theirs.id}/restore`);
    expect(restore.status).toBe(403);
    expect(restore.body.code).toBe('forbidden');
    expect((await otherRep.client.get(`${BASE}/${theirs.id}`)).status).toBe(404);
  });

  it('lets only managers and admins give an account to another member', async () => {
    const own = await accountFor(t, rep, { name: 'Hand Over' });
    const give = await rep.client.patch(`${BASE}/${own.id}`, { owner_id: otherRep.userId });
    expect(give.status).toBe(403);
    expect(give.body.code).toBe('forbidden');
    expect(give.body.errors).toEqual([expect.objectContaining({ field: 'owner_id', in: 'body' })]);
    const createFor = await rep.client.post(BASE, { name: 'For Them', owner_id: otherRep.userId });
    expect(createFor.status).toBe(403);
    expect(createFor.body.errors?.[0]?.field).toBe('owner_id');
    // Re-sending the current owner is not a change of owner.
    const same = await rep.client.patch(`${BASE}/${own.id}`, { owner_id: rep.userId, name: 'Hand Over 2' });
    expect(same.status).toBe(200);

    const managed = await manager.client.patch<AccountJson>(`${BASE}/${own.id}`, {
      owner_id: otherRep.userId,
    });
    expect(managed.status).toBe(200);
    expect(managed.body.owner_id).toBe(otherRep.userId);
    expect(managed.body.abilities).toEqual(['update', 'delete']);
    const managerCreate = await manager.client.post<AccountJson>(BASE, {
      name: 'Assigned',
      owner_id: rep.userId,
    });
    expect(managerCreate.status).toBe(201);
    expect(managerCreate.body.owner_id).toBe(rep.userId);
    // The manager writes what others own.
    expect((await manager.client.delete(`${BASE}/${managerCreate.body.id}`)).status).toBe(200);
    expect((await manager.client.post(`${BASE}/${managerCreate.body.id}/restore`)).status).toBe(200);
    expect((await rep.client.get<AccountJson>(`${BASE}/${own.id}`)).body.abilities).toEqual([]);
  });

  it('gives a viewer read access only', async () => {
    const a = await accountFor(t, ws.admin, { name: 'Look Only', owner_id: null });
    const before = await writeCounts(ws.id);
    const create = await viewer.client.post(BASE, { name: 'Nope' });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('forbidden');
    const got = await viewer.client.get<AccountJson>(`${BASE}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body.abilities).toEqual([]);
    const list = await viewer.client.get<AccountPage>(BASE);
    expect(list.status).toBe(200);
    expect(list.body.data.length).toBeGreaterThan(0);
    for (const row of list.body.data) expect(row.abilities).toEqual([]);
    expect((await viewer.client.patch(`${BASE}/${a.id}`, { name: 'x' })).status).toBe(403);
    expect((await viewer.client.delete(`${BASE}/${a.id}`)).status).toBe(403);
    expect(await writeCounts(ws.id)).toEqual(before);
  });

  it('computes abilities from the role matrix: support updates but never deletes, marketing only creates', async () => {
    const support = await addMember(t, ws, 'support');
    const marketing = await addMember(t, ws, 'marketing');
    const unowned = await accountFor(t, ws.admin, { name: 'Shared Desk', owner_id: null });
    const theirs = await accountFor(t, rep, { name: 'Rep Desk' });
    expect((await support.client.get<AccountJson>(`${BASE}/${unowned.id}`)).body.abilities).toEqual([
      'update',
    ]);
    expect((await support.client.get<AccountJson>(`${BASE}/${theirs.id}`)).body.abilities).toEqual([]);
    expect((await support.client.patch(`${BASE}/${unowned.id}`, { phone: '0901234567' })).status).toBe(200);
    const supportDelete = await support.client.delete(`${BASE}/${unowned.id}`);
    expect(supportDelete.status).toBe(403);
    expect(supportDelete.body.code).toBe('forbidden');
    expect((await support.client.post(BASE, { name: 'Support Co' })).status).toBe(403);

    const created = await marketing.client.post<AccountJson>(BASE, { name: 'Campaign Co' });
    expect(created.status).toBe(201);
    expect(created.body.owner_id).toBe(marketing.userId);
    expect(created.body.abilities).toEqual([]);
    expect((await marketing.client.patch(`${BASE}/${created.body.id}`, { name: 'x' })).status).toBe(403);
  });

  it('requires authentication', async () => {
    const anon = api(t.app);
    const res = await anon.get(BASE);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthenticated');
  });
});

describe('API keys', () => {
  it('lets a crm.read key read but not write, and shows it no abilities', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Keyed' });
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const got = await key.client.get<AccountJson>(`${BASE}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body.abilities).toEqual([]);
    const list = await key.client.get<AccountPage>(BASE);
    expect(list.body.data.map((x) => x.id)).toEqual([a.id]);
    const post = await key.client.post(BASE, { name: 'Denied' }, { 'idempotency-key': 'k-1' });
    expect(post.status).toBe(403);
    expect(post.body.code).toBe('insufficient_scope');
    expect(post.body.required_scope).toBe('crm.write');
    const patch = await key.client.patch(`${BASE}/${a.id}`, { name: 'x' }, { 'idempotency-key': 'k-2' });
    expect(patch.status).toBe(403);
    expect(patch.body.code).toBe('insufficient_scope');
  });

  it('requires an Idempotency-Key on writes and replays a repeated one', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const without = await key.client.post(BASE, { name: 'Keyless' });
    expect(without.status).toBe(400);
    expect(without.body.code).toBe('idempotency_key_required');
    expect(without.body.errors?.[0]).toMatchObject({ field: 'Idempotency-Key', in: 'headers' });

    const first = await key.client.post<AccountJson>(
      BASE,
      { name: 'Keyed Co' },
      { 'idempotency-key': 'create-1' },
    );
    expect(first.status).toBe(201);
    expect(first.body.owner_id).toBe(ws.admin.userId);
    expect(first.body.abilities).toEqual(['update', 'delete']);
    const replay = await key.client.post<AccountJson>(
      BASE,
      { name: 'Keyed Co' },
      { 'idempotency-key': 'create-1' },
    );
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBe(`${BASE}/${first.body.id}`);
    const reused = await key.client.post(BASE, { name: 'Other Co' }, { 'idempotency-key': 'create-1' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    const list = await ws.admin.client.get<AccountPage>(`${BASE}?include_total=true`);
    expect(list.body.page.total).toBe(1);

    const patchWithout = await key.client.patch(`${BASE}/${first.body.id}`, { name: 'x' });
    expect(patchWithout.status).toBe(400);
    expect(patchWithout.body.code).toBe('idempotency_key_required');
    const delWithout = await key.client.delete(`${BASE}/${first.body.id}`);
    expect(delWithout.status).toBe(400);
    const del = await key.client.delete<AccountJson>(`${BASE}/${first.body.id}`, {
      'idempotency-key': 'del-1',
    });
    expect(del.status).toBe(200);
    const audit = await auditOf(ws, first.body.id);
    expect(audit.map((e) => [e.action, e.actor.type])).toEqual([
      ['account.created', 'api_key'],
      ['account.deleted', 'api_key'],
    ]);
  });
});

describe('audit and events', () => {
  it('writes one audit row with a field diff and one event per mutation', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    const created = await c.post<AccountJson>(BASE, { name: 'Audited', domains: ['audited.vn'] });
    const id = created.body.id;
    const updated = await c.patch<AccountJson>(
      `${BASE}/${id}`,
      { name: 'Audited Co', lifecycle: 'customer' },
      { 'if-match': '"1"' },
    );
    expect(updated.status).toBe(200);
    const deleted = await c.delete<AccountJson>(`${BASE}/${id}`);
    expect(deleted.status).toBe(200);
    const restored = await c.post<AccountJson>(`${BASE}/${id}/restore`);
    expect(restored.status).toBe(200);

    const audit = await auditOf(ws, id);
    expect(audit.map((e) => e.action)).toEqual([
      'account.created',
      'account.updated',
      'account.deleted',
      'account.restored',
    ]);
    for (const e of audit) {
      expect(e.entity_type).toBe('account');
      expect(e.entity_id).toBe(id);
      expect(e.actor).toMatchObject({ type: 'user', id: ws.admin.userId, label: ws.admin.email });
    }
    const [createdRow, updatedRow, deletedRow, restoredRow] = audit;
    expect(createdRow?.diff.name).toEqual({ from: null, to: 'Audited' });
    expect(createdRow?.diff.domains).toEqual({ from: null, to: ['audited.vn'] });
    expect(createdRow?.diff.owner_id).toEqual({ from: null, to: ws.admin.userId });
    expect(createdRow?.diff).not.toHaveProperty('version');
    expect(createdRow?.diff).not.toHaveProperty('updated_at');
    expect(createdRow?.diff).not.toHaveProperty('deleted_at');
    expect(updatedRow?.diff).toEqual({
      name: { from: 'Audited', to: 'Audited Co' },
      lifecycle: { from: 'prospect', to: 'customer' },
    });
    expect(deletedRow?.diff).toEqual({ deleted_at: { from: null, to: deleted.body.deleted_at } });
    expect(restoredRow?.diff).toEqual({ deleted_at: { from: deleted.body.deleted_at, to: null } });

    const events = await outboxOf(ws.id, id);
    expect(events.map((e) => e.topic)).toEqual([
      'account.created',
      'account.updated',
      'account.deleted',
      'account.restored',
    ]);
    for (const e of events) {
      expect(e.aggregate_type).toBe('account');
      expect(e.payload.type).toBe(e.topic);
      expect(e.payload.workspace_id).toBe(ws.id);
      expect(e.payload.aggregate).toEqual({ type: 'account', id });
      expect(e.payload.actor).toEqual({ type: 'user', id: ws.admin.userId });
    }
    const [ev1, ev2, ev3, ev4] = events;
    const { abilities: _c, ...createdSnapshot } = created.body;
    expect(ev1?.payload.data.account).toEqual(createdSnapshot);
    expect(ev2?.payload.data.account).toMatchObject({
      name: 'Audited Co',
      lifecycle: 'customer',
      version: 2,
    });
    expect(ev2?.payload.data.changes).toEqual(updatedRow?.diff);
    expect(ev3?.payload.data.account.deleted_at).toBe(deleted.body.deleted_at);
    expect(ev4?.payload.data.account).toMatchObject({ deleted_at: null, version: 4 });

    const chain = await c.get<{ ok: boolean }>('/crm/v1/audit/verify');
    expect(chain.body.ok).toBe(true);
  });

  it('writes nothing for requests that fail', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const a = await accountFor(t, ws.admin, { name: 'Steady' });
    const before = await writeCounts(ws.id);
    expect(
      (await ws.admin.client.patch(`${BASE}/${a.id}`, { name: 'x' }, { 'if-match': '"9"' })).status,
    ).toBe(412);
    expect((await ws.admin.client.patch(`${BASE}/${a.id}`, { owner_id: UNKNOWN_ID })).status).toBe(422);
    expect((await ws.admin.client.post(BASE, { name: 'x', owner_id: UNKNOWN_ID })).status).toBe(422);
    expect((await ws.admin.client.post(`${BASE}/${a.id}/restore`)).status).toBe(409);
    expect((await rep.client.delete(`${BASE}/${a.id}`)).status).toBe(403);
    expect((await ws.admin.client.post(BASE, { name: '' })).status).toBe(422);
    expect(await writeCounts(ws.id)).toEqual(before);
    expect(await outboxOf(ws.id, a.id)).toHaveLength(1);
    expect((await auditOf(ws, a.id)).map((e) => e.action)).toEqual(['account.created']);
  });
});
