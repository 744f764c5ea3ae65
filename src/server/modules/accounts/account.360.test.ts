import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityFor, rawContact, rawDeal } from '../../../../test/factories/activities.js';
import { accountFor, addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import { newId } from '../../platform/ids.js';
import type { Account360Parts } from './account.360.js';
import type { AccountJson } from './account.presenter.js';

/**
 * Account 360 (`GET /accounts/{id}?include=…`): contacts, open deals, latest timeline, and money in
 * the base currency (open at today's rate, won at each close date's rate), under the deal ACL and
 * workspace isolation; without `include` the answer is the plain account.
 */

type Account360 = AccountJson & Account360Parts;
const BASE = '/crm/v1/accounts';
const ALL = 'include=contacts,deals,activities,stats';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function addRate(ws: TestWorkspace, rate: string, effectiveDate: string): Promise<void> {
  await t.db.transaction(ws.id, (trx) =>
    trx
      .insertInto('crm_core.crm_exchange_rates')
      .values({
        tenant_id: ws.id,
        id: newId(),
        base_currency: 'VND',
        currency: 'USD',
        rate,
        effective_date: effectiveDate,
        source: 'test',
        created_by: null,
        updated_by: null,
        deleted_at: null,
      })
      .execute(),
  );
}

const noon = (d: string) => new Date(`${d}T05:00:00Z`); // midday in Vietnam, same date anywhere near

describe('Account 360', () => {
  it('without include answers the plain account; an unknown part is a 422 naming include', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const plain = await ws.admin.client.get<AccountJson>(`${BASE}/${account.id}`);
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual(account);
    for (const q of ['include=bogus', 'include=contacts,bogus', 'include=CONTACTS']) {
      const res = await ws.admin.client.get<ProblemDocument>(`${BASE}/${account.id}?${q}`);
      expect(res.status, q).toBe(422);
      expect((res.body.errors ?? []).map((e) => e.field)).toEqual(['include']);
    }
    const one = await ws.admin.client.get<Account360>(`${BASE}/${account.id}?include=contacts`);
    expect(one.status).toBe(200);
    expect(one.body.contacts).toEqual([]);
    expect(one.body).not.toHaveProperty('deals');
    expect(one.body).not.toHaveProperty('stats');
    expect(one.headers.etag).toBe('"1"');
    const empty = await ws.admin.client.get<Account360>(`${BASE}/${account.id}?include=`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual(account);
  });

  it('returns contacts, open deals, the latest entries and the money, in one answer', async () => {
    const ws = await createWorkspace(t);
    await addRate(ws, '26000', '2026-02-01');
    const account = await accountFor(t, ws.admin, { name: 'Công ty Cổ phần Sao Mai' });
    const other = await accountFor(t, ws.admin);
    const lan = await rawContact(t, ws.id, {
      account_id: account.id,
      display_name: 'Nguyễn Thị Lan',
      title: 'Giám đốc',
      buying_role: 'decision_maker',
      is_primary: true,
      channels: [
        { kind: 'email', value: 'lan.other@saomai.vn' },
        { kind: 'email', value: 'lan@saomai.vn', is_primary: true },
        { kind: 'phone', value: '+84912345678', is_primary: true },
      ],
    });
    const an = await rawContact(t, ws.id, { account_id: account.id, display_name: 'An Trần' });
    await rawContact(t, ws.id, { account_id: account.id, display_name: 'Gone', deleted: true });
    await rawContact(t, ws.id, { account_id: other.id, display_name: 'Elsewhere' });

    const vndOpen = await rawDeal(t, ws.id, {
      account_id: account.id,
      name: 'Triển khai CRM',
      amount_minor: 100_000_000,
      currency: 'VND',
      stage: 'qualifying',
      expected_close_date: '2026-12-31',
    });
    const usdOpen = await rawDeal(t, ws.id, {
      account_id: account.id,
      name: 'License',
      amount_minor: 100_000,
      currency: 'USD',
      stage: 'proposal',
      owner_id: ws.admin.userId,
    });
    await rawDeal(t, ws.id, {
      account_id: account.id,
      status: 'won',
      amount_minor: 200_000,
      currency: 'USD',
      closed_at: noon('2026-01-15'),
    });
    await rawDeal(t, ws.id, {
      account_id: account.id,
      status: 'won',
      amount_minor: 100_000,
      currency: 'USD',
      closed_at: noon('2026-03-01'),
    });
    await rawDeal(t, ws.id, {
      account_id: account.id,
      status: 'won',
      amount_minor: 5_000_000,
      currency: 'VND',
      closed_at: noon('2026-03-01'),
    });
    await rawDeal(t, ws.id, { account_id: account.id, status: 'lost', amount_minor: 7_000_000 });
    await rawDeal(t, ws.id, { account_id: account.id, deleted: true, amount_minor: 9_000_000 });
    await rawDeal(t, ws.id, { account_id: other.id, amount_minor: 11_000_000 });

    const base = Date.UTC(2026, 5, 1);
    const entries: string[] = [];
    for (let i = 0; i < 22; i++) {
      const e = await activityFor(t, ws.admin, {
        kind: i === 3 ? 'call' : 'note',
        subject: `e${i}`,
        account_id: account.id,
        occurred_at: new Date(base + i * 60_000),
        ...(i === 5 ? { contact_id: an } : {}),
      });
      entries.push(e.id);
    }
    await activityFor(t, ws.admin, {
      kind: 'email',
      subject: 'via deal',
      deal_id: usdOpen,
      occurred_at: new Date(base + 30 * 60_000),
    });

    const res = await ws.admin.client.get<Account360>(`${BASE}/${account.id}?${ALL}`);
    expect(res.status, res.raw).toBe(200);
    const a = res.body;
    expect(a).toMatchObject({ id: account.id, name: account.name, version: 1 });
    expect(a.contacts).toEqual([
      {
        id: lan,
        display_name: 'Nguyễn Thị Lan',
        title: 'Giám đốc',
        buying_role: 'decision_maker',
        is_primary: true,
        email: 'lan@saomai.vn',
        phone: '+84912345678',
      },
      {
        id: an,
        display_name: 'An Trần',
        title: null,
        buying_role: null,
        is_primary: false,
        email: null,
        phone: null,
      },
    ]);
    expect(a.deals?.map((d) => d.id)).toEqual([vndOpen, usdOpen]);
    expect(a.deals?.[1]).toMatchObject({
      name: 'License',
      amount_minor: 100_000,
      currency: 'USD',
      stage: { code: 'proposal' },
      probability: 50,
      expected_close_date: null,
      owner_id: ws.admin.userId,
      status: 'open',
    });
    expect(a.deals?.[0]?.stage.name_vi).toBeTruthy();
    expect(a.deals?.[0]?.expected_close_date).toBe('2026-12-31');
    expect(a.activities).toHaveLength(20);
    expect(a.activities?.[0]?.subject).toBe('via deal');
    expect(a.activities?.slice(1).map((e) => e.subject)).toEqual(
      Array.from({ length: 19 }, (_, i) => `e${21 - i}`),
    );

    const s = a.stats;
    expect(s).toMatchObject({ contacts_count: 2, open_deals_count: 2, won_deals_count: 3 });
    // Open: 100,000,000 VND + 1,000.00 USD at today's 26000.
    expect(s?.open_pipeline_value).toEqual({
      currency: 'VND',
      amount_minor: 126_000_000,
      breakdown: [
        { currency: 'VND', amount_minor: 100_000_000 },
        { currency: 'USD', amount_minor: 100_000 },
      ],
      rates: [{ currency: 'USD', rate: '26000', effective_date: '2026-02-01' }],
      missing_rates: [],
    });
    // Weighted: 10% of 100,000,000 + 50% of 1,000.00 USD.
    expect(s?.weighted_pipeline_value.amount_minor).toBe(10_000_000 + 13_000_000);
    // Won: 2,000 USD at 25400 (closed in January) + 1,000 USD at 26000 (March) + 5,000,000 VND.
    expect(s?.won_value.amount_minor).toBe(50_800_000 + 26_000_000 + 5_000_000);
    expect(s?.won_value.breakdown).toEqual([
      { currency: 'VND', amount_minor: 5_000_000 },
      { currency: 'USD', amount_minor: 300_000 },
    ]);
    expect(s?.won_value.rates.map((r) => r.effective_date)).toEqual(['2026-01-01', '2026-02-01']);
    // Last contact: the email on the deal (notes do not count).
    expect(s?.last_contact_at).toBe(new Date(base + 30 * 60_000).toISOString());
  });

  it('leaves restricted deals out of deals, stats and activities for those who cannot see them', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const owner = await addMember(t, ws, 'sales_rep');
    const outsider = await addMember(t, ws, 'sales_rep');
    const open = await rawDeal(t, ws.id, { account_id: account.id, amount_minor: 1_000_000 });
    const secret = await rawDeal(t, ws.id, {
      account_id: account.id,
      amount_minor: 500_000_000,
      owner_id: owner.userId,
      acl_mode: 'restricted',
    });
    await rawDeal(t, ws.id, {
      account_id: account.id,
      status: 'won',
      amount_minor: 77_000_000,
      owner_id: owner.userId,
      acl_mode: 'restricted',
      closed_at: noon('2026-03-01'),
    });
    await activityFor(t, ws.admin, {
      kind: 'call',
      subject: 'public',
      account_id: account.id,
      occurred_at: noon('2026-04-01'),
    });
    await activityFor(t, owner, {
      kind: 'meeting',
      subject: 'secret',
      deal_id: secret,
      occurred_at: noon('2026-05-01'),
    });

    const view = async (c: typeof outsider.client) => {
      const res = await c.get<Account360>(`${BASE}/${account.id}?${ALL}`);
      expect(res.status, res.raw).toBe(200);
      return res.body;
    };
    const out = await view(outsider.client);
    expect(out.deals?.map((d) => d.id)).toEqual([open]);
    expect(out.activities?.map((e) => e.subject)).toEqual(['public']);
    expect(out.stats).toMatchObject({
      open_deals_count: 1,
      won_deals_count: 0,
      last_contact_at: noon('2026-04-01').toISOString(),
    });
    expect(out.stats?.open_pipeline_value.amount_minor).toBe(1_000_000);
    expect(out.stats?.won_value.amount_minor).toBe(0);

    for (const insider of [owner.client, ws.admin.client]) {
      const v = await view(insider);
      expect(v.deals?.map((d) => d.id).sort()).toEqual([open, secret].sort());
      expect(v.activities?.map((e) => e.subject)).toEqual(['secret', 'public']);
      expect(v.stats).toMatchObject({
        open_deals_count: 2,
        won_deals_count: 1,
        last_contact_at: noon('2026-05-01').toISOString(),
      });
      expect(v.stats?.open_pipeline_value.amount_minor).toBe(501_000_000);
      expect(v.stats?.won_value.amount_minor).toBe(77_000_000);
    }
  });

  it("answers 404 for another workspace's account, and counts nothing of it", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const accountA = await accountFor(t, a.admin);
    const accountB = await accountFor(t, b.admin);
    await rawContact(t, a.id, { account_id: accountA.id });
    await rawDeal(t, a.id, { account_id: accountA.id, amount_minor: 3_000_000 });
    await activityFor(t, a.admin, { kind: 'call', subject: 'A', account_id: accountA.id });

    const res = await b.admin.client.get<ProblemDocument>(`${BASE}/${accountA.id}?${ALL}`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('account_not_found');
    const unknown = await b.admin.client.get<ProblemDocument>(`${BASE}/${newId()}?${ALL}`);
    expect(unknown.status).toBe(404);

    const own = await b.admin.client.get<Account360>(`${BASE}/${accountB.id}?${ALL}`);
    expect(own.status).toBe(200);
    expect(own.body.contacts).toEqual([]);
    expect(own.body.deals).toEqual([]);
    expect(own.body.activities).toEqual([]);
    expect(own.body.stats).toMatchObject({
      contacts_count: 0,
      open_deals_count: 0,
      won_deals_count: 0,
      last_contact_at: null,
    });
    expect(own.body.stats?.open_pipeline_value).toEqual({
      currency: 'VND',
      amount_minor: 0,
      breakdown: [],
      rates: [],
      missing_rates: [],
    });
  });
});
