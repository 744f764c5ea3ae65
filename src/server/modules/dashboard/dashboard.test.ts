import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { jsonb } from '../../platform/db/sql.js';
import { newId } from '../../platform/ids.js';
import type { DealStatus } from '../deals/deal.table.js';
import type { DashboardJson } from './dashboard.schema.js';

/**
 * The dashboard on a real database: money in the base currency at the right rates with breakdowns,
 * restricted deals counted only for those who may see them, tasks, and no figure from another workspace.
 * Deals and activities are written straight into the tables so this test does not depend on the deal
 * rules (tested in the deals module).
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

async function stages(ws: TestWorkspace): Promise<Record<string, { id: string; pipeline_id: string }>> {
  const rows = await t.db.read(ws.id, (k) =>
    k.selectFrom('crm_core.crm_pipeline_stages').select(['id', 'code', 'pipeline_id']).execute(),
  );
  return Object.fromEntries(rows.map((r) => [r.code, r]));
}

interface DealSeed {
  status?: DealStatus;
  stage: string;
  amount: number;
  currency?: 'VND' | 'USD';
  probability: number;
  owner: TestMember;
  restricted?: boolean;
  closedAt?: Date;
  expectedClose?: string | null;
}

async function insertDeal(ws: TestWorkspace, d: DealSeed): Promise<string> {
  const st = (await stages(ws))[d.stage];
  if (!st) throw new Error(`no stage ${d.stage}`);
  const id = newId();
  const status = d.status ?? 'open';
  await t.db.transaction(ws.id, (k) =>
    k
      .insertInto('crm_core.crm_deals')
      .values({
        tenant_id: ws.id,
        id,
        account_id: null,
        primary_contact_id: null,
        name: `Deal ${id.slice(-4)}`,
        description: null,
        amount_minor: d.amount,
        currency: d.currency ?? 'VND',
        pipeline_id: st.pipeline_id,
        stage_id: st.id,
        probability: d.probability,
        expected_close_date: d.expectedClose ?? null,
        status,
        lost_reason: status === 'lost' ? 'price' : null,
        closed_at: status === 'open' ? null : (d.closedAt ?? new Date()),
        owner_id: d.owner.userId,
        acl_mode: d.restricted ? 'restricted' : 'default',
        lead_source: null,
        custom_fields: jsonb({}),
        created_by: d.owner.userId,
        updated_by: d.owner.userId,
        deleted_at: null,
      })
      .execute(),
  );
  return id;
}

async function insertTask(ws: TestWorkspace, by: TestMember, dueAt: Date, dealId: string | null = null) {
  const id = newId();
  await t.db.transaction(ws.id, (k) =>
    k
      .insertInto('crm_core.crm_activities')
      .values({
        tenant_id: ws.id,
        id,
        kind: 'task',
        subject: 'Gọi lại khách hàng',
        body_markdown: null,
        occurred_at: new Date(),
        due_at: dueAt,
        related_activity_id: null,
        account_id: null,
        contact_id: null,
        deal_id: dealId,
        source_event_id: null,
        metadata: jsonb({}),
        owner_id: by.userId,
        actor_type: 'user',
        created_by: by.userId,
      })
      .execute(),
  );
  return id;
}

async function completeTask(ws: TestWorkspace, by: TestMember, taskId: string) {
  await t.db.transaction(ws.id, (k) =>
    k
      .insertInto('crm_core.crm_activities')
      .values({
        tenant_id: ws.id,
        id: newId(),
        kind: 'task_completed',
        subject: 'Done',
        body_markdown: null,
        occurred_at: new Date(),
        due_at: null,
        related_activity_id: taskId,
        account_id: null,
        contact_id: null,
        deal_id: null,
        source_event_id: null,
        metadata: jsonb({}),
        owner_id: by.userId,
        actor_type: 'user',
        created_by: by.userId,
      })
      .execute(),
  );
}

const DAY = 86_400_000;

describe('GET /crm/v1/dashboard', () => {
  let ws: TestWorkspace;
  let rep: TestMember;

  beforeAll(async () => {
    ws = await createWorkspace(t);
    rep = await addMember(t, ws, 'sales_rep');
    await insertDeal(ws, { stage: 'proposal', amount: 1_000_000_000, probability: 50, owner: rep });
    await insertDeal(ws, {
      stage: 'discovery',
      amount: 1_000_000,
      currency: 'USD',
      probability: 25,
      owner: rep,
    });
    await insertDeal(ws, {
      stage: 'closed_won',
      status: 'won',
      amount: 500_000_000,
      probability: 100,
      owner: rep,
    });
    await insertDeal(ws, { stage: 'closed_lost', status: 'lost', amount: 7, probability: 0, owner: rep });
    const secret = await insertDeal(ws, {
      stage: 'negotiation',
      amount: 9_999,
      probability: 75,
      owner: ws.admin,
      restricted: true,
      expectedClose: '2000-01-01',
    });
    await insertTask(ws, rep, new Date(Date.now() - 2 * DAY));
    await insertTask(ws, rep, new Date(Date.now() + 30 * DAY));
    const done = await insertTask(ws, rep, new Date(Date.now() - 3 * DAY));
    await completeTask(ws, rep, done);
    // A task on the restricted deal: invisible (and so not counted) for the rep.
    await insertTask(ws, ws.admin, new Date(Date.now() - 2 * DAY), secret);
  });

  it('reports money in the base currency at today’s rate, with the per-currency breakdown', async () => {
    const res = await ws.admin.client.get<DashboardJson>('/crm/v1/dashboard');
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.currency).toBe('VND');
    expect(d.time_zone).toBe('Asia/Ho_Chi_Minh');
    expect(d.deals.total).toBe(5);
    expect(d.deals.open).toBe(3);
    // 10,000.00 USD at 25,400 = 254,000,000 VND.
    expect(d.deals.open_value).toEqual({
      currency: 'VND',
      amount_minor: 1_000_000_000 + 254_000_000 + 9_999,
      breakdown: [
        { currency: 'VND', amount_minor: 1_000_009_999 },
        { currency: 'USD', amount_minor: 1_000_000 },
      ],
      rates: [{ currency: 'USD', rate: '25400', effective_date: '2026-01-01' }],
      missing_rates: [],
    });
    // 50% of 1e9 + 75% of 9,999 (7,499.25 → 7,499) ; 25% of 10,000.00 USD = 2,500.00 USD = 63,500,000 VND.
    expect(d.deals.weighted_value.amount_minor).toBe(500_000_000 + 7_499 + 63_500_000);
    expect(d.deals.won_this_month).toBe(1);
    expect(d.deals.won_value_this_month.amount_minor).toBe(500_000_000);
    expect(d.deals.lost_this_month).toBe(1);
    expect(d.deals.win_rate_90d).toBe(0.5);
    expect(d.activities).toMatchObject({ open_tasks: 3, overdue: 2, completed_today: 1 });
    const overdue = d.forecast.find((f) => f.month === 'overdue');
    expect(overdue?.count).toBe(1);
    expect(d.forecast.find((f) => f.month === 'unscheduled')?.count).toBe(2);
    expect(d.forecast).toHaveLength(8);
  });

  it('leaves restricted deals (and their tasks) out for members who may not see them', async () => {
    const res = await rep.client.get<DashboardJson>('/crm/v1/dashboard');
    expect(res.status).toBe(200);
    expect(res.body.deals.total).toBe(4);
    expect(res.body.deals.open_value.amount_minor).toBe(1_000_000_000 + 254_000_000);
    expect(res.body.forecast.find((f) => f.month === 'overdue')?.count).toBe(0);
    expect(res.body.activities).toMatchObject({ open_tasks: 2, overdue: 1 });
  });

  it('narrows to one owner', async () => {
    const mine = await ws.admin.client.get<DashboardJson>('/crm/v1/dashboard?owner_id=me');
    expect(mine.body.deals.total).toBe(1);
    const reps = await ws.admin.client.get<DashboardJson>(`/crm/v1/dashboard?owner_id=${rep.userId}`);
    expect(reps.body.deals.total).toBe(4);
  });

  it('converts won deals at the rate of the day they closed', async () => {
    const other = await createWorkspace(t);
    // A second, later rate; the deal closed before it took effect converts at the first one.
    await t.db.transaction(other.id, (k) =>
      k
        .insertInto('crm_core.crm_exchange_rates')
        .values({
          tenant_id: other.id,
          id: newId(),
          base_currency: 'VND',
          currency: 'USD',
          rate: '30000',
          effective_date: '2999-01-01',
          source: 'test',
          created_by: null,
          updated_by: null,
          deleted_at: null,
        })
        .execute(),
    );
    await insertDeal(other, {
      stage: 'closed_won',
      status: 'won',
      amount: 100,
      currency: 'USD',
      probability: 100,
      owner: other.admin,
    });
    const res = await other.admin.client.get<DashboardJson>('/crm/v1/dashboard');
    expect(res.body.deals.won_value_this_month.amount_minor).toBe(25_400);
  });

  it('shows nothing of another workspace', async () => {
    const b = await createWorkspace(t);
    const res = await b.admin.client.get<DashboardJson>('/crm/v1/dashboard');
    expect(res.status).toBe(200);
    expect(res.body.deals.total).toBe(0);
    expect(res.body.deals.open_value.amount_minor).toBe(0);
    expect(res.body.activities.open_tasks).toBe(0);
    expect(res.body.accounts.total).toBe(0);
  });

  it('rejects unknown parameters and needs a read scope', async () => {
    const bad = await ws.admin.client.get<{ code: string }>('/crm/v1/dashboard?owner_id=nobody');
    expect(bad.status).toBe(422);
    const anon = await t.app.inject({ method: 'GET', url: '/crm/v1/dashboard' });
    expect(anon.statusCode).toBe(401);
  });
});
