import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFor, addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type Client, ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import type { AccountJson } from './account.presenter.js';
import type { AccountPage } from './account.service.js';

/**
 * Account search (`GET /crm/v1/accounts?q=`): Vietnamese diacritics folded on both sides, NFD input,
 * substring (trigram) matches on name, MST, website and domains, AND-ed tokens, ranking, literal LIKE
 * wildcards, cursor pagination, filters; and the SECURITY DEFINER design that keeps the trigram index
 * usable under RLS (DESIGN §10), proven with EXPLAIN as the function's own role.
 */

const BASE = '/crm/v1/accounts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function search(c: Client, q: string, extra = ''): Promise<AccountPage> {
  const res = await c.get<AccountPage>(`${BASE}?q=${encodeURIComponent(q)}&limit=100${extra}`);
  expect(res.status, `${q} ${res.raw}`).toBe(200);
  return res.body;
}

async function names(c: Client, q: string, extra = ''): Promise<string[]> {
  return (await search(c, q, extra)).data.map((a) => a.name);
}

/** Sort names the way the expected results are written, to compare sets. */
const sorted = (xs: string[]) => [...xs].sort();

describe('diacritic- and case-insensitive matching', () => {
  let ws: TestWorkspace;
  const NFD_NAME = 'Trần Hưng Đạo'.normalize('NFD');
  beforeAll(async () => {
    ws = await createWorkspace(t);
    for (const name of [
      'Nguyễn Văn Minh',
      'Nguyen Trading',
      'Đức Thành',
      '\u00D0ông Á Eth', // Ð: LATIN CAPITAL LETTER ETH
      '\u0110ông Á Stroke', // Đ: LATIN CAPITAL LETTER D WITH STROKE
      NFD_NAME,
      'Phở Hà Nội',
      'Unrelated',
    ]) {
      await accountFor(t, ws.admin, { name });
    }
  });

  it('folds the fold_text function as search relies on it', async () => {
    const r = await t.db.read(ws.id, (k) =>
      sql<{ input: string; folded: string }>`
        SELECT x AS input, crm_core.fold_text(x) AS folded
        FROM unnest(${['\u00D0', '\u0110', 'đ', 'ð', 'NGUYỄN', 'Nguyễn'.normalize('NFD'), 'Ươ']}::text[]) AS x`.execute(
        k,
      ),
    );
    expect(r.rows.map((x) => x.folded)).toEqual(['d', 'd', 'd', 'd', 'nguyen', 'nguyen', 'uo']);
  });

  it('"nguyen", "NGUYEN" and "Nguyễn" (NFC or NFD) find Nguyễn and Nguyen', async () => {
    const both = ['Nguyen Trading', 'Nguyễn Văn Minh'];
    for (const q of [
      'nguyen',
      'NGUYEN',
      'Nguyễn',
      'NGUYỄN',
      'Nguyễn'.normalize('NFD'),
      'nguyễn'.normalize('NFD'),
    ]) {
      expect(sorted(await names(ws.admin.client, q)), q).toEqual(both);
    }
    expect(await names(ws.admin.client, 'nguyễn văn')).toEqual(['Nguyễn Văn Minh']);
    expect(await names(ws.admin.client, 'van minh')).toEqual(['Nguyễn Văn Minh']);
  });

  it('"đức", "Đức", "ĐỨC" and "duc" find Đức', async () => {
    for (const q of ['đức', 'Đức', 'ĐỨC', 'duc', 'DUC', 'Đức'.normalize('NFD'), '\u00D0ức']) {
      expect(await names(ws.admin.client, q), q).toEqual(['Đức Thành']);
    }
  });

  it('folds Ð (U+00D0) and Đ (U+0110) alike, in names and in queries', async () => {
    const both = ['\u00D0ông Á Eth', '\u0110ông Á Stroke'];
    for (const q of ['dong a', '\u00D0ông', '\u0110ông', 'đông á', 'ÐÔNG']) {
      expect(sorted(await names(ws.admin.client, q)), q).toEqual(sorted(both));
    }
    expect(await names(ws.admin.client, '\u00D0ông Á Eth')).toEqual(['\u00D0ông Á Eth']);
  });

  it('finds a name typed in NFD, from plain, NFC and NFD queries, and ranks it exact', async () => {
    for (const q of ['tran hung dao', 'Trần Hưng Đạo', NFD_NAME, 'hưng', 'TRẦN']) {
      const page = await search(ws.admin.client, q);
      expect(page.data).toHaveLength(1);
      expect(page.data[0]?.name.normalize('NFC'), q).toBe('Trần Hưng Đạo');
    }
    const byName = await ws.admin.client.get<AccountPage>(`${BASE}?sort=name&limit=100`);
    // Sorted by the folded name, the NFD row sits where "tran hung dao" belongs.
    expect(byName.body.data.map((a) => a.name.normalize('NFC'))).toEqual([
      '\u00D0ông Á Eth',
      '\u0110ông Á Stroke',
      'Đức Thành',
      'Nguyen Trading',
      'Nguyễn Văn Minh',
      'Phở Hà Nội',
      'Trần Hưng Đạo',
      'Unrelated',
    ]);
  });

  it('finds nothing for a query that matches nothing', async () => {
    const page = await search(ws.admin.client, 'zzzz', '&include_total=true');
    expect(page.data).toEqual([]);
    expect(page.page).toEqual({ limit: 100, next_cursor: null, has_more: false, total: 0 });
  });
});

