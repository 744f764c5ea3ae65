import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContact, insertDeal } from '../../../../test/factories/search.js';
import { accountFor, addMember, apiKeyFor, createWorkspace } from '../../../../test/factories.js';
import { type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { SearchResponse } from './search.schema.js';
import { classifyQuery } from './search.service.js';

/**
 * Global search (`GET /crm/v1/search`): groups, ranking, diacritics, phone and email lookups, deal
 * ACLs, permissions, limits, validation, and workspace isolation. The index-under-RLS proof is in
 * search.index.test.ts.
 */

const BASE = '/crm/v1/search';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function search(c: Client, q: string, extra = ''): Promise<SearchResponse> {
  const res = await c.get<SearchResponse>(`${BASE}?q=${encodeURIComponent(q)}${extra}`);
  expect(res.status, `${q} ${res.raw}`).toBe(200);
  return res.body;
}

const contactNames = async (c: Client, q: string, extra = '&limit=20') =>
  (await search(c, q, `&types=contacts${extra}`)).contacts?.data.map((x) => x.display_name);

describe('groups and summaries', () => {
  it('returns accounts, contacts and deals matching the query, as small summaries', async () => {
    const ws = await createWorkspace(t);
    const acct = await accountFor(t, ws.admin, {
      name: 'Công ty Đại Việt',
      vn_mst: '0101234567',
      legal_type: 'jsc',
    });
    const contact = await insertContact(t, ws.id, {
      display_name: 'Trần Đại Việt',
      title: 'Giám đốc',
      account_id: acct.id,
    });
    const deal = await insertDeal(t, ws.id, {
      name: 'Đại Việt ERP 2026',
      account_id: acct.id,
      amount_minor: 1_500_000_000,
    });
    await accountFor(t, ws.admin, { name: 'Unrelated' });
    await insertContact(t, ws.id, { display_name: 'Someone Else' });

    const body = await search(ws.admin.client, 'dai viet');
    expect(body.q).toBe('dai viet');
    expect(body.accounts).toEqual({
      data: [{ id: acct.id, name: 'Công ty Đại Việt', vn_mst: '0101234567', legal_type: 'jsc' }],
      has_more: false,
    });
    expect(body.contacts).toEqual({
      data: [
        {
          id: contact,
          display_name: 'Trần Đại Việt',
          title: 'Giám đốc',
          account: { id: acct.id, name: 'Công ty Đại Việt' },
          matched_channel: null,
        },
      ],
      has_more: false,
    });
    expect(body.deals?.has_more).toBe(false);
    expect(body.deals?.data).toHaveLength(1);
    const d = body.deals?.data[0];
    expect(d).toMatchObject({
      id: deal,
      name: 'Đại Việt ERP 2026',
      amount_minor: 1_500_000_000,
      currency: 'VND',
      status: 'open',
      stage: { code: 'qualifying' },
      account: { id: acct.id, name: 'Công ty Đại Việt' },
    });
    expect(typeof d?.stage.name_vi).toBe('string');
    expect(typeof d?.stage.name_en).toBe('string');
  });

  it('is diacritic- and case-insensitive on both sides', async () => {
    const ws = await createWorkspace(t);
    await insertContact(t, ws.id, { display_name: 'Nguyễn Thị Lan' });
    await insertContact(t, ws.id, { display_name: 'Nguyen Van Binh' });
    await insertContact(t, ws.id, { display_name: 'Đặng Đức Anh' });
    await accountFor(t, ws.admin, { name: 'Nguyễn Kim' });
    for (const q of ['nguyen', 'NGUYỄN', 'Nguyễn'.normalize('NFD')]) {
      expect(await contactNames(ws.admin.client, q), q).toEqual(['Nguyễn Thị Lan', 'Nguyen Van Binh']);
      expect((await search(ws.admin.client, q)).accounts?.data.map((a) => a.name)).toEqual(['Nguyễn Kim']);
    }
    for (const q of ['dang duc', 'ĐẶNG ĐỨC', 'duc anh', 'đức']) {
      expect(await contactNames(ws.admin.client, q), q).toEqual(['Đặng Đức Anh']);
    }
    expect(await contactNames(ws.admin.client, 'zzzz')).toEqual([]);
  });

  it('searches only the types asked for', async () => {
    const ws = await createWorkspace(t);
    await accountFor(t, ws.admin, { name: 'Hòa Phát' });
    await insertContact(t, ws.id, { display_name: 'Hòa Phát Contact' });
    const only = await search(ws.admin.client, 'hoa phat', '&types=contacts');
    expect(Object.keys(only).sort()).toEqual(['contacts', 'q']);
    const two = await search(ws.admin.client, 'hoa phat', '&types=accounts,deals');
    expect(Object.keys(two).sort()).toEqual(['accounts', 'deals', 'q']);
    expect(two.deals).toEqual({ data: [], has_more: false });
  });
});

describe('ranking', () => {
  it('ranks contacts: exact name, name prefix, word start, anywhere; then by name', async () => {
    const ws = await createWorkspace(t);
    // Created in an order unrelated to the ranking.
    const make = (display_name: string, title: string | null = null) =>
      insertContact(t, ws.id, { display_name, title });
    const word1 = await make('Hoàng Thùy Linh');
    const inside = await make('Phạm Ngọc Nhthủy');
    const word2 = await make('Zeta Person', 'Trưởng phòng Thủy sản'); // word start in the title
    const prefix2 = await make('Thủy Tiên');
    const exact = await make('THỦY');
    const prefix1 = await make('Thủy An');
    await make('Không liên quan');
    const ids = (await search(ws.admin.client, 'thuy', '&types=contacts&limit=20')).contacts?.data.map(
      (c) => c.id,
    );
    // Tier 0 exact, tier 1 prefixes by name, tier 2 word starts by name (name or title), tier 3 the rest.
    expect(ids).toEqual([exact, prefix1, prefix2, word1, word2, inside]);
  });

  it('fills the page from the best tiers and says when there is more', async () => {
    const ws = await createWorkspace(t);
    for (let i = 0; i < 7; i++) await insertContact(t, ws.id, { display_name: `Nguyễn Văn ${i}` });
    await insertContact(t, ws.id, { display_name: 'Lê Thị Nguyên' });
    const five = await search(ws.admin.client, 'nguyen', '&types=contacts');
    expect(five.contacts?.data.map((c) => c.display_name)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `Nguyễn Văn ${i}`),
    );
    expect(five.contacts?.has_more).toBe(true);
    const eight = await search(ws.admin.client, 'nguyen', '&types=contacts&limit=8');
    expect(eight.contacts?.data.at(-1)?.display_name).toBe('Lê Thị Nguyên');
    expect(eight.contacts?.has_more).toBe(false);
    const twenty = await search(ws.admin.client, 'nguyen', '&types=contacts&limit=20');
    expect(twenty.contacts?.data).toHaveLength(8);
    expect(twenty.contacts?.has_more).toBe(false);
    const seven = await search(ws.admin.client, 'nguyen', '&types=contacts&limit=7');
    expect(seven.contacts?.has_more).toBe(true);
  });

  it('ranks deals the same way and matches short queries on prefixes and word starts only', async () => {
    const ws = await createWorkspace(t);
    const word = await insertDeal(t, ws.id, { name: 'Gói ERP cho Vinamilk' });
    const prefix = await insertDeal(t, ws.id, { name: 'ERP Hòa Phát' });
    const exact = await insertDeal(t, ws.id, { name: 'erp' });
    const sub = await insertDeal(t, ws.id, { name: 'SuperPERP' });
    const gone = await insertDeal(t, ws.id, { name: 'ERP deleted', deleted: true });
    const ids = (await search(ws.admin.client, 'erp', '&types=deals')).deals?.data.map((d) => d.id);
    expect(ids).toEqual([exact, prefix, word, sub]);
    expect(ids).not.toContain(gone);
    // Two letters: no trigrams, so no substring tier.
    const short = (await search(ws.admin.client, 'er', '&types=deals')).deals?.data.map((d) => d.id);
    expect(short).toEqual([exact, prefix, word]);
  });

  it('leaves deleted contacts out', async () => {
    const ws = await createWorkspace(t);
    await insertContact(t, ws.id, {
      display_name: 'Lý Gone',
      deleted: true,
      channels: [{ kind: 'phone', value: '+84912000111' }],
    });
    await insertContact(t, ws.id, { display_name: 'Lý Here' });
    expect(await contactNames(ws.admin.client, 'ly')).toEqual(['Lý Here']);
    expect(await contactNames(ws.admin.client, '0912 000 111')).toEqual([]);
  });
});

