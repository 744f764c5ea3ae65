import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activitiesOf,
  auditOf,
  BASE,
  contactFor,
  dealFor,
  fieldsOf,
  outboxOf,
  stagesOf,
  writeCounts,
} from '../../../../test/factories/deals.js';
import { accountFor, addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { DealJson } from './deal.presenter.js';
import type { StageHistoryEntry } from './deal.service.js';

/**
 * Moves and closing: the pipeline's rules (every unmet rule listed), filling missing fields in the move,
 * optimistic versions (two people dragging the same card), closing idempotency, reopening, the stage
 * history, and the rows each move writes (deal, history, timeline, audit, outbox).
 */

/** A move's answer: the deal (200) or a problem carrying the current deal (409). */
type MoveOrConflict = Partial<DealJson> & { code?: string; current?: DealJson };

type Blocked = ProblemDocument & { unmet: Array<{ rule: string; field?: string }> };

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const move = (ws: TestWorkspace, id: string, body: Record<string, unknown>) =>
  ws.admin.client.post<DealJson>(`${BASE}/${id}/move`, body);

describe('move', () => {
  it('moves along the allowed path, takes the stage probability, and writes every row of a move', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const stages = await stagesOf(t, ws);
    const deal = await dealFor(t, ws.admin, { account_id: account.id });
    const res = await move(ws, deal.id, { stage_id: stages.discovery, version: 1 });
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      stage_id: stages.discovery,
      stage: { code: 'discovery', name_en: 'Discovery', category: 'open' },
      probability: 25,
      status: 'open',
      version: 2,
    });
    expect(Date.parse(res.body.stage_entered_at)).toBeGreaterThanOrEqual(Date.parse(deal.stage_entered_at));

    const audit = await auditOf(t, ws, deal.id);
    expect(audit.map((a) => a.action)).toEqual(['deal.created', 'deal.stage_changed']);
    expect(audit[1]?.diff.stage_id).toEqual({ from: stages.qualifying, to: stages.discovery });
    expect(audit[1]?.diff.probability).toEqual({ from: 10, to: 25 });
    const events = await outboxOf(t, ws.id, deal.id);
    expect(events.map((e) => e.topic)).toEqual(['deal.created', 'deal.stage_changed']);
    expect(events[1]?.payload.data.change).toMatchObject({
      from_stage_code: 'qualifying',
      to_stage_code: 'discovery',
    });
    expect(events[1]?.payload.data.deal).toMatchObject({ stage_id: stages.discovery, acl_mode: 'default' });
    const timeline = await activitiesOf(t, ws.id, deal.id);
    expect(timeline.map((a) => [a.kind, a.account_id])).toEqual([
      ['deal_created', account.id],
      ['stage_changed', account.id],
    ]);
  });

  it('lists every unmet rule: qualifying → proposal without amount and contact', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const deal = await dealFor(t, ws.admin);
    const before = await writeCounts(t, ws.id);
    const res = await ws.admin.client.post<Blocked>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.proposal,
      version: 1,
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('stage_transition_blocked');
    expect(res.body.unmet.map((u) => [u.rule, u.field])).toEqual([
      ['transition_not_allowed', undefined],
      ['field_required', 'primary_contact_id'],
      ['field_required', 'amount'],
    ]);
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('fills the missing fields in the same move and retries successfully', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const contact = await contactFor(t, ws);
    const deal = await dealFor(t, ws.admin, { stage_id: stages.discovery });
    const blocked = await ws.admin.client.post<Blocked>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.proposal,
      version: 1,
    });
    expect(blocked.body.unmet.map((u) => u.field)).toEqual(['primary_contact_id', 'amount']);
    const partial = await ws.admin.client.post<Blocked>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.proposal,
      version: 1,
      fields: { amount_minor: 90_000_000 },
    });
    expect(partial.body.unmet.map((u) => u.field)).toEqual(['primary_contact_id']);
    const ok = await move(ws, deal.id, {
      stage_id: stages.proposal,
      version: 1,
      fields: { amount_minor: 90_000_000, currency: 'VND', primary_contact_id: contact },
    });
    expect(ok.status, ok.raw).toBe(200);
    expect(ok.body).toMatchObject({
      stage: { code: 'proposal' },
      amount_minor: 90_000_000,
      primary_contact_id: contact,
      contacts: [{ contact_id: contact, role: null }],
      probability: 50,
    });
    const badField = await ws.admin.client.post<ProblemDocument>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.negotiation,
      version: 2,
      fields: { amount_minor: 1.5 },
    });
    expect(badField.status).toBe(422);
    expect(fieldsOf(badField.body)).toEqual(['fields.amount_minor']);
  });

  it('keeps an overridden probability on open stages', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const deal = await dealFor(t, ws.admin, { probability: 33 });
    const res = await move(ws, deal.id, { stage_id: stages.discovery, version: 1 });
    expect(res.body).toMatchObject({ probability: 33, probability_overridden: true });
  });

  it('needs a version; a stale one is 409 version_conflict with the current deal', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const deal = await dealFor(t, ws.admin);
    const missing = await ws.admin.client.post<ProblemDocument>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.discovery,
    });
    expect(missing.status).toBe(422);
    expect(fieldsOf(missing.body)).toEqual(['version']);
    await ws.admin.client.patch(`${BASE}/${deal.id}`, { name: 'changed' });
    const stale = await ws.admin.client.post<ProblemDocument & { current: DealJson }>(
      `${BASE}/${deal.id}/move`,
      {
        stage_id: stages.discovery,
        version: 1,
      },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('version_conflict');
    expect(stale.body.current).toMatchObject({ id: deal.id, name: 'changed', version: 2 });
    const ifMatch = await ws.admin.client.post<DealJson>(
      `${BASE}/${deal.id}/move`,
      { stage_id: stages.discovery },
      { 'if-match': '"2"' },
    );
    expect(ifMatch.status).toBe(200);
  });

  it('two people dragging the same card at once: exactly one 200 and one 409 carrying the current state', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const rep = await addMember(t, ws, 'manager');
    const deal = await dealFor(t, ws.admin, { stage_id: stages.discovery });
    const [a, b] = await Promise.all([
      ws.admin.client.post<MoveOrConflict>(`${BASE}/${deal.id}/move`, {
        stage_id: stages.qualifying,
        version: 1,
      }),
      rep.client.post<MoveOrConflict>(`${BASE}/${deal.id}/move`, {
        stage_id: stages.qualifying,
        version: 1,
      }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? a : b;
    expect(loser.body.code).toBe('version_conflict');
    expect(loser.body.current).toMatchObject({ version: 2, stage_id: stages.qualifying });
    const current = loser.body.current as DealJson;
    expect(current).toEqual({ ...winner.body, abilities: current.abilities });
    const history = await ws.admin.client.get<{ data: StageHistoryEntry[] }>(
      `${BASE}/${deal.id}/stage-history`,
    );
    expect(history.body.data).toHaveLength(2);
  });

  it('refuses a stage of another pipeline or workspace with 422 naming stage_id', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const otherStages = await stagesOf(t, other);
    const deal = await dealFor(t, ws.admin);
    const res = await ws.admin.client.post<ProblemDocument>(`${BASE}/${deal.id}/move`, {
      stage_id: otherStages.discovery,
      version: 1,
    });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['stage_id']);
  });

  it('moving into a closed stage needs crm.deal.close; role rules and ownership apply', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const rep = await addMember(t, ws, 'sales_rep');
    const rep2 = await addMember(t, ws, 'sales_rep');
    const support = await addMember(t, ws, 'support');
    const deal = await dealFor(t, rep, { stage_id: stages.discovery });
    const notMine = await rep2.client.post<ProblemDocument>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.qualifying,
      version: 1,
    });
    expect(notMine.status).toBe(403);
    const supportMove = await support.client.post<ProblemDocument>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.qualifying,
      version: 1,
    });
    expect(supportMove.status).toBe(403);
    const lost = await rep.client.post<DealJson>(`${BASE}/${deal.id}/move`, {
      stage_id: stages.closed_lost,
      version: 1,
      lost_reason: 'Giá cao',
    });
    expect(lost.status, lost.raw).toBe(200);
    expect(lost.body).toMatchObject({ status: 'lost', lost_reason: 'Giá cao', probability: 0 });
  });
});

