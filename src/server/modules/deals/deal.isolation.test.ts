import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, dealFor, defaultPipelineId, stagesOf } from '../../../../test/factories/deals.js';
import { addMember, createWorkspace, type TestMember } from '../../../../test/factories.js';
import type { Client, TestApp } from '../../../../test/helpers.js';
import { testApp } from '../../../../test/helpers.js';
import type { BoardJson } from './deal.board.js';
import type { DealJson } from './deal.presenter.js';
import type { DealPage } from './deal.service.js';

/**
 * The per-deal ACL and tenant isolation: a restricted deal is "not found" on every deal route for a
 * member who is not its owner, not allow-listed and not of an allowed role (and absent from lists,
 * totals and the board's cards, counts and money); admins, the owner, listed members and listed roles
 * see it. Another workspace's deals are 404 everywhere and never appear in its lists or board.
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

/** Every deal route for one id: each must answer 404 for someone who may not see the deal. */
async function everyRoute(c: Client, id: string, stageId: string): Promise<number[]> {
  return [
    (await c.get(`${BASE}/${id}`)).status,
    (await c.get(`${BASE}/${id}?include_deleted=true`)).status,
    (await c.patch(`${BASE}/${id}`, { name: 'x' })).status,
    (await c.post(`${BASE}/${id}/move`, { stage_id: stageId, version: 1 })).status,
    (await c.post(`${BASE}/${id}/close`, { outcome: 'cancelled' })).status,
    (await c.get(`${BASE}/${id}/stage-history`)).status,
    (await c.delete(`${BASE}/${id}`)).status,
    (await c.post(`${BASE}/${id}/restore`)).status,
  ];
}

async function listIds(
  m: TestMember | { client: Client },
  q = '',
): Promise<{ ids: string[]; total: number }> {
  const res = await m.client.get<DealPage>(`${BASE}?include_total=true${q ? `&${q}` : ''}`);
  expect(res.status, res.raw).toBe(200);
  return { ids: res.body.data.map((d) => d.id), total: res.body.page.total ?? -1 };
}

describe('restricted deals', () => {
  it('are invisible to a non-allowed sales rep everywhere, visible to owner, listed member, listed role, admin', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const pipelineId = await defaultPipelineId(t, ws);
    const owner = await addMember(t, ws, 'sales_rep');
    const listed = await addMember(t, ws, 'sales_rep');
    const outsider = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const support = await addMember(t, ws, 'support');
    const open = await dealFor(t, owner, { name: 'Open', amount_minor: 1_000 });
    const secret = await dealFor(t, owner, {
      name: 'Secret',
      amount_minor: 9_000,
      acl_mode: 'restricted',
      acl_member_ids: [listed.userId],
      acl_roles: ['manager'],
    });

    // The outsider: 404 on every route, absent from lists, totals and the board.
    expect(await everyRoute(outsider.client, secret.id, stages.discovery)).toEqual([
      404, 404, 404, 404, 404, 404, 404, 404,
    ]);
    expect(await listIds(outsider)).toEqual({ ids: [open.id], total: 1 });
    expect(await listIds(outsider, `stage_id=${stages.qualifying}&q=secret`)).toEqual({ ids: [], total: 0 });
    const board = await outsider.client.get<BoardJson>(`/crm/v1/pipelines/${pipelineId}/board`);
    const q = board.body.stages.find((s) => s.code === 'qualifying');
    expect(q?.deals.map((d) => d.id)).toEqual([open.id]);
    expect(q?.count).toBe(1);
    expect(q?.total.amount_minor).toBe(1_000);
    expect(q?.weighted_total.amount_minor).toBe(100);
    expect(board.body.totals.count).toBe(1);
    expect(board.body.totals.total.amount_minor).toBe(1_000);
    // Support is not an allowed role either.
    expect((await support.client.get(`${BASE}/${secret.id}`)).status).toBe(404);

    // Owner, listed member, listed role and admin see it in get, lists and board.
    for (const m of [owner, listed, manager, ws.admin]) {
      const got = await m.client.get<DealJson>(`${BASE}/${secret.id}`);
      expect(got.status, m.role).toBe(200);
      expect((await listIds(m)).total, m.role).toBe(2);
      const b = await m.client.get<BoardJson>(`/crm/v1/pipelines/${pipelineId}/board`);
      expect(b.body.totals.total.amount_minor, m.role).toBe(10_000);
      expect(b.body.totals.count).toBe(2);
      const hist = await m.client.get(`${BASE}/${secret.id}/stage-history`);
      expect(hist.status).toBe(200);
    }
    // The listed member sees it but does not own it: no write abilities (a sales rep writes own/unowned).
    const asListed = await listed.client.get<DealJson>(`${BASE}/${secret.id}`);
    expect(asListed.body.abilities).toEqual([]);
    // The manager may move it (writes all).
    const moved = await manager.client.post<DealJson>(`${BASE}/${secret.id}/move`, {
      stage_id: stages.discovery,
      version: 1,
    });
    expect(moved.status, moved.raw).toBe(200);
    // Opening it up makes it visible to the outsider.
    const opened = await owner.client.patch<DealJson>(`${BASE}/${secret.id}`, { acl_mode: 'default' });
    expect(opened.status).toBe(200);
    expect((await outsider.client.get(`${BASE}/${secret.id}`)).status).toBe(200);
  });
});

describe('cross-workspace', () => {
  it("answers 404 for another workspace's deals on every route and never lists or totals them", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const aStages = await stagesOf(t, a);
    const bStages = await stagesOf(t, b);
    const deal = await dealFor(t, a.admin, { amount_minor: 123 });
    const bDeal = await dealFor(t, b.admin, { amount_minor: 7 });
    expect(await everyRoute(b.admin.client, deal.id, bStages.discovery)).toEqual([
      404, 404, 404, 404, 404, 404, 404, 404,
    ]);
    expect(await everyRoute(b.admin.client, deal.id, aStages.discovery)).toEqual([
      404, 404, 404, 404, 404, 404, 404, 404,
    ]);
    expect(await listIds(b.admin)).toEqual({ ids: [bDeal.id], total: 1 });
    expect(await listIds(b.admin, 'deleted=include')).toEqual({ ids: [bDeal.id], total: 1 });
    expect(await listIds(b.admin, `pipeline_id=${deal.pipeline_id}`)).toEqual({ ids: [], total: 0 });
    const board = await b.admin.client.get<BoardJson>(
      `/crm/v1/pipelines/${await defaultPipelineId(t, b)}/board`,
    );
    expect(board.body.totals.count).toBe(1);
    expect(board.body.totals.total.amount_minor).toBe(7);
    expect((await b.admin.client.get(`/crm/v1/pipelines/${deal.pipeline_id}/board`)).status).toBe(404);
    // A's deal cannot be created in B's pipeline or at B's account/contacts either.
    const cross = await a.admin.client.post(BASE, { name: 'x', pipeline_id: await defaultPipelineId(t, b) });
    expect(cross.status).toBe(422);
    // A still has its deal, untouched.
    const mine = await a.admin.client.get<DealJson>(`${BASE}/${deal.id}`);
    expect(mine.body.version).toBe(1);
  });
});