describe('phone and email lookups', () => {
  it('finds a contact by its phone in any common spelling', async () => {
    const ws = await createWorkspace(t);
    const lan = await insertContact(t, ws.id, {
      display_name: 'Nguyễn Thị Lan',
      channels: [
        { kind: 'email', value: 'lan@acme.vn' },
        { kind: 'phone', value: '+84912345678', raw: '0912 345 678' },
      ],
    });
    await insertContact(t, ws.id, {
      display_name: 'Other Phone',
      channels: [{ kind: 'phone', value: '+84912345679' }],
    });
    for (const q of [
      '0912 345 678',
      '0912345678',
      '+84912345678',
      '84912345678',
      '+84 912 345 678',
      '0912.345.678',
      '0912-345-678',
      '0084912345678',
    ]) {
      const body = await search(ws.admin.client, q, '&types=contacts');
      expect(
        body.contacts?.data.map((c) => c.id),
        q,
      ).toEqual([lan]);
      expect(body.contacts?.data[0]?.matched_channel).toMatchObject({ kind: 'phone', value: '+84912345678' });
    }
    // A prefix of the number is not a phone lookup (under 8 digits) and matches no name.
    expect(await contactNames(ws.admin.client, '0912')).toEqual([]);
  });

  it('finds an account by its tax code typed as a number, and looks no further for deals', async () => {
    const ws = await createWorkspace(t);
    const acct = await accountFor(t, ws.admin, { name: 'Công ty Ánh Dương', vn_mst: '0312273838' });
    await accountFor(t, ws.admin, { name: 'Chi nhánh Ánh Dương', vn_mst: '0312273838-001' });
    await insertDeal(t, ws.id, { name: 'Hợp đồng 0312273838' });
    const body = await search(ws.admin.client, '0312 273 838');
    expect(body.accounts?.data.map((a) => a.id)).toEqual([acct.id]);
    expect(body.deals).toEqual({ data: [], has_more: false });
    const branch = await search(ws.admin.client, '0312273838001');
    expect(branch.accounts?.data.map((a) => a.vn_mst)).toEqual(['0312273838-001']);
    // An email is not an account or deal name either: those groups answer empty without searching.
    const byEmail = await search(ws.admin.client, 'someone@anhduong.vn');
    expect(byEmail.accounts).toEqual({ data: [], has_more: false });
    expect(byEmail.deals).toEqual({ data: [], has_more: false });
  });

  it('rewrites 2018-era 11-digit mobile prefixes before looking up', async () => {
    const ws = await createWorkspace(t);
    const id = await insertContact(t, ws.id, {
      display_name: 'Old Number',
      channels: [{ kind: 'phone', value: '+84321234567' }],
    });
    const zalo = await insertContact(t, ws.id, {
      display_name: 'Zalo Only',
      channels: [{ kind: 'zalo', value: '+84701234567' }],
    });
    for (const q of ['0162 123 4567', '01621234567', '+84 162 123 4567', '0321234567']) {
      expect(
        (await search(ws.admin.client, q, '&types=contacts')).contacts?.data.map((c) => c.id),
        q,
      ).toEqual([id]);
    }
    expect(
      (await search(ws.admin.client, '0120 123 4567', '&types=contacts')).contacts?.data.map((c) => c.id),
    ).toEqual([zalo]);
  });

  it('finds contacts by email, exact first, case-insensitively, and by the beginning of an address', async () => {
    const ws = await createWorkspace(t);
    const exact = await insertContact(t, ws.id, {
      display_name: 'Lan A',
      channels: [{ kind: 'email', value: 'lan@acme.vn' }],
    });
    const longer = await insertContact(t, ws.id, {
      display_name: 'Lan B',
      channels: [
        { kind: 'email', value: 'lan@acme.vn.example' },
        { kind: 'email', value: 'lan@acme.vnx' },
      ],
    });
    await insertContact(t, ws.id, {
      display_name: 'Not Email',
      channels: [{ kind: 'telegram', value: 'lan@acme.vn' }],
    });
    const ids = async (q: string) =>
      (await search(ws.admin.client, q, '&types=contacts')).contacts?.data.map((c) => [
        c.id,
        c.matched_channel?.value,
      ]);
    expect(await ids('LAN@Acme.VN')).toEqual([
      [exact, 'lan@acme.vn'],
      [longer, 'lan@acme.vn.example'],
    ]);
    expect(await ids('lan@')).toEqual([
      [exact, 'lan@acme.vn'],
      [longer, 'lan@acme.vn.example'],
    ]);
    expect(await ids('lan@acme.vnx')).toEqual([[longer, 'lan@acme.vnx']]);
    expect(await ids('nobody@acme.vn')).toEqual([]);
    // Literal characters: LIKE wildcards mean nothing in a channel lookup.
    expect(await ids('l%@')).toEqual([]);
  });

  it('classifies queries', () => {
    expect(classifyQuery('0912 345 678')).toEqual({ kind: 'phone', e164: '+84912345678' });
    expect(classifyQuery('84912345678')).toEqual({ kind: 'phone', e164: '+84912345678' });
    expect(classifyQuery('01621234567')).toEqual({ kind: 'phone', e164: '+84321234567' });
    expect(classifyQuery('1234567')).toEqual({ kind: 'text' });
    expect(classifyQuery('Lan@Acme.vn')).toEqual({ kind: 'email', value: 'lan@acme.vn' });
    expect(classifyQuery('lan @ acme')).toEqual({ kind: 'text' });
    expect(classifyQuery('Nguyễn 0912345678')).toEqual({ kind: 'text' });
  });

  it('still finds accounts by MST when the query looks like a phone number', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Thép Miền Trung', vn_mst: '0401234567' });
    expect((await search(ws.admin.client, '0401234567')).accounts?.data.map((x) => x.id)).toEqual([a.id]);
  });
});