describe('what matches and in which order', () => {
  it('matches substrings of the name, MST, website and domains', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    await accountFor(t, ws.admin, { name: 'Vận tải Nam Bắc', domains: ['acme-logistics.vn'] });
    await accountFor(t, ws.admin, { name: 'Thép Miền Trung', vn_mst: '0401234567' });
    await accountFor(t, ws.admin, { name: 'Gạch Đồng Nai', website: 'https://gachdongnai.com.vn' });
    await accountFor(t, ws.admin, { name: 'Other' });
    expect(await names(c, 'acme')).toEqual(['Vận tải Nam Bắc']);
    expect(await names(c, 'logistics.vn')).toEqual(['Vận tải Nam Bắc']);
    expect(await names(c, 'acme-log')).toEqual(['Vận tải Nam Bắc']);
    expect(await names(c, '0401234')).toEqual(['Thép Miền Trung']);
    expect(await names(c, '1234567')).toEqual(['Thép Miền Trung']);
    expect(await names(c, 'gachdongnai')).toEqual(['Gạch Đồng Nai']);
    expect(await names(c, 'iền tru')).toEqual(['Thép Miền Trung']);
    // Matches follow the row: after a PATCH the old domain no longer matches, the new one does.
    const [row] = (await search(c, 'acme')).data;
    if (!row) throw new Error('no row');
    expect((await c.patch(`${BASE}/${row.id}`, { domains: ['namb.vn'] })).status).toBe(200);
    expect(await names(c, 'acme')).toEqual([]);
    expect(await names(c, 'namb.vn')).toEqual(['Vận tải Nam Bắc']);
  });

  it('AND-s the tokens of a query, in any order', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    await accountFor(t, ws.admin, { name: 'Acme Logistics' });
    await accountFor(t, ws.admin, { name: 'Vận tải Nam Bắc', domains: ['acme-logistics.vn'] });
    await accountFor(t, ws.admin, { name: 'Acme' });
    await accountFor(t, ws.admin, { name: 'Logistics Hub' });
    const both = ['Acme Logistics', 'Vận tải Nam Bắc'];
    expect(await names(c, 'acme logistics')).toEqual(both);
    expect(await names(c, 'logistics acme')).toEqual(both);
    expect(await names(c, '  ACME    Logistics  ')).toEqual(both);
    expect(await names(c, 'acme nam')).toEqual(['Vận tải Nam Bắc']);
    expect(await names(c, 'acme hub')).toEqual([]);
    expect(sorted(await names(c, 'logistics'))).toEqual([
      'Acme Logistics',
      'Logistics Hub',
      'Vận tải Nam Bắc',
    ]);
  });

  it('ranks exact name, then name prefix, then word start, then anywhere; then by name and id', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    const make = (name: string, extra: { domains?: string[]; website?: string } = {}) =>
      accountFor(t, ws.admin, { name, ...extra });
    // Created in an order unrelated to the ranking.
    const anywhere2 = await make('Vận tải Sài Gòn', { website: 'https://www.myacme.com' });
    const word1 = await make('Công ty Acme');
    const prefix2 = await make('Acmeco');
    const exact1 = await make('ACME');
    const anywhere1 = await make('Bigacme Corp');
    const word2 = await make('Zeta Ltd', { domains: ['acme.vn'] });
    const prefix1 = await make('Acme Logistics');
    const exact2 = await make('Ácme');
    await make('Acne Clinic');
    const exact = [exact1, exact2].sort((x, y) => (x.id < y.id ? -1 : 1));
    const expected = [...exact, prefix1, prefix2, word1, word2, anywhere1, anywhere2].map((a) => a.id);
    const page = await search(c, 'acme', '&include_total=true');
    expect(page.data.map((a) => a.id)).toEqual(expected);
    expect(page.page.total).toBe(8);
    // `sort` does not apply to a search: relevance wins.
    const sortedPage = await search(c, 'acme', '&sort=-created_at');
    expect(sortedPage.data.map((a) => a.id)).toEqual(expected);
    // Paged one by one, the same order.
    const paged: AccountJson[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: AccountPage } = await c.get<AccountPage>(
        `${BASE}?q=acme&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...res.body.data);
      cursor = res.body.page.next_cursor;
    } while (cursor);
    expect(paged.map((a) => a.id)).toEqual(expected);
  });

  it('matches queries under three characters on name prefixes and word starts only', async () => {
    const ws = await createWorkspace(t);
    for (const name of ['Hà Nội Foods', 'Công ty Hải Hà', 'Pha Lê Glass', 'Zeta Co']) {
      await accountFor(t, ws.admin, { name });
    }
    // Prefix first (rank 1), then word start (rank 2); "Pha" contains "ha" only mid-word: not found.
    expect(await names(ws.admin.client, 'ha')).toEqual(['Hà Nội Foods', 'Công ty Hải Hà']);
    expect(await names(ws.admin.client, 'ze')).toEqual(['Zeta Co']);
  });

  it('treats %, _ and \\ in the query as literal characters', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    for (const name of [
      '100% Natural',
      '100 Natural',
      '1000 Natural',
      'a_b Trading',
      'axb Trading',
      'Back\\Slash',
      'Backslash',
    ]) {
      await accountFor(t, ws.admin, { name });
    }
    expect(await names(c, '100%')).toEqual(['100% Natural']);
    expect(await names(c, '0% n')).toEqual(['100% Natural']);
    expect(await names(c, 'a_b')).toEqual(['a_b Trading']);
    expect(await names(c, 'k\\s')).toEqual(['Back\\Slash']);
    // Under three characters a query matches name prefixes and word starts only (no trigrams), and a
    // lone wildcard character is still literal: it matches no name starting with it.
    expect(await names(c, '%')).toEqual([]);
    expect(await names(c, '_')).toEqual([]);
    expect(await names(c, '\\')).toEqual([]);
    expect(await names(c, '%%')).toEqual([]);
    expect(await names(c, "'; DROP TABLE x; --")).toEqual([]);
    expect((await search(c, '%', '&include_total=true')).page.total).toBe(1);
  });
});

describe('pagination and filters', () => {
  it('pages through search results by cursor, each row once, in rank order', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    const names = [
      'Kho',
      'kho',
      'Kho Lạnh 01',
      'Kho Lạnh 02',
      'Kho Lạnh 03',
      'Khoáng sản Việt',
      'Tổng kho 01',
      'Tổng kho 02',
      'Tổng Kho 02',
      'Nhakho 1',
      'Nhàkho 2',
      'Nhakho 3',
      'Không liên quan', // "khong": a prefix match too
    ];
    for (const name of names) await accountFor(t, ws.admin, { name });
    await accountFor(t, ws.admin, { name: 'No match here' });
    const all = await search(c, 'kho', '&include_total=true');
    expect(all.data).toHaveLength(13);
    expect(all.page.total).toBe(13);
    expect(
      all.data
        .slice(0, 2)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['Kho', 'kho']);
    expect(all.data.slice(2, 7).map((a) => a.name)).toEqual([
      'Kho Lạnh 01',
      'Kho Lạnh 02',
      'Kho Lạnh 03',
      'Khoáng sản Việt',
      'Không liên quan',
    ]);
    expect(sorted(all.data.slice(7, 10).map((a) => a.name))).toEqual([
      'Tổng Kho 02',
      'Tổng kho 01',
      'Tổng kho 02',
    ]);
    expect(all.data.slice(10).map((a) => a.name)).toEqual(['Nhakho 1', 'Nhàkho 2', 'Nhakho 3']);

    const paged: AccountJson[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: AccountPage } = await c.get<AccountPage>(
        `${BASE}?q=kho&limit=5&include_total=true${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.page.total).toBe(13);
      expect(res.body.page.has_more).toBe(res.body.page.next_cursor !== null);
      paged.push(...res.body.data);
      cursor = res.body.page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(paged.map((a) => a.id)).toEqual(all.data.map((a) => a.id));
  });

  it('applies the list filters to a search, counts included', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const c = ws.admin.client;
    const a = await accountFor(t, ws.admin, { name: 'Sao Khuê A', lifecycle: 'customer', legal_type: 'llc' });
    const b = await accountFor(t, ws.admin, {
      name: 'Sao Khuê B',
      lifecycle: 'lead',
      owner_id: rep.userId,
      industry: 'Thép',
    });
    const d = await accountFor(t, ws.admin, { name: 'Sao Khuê D', owner_id: null, country: 'SG' });
    const gone = await accountFor(t, ws.admin, { name: 'Sao Khuê C', lifecycle: 'customer' });
    await accountFor(t, ws.admin, { name: 'Unrelated', lifecycle: 'customer' });
    expect((await c.delete(`${BASE}/${gone.id}`)).status).toBe(200);

    const ids = async (extra: string, client: Client = c) => {
      const page = await search(client, 'sao khue', `&include_total=true${extra}`);
      expect(page.page.total, extra).toBe(page.data.length);
      return page.data.map((x) => x.id);
    };
    expect(await ids('')).toEqual([a.id, b.id, d.id]);
    expect(await ids('&lifecycle=customer')).toEqual([a.id]);
    expect(await ids('&lifecycle=customer&deleted=include')).toEqual([a.id, gone.id]);
    expect(await ids('&deleted=only')).toEqual([gone.id]);
    expect(await ids('&deleted=include')).toEqual([a.id, b.id, gone.id, d.id]);
    expect(await ids('&owner_id=me')).toEqual([a.id]);
    expect(await ids('&owner_id=me', rep.client)).toEqual([b.id]);
    expect(await ids(`&owner_id=${rep.userId}`)).toEqual([b.id]);
    expect(await ids('&owner_id=none')).toEqual([d.id]);
    expect(await ids('&country=sg')).toEqual([d.id]);
    expect(await ids('&legal_type=llc')).toEqual([a.id]);
    expect(await ids(`&industry=${encodeURIComponent('Thép')}`)).toEqual([b.id]);
    expect(await ids('&industry=Thep')).toEqual([]);
    expect(await ids('&lifecycle=partner')).toEqual([]);
    // Abilities come with search hits as with list rows.
    const asRep = await search(rep.client, 'sao khue');
    expect(asRep.data.map((x) => [x.name, x.abilities])).toEqual([
      ['Sao Khuê A', []],
      ['Sao Khuê B', ['update', 'delete']],
      ['Sao Khuê D', ['update', 'delete']],
    ]);
  });

  it('validates the query text', async () => {
    const ws = await createWorkspace(t);
    for (const q of ['', '%20%20', 'x'.repeat(101)]) {
      const res = await ws.admin.client.get(`${BASE}?q=${q}`);
      expect(res.status, q).toBe(422);
      expect(res.body.errors?.map((e) => [e.field, e.in])).toEqual([['q', 'query']]);
    }
    expect((await ws.admin.client.get<AccountPage>(`${BASE}?q=${'x'.repeat(100)}`)).status).toBe(200);
  });
});