describe('close', () => {
  async function readyDeal(ws: TestWorkspace) {
    const stages = await stagesOf(t, ws);
    const account = await accountFor(t, ws.admin);
    const contact = await contactFor(t, ws, { accountId: account.id });
    const deal = await dealFor(t, ws.admin, {
      account_id: account.id,
      primary_contact_id: contact,
      amount_minor: 1_000,
      currency: 'USD',
      expected_close_date: '2026-06-30',
      stage_id: stages.negotiation,
    });
    return { deal, stages, account };
  }

  it('wins: status, closed_at, probability 100, deal.won after deal.stage_changed, deal_won on the timeline', async () => {
    const ws = await createWorkspace(t);
    const { deal, stages, account } = await readyDeal(ws);
    const res = await ws.admin.client.post<DealJson>(`${BASE}/${deal.id}/close`, {
      outcome: 'won',
      version: 1,
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      status: 'won',
      stage_id: stages.closed_won,
      probability: 100,
      lost_reason: null,
    });
    expect(res.body.closed_at).not.toBeNull();
    const events = await outboxOf(t, ws.id, deal.id);
    expect(events.map((e) => e.topic)).toEqual(['deal.created', 'deal.stage_changed', 'deal.won']);
    expect(events[2]?.payload.data.deal).toMatchObject({
      status: 'won',
      amount_minor: 1_000,
      currency: 'USD',
    });
    const timeline = await activitiesOf(t, ws.id, deal.id);
    expect(timeline.map((a) => [a.kind, a.account_id])).toEqual([
      ['deal_created', account.id],
      ['deal_won', account.id],
    ]);
    // Idempotent: the same outcome again answers the deal and writes nothing.
    const before = await writeCounts(t, ws.id);
    const again = await ws.admin.client.post<DealJson>(`${BASE}/${deal.id}/close`, { outcome: 'won' });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(res.body.version);
    expect(await writeCounts(t, ws.id)).toEqual(before);
    const other = await ws.admin.client.post<ProblemDocument>(`${BASE}/${deal.id}/close`, {
      outcome: 'lost',
      lost_reason: 'x',
    });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('deal_closed');
  });

  it('lost needs lost_reason (422 naming it); with one, status lost and deal.lost', async () => {
    const ws = await createWorkspace(t);
    const { deal } = await readyDeal(ws);
    const before = await writeCounts(t, ws.id);
    const res = await ws.admin.client.post<ProblemDocument>(`${BASE}/${deal.id}/close`, { outcome: 'lost' });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['lost_reason']);
    expect(await writeCounts(t, ws.id)).toEqual(before);
    const moveLost = await ws.admin.client.post<Blocked>(`${BASE}/${deal.id}/move`, {
      stage_id: (await stagesOf(t, ws)).closed_lost,
      version: 1,
    });
    expect(moveLost.status).toBe(422);
    expect(moveLost.body.unmet.map((u) => u.field)).toEqual(['lost_reason']);
    const ok = await ws.admin.client.post<DealJson>(`${BASE}/${deal.id}/close`, {
      outcome: 'lost',
      lost_reason: 'Đối thủ rẻ hơn',
    });
    expect(ok.status, ok.raw).toBe(200);
    expect(ok.body).toMatchObject({ status: 'lost', lost_reason: 'Đối thủ rẻ hơn', probability: 0 });
    expect((await outboxOf(t, ws.id, deal.id)).map((e) => e.topic).slice(-2)).toEqual([
      'deal.stage_changed',
      'deal.lost',
    ]);
  });

  it('cancels; the rules still apply (qualifying → closed_won is not an allowed move)', async () => {
    const ws = await createWorkspace(t);
    const early = await dealFor(t, ws.admin);
    const blocked = await ws.admin.client.post<Blocked>(`${BASE}/${early.id}/close`, { outcome: 'won' });
    expect(blocked.status).toBe(422);
    expect(blocked.body.unmet.map((u) => u.rule)).toContain('transition_not_allowed');
    const cancelled = await ws.admin.client.post<DealJson>(`${BASE}/${early.id}/close`, {
      outcome: 'cancelled',
    });
    expect(cancelled.status, cancelled.raw).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', stage: { code: 'cancelled' } });
    expect((await outboxOf(t, ws.id, early.id)).map((e) => e.topic).slice(-1)).toEqual(['deal.cancelled']);
  });

  it('reopens when a closed deal moves back to an open stage the rules allow', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    // A free-form pipeline rule: allow closed_lost → negotiation in this workspace.
    await t.db.transaction(ws.id, async (trx) => {
      const { sql } = await import('kysely');
      await sql`INSERT INTO crm_core.crm_pipeline_transitions (tenant_id, pipeline_id, from_stage_id, to_stage_id)
        SELECT tenant_id, pipeline_id, ${stages.closed_lost}::uuid, ${stages.negotiation}::uuid
        FROM crm_core.crm_pipeline_stages WHERE tenant_id = ${ws.id} AND id = ${stages.negotiation}`.execute(
        trx,
      );
    });
    const { deal } = await readyDeal(ws);
    const lost = await ws.admin.client.post<DealJson>(`${BASE}/${deal.id}/close`, {
      outcome: 'lost',
      lost_reason: 'x',
    });
    expect(lost.body.status).toBe('lost');
    const back = await move(ws, deal.id, { stage_id: stages.negotiation, version: lost.body.version });
    expect(back.status, back.raw).toBe(200);
    expect(back.body).toMatchObject({ status: 'open', closed_at: null, lost_reason: null, probability: 75 });
    const wonAgain = await ws.admin.client.post<DealJson>(`${BASE}/${deal.id}/close`, {
      outcome: 'won',
      version: back.body.version,
    });
    expect(wonAgain.status, wonAgain.raw).toBe(200);
    expect(wonAgain.body.status).toBe('won');
  });
});