describe('deal ACL', () => {
  it('shows a restricted deal only to its owner, allow-listed members and roles, and admins', async () => {
    const ws = await createWorkspace(t);
    const owner = await addMember(t, ws, 'sales_rep');
    const listed = await addMember(t, ws, 'sales_rep');
    const outsider = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const support = await addMember(t, ws, 'support');
    const open = await insertDeal(t, ws.id, { name: 'Bí mật Open' });
    const secret = await insertDeal(t, ws.id, {
      name: 'Bí mật Restricted',
      owner_id: owner.userId,
      acl_mode: 'restricted',
      acl_member_ids: [listed.userId],
      acl_roles: ['manager'],
    });
    const ids = async (c: Client) =>
      (await search(c, 'bi mat', '&types=deals')).deals?.data.map((d) => d.id).sort();
    const both = [open, secret].sort();
    expect(await ids(ws.admin.client)).toEqual(both);
    expect(await ids(owner.client)).toEqual(both);
    expect(await ids(listed.client)).toEqual(both);
    expect(await ids(manager.client)).toEqual(both);
    expect(await ids(outsider.client)).toEqual([open]);
    expect(await ids(support.client)).toEqual([open]);
    // has_more does not give it away either.
    const one = await search(outsider.client, 'bi mat', '&types=deals&limit=1');
    expect(one.deals).toMatchObject({ has_more: false });
  });
});