describe('the trigram index under RLS', () => {
  it('is used by the SQL crm_account_search builds, run as crm_search with the workspace set', async () => {
    const ws = await createWorkspace(t);
    const needles = ['Acme Holdings', 'Công ty Acme', 'Acme Logistics', 'Bigacme'];
    for (const name of needles) await accountFor(t, ws.admin, { name });
    // 3,000 more rows in one statement, as the schema owner (the app role has no bulk path, by design).
    await t.db.owner((k) =>
      sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name, domains)
          SELECT ${ws.id}::uuid, gen_random_uuid(), 'Filler ' || md5(i::text), ARRAY['f' || i || '.example.vn']
          FROM generate_series(1, 3000) AS i`.execute(k),
    );
    // VACUUM, not only ANALYZE: a GIN index's own statistics (entries, pages) live in its metapage and are
    // refreshed only by VACUUM; with the figures of the empty index built by the migration the planner
    // prices the trigram scan far too high and picks a sequential scan for a freshly loaded table.
    await t.db.owner((k) => sql`VACUUM ANALYZE crm_core.crm_accounts`.execute(k));

    // The API sees them all, and search still finds exactly the needles.
    const total = await ws.admin.client.get<AccountPage>(`${BASE}?include_total=true&limit=1`);
    expect(total.body.page.total).toBe(3004);
    expect(sorted(await names(ws.admin.client, 'acme'))).toEqual(sorted(needles));

    // The statements below are the ones the function assembles (migration 0003): the name-ordered tier
    // query and the sparse-term fallback. This guard fails if the function's text drifts from them.
    const src = await t.db.owner((k) =>
      sql<{ src: string }>`SELECT prosrc AS src FROM pg_proc
        WHERE oid = 'crm_core.crm_account_search(text, jsonb, int, text, uuid, int)'::regprocedure`.execute(
        k,
      ),
    );
    const fnText = (src.rows[0]?.src ?? '').replace(/'\s*\|\|\s*'/g, '');
    for (const fragment of [
      'WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a WHERE %s AND %s AND %s%s)',
      'SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $9',
      'ORDER BY a.name_fold COLLATE "C", a.id LIMIT $9',
      "CASE WHEN v_tier = 3 THEN crm_core.crm_account_search_token_cond(v_tokens, 'a') ELSE 'true' END",
    ]) {
      expect(fnText, fragment).toContain(fragment);
    }

    const plans = await t.db.owner((k) =>
      k.transaction().execute(async (trx) => {
        await sql`SET LOCAL ROLE crm_search`.execute(trx);
        await sql`SELECT set_config('app.tenant_id', ${ws.id}, true)`.execute(trx);
        // The function runs these through EXECUTE … USING: one-shot plans, always made with the values.
        // A PREPAREd copy would follow the session's plan_cache_mode (generic for the app, ADR 0027).
        await sql`SET LOCAL plan_cache_mode = force_custom_plan`.execute(trx);
        const role = await sql<{ r: string }>`SELECT current_user AS r`.execute(trx);
        expect(role.rows[0]?.r).toBe('crm_search');
        const filters = '{"deleted":"exclude"}';
        const parts = await sql<{ base: string; tokens: string }>`
          SELECT crm_core.crm_account_search_where(ARRAY[]::text[], ${filters}::jsonb) AS base,
                 crm_core.crm_account_search_token_cond(crm_core.crm_account_search_tokens('acme'), 'a') AS tokens`.execute(
          trx,
        );
        const { base, tokens } = parts.rows[0] ?? { base: '', tokens: '' };
        expect(tokens).toContain("a.search_text LIKE '%acme%'");
        // Tier 3 (anywhere) of a sparse term goes through the trigram index.
        const fallback =
          `WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a WHERE ${base} AND ${tokens}` +
          ' AND NOT a.search_text LIKE $5 AND NOT a.name_fold LIKE $4)' +
          ' SELECT m.id, 3, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $9';
        // Tier 1 (name prefix) walks the name index in order.
        const prefix =
          `SELECT a.id, 1, a.name_fold FROM crm_core.crm_accounts a WHERE ${base}` +
          ' AND a.name_fold COLLATE "C" > $3 COLLATE "C" AND a.name_fold COLLATE "C" < $6 COLLATE "C"' +
          ' AND a.name_fold LIKE $4 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $9';
        const out: Record<string, { rows: number; plan: string }> = {};
        for (const [label, stmt] of Object.entries({ fallback, prefix })) {
          const name = `acc_search_${label}_${process.pid}`;
          await sql
            .raw(`PREPARE ${name}(uuid, jsonb, text, text, text, text, text, uuid, int) AS ${stmt}`)
            .execute(trx);
          const args = `'${ws.id}', '${filters}', 'acme', 'acme%', '% acme%', 'acmf', NULL, NULL, 26`;
          try {
            const rows = await sql.raw<{ id: string }>(`EXECUTE ${name}(${args})`).execute(trx);
            const explained = await sql
              .raw<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${args})`)
              .execute(trx);
            out[label] = {
              rows: rows.rows.length,
              plan: explained.rows.map((r) => r['QUERY PLAN']).join('\n'),
            };
          } finally {
            await sql.raw(`DEALLOCATE ${name}`).execute(trx);
          }
        }
        return out;
      }),
    );
    expect(plans.fallback?.rows).toBe(1); // Bigacme
    // Accounts are partitioned by workspace (migration 0004): the plan prunes to the workspace's one
    // partition and names that partition's copy of each index.
    expect(plans.fallback?.plan, `${ENGINE} plan:\n${plans.fallback?.plan}`).toMatch(
      /Bitmap Index Scan on crm_accounts_p\d{2}_tenant_id_search_text_idx/,
    );
    expect(plans.fallback?.plan).not.toMatch(/Seq Scan/);
    expect(plans.fallback?.plan?.match(/on crm_accounts_p\d{2} a\b/g) ?? []).toHaveLength(1);
    expect(plans.prefix?.rows).toBe(2); // Acme Holdings, Acme Logistics
    expect(plans.prefix?.plan, `${ENGINE} plan:\n${plans.prefix?.plan}`).toMatch(
      /Index (Only )?Scan using crm_accounts_p\d{2}_tenant_id_name_fold_id_/,
    );
  });

  it('serves a phrase at a word start through the words-and-pairs index past the name-order probe', async () => {
    const ws = await createWorkspace(t);
    const wordStart = ['Công ty Thành Công Phát', 'Nhà hàng Thành Công', 'Xây dựng Thành Công, Hà Nội'];
    const others = ['Thanh Cong Group', 'Thành Long Công', 'Công ty Thanhcong'];
    for (const name of [...wordStart, ...others]) await accountFor(t, ws.admin, { name });
    // 6,000 rows that sort first ("aaa…"), so the tier-2 probe of the first 5,000 in name order finds no
    // match and the search has to take the index path (migration 0021).
    await t.db.owner((k) =>
      sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name)
          SELECT ${ws.id}::uuid, gen_random_uuid(), 'Aaa thanh ' || md5(i::text) || ' cong'
          FROM generate_series(1, 6000) AS i`.execute(k),
    );
    await t.db.owner((k) => sql`VACUUM ANALYZE crm_core.crm_accounts`.execute(k));

    // Name prefix first, then the word starts in name order; "Thành Long Công", "Thanhcong" and the
    // fillers hold both words but not the phrase (tier 3 would list them after).
    const found = await names(ws.admin.client, 'thanh cong');
    expect(found.slice(0, 4)).toEqual([
      'Thanh Cong Group',
      'Công ty Thành Công Phát',
      'Nhà hàng Thành Công',
      'Xây dựng Thành Công, Hà Nội',
    ]);
    expect(await names(ws.admin.client, 'Thành Công Ph')).toEqual(['Công ty Thành Công Phát']);
    // A token with punctuation is not a plain word: the trigram path answers it, the same way.
    expect(await names(ws.admin.client, 'thanh cong,')).toEqual(['Xây dựng Thành Công, Hà Nội']);

    const probe = await t.db.owner((k) =>
      k.transaction().execute(async (trx) => {
        await sql`SET LOCAL ROLE crm_search`.execute(trx);
        const words = await sql<{ w: string; q: string | null; bad: string | null }>`
          SELECT crm_core.account_search_words('xay dung thanh cong, ha noi')::text AS w,
                 crm_core.account_search_words_query(ARRAY['thanh', 'cong', 'ph'])::text AS q,
                 crm_core.account_search_words_query(ARRAY['cong,'])::text AS bad`.execute(trx);
        const explained = await sql<{ 'QUERY PLAN': string }>`
          EXPLAIN SELECT a.id FROM crm_core.crm_accounts a
          WHERE a.tenant_id = ${ws.id}::uuid AND a.deleted_at IS NULL
            AND crm_core.account_search_words(a.search_text) @@ 'thanh_cong:*'::tsquery
            AND (a.search_text || '') LIKE '% thanh cong%'`.execute(trx);
        return { ...words.rows[0], plan: explained.rows.map((r) => r['QUERY PLAN']).join('\n') };
      }),
    );
    expect(probe.w).toContain("'thanh_cong,'");
    expect(probe.w).toContain("'xay_dung'");
    expect(probe.q).toBe("'thanh_cong' & 'cong_ph':*");
    expect(probe.bad).toBeNull();
    expect(probe.plan, `${ENGINE} plan:\n${probe.plan}`).toMatch(
      /Bitmap Index Scan on crm_accounts_p\d{2}_tenant_id_account_search_words_idx/,
    );
  });

  it('computes the words and pairs as migration 0021 did (0025 only made it cheaper: no reindex)', async () => {
    // 0021's SQL body, verbatim, as a temporary function to compare with.
    const texts = [
      'xay dung thanh cong, ha noi',
      '  leading and trailing  ',
      'one',
      '',
      ' ',
      'tab\there\nnewline   many   spaces',
      'a b a b',
      '0312345678 saomai.vn www.saomai.com.vn',
    ];
    const rows = await t.db.owner((k) =>
      k.transaction().execute(async (trx) => {
        await sql`CREATE FUNCTION pg_temp.words_0021(p_text text) RETURNS tsvector
          LANGUAGE sql IMMUTABLE AS $fn$
            SELECT array_to_tsvector(coalesce(array_agg(x) FILTER (WHERE x <> ''), ARRAY[]::text[]))
            FROM (
              SELECT w[i] AS x FROM (SELECT regexp_split_to_array(p_text, '\\s+') AS w) s,
                   generate_series(1, coalesce(array_length(w, 1), 0)) i
              UNION ALL
              SELECT w[i] || '_' || w[i + 1] FROM (SELECT regexp_split_to_array(p_text, '\\s+') AS w) s,
                   generate_series(1, coalesce(array_length(w, 1), 0) - 1) i
            ) t
          $fn$`.execute(trx);
        return sql<{ text: string; now: string; before: string }>`
          SELECT x AS text, crm_core.account_search_words(x)::text AS now, pg_temp.words_0021(x)::text AS before
          FROM unnest(${sql.val(texts)}::text[]) AS x`.execute(trx);
      }),
    );
    expect(rows.rows).toHaveLength(texts.length);
    for (const r of rows.rows) expect(r.now, JSON.stringify(r.text)).toBe(r.before);
    expect(rows.rows.find((r) => r.text === 'a b a b')?.now).toBe("'a' 'a_b' 'b' 'b_a'");
  });

  it('returns nothing when no workspace is set, whoever calls it', async () => {
    const ws = await createWorkspace(t);
    await accountFor(t, ws.admin, { name: 'Acme Hidden' });
    const unscoped = await t.db.unscoped((k) =>
      sql<{ id: string }>`SELECT id FROM crm_core.crm_account_search('acme', '{"deleted":"include"}'::jsonb,
        NULL, NULL, NULL, 1000)`.execute(k),
    );
    expect(unscoped.rows).toEqual([]);
    const unscopedCount = await t.db.unscoped((k) =>
      sql<{
        n: number;
      }>`SELECT crm_core.crm_account_search_count('acme', '{"deleted":"include"}'::jsonb) AS n`.execute(k),
    );
    expect(Number(unscopedCount.rows[0]?.n)).toBe(0);
    // Even as crm_search itself (BYPASSRLS) the function filters on the session's workspace.
    const asSearchRole = await t.db.owner((k) =>
      k.transaction().execute(async (trx) => {
        await sql`SET LOCAL ROLE crm_search`.execute(trx);
        await sql`SELECT set_config('app.tenant_id', '', true)`.execute(trx);
        return sql<{
          id: string;
        }>`SELECT id FROM crm_core.crm_account_search('acme', '{}'::jsonb, NULL, NULL, NULL, 1000)`.execute(
          trx,
        );
      }),
    );
    expect(asSearchRole.rows).toEqual([]);
    // With the workspace set, the same call finds the row: the empty results above are not vacuous.
    const scoped = await t.db.read(ws.id, (k) =>
      sql<{
        id: string;
      }>`SELECT id FROM crm_core.crm_account_search('acme', '{}'::jsonb, NULL, NULL, NULL, 1000)`.execute(k),
    );
    expect(scoped.rows).toHaveLength(1);
  });
});
