import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  contactFor,
  dealFor,
  defaultPipelineId,
  stagesOf,
  UNKNOWN_ID,
} from '../../../../test/factories/deals.js';
import { accountFor, addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { newId } from '../../platform/ids.js';
import { dateIn } from '../currencies/currency.money.js';
import type { BoardJson } from './deal.board.js';
import type { DealJson } from './deal.presenter.js';

/**
 * The pipeline board: stages in order with capped cards, counts and totals over all matching deals,
 * multi-currency totals in the base currency at today's rate with the breakdown, weighted totals
 * rounded once per currency, markers, filters, and the per-deal ACL in cards, counts and totals.
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const boardUrl = (pipelineId: string, q = '') => `/crm/v1/pipelines/${pipelineId}/board${q ? `?${q}` : ''}`;

async function addRate(ws: TestWorkspace, rate: string, effectiveDate: string): Promise<void> {
  await t.db.transaction(ws.id, (trx) =>
    sql`INSERT INTO crm_core.crm_exchange_rates (tenant_id, id, base_currency, currency, rate, effective_date, source)
        VALUES (${ws.id}, ${newId()}, 'VND', 'USD', ${rate}::numeric, ${effectiveDate}::date, 'test')`.execute(
      trx,
    ),
  );
}

const stage = (b: BoardJson, code: string) => {
  const s = b.stages.find((x) => x.code === code);
  if (!s) throw new Error(`no stage ${code}`);
  return s;
};

describe('board', () => {
  it('returns the stages in order with cards, counts, totals and weighted totals in VND + USD at today’s rate', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const pipelineId = await defaultPipelineId(t, ws);
    await addRate(ws, '26000', '2026-02-01');
    await addRate(ws, '99999', '2999-01-01'); // not valid yet: never used
    const account = await accountFor(t, ws.admin, { name: 'Công ty Bình Minh' });
    const vnd = await dealFor(t, ws.admin, {
      name: 'VND deal',
      amount_minor: 1_000_000,
      account_id: account.id,
    });
    await dealFor(t, ws.admin, { name: 'USD deal', amount_minor: 10_000, currency: 'USD' });
    await dealFor(t, ws.admin, {
      name: 'USD discovery',
      amount_minor: 5_050,
      currency: 'USD',
      stage_id: stages.discovery,
    });
    await dealFor(t, ws.admin, { name: 'No amount', stage_id: stages.discovery });

    const res = await ws.admin.client.get<BoardJson>(boardUrl(pipelineId));
    expect(res.status, res.raw).toBe(200);
    const b = res.body;
    expect(b.pipeline).toEqual({ id: pipelineId, name: 'Sales' });
    expect(b.status).toBe('recent');
    expect(b.stages.map((s) => s.code)).toEqual([
      'qualifying',
      'discovery',
      'proposal',
      'negotiation',
      'closed_won',
      'closed_lost',
      'cancelled',
    ]);
    const rates = [{ currency: 'USD', rate: '26000', effective_date: '2026-02-01' }];
    const q = stage(b, 'qualifying');
    expect(q.count).toBe(2);
    expect(q.total).toEqual({
      currency: 'VND',
      amount_minor: 1_000_000 + 10_000 * 260,
      breakdown: [
        { currency: 'VND', amount_minor: 1_000_000 },
        { currency: 'USD', amount_minor: 10_000 },
      ],
      rates,
      missing_rates: [],
    });
    expect(q.weighted_total.amount_minor).toBe(100_000 + 1_000 * 260);
    const card = q.deals.find((d) => d.id === vnd.id);
    expect(card).toMatchObject({
      name: 'VND deal',
      account: { id: account.id, name: 'Công ty Bình Minh' },
      amount_minor: 1_000_000,
      currency: 'VND',
      probability: 10,
      owner_id: ws.admin.userId,
      age_in_stage_days: 0,
      status: 'open',
      version: 1,
      markers: [],
    });
    const d = stage(b, 'discovery');
    expect(d.count).toBe(2);
    expect(d.total.amount_minor).toBe(5_050 * 260);
    // 5050 × 25% = 1262.5 cents: rounded once, half up, to 1263.
    expect(d.weighted_total.breakdown).toEqual([{ currency: 'USD', amount_minor: 1_263 }]);
    expect(d.weighted_total.amount_minor).toBe(1_263 * 260);
    expect(stage(b, 'proposal')).toMatchObject({ count: 0, deals: [], has_more: false });
    expect(stage(b, 'proposal').total.amount_minor).toBe(0);
    expect(b.totals.count).toBe(4);
    expect(b.totals.total.amount_minor).toBe(1_000_000 + 15_050 * 260);
    expect(b.totals.total.breakdown).toEqual([
      { currency: 'VND', amount_minor: 1_000_000 },
      { currency: 'USD', amount_minor: 15_050 },
    ]);
    // (10000 × 10 + 5050 × 25) / 100 = 2262.5 → 2263 cents.
    expect(b.totals.weighted_total.amount_minor).toBe(100_000 + 2_263 * 260);
  });

  it('caps cards per stage (has_more) while counts and totals cover every matching deal', async () => {
    const ws = await createWorkspace(t);
    const pipelineId = await defaultPipelineId(t, ws);
    for (let i = 0; i < 3; i++) await dealFor(t, ws.admin, { amount_minor: 100 });
    const res = await ws.admin.client.get<BoardJson>(boardUrl(pipelineId, 'per_stage=2'));
    const q = stage(res.body, 'qualifying');
    expect(q.deals).toHaveLength(2);
    expect(q.has_more).toBe(true);
    expect(q.count).toBe(3);
    expect(q.total.amount_minor).toBe(300);
    expect((await ws.admin.client.get(boardUrl(pipelineId, 'per_stage=501'))).status).toBe(422);
  });

  it('marks overdue, stalled and hot cards', async () => {
    const ws = await createWorkspace(t);
    const pipelineId = await defaultPipelineId(t, ws);
    const today = dateIn('Asia/Ho_Chi_Minh');
    const addDays = (n: number) =>
      new Date(Date.parse(`${today}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    const overdue = await dealFor(t, ws.admin, { expected_close_date: addDays(-1) });
    const soon = await dealFor(t, ws.admin, { expected_close_date: addDays(3) });
    const likely = await dealFor(t, ws.admin, { probability: 80, expected_close_date: addDays(60) });
    const stalled = await dealFor(t, ws.admin);
    const calm = await dealFor(t, ws.admin, { expected_close_date: addDays(30) });
    // Qualifying rots after 14 days.
    await t.db.transaction(ws.id, (trx) =>
      sql`UPDATE crm_core.crm_deals SET stage_entered_at = now() - interval '15 days'
          WHERE tenant_id = ${ws.id} AND id = ${stalled.id}`.execute(trx),
    );
    const res = await ws.admin.client.get<BoardJson>(boardUrl(pipelineId));
    const markers = Object.fromEntries(stage(res.body, 'qualifying').deals.map((c) => [c.id, c.markers]));
    expect(markers[overdue.id]).toEqual(['overdue']);
    expect(markers[soon.id]).toEqual(['hot']);
    expect(markers[likely.id]).toEqual(['hot']);
    expect(markers[stalled.id]).toEqual(['stalled']);
    expect(markers[calm.id]).toEqual([]);
    const stalledCard = stage(res.body, 'qualifying').deals.find((c) => c.id === stalled.id);
    expect(stalledCard?.age_in_stage_days).toBe(15);
  });

  it('filters by owner, amount, close date, name (diacritic-insensitive) and status', async () => {
    const ws = await createWorkspace(t);
    const pipelineId = await defaultPipelineId(t, ws);
    const stages = await stagesOf(t, ws);
    const rep = await addMember(t, ws, 'sales_rep');
    await dealFor(t, ws.admin, { name: 'Đại Phát ERP', amount_minor: 500 });
    await dealFor(t, rep, { name: 'Bình Minh CRM', amount_minor: 50, expected_close_date: '2026-05-05' });
    const account = await accountFor(t, ws.admin);
    const contact = await contactFor(t, ws);
    const won = await dealFor(t, ws.admin, {
      name: 'Won one',
      stage_id: stages.negotiation,
      amount_minor: 7,
      account_id: account.id,
      primary_contact_id: contact,
      expected_close_date: '2026-06-01',
    });
    const closed = await ws.admin.client.post<DealJson>(`${BASE}/${won.id}/close`, { outcome: 'won' });
    expect(closed.status, closed.raw).toBe(200);
    const names = async (q: string) => {
      const res = await ws.admin.client.get<BoardJson>(boardUrl(pipelineId, q));
      expect(res.status, res.raw).toBe(200);
      return res.body.stages.flatMap((s) => s.deals.map((c) => c.name)).sort();
    };
    expect(await names('')).toEqual(['Bình Minh CRM', 'Won one', 'Đại Phát ERP']);
    expect(await names('status=open')).toEqual(['Bình Minh CRM', 'Đại Phát ERP']);
    expect(await names('status=all')).toEqual(['Bình Minh CRM', 'Won one', 'Đại Phát ERP']);
    expect(await names(`owner_id=${rep.userId}`)).toEqual(['Bình Minh CRM']);
    expect(await names('owner_id=me&status=open')).toEqual(['Đại Phát ERP']);
    expect(await names('amount_min=100')).toEqual(['Đại Phát ERP']);
    expect(await names('amount_max=10')).toEqual(['Won one']);
    expect(await names('expected_close_from=2026-05-01&expected_close_to=2026-05-31')).toEqual([
      'Bình Minh CRM',
    ]);
    expect(await names('q=dai%20phat')).toEqual(['Đại Phát ERP']);
    expect(await names('q=100%25')).toEqual([]);
    const wonStage = stage((await ws.admin.client.get<BoardJson>(boardUrl(pipelineId))).body, 'closed_won');
    expect(wonStage.deals[0]).toMatchObject({ status: 'won', markers: [] });
  });

  it('answers 404 for an unknown pipeline or another workspace’s', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    expect((await ws.admin.client.get(boardUrl(UNKNOWN_ID))).status).toBe(404);
    const res = await ws.admin.client.get<{ code: string }>(boardUrl(await defaultPipelineId(t, other)));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('pipeline_not_found');
  });
});
