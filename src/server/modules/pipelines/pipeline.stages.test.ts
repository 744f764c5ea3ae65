import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditOf,
  insertDealRow,
  outboxOf,
  pipelineFor,
  writeCounts,
} from '../../../../test/factories/pipelines.js';
import { addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { DealStageChangedData } from './pipeline.events.js';
import type { PipelineJson, StageJson } from './pipeline.presenter.js';

/**
 * Stages end to end: add (insert at a position, others shift), update (incl. moving), reorder, remove
 * (with and without moving its deals in one transaction), the at-least-one-open-stage rule, and the
 * audit rows and events of each.
 */

const BASE = '/crm/v1/pipelines';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function defaultOf(ws: TestWorkspace): Promise<PipelineJson> {
  const res = await ws.admin.client.get<{ data: PipelineJson[] }>(BASE);
  const p = res.body.data.find((x) => x.is_default);
  if (!p) throw new Error('no default');
  return p;
}
async function get(ws: TestWorkspace, id: string): Promise<PipelineJson> {
  const res = await ws.admin.client.get<PipelineJson>(`${BASE}/${id}`);
  expect(res.status, res.raw).toBe(200);
  return res.body;
}
const codes = (p: PipelineJson) => p.stages.map((s) => s.code);
const stageBy = (p: PipelineJson, code: string): StageJson => {
  const s = p.stages.find((x) => x.code === code);
  if (!s) throw new Error(`no stage ${code}`);
  return s;
};
const newStage = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name_vi: `Giai đoạn ${code}`,
  name_en: `Stage ${code}`,
  default_probability: 40,
  category: 'open',
  ...extra,
});

interface DealDb {
  stage_id: string;
  status: string;
  probability: number;
  closed_at: Date | null;
  stage_entered_at: Date;
  version: number;
  updated_by: string | null;
}
async function dealRow(ws: TestWorkspace, id: string): Promise<DealDb> {
  const r = await t.db.read(ws.id, (k) =>
    k
      .selectFrom('crm_core.crm_deals')
      .select(['stage_id', 'status', 'probability', 'closed_at', 'stage_entered_at', 'version', 'updated_by'])
      .where('tenant_id', '=', ws.id)
      .where('id', '=', id)
      .executeTakeFirstOrThrow(),
  );
  return r as DealDb;
}