describe('workspace isolation', () => {
  it('never returns another workspace’s rows, whatever the query', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    for (const ws of [a, b]) {
      await accountFor(t, ws.admin, { name: 'Sông Hồng Trading', vn_mst: '0109999999' });
      await insertContact(t, ws.id, {
        display_name: 'Phạm Sông Hồng',
        channels: [
          { kind: 'phone', value: '+84987654321' },
          { kind: 'email', value: 'hong@songhong.vn' },
        ],
      });
      await insertDeal(t, ws.id, { name: 'Sông Hồng Deal' });
    }
    const idsOf = async (c: Client, q: string) => {
      const body = await search(c, q, '&limit=20');
      return [
        ...(body.accounts?.data ?? []),
        ...(body.contacts?.data ?? []),
        ...(body.deals?.data ?? []),
      ].map((x) => x.id);
    };
    for (const q of ['song hong', 'hong', '0987 654 321', 'hong@songhong.vn', 'hong@', '0109999999']) {
      const fromA = await idsOf(a.admin.client, q);
      const fromB = await idsOf(b.admin.client, q);
      expect(fromA.length, q).toBeGreaterThan(0);
      expect(fromB.length, q).toBe(fromA.length);
      expect(
        fromA.filter((id) => fromB.includes(id)),
        q,
      ).toEqual([]);
    }
  });

  it('returns nothing from the search functions when no workspace is set', async () => {
    const ws = await createWorkspace(t);
    await insertContact(t, ws.id, {
      display_name: 'Hidden Person',
      channels: [{ kind: 'phone', value: '+84911111111' }],
    });
    await insertDeal(t, ws.id, { name: 'Hidden Deal' });
    const { sql } = await import('kysely');
    const none = await t.db.unscoped(async (k) => [
      ...(await sql`SELECT * FROM crm_core.crm_contact_search('hidden', 10)`.execute(k)).rows,
      ...(await sql`SELECT * FROM crm_core.crm_deal_search('hidden', NULL, 'admin', 10)`.execute(k)).rows,
      ...(
        await sql`SELECT * FROM crm_core.crm_contact_channel_search('+84911111111', false, NULL, 10)`.execute(
          k,
        )
      ).rows,
    ]);
    expect(none).toEqual([]);
    const scoped = await t.db.read(ws.id, async (k) => [
      ...(await sql`SELECT * FROM crm_core.crm_contact_search('hidden', 10)`.execute(k)).rows,
      ...(await sql`SELECT * FROM crm_core.crm_deal_search('hidden', NULL, 'admin', 10)`.execute(k)).rows,
      ...(
        await sql`SELECT * FROM crm_core.crm_contact_channel_search('+84911111111', false, NULL, 10)`.execute(
          k,
        )
      ).rows,
    ]);
    expect(scoped).toHaveLength(3);
  });
});