describe('stage history', () => {
  it('lists moves oldest first with stages, statuses, actor and durations', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const rep = await addMember(t, ws, 'sales_rep');
    const deal = await dealFor(t, rep);
    await rep.client.post(`${BASE}/${deal.id}/move`, { stage_id: stages.discovery, version: 1 });
    await rep.client.post(`${BASE}/${deal.id}/close`, { outcome: 'lost', lost_reason: 'budget' });
    const res = await ws.admin.client.get<{ data: StageHistoryEntry[] }>(`${BASE}/${deal.id}/stage-history`);
    expect(res.status).toBe(200);
    expect(
      res.body.data.map((h) => [
        h.from_stage?.code ?? null,
        h.to_stage.code,
        h.from_status,
        h.to_status,
        h.probability,
      ]),
    ).toEqual([
      [null, 'qualifying', null, 'open', 10],
      ['qualifying', 'discovery', 'open', 'open', 25],
      ['discovery', 'closed_lost', 'open', 'lost', 0],
    ]);
    for (const h of res.body.data) {
      expect(h.actor).toEqual({ type: 'user', id: rep.userId });
      expect(h.ms_in_stage).toBeGreaterThanOrEqual(0);
    }
    expect(res.body.data[0]?.ms_in_from_stage).toBeNull();
    expect(res.body.data[1]?.ms_in_from_stage).toBeGreaterThanOrEqual(0);
    expect(res.body.data[1]?.ms_in_from_stage).toBe(res.body.data[0]?.ms_in_stage);
    expect(res.body.data[0]?.to_stage).toMatchObject({
      name_vi: 'Đánh giá',
      name_en: 'Qualifying',
      category: 'open',
    });
  });
});