describe('POST /pipelines/{id}/stages', () => {
  it('an open stage without a position goes after the last open stage; positions stay 0..n-1', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const res = await ws.admin.client.post<StageJson>(`${BASE}/${p.id}/stages`, newStage('contract'));
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      code: 'contract',
      name_vi: 'Giai đoạn contract',
      position: 4,
      category: 'open',
      outcome: null,
      required_fields: [],
      allowed_roles: [],
      rotting_days: null,
      pipeline_id: p.id,
    });
    const after = await get(ws, p.id);
    expect(codes(after)).toEqual([
      'qualifying',
      'discovery',
      'proposal',
      'negotiation',
      'contract',
      'closed_won',
      'closed_lost',
      'cancelled',
    ]);
    expect(after.stages.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // a new stage has no moves of its own until they are added
    expect(after.transitions).toEqual(p.transitions);
  });

  it('inserts at an explicit position (others shift); a closed stage without one goes last', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const first = await ws.admin.client.post<StageJson>(
      `${BASE}/${p.id}/stages`,
      newStage('lead_in', { position: 0, default_probability: 5, rotting_days: 3 }),
    );
    expect(first.status).toBe(201);
    expect(first.body.position).toBe(0);
    const lost = await ws.admin.client.post<StageJson>(
      `${BASE}/${p.id}/stages`,
      newStage('no_budget', {
        category: 'lost',
        default_probability: 0,
        required_fields: ['lost_reason', 'account_id'],
        allowed_roles: ['manager', 'sales_rep'],
      }),
    );
    expect(lost.status, lost.raw).toBe(201);
    expect(lost.body).toMatchObject({
      outcome: 'lost',
      position: 8,
      required_fields: ['lost_reason', 'account_id'],
      allowed_roles: ['manager', 'sales_rep'],
    });
    const far = await ws.admin.client.post<StageJson>(
      `${BASE}/${p.id}/stages`,
      newStage('end', { position: 30 }),
    );
    expect(far.body.position).toBe(9);
    const after = await get(ws, p.id);
    expect(codes(after)).toEqual([
      'lead_in',
      'qualifying',
      'discovery',
      'proposal',
      'negotiation',
      'closed_won',
      'closed_lost',
      'cancelled',
      'no_budget',
      'end',
    ]);
    // shifted stages got a new version (positions changed)
    expect(stageBy(after, 'qualifying').version).toBe(2);
  });

  it('422 naming the field; 409 naming `code` for a code already in the pipeline; nothing written', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const url = `${BASE}/${p.id}/stages`;
    const before = await writeCounts(t, ws.id);
    const cases: Array<[unknown, string[]]> = [
      [{}, ['category', 'code', 'default_probability', 'name_en', 'name_vi']],
      [newStage('Bad'), ['code']],
      [newStage('_x'), ['code']],
      [newStage('x', { default_probability: -1 }), ['default_probability']],
      [newStage('x', { default_probability: 101 }), ['default_probability']],
      [newStage('x', { category: 'pending' }), ['category']],
      [newStage('x', { outcome: 'won' }), ['outcome']],
      [newStage('x', { category: 'won', outcome: 'cancelled' }), ['outcome']],
      [newStage('x', { category: 'lost', outcome: 'won' }), ['outcome']],
      [newStage('x', { category: 'won', outcome: null }), ['outcome']],
      [
        newStage('x', { required_fields: ['amount', 'budget', 'owner_id', 'x'] }),
        ['required_fields.1', 'required_fields.3'],
      ],
      [newStage('x', { allowed_roles: ['admin', 'owner'] }), ['allowed_roles.1']],
      [newStage('x', { required_fields: ['amount', 'lost_reason'] }), ['required_fields.1']],
      [newStage('x', { category: 'won', required_fields: ['lost_reason'] }), ['required_fields.0']],
      [newStage('x', { rotting_days: 4000 }), ['rotting_days']],
      [newStage('x', { position: -1 }), ['position']],
      [newStage('x', { name_vi: '' }), ['name_vi']],
      [newStage('x', { pipeline_id: p.id }), ['pipeline_id']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post(url, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    const dup = await ws.admin.client.post(url, newStage('proposal'));
    expect(dup.status).toBe(409);
    expect(fieldsOf(dup.body)).toEqual(['code']);
    expect(await writeCounts(t, ws.id)).toEqual(before);
    expect(codes(await get(ws, p.id))).toEqual(codes(p));
  });

  it('a removed stage’s code may be used again', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const s = stageBy(p, 'discovery');
    expect((await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}`)).status).toBe(200);
    const again = await ws.admin.client.post<StageJson>(`${BASE}/${p.id}/stages`, newStage('discovery'));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(s.id);
  });
});

describe('PATCH /pipelines/{id}/stages/{stageId}', () => {
  it('changes names, probability, rules, code; moves it with `position`; If-Match is the stage’s version', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const s = stageBy(p, 'proposal');
    const res = await ws.admin.client.patch<StageJson>(
      `${BASE}/${p.id}/stages/${s.id}`,
      {
        name_vi: 'Gửi đề xuất',
        name_en: 'Proposal sent',
        default_probability: 55,
        required_fields: ['amount'],
        allowed_roles: ['manager'],
        rotting_days: 10,
        code: 'proposal_sent',
        position: 0,
      },
      { 'if-match': `"${s.version}"` },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      code: 'proposal_sent',
      name_vi: 'Gửi đề xuất',
      default_probability: 55,
      required_fields: ['amount'],
      allowed_roles: ['manager'],
      rotting_days: 10,
      position: 0,
      version: s.version + 1,
    });
    expect(codes(await get(ws, p.id)).slice(0, 3)).toEqual(['proposal_sent', 'qualifying', 'discovery']);
    const stale = await ws.admin.client.patch(
      `${BASE}/${p.id}/stages/${s.id}`,
      { name_en: 'x' },
      { 'if-match': `"${s.version}"` },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.current_version).toBe(s.version + 1);
    // no-op
    const same = await ws.admin.client.patch<StageJson>(`${BASE}/${p.id}/stages/${s.id}`, { position: 0 });
    expect(same.body.version).toBe(s.version + 1);
    const audit = await auditOf(ws, s.id);
    expect(audit.map((a) => a.action)).toEqual(['pipeline.stage_updated']);
    expect(audit[0]?.diff).toMatchObject({
      code: { from: 'proposal', to: 'proposal_sent' },
      default_probability: { from: 50, to: 55 },
      position: { from: 2, to: 0 },
    });
    const events = await outboxOf<{ stage: StageJson; changes: unknown }>(t, ws.id, p.id);
    const ev = events.find((e) => e.topic === 'pipeline.stage_updated');
    expect(ev?.payload.data.stage.code).toBe('proposal_sent');
    expect(ev?.payload.data.changes).toEqual(audit[0]?.diff);
  });

  it('category and outcome: validated together; refused while deals sit in the stage; last open stage stays open', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const cancelled = stageBy(p, 'cancelled');
    const url = (s: StageJson) => `${BASE}/${p.id}/stages/${s.id}`;
    const bad = await ws.admin.client.patch(url(cancelled), { outcome: 'won' });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['outcome']);
    const toLost = await ws.admin.client.patch<StageJson>(url(cancelled), { outcome: 'lost' });
    expect(toLost.status, toLost.raw).toBe(200);
    expect(toLost.body).toMatchObject({ category: 'lost', outcome: 'lost' });
    const toOpen = await ws.admin.client.patch<StageJson>(url(cancelled), { category: 'open' });
    expect(toOpen.body).toMatchObject({ category: 'open', outcome: null });
    // closed_lost requires lost_reason: it cannot become an open stage while it does
    const lostToOpen = await ws.admin.client.patch(url(stageBy(p, 'closed_lost')), { category: 'open' });
    expect(lostToOpen.status).toBe(422);
    expect(fieldsOf(lostToOpen.body)).toEqual(['required_fields.0']);
    const both = await ws.admin.client.patch<StageJson>(url(stageBy(p, 'closed_lost')), {
      category: 'open',
      required_fields: [],
    });
    expect(both.status, both.raw).toBe(200);

    const closedWon = stageBy(p, 'closed_won');
    await insertDealRow(t, ws, p.id, closedWon);
    const busy = await ws.admin.client.patch(url(closedWon), { category: 'lost' });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('stage_has_deals');
    // names may still change
    expect((await ws.admin.client.patch(url(closedWon), { name_en: 'Won' })).status).toBe(200);

    const single = await pipelineFor(t, ws.admin, {
      stages: [
        { code: 'only', name_vi: 'Duy nhất', name_en: 'Only', default_probability: 50, category: 'open' },
        { code: 'won', name_vi: 'Thắng', name_en: 'Won', default_probability: 100, category: 'won' },
      ],
    });
    const only = single.stages[0] as StageJson;
    const last = await ws.admin.client.patch(`${BASE}/${single.id}/stages/${only.id}`, {
      category: 'won',
    });
    expect(last.status).toBe(422);
    expect(fieldsOf(last.body)).toEqual(['category']);
  });

  it('404 for a stage of another pipeline or a removed one; 409 naming `code` for a taken code', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const other = await pipelineFor(t, ws.admin);
    const foreign = other.stages[0] as StageJson;
    const res = await ws.admin.client.patch(`${BASE}/${p.id}/stages/${foreign.id}`, { name_en: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('stage_not_found');
    const s = stageBy(p, 'discovery');
    await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}`);
    expect((await ws.admin.client.patch(`${BASE}/${p.id}/stages/${s.id}`, { name_en: 'x' })).status).toBe(
      404,
    );
    const taken = await ws.admin.client.patch(`${BASE}/${p.id}/stages/${stageBy(p, 'proposal').id}`, {
      code: 'qualifying',
    });
    expect(taken.status).toBe(409);
    expect(fieldsOf(taken.body)).toEqual(['code']);
  });
});