describe('validation and access', () => {
  it('answers 422 naming the field for bad input', async () => {
    const ws = await createWorkspace(t);
    for (const [qs, field] of [
      ['', 'q'],
      ['q=', 'q'],
      ['q=%20%20', 'q'],
      [`q=${'x'.repeat(201)}`, 'q'],
      ['q=a&limit=0', 'limit'],
      ['q=a&limit=21', 'limit'],
      ['q=a&types=accounts,people', 'types'],
      ['q=a&types=', 'types'],
      ['q=a&bogus=1', 'bogus'],
    ] as const) {
      const res = await ws.admin.client.get(`${BASE}?${qs}`);
      expect(res.status, qs).toBe(422);
      expect(
        res.body.errors?.map((e) => e.field),
        qs,
      ).toEqual([field]);
    }
    expect((await ws.admin.client.get(`${BASE}?q=${'x'.repeat(200)}&limit=20`)).status).toBe(200);
  });

  it('trims the query and requires authentication and the read scope', async () => {
    const ws = await createWorkspace(t);
    expect((await search(ws.admin.client, '  lan  ')).q).toBe('lan');
    const anon = await t.app.inject({ method: 'GET', url: `${BASE}?q=lan` });
    expect(anon.statusCode).toBe(401);
    const writeOnly = await apiKeyFor(t, ws.admin, ['crm.write']);
    expect((await writeOnly.client.get(`${BASE}?q=lan`)).status).toBe(403);
  });
});
