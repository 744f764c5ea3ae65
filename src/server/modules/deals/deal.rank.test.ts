import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOf, BASE, dealFor, outboxOf, stagesOf } from '../../../../test/factories/deals.js';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { BoardJson } from './deal.board.js';
import type { DealJson } from './deal.presenter.js';

/**
 * Order within a board column (stage_rank, migration 0018): arrivals on top, drops between two cards
 * (`after_id`) in the same or another stage, the rank written by the move itself, version/audit/event
 * of a reorder, and the refusals (a card of another stage or workspace, the card itself).
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const move = (ws: TestWorkspace, id: string, body: Record<string, unknown>) =>
  ws.admin.client.post<DealJson & Pick<ProblemDocument, 'errors'>>(`${BASE}/${id}/move`, body);

async function column(ws: TestWorkspace, deal: DealJson, stageId: string): Promise<string[]> {
  const res = await ws.admin.client.get<BoardJson>(`/crm/v1/pipelines/${deal.pipeline_id}/board`);
  expect(res.status, res.raw).toBe(200);
  const stage = res.body.stages.find((s) => s.id === stageId);
  const ranks = stage?.deals.map((d) => Number(d.stage_rank)) ?? [];
  expect(
    [...ranks].sort((a, b) => a - b),
    'cards come in rank order',
  ).toEqual(ranks);
  return stage?.deals.map((d) => d.name) ?? [];
}

async function current(ws: TestWorkspace, id: string): Promise<DealJson> {
  return (await ws.admin.client.get<DealJson>(`${BASE}/${id}`)).body;
}

describe('order within a column', () => {
  it('puts new deals on top, and moves a card within its column with after_id', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const a = await dealFor(t, ws.admin, { name: 'A' });
    const b = await dealFor(t, ws.admin, { name: 'B' });
    const c = await dealFor(t, ws.admin, { name: 'C' });
    expect(await column(ws, a, stages.qualifying)).toEqual(['C', 'B', 'A']);

    const res = await move(ws, a.id, { stage_id: stages.qualifying, version: a.version, after_id: c.id });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.version).toBe(a.version + 1);
    expect(await column(ws, a, stages.qualifying)).toEqual(['C', 'A', 'B']);

    const top = await move(ws, b.id, { stage_id: stages.qualifying, version: b.version, after_id: null });
    expect(top.status, top.raw).toBe(200);
    expect(await column(ws, a, stages.qualifying)).toEqual(['B', 'C', 'A']);

    // Reorders are writes like any other: audited, announced, and guarded by the version.
    const audit = await auditOf(t, ws, a.id);
    expect(audit.map((x) => x.action)).toEqual(['deal.created', 'deal.updated']);
    expect(Object.keys(audit[1]?.diff ?? {})).toEqual(['stage_rank']);
    const events = await outboxOf(t, ws.id, a.id);
    expect(events.map((e) => e.topic)).toEqual(['deal.created', 'deal.updated']);
    expect(events[1]?.payload.data.changes).toEqual({
      stage_rank: { from: a.stage_rank, to: res.body.stage_rank },
    });
    const stale = await move(ws, a.id, { stage_id: stages.qualifying, version: a.version, after_id: null });
    expect(stale.status).toBe(409);
    expect(await column(ws, a, stages.qualifying)).toEqual(['B', 'C', 'A']);
  });

  it('without after_id a move within the column changes nothing', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const a = await dealFor(t, ws.admin, { name: 'A' });
    const res = await move(ws, a.id, { stage_id: stages.qualifying, version: a.version });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.version).toBe(a.version);
    expect((await outboxOf(t, ws.id, a.id)).map((e) => e.topic)).toEqual(['deal.created']);
  });

  it('places a card moved to another stage on top, or after the card it was dropped under', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const x = await dealFor(t, ws.admin, { name: 'X', stage_id: stages.discovery });
    const y = await dealFor(t, ws.admin, { name: 'Y', stage_id: stages.discovery });
    expect(await column(ws, x, stages.discovery)).toEqual(['Y', 'X']);
    const m = await dealFor(t, ws.admin, { name: 'M' });
    const n = await dealFor(t, ws.admin, { name: 'N' });

    const dropped = await move(ws, m.id, { stage_id: stages.discovery, version: m.version, after_id: y.id });
    expect(dropped.status, dropped.raw).toBe(200);
    expect(dropped.body.stage_id).toBe(stages.discovery);
    expect(await column(ws, x, stages.discovery)).toEqual(['Y', 'M', 'X']);

    const plain = await move(ws, n.id, { stage_id: stages.discovery, version: n.version });
    expect(plain.status, plain.raw).toBe(200);
    expect(await column(ws, x, stages.discovery)).toEqual(['N', 'Y', 'M', 'X']);
  });

  it('keeps an explicit place even when it equals the rank the card had in its old column', async () => {
    // The arrival trigger reads an unchanged rank as "no place given"; the move nudges such a rank.
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const x = await dealFor(t, ws.admin, { name: 'X', stage_id: stages.discovery }); // rank 0
    const m = await dealFor(t, ws.admin, { name: 'M' }); // rank 0 in qualifying
    const n = await dealFor(t, ws.admin, { name: 'N' }); // rank -1
    const below = await move(ws, n.id, { stage_id: stages.qualifying, version: n.version, after_id: m.id });
    expect(below.body.stage_rank).toBe('1');
    // After X (the last card, rank 0) would be rank 1: exactly N's current rank.
    const res = await move(ws, n.id, {
      stage_id: stages.discovery,
      version: below.body.version,
      after_id: x.id,
    });
    expect(res.status, res.raw).toBe(200);
    expect(await column(ws, x, stages.discovery)).toEqual(['X', 'N']);
  });

  it('stays exact and short after many drops between the same two cards', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const low = await dealFor(t, ws.admin, { name: 'low' });
    const high = await dealFor(t, ws.admin, { name: 'high' }); // on top of low
    const dropped: DealJson[] = [];
    for (let i = 0; i < 45; i++) dropped.push(await dealFor(t, ws.admin, { name: `d${i}` }));
    // Each new card goes right under "high": between high and the previous drop, halving the gap.
    for (const d of dropped) {
      const res = await move(ws, d.id, {
        stage_id: stages.qualifying,
        version: d.version,
        after_id: high.id,
      });
      expect(res.status, res.raw).toBe(200);
    }
    const names = await column(ws, low, stages.qualifying);
    expect(names).toEqual(['high', ...dropped.map((d) => d.name).reverse(), 'low']);
    const ranks = await Promise.all([high, ...dropped, low].map((d) => current(ws, d.id)));
    for (const r of ranks) expect(r.stage_rank.split('.')[1]?.length ?? 0).toBeLessThanOrEqual(40);
  });

  it('refuses a place next to the card itself, a card of another stage, or of another workspace', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const a = await dealFor(t, ws.admin, { name: 'A' });
    const elsewhere = await dealFor(t, ws.admin, { name: 'E', stage_id: stages.discovery });
    const foreign = await dealFor(t, other.admin, { name: 'F' });
    for (const [afterId, code] of [
      [a.id, 'invalid'],
      [elsewhere.id, 'not_in_stage'],
      [foreign.id, 'not_in_stage'],
    ] as const) {
      const res = await move(ws, a.id, {
        stage_id: stages.qualifying,
        version: a.version,
        after_id: afterId,
      });
      expect(res.status, res.raw).toBe(422);
      expect(res.body.errors?.[0]).toMatchObject({ field: 'after_id', code });
    }
    expect((await current(ws, a.id)).version).toBe(a.version);
    expect((await current(other, foreign.id)).stage_rank).toBe(foreign.stage_rank);
  });
});