describe('POST /pipelines/{id}/stages/reorder', () => {
  it('sets the board order; an unchanged order writes nothing', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const ids = p.stages.map((s) => s.id);
    const reversed = [...ids].reverse();
    const res = await ws.admin.client.post<PipelineJson>(`${BASE}/${p.id}/stages/reorder`, {
      stage_ids: reversed,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.stages.map((s) => s.id)).toEqual(reversed);
    expect(res.body.stages.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const audit = (await auditOf(ws, p.id)).filter((a) => a.action === 'pipeline.stages_reordered');
    expect(audit[0]?.diff.stage_order).toEqual({ from: codes(p), to: [...codes(p)].reverse() });
    const events = (await outboxOf<{ stage_ids: string[] }>(t, ws.id, p.id)).filter(
      (e) => e.topic === 'pipeline.stages_reordered',
    );
    expect(events.map((e) => e.payload.data.stage_ids)).toEqual([reversed]);
    const before = await writeCounts(t, ws.id);
    await ws.admin.client.post(`${BASE}/${p.id}/stages/reorder`, { stage_ids: reversed });
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('422 unless the list is exactly the pipeline’s live stages', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const other = await pipelineFor(t, ws.admin);
    const ids = p.stages.map((s) => s.id);
    const removed = stageBy(p, 'discovery').id;
    await ws.admin.client.delete(`${BASE}/${p.id}/stages/${removed}`);
    const live = ids.filter((id) => id !== removed);
    const cases: Array<[string[], string[]]> = [
      [live.slice(1), ['stage_ids']],
      [[...live, live[0] as string], ['stage_ids']],
      [[...live.slice(1), live[1] as string], ['stage_ids']],
      [[...live.slice(1), removed], ['stage_ids.5']],
      [[(other.stages[0] as StageJson).id, ...live.slice(1)], ['stage_ids.0']],
      [[], ['stage_ids']],
    ];
    for (const [stage_ids, fields] of cases) {
      const res = await ws.admin.client.post(`${BASE}/${p.id}/stages/reorder`, { stage_ids });
      expect(res.status).toBe(422);
      expect(fieldsOf(res.body)).toEqual(fields);
    }
    const ok = await ws.admin.client.post<PipelineJson>(`${BASE}/${p.id}/stages/reorder`, {
      stage_ids: live,
    });
    expect(ok.status).toBe(200);
  });
});

describe('DELETE /pipelines/{id}/stages/{stageId}', () => {
  it('removes an empty stage: soft-deleted, its moves dropped, the rest renumbered', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const s = stageBy(p, 'discovery');
    const res = await ws.admin.client.delete<{ pipeline: PipelineJson; moved_deals: number }>(
      `${BASE}/${p.id}/stages/${s.id}`,
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body.moved_deals).toBe(0);
    const after = res.body.pipeline;
    expect(codes(after)).toEqual([
      'qualifying',
      'proposal',
      'negotiation',
      'closed_won',
      'closed_lost',
      'cancelled',
    ]);
    expect(after.stages.map((x) => x.position)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(after.transitions.some((m) => m.from_stage_id === s.id || m.to_stage_id === s.id)).toBe(false);
    // 12 seed moves, 5 of them touch discovery
    expect(after.transitions).toHaveLength(7);
    expect(await get(ws, p.id)).toEqual(after);
    // the row stays (history points at it)
    const row = await t.db.read(ws.id, (k) =>
      k
        .selectFrom('crm_core.crm_pipeline_stages')
        .select(['deleted_at'])
        .where('tenant_id', '=', ws.id)
        .where('id', '=', s.id)
        .executeTakeFirst(),
    );
    expect(row?.deleted_at).toBeInstanceOf(Date);
    const audit = await auditOf(ws, s.id);
    expect(audit.map((a) => a.action)).toEqual(['pipeline.stage_deleted']);
    expect(audit[0]?.diff.transitions_removed).toEqual({ from: null, to: 5 });
    expect((await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}`)).status).toBe(404);
  });

  it('409 stage_has_deals without move_deals_to; 422 naming move_deals_to for a bad target; nothing changes', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const other = await pipelineFor(t, ws.admin);
    const s = stageBy(p, 'discovery');
    const deal = await insertDealRow(t, ws, p.id, s);
    const before = await writeCounts(t, ws.id);
    const res = await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('stage_has_deals');
    expect(res.body.deal_count).toBe(1);
    for (const target of [
      (other.stages[0] as StageJson).id,
      s.id,
      '01900000-0000-7000-8000-000000000000',
      'x',
    ]) {
      const bad = await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}?move_deals_to=${target}`);
      expect(bad.status, target).toBe(422);
      expect(fieldsOf(bad.body)).toEqual(['move_deals_to']);
      expect(bad.body.errors?.[0]?.in).toBe('query');
    }
    expect(await writeCounts(t, ws.id)).toEqual(before);
    expect((await dealRow(ws, deal.id)).stage_id).toBe(s.id);
    expect(codes(await get(ws, p.id))).toEqual(codes(p));
  });

  it('moves every deal in ONE transaction: stage, probability (unless overridden), history, events, audit, timeline', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const p = await defaultOf(ws);
    const from = stageBy(p, 'discovery');
    const to = stageBy(p, 'proposal');
    const plain = await insertDealRow(t, ws, p.id, from);
    const overridden = await insertDealRow(t, ws, p.id, from, {
      probability: 33,
      probability_overridden: true,
    });
    const restricted = await insertDealRow(t, ws, p.id, from, {
      acl_mode: 'restricted',
      owner_id: rep.userId,
    });
    const deletedDeal = await insertDealRow(t, ws, p.id, from, { deleted: true });
    const untouched = await insertDealRow(t, ws, p.id, stageBy(p, 'qualifying'));
    const entered = (await dealRow(ws, plain.id)).stage_entered_at;

    const res = await ws.admin.client.delete<{ pipeline: PipelineJson; moved_deals: number }>(
      `${BASE}/${p.id}/stages/${from.id}?move_deals_to=${to.id}`,
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body.moved_deals).toBe(3);
    expect(codes(res.body.pipeline)).not.toContain('discovery');

    const a = await dealRow(ws, plain.id);
    expect(a).toMatchObject({
      stage_id: to.id,
      probability: 50,
      status: 'open',
      closed_at: null,
      version: 2,
    });
    expect(a.updated_by).toBe(ws.admin.userId);
    expect(a.stage_entered_at.getTime()).toBeGreaterThan(entered.getTime());
    expect(await dealRow(ws, overridden.id)).toMatchObject({ stage_id: to.id, probability: 33 });
    expect((await dealRow(ws, restricted.id)).stage_id).toBe(to.id);
    expect((await dealRow(ws, deletedDeal.id)).stage_id).toBe(from.id);
    expect(await dealRow(ws, untouched.id)).toMatchObject({ version: 1 });

    const history = await t.db.read(ws.id, (k) =>
      k
        .selectFrom('crm_core.crm_stage_transitions')
        .selectAll()
        .where('tenant_id', '=', ws.id)
        .where('from_stage_id', '=', from.id)
        .execute(),
    );
    expect(history.map((h) => h.deal_id).sort()).toEqual([plain.id, overridden.id, restricted.id].sort());
    for (const h of history) {
      expect(h).toMatchObject({
        pipeline_id: p.id,
        to_stage_id: to.id,
        from_status: 'open',
        to_status: 'open',
        actor_type: 'user',
        actor_id: ws.admin.userId,
      });
      expect(Number(h.ms_in_from_stage)).toBeGreaterThanOrEqual(59_000);
    }

    const ev = await outboxOf<DealStageChangedData>(t, ws.id, restricted.id);
    expect(ev.map((e) => e.topic)).toEqual(['deal.stage_changed']);
    expect(ev[0]?.aggregate_type).toBe('deal');
    expect(ev[0]?.payload.data).toMatchObject({
      deal_id: restricted.id,
      pipeline_id: p.id,
      from_stage_id: from.id,
      to_stage_id: to.id,
      reason: 'stage_removed',
      deal: {
        acl_mode: 'restricted',
        owner_id: rep.userId,
        acl_member_ids: [],
        acl_roles: [],
        stage_id: to.id,
      },
      change: {
        from_stage_code: 'discovery',
        to_stage_code: 'proposal',
        from_status: 'open',
        to_status: 'open',
      },
    });
    const dealAudit = await auditOf(ws, overridden.id);
    expect(dealAudit.map((x) => x.action)).toEqual(['deal.stage_changed']);
    expect(dealAudit[0]?.diff).toEqual({ stage_id: { from: from.id, to: to.id } });
    expect((await auditOf(ws, plain.id))[0]?.diff).toEqual({
      stage_id: { from: from.id, to: to.id },
      probability: { from: 25, to: 50 },
    });
    const stageAudit = await auditOf(ws, from.id);
    expect(stageAudit[0]?.diff).toMatchObject({
      moved_deals_to: { from: null, to: to.id },
      moved_deals: { from: null, to: 3 },
    });
    const stageEvents = (
      await outboxOf<{ moved_deals: number; moved_deals_to: string }>(t, ws.id, p.id)
    ).filter((e) => e.topic === 'pipeline.stage_deleted');
    expect(stageEvents[0]?.payload.data).toMatchObject({ moved_deals: 3, moved_deals_to: to.id });

    const timeline = await t.db.read(ws.id, (k) =>
      sql<{ deal_id: string; kind: string; source: string }>`
        SELECT deal_id, kind, source FROM crm_core.crm_activities WHERE tenant_id = ${ws.id}
        AND kind = 'stage_changed'`.execute(k),
    );
    expect(timeline.rows.map((r) => r.deal_id).sort()).toEqual(
      [plain.id, overridden.id, restricted.id].sort(),
    );
    expect(timeline.rows.every((r) => r.source === 'system')).toBe(true);

    const chain = await ws.admin.client.get<{ ok: boolean }>('/crm/v1/audit/verify');
    expect(chain.body.ok).toBe(true);
  });

  it('moving into a won stage closes the deals (status, closed_at, deal.won); into a lost one needs lost reasons', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const s = stageBy(p, 'negotiation');
    const d1 = await insertDealRow(t, ws, p.id, s);
    const d2 = await insertDealRow(t, ws, p.id, s, { lost_reason: 'Ngân sách bị cắt' });

    const before = await writeCounts(t, ws.id);
    const blocked = await ws.admin.client.delete(
      `${BASE}/${p.id}/stages/${s.id}?move_deals_to=${stageBy(p, 'closed_lost').id}`,
    );
    expect(blocked.status).toBe(422);
    expect(blocked.body.code).toBe('stage_transition_blocked');
    expect(blocked.body.unmet).toEqual([
      expect.objectContaining({ rule: 'field_required', field: 'lost_reason', deal_ids: [d1.id] }),
    ]);
    expect(await writeCounts(t, ws.id)).toEqual(before);
    expect((await dealRow(ws, d1.id)).stage_id).toBe(s.id);

    const won = stageBy(p, 'closed_won');
    const res = await ws.admin.client.delete(`${BASE}/${p.id}/stages/${s.id}?move_deals_to=${won.id}`);
    expect(res.status, res.raw).toBe(200);
    for (const d of [d1, d2]) {
      const row = await dealRow(ws, d.id);
      expect(row).toMatchObject({ stage_id: won.id, status: 'won', probability: 100 });
      expect(row.closed_at).toBeInstanceOf(Date);
      expect((await outboxOf(t, ws.id, d.id)).map((e) => e.topic)).toEqual([
        'deal.stage_changed',
        'deal.won',
      ]);
    }

    // back to open: a closed deal reopens (closed_at cleared) when its stage is removed into an open one
    const res2 = await ws.admin.client.delete(
      `${BASE}/${p.id}/stages/${won.id}?move_deals_to=${stageBy(p, 'proposal').id}`,
    );
    expect(res2.status, res2.raw).toBe(200);
    expect(await dealRow(ws, d1.id)).toMatchObject({ status: 'open', closed_at: null, probability: 50 });
  });

  it('a pipeline keeps at least one open stage (409)', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin, {
      stages: [
        { code: 'a', name_vi: 'A', name_en: 'A', default_probability: 10, category: 'open' },
        { code: 'b', name_vi: 'B', name_en: 'B', default_probability: 20, category: 'open' },
        { code: 'w', name_vi: 'W', name_en: 'W', default_probability: 100, category: 'won' },
      ],
    });
    const [a, b, w] = p.stages as [StageJson, StageJson, StageJson];
    expect((await ws.admin.client.delete(`${BASE}/${p.id}/stages/${a.id}`)).status).toBe(200);
    const last = await ws.admin.client.delete(`${BASE}/${p.id}/stages/${b.id}`);
    expect(last.status).toBe(409);
    expect(last.body.detail).toMatch(/at least one open stage/);
    expect((await ws.admin.client.delete(`${BASE}/${p.id}/stages/${w.id}`)).status).toBe(200);
    expect(codes(await get(ws, p.id))).toEqual(['b']);
  });
});

describe('stage audit and events', () => {
  it('pipeline.stage_created / stage_updated / stage_deleted with diffs', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const created = await ws.admin.client.post<StageJson>(`${BASE}/${p.id}/stages`, newStage('trial'));
    const id = created.body.id;
    await ws.admin.client.patch(`${BASE}/${p.id}/stages/${id}`, { name_en: 'Trial' });
    await ws.admin.client.delete(`${BASE}/${p.id}/stages/${id}`);
    const audit = await auditOf(ws, id);
    expect(audit.map((a) => a.action)).toEqual([
      'pipeline.stage_created',
      'pipeline.stage_updated',
      'pipeline.stage_deleted',
    ]);
    for (const a of audit) expect(a.entity_type).toBe('pipeline_stage');
    expect(audit[0]?.diff).toMatchObject({
      code: { from: null, to: 'trial' },
      category: { from: null, to: 'open' },
    });
    expect(audit[1]?.diff).toEqual({ name_en: { from: 'Stage trial', to: 'Trial' } });
    const topics = (await outboxOf(t, ws.id, p.id)).map((e) => e.topic);
    expect(topics).toEqual(['pipeline.stage_created', 'pipeline.stage_updated', 'pipeline.stage_deleted']);
  });
});

describe('concurrent edits of one pipeline', () => {
  it('stage inserts and default switches serialize: positions stay 0..n-1, exactly one default', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const results = await Promise.all(
      ['c1', 'c2', 'c3', 'c4'].map((code, i) =>
        ws.admin.client.post<StageJson>(`${BASE}/${p.id}/stages`, newStage(code, { position: i % 2 })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const after = await get(ws, p.id);
    expect(after.stages.map((s) => s.position)).toEqual(after.stages.map((_, i) => i));
    expect(after.stages).toHaveLength(11);

    const others = [await pipelineFor(t, ws.admin), await pipelineFor(t, ws.admin)];
    const switches = await Promise.all(
      others.map((o) => ws.admin.client.patch<PipelineJson>(`${BASE}/${o.id}`, { is_default: true })),
    );
    expect(switches.map((r) => r.status)).toEqual([200, 200]);
    const list = await ws.admin.client.get<{ data: PipelineJson[] }>(BASE);
    expect(list.body.data.filter((x) => x.is_default)).toHaveLength(1);
  });
});

describe('stage colours', () => {
  it('are #rrggbb (stored lower-case), cleared with null, refused otherwise naming the field, and shown on the board', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const created = await ws.admin.client.post<StageJson>(
      `${BASE}/${p.id}/stages`,
      newStage('demo_call', { color: '#1D4ED8' }),
    );
    expect(created.status, created.raw).toBe(201);
    expect(created.body.color).toBe('#1d4ed8');

    const bad = await ws.admin.client.post(
      `${BASE}/${p.id}/stages`,
      newStage('bad_colour', { color: 'blue' }),
    );
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['color']);

    const board = await ws.admin.client.get<{ stages: Array<{ code: string; color: string | null }> }>(
      `${BASE}/${p.id}/board`,
    );
    expect(board.status, board.raw).toBe(200);
    expect(board.body.stages.find((s) => s.code === 'demo_call')?.color).toBe('#1d4ed8');
    expect(board.body.stages.find((s) => s.code === 'qualifying')?.color).toBeNull();

    const cleared = await ws.admin.client.patch<StageJson>(`${BASE}/${p.id}/stages/${created.body.id}`, {
      color: null,
      version: created.body.version,
    });
    expect(cleared.status, cleared.raw).toBe(200);
    expect(cleared.body.color).toBeNull();
  });
});
