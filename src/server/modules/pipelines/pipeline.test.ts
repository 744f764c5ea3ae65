import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditOf,
  insertDealRow,
  outboxOf,
  pipelineFor,
  writeCounts,
} from '../../../../test/factories/pipelines.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { PipelineJson, StageJson } from './pipeline.presenter.js';
import { PIPELINE_TEMPLATES } from './pipeline.templates.js';

/**
 * The pipelines REST API end to end on a real database: the default pipeline every workspace gets,
 * creation from templates or explicit stages, update (default switching, If-Match), delete rules,
 * transition rules as data, admin-only writes, workspace isolation, audit rows and outbox events.
 * Stages have their own file (pipeline.stages.test.ts).
 */

const BASE = '/crm/v1/pipelines';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function pipelines(ws: TestWorkspace): Promise<PipelineJson[]> {
  const res = await ws.admin.client.get<{ data: PipelineJson[] }>(BASE);
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
}

async function defaultOf(ws: TestWorkspace): Promise<PipelineJson> {
  const p = (await pipelines(ws)).find((x) => x.is_default);
  if (!p) throw new Error('no default pipeline');
  return p;
}

const stageBy = (p: PipelineJson, code: string): StageJson => {
  const s = p.stages.find((x) => x.code === code);
  if (!s) throw new Error(`no stage ${code}`);
  return s;
};

/** Moves as "from>to" stage codes, sorted. */
const movesOf = (p: PipelineJson): string[] => {
  const code = new Map(p.stages.map((s) => [s.id, s.code]));
  return p.transitions.map((m) => `${code.get(m.from_stage_id)}>${code.get(m.to_stage_id)}`).sort();
};

describe('the default pipeline of a new workspace', () => {
  it('is the seed’s sales pipeline: 7 stages with vi/en names, probabilities, categories, outcomes', async () => {
    const ws = await createWorkspace(t);
    const list = await pipelines(ws);
    expect(list).toHaveLength(1);
    const p = list[0] as PipelineJson;
    expect(p).toMatchObject({
      name: 'Sales',
      kind: 'sales',
      is_default: true,
      enforce_transitions: true,
      deleted_at: null,
      abilities: ['update', 'manage_stages', 'delete'],
    });
    expect(
      p.stages.map((s) => [
        s.code,
        s.name_vi,
        s.name_en,
        s.position,
        s.default_probability,
        s.category,
        s.outcome,
      ]),
    ).toEqual([
      ['qualifying', 'Đánh giá', 'Qualifying', 0, 10, 'open', null],
      ['discovery', 'Khám phá', 'Discovery', 1, 25, 'open', null],
      ['proposal', 'Đề xuất', 'Proposal', 2, 50, 'open', null],
      ['negotiation', 'Đàm phán', 'Negotiation', 3, 75, 'open', null],
      ['closed_won', 'Thắng', 'Closed Won', 4, 100, 'won', 'won'],
      ['closed_lost', 'Thua', 'Closed Lost', 5, 0, 'lost', 'lost'],
      ['cancelled', 'Huỷ', 'Cancelled', 6, 0, 'lost', 'cancelled'],
    ]);
    expect(stageBy(p, 'proposal').required_fields).toEqual(['amount', 'primary_contact_id']);
    expect(stageBy(p, 'closed_lost').required_fields).toEqual(['lost_reason']);
    // The seed's lifecycle diagram + one step back between neighbouring open stages.
    expect(movesOf(p)).toEqual(
      [
        'qualifying>discovery',
        'discovery>proposal',
        'proposal>negotiation',
        'negotiation>closed_won',
        'negotiation>closed_lost',
        'negotiation>cancelled',
        'discovery>closed_lost',
        'proposal>closed_lost',
        'qualifying>cancelled',
        'discovery>qualifying',
        'proposal>discovery',
        'negotiation>proposal',
      ].sort(),
    );
  });

  it('is exactly what the `sales` template builds (one definition in SQL, one in TS, kept equal)', async () => {
    const ws = await createWorkspace(t);
    const seeded = await defaultOf(ws);
    const res = await ws.admin.client.post<PipelineJson>(BASE, { name: 'Sales 2', template: 'sales' });
    expect(res.status, res.raw).toBe(201);
    const shape = (p: PipelineJson) =>
      p.stages.map(({ id: _i, pipeline_id: _p, created_at: _c, updated_at: _u, version: _v, ...s }) => s);
    expect(shape(res.body)).toEqual(shape(seeded));
    expect(movesOf(res.body)).toEqual(movesOf(seeded));
    expect(res.body.kind).toBe('custom');
  });
});

describe('GET', () => {
  it('gets one pipeline with an ETag; unknown or malformed ids are 404 / 422', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const res = await ws.admin.client.get<PipelineJson>(`${BASE}/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual(p);
    const missing = await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('pipeline_not_found');
    const bad = await ws.admin.client.get(`${BASE}/nope`);
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['id']);
  });

  it('lists by position, then name; every member reads, only admins get abilities', async () => {
    const ws = await createWorkspace(t);
    await pipelineFor(t, ws.admin, { name: 'Zeta', position: 5 });
    await pipelineFor(t, ws.admin, { name: 'Alpha', position: 5 });
    await pipelineFor(t, ws.admin, { name: 'First', position: 0 });
    const names = (await pipelines(ws)).map((p) => p.name);
    expect(names).toEqual(['First', 'Sales', 'Alpha', 'Zeta']);
    for (const role of ['manager', 'sales_rep', 'viewer', 'support', 'marketing'] as const) {
      const m = await addMember(t, ws, role);
      const res = await m.client.get<{ data: PipelineJson[] }>(BASE);
      expect(res.status, role).toBe(200);
      expect(res.body.data.map((p) => p.name)).toEqual(names);
      expect(res.body.data.every((p) => p.abilities.length === 0)).toBe(true);
    }
  });
});

describe('POST /pipelines', () => {
  it.each(['partner', 'inbound', 'outbound', 'custom'] as const)(
    'kind %s without stages gets the kind’s preset, with linear moves',
    async (kind) => {
      const ws = await createWorkspace(t);
      const res = await ws.admin.client.post<PipelineJson>(BASE, { name: `P ${kind}`, kind });
      expect(res.status, res.raw).toBe(201);
      expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');
      const p = res.body;
      expect(p).toMatchObject({ kind, is_default: false, enforce_transitions: true, position: 1 });
      const tpl = PIPELINE_TEMPLATES[kind];
      expect(p.stages.map((s) => s.code)).toEqual(tpl.stages.map((s) => s.code));
      expect(p.stages.map((s) => s.position)).toEqual(tpl.stages.map((_, i) => i));
      for (const s of p.stages) {
        expect(s.name_vi.length).toBeGreaterThan(0);
        expect(s.name_en.length).toBeGreaterThan(0);
        expect(s.name_vi).not.toBe(s.name_en);
      }
      const opens = p.stages.filter((s) => s.category === 'open');
      const closed = p.stages.filter((s) => s.category !== 'open');
      expect(opens.length).toBeGreaterThan(0);
      expect(p.stages.some((s) => s.outcome === 'won')).toBe(true);
      expect(p.stages.some((s) => s.outcome === 'lost')).toBe(true);
      // probabilities rise along the open stages
      const probs = opens.map((s) => s.default_probability);
      expect([...probs].sort((a, b) => a - b)).toEqual(probs);
      expect(p.transitions).toHaveLength((opens.length - 1) * 2 + opens.length * closed.length);
      // the default pipeline is untouched
      expect((await pipelines(ws)).filter((x) => x.is_default).map((x) => x.name)).toEqual(['Sales']);
    },
  );

  it('explicit stages with explicit moves by code; outcome derived from the category', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<PipelineJson>(BASE, {
      name: 'Dự án',
      kind: 'custom',
      enforce_transitions: false,
      stages: [
        { code: 'lead', name_vi: 'Tiềm năng', name_en: 'Lead', default_probability: 10, category: 'open' },
        {
          code: 'quote',
          name_vi: 'Báo giá',
          name_en: 'Quote',
          default_probability: 60,
          category: 'open',
          required_fields: ['amount', 'amount', 'account_id'],
          allowed_roles: ['manager'],
          rotting_days: 7,
        },
        { code: 'done', name_vi: 'Xong', name_en: 'Done', default_probability: 100, category: 'won' },
        { code: 'lost', name_vi: 'Mất', name_en: 'Lost', default_probability: 0, category: 'lost' },
        {
          code: 'void',
          name_vi: 'Huỷ',
          name_en: 'Void',
          default_probability: 0,
          category: 'lost',
          outcome: 'cancelled',
        },
      ],
      transitions: [
        { from: 'lead', to: 'quote' },
        { from: 'quote', to: 'done' },
        { from: 'quote', to: 'done' },
      ],
    });
    expect(res.status, res.raw).toBe(201);
    const p = res.body;
    expect(p.enforce_transitions).toBe(false);
    expect(p.stages.map((s) => [s.code, s.position, s.outcome])).toEqual([
      ['lead', 0, null],
      ['quote', 1, null],
      ['done', 2, 'won'],
      ['lost', 3, 'lost'],
      ['void', 4, 'cancelled'],
    ]);
    expect(stageBy(p, 'quote')).toMatchObject({
      required_fields: ['amount', 'account_id'],
      allowed_roles: ['manager'],
      rotting_days: 7,
    });
    expect(movesOf(p)).toEqual(['lead>quote', 'quote>done']);
  });

  it('"linear" transitions over explicit stages; a template with its own moves', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<PipelineJson>(BASE, {
      name: 'Linear',
      template: 'custom',
      transitions: 'linear',
    });
    expect(res.status, res.raw).toBe(201);
    expect(movesOf(res.body)).toEqual(
      [
        'new>in_progress',
        'in_progress>new',
        'new>won',
        'new>lost',
        'in_progress>won',
        'in_progress>lost',
      ].sort(),
    );
    const empty = await ws.admin.client.post<PipelineJson>(BASE, {
      name: 'No moves',
      template: 'partner',
      transitions: [],
    });
    expect(empty.status).toBe(201);
    expect(empty.body.transitions).toEqual([]);
  });

  it('is_default: true takes the default from the old one in the same request', async () => {
    const ws = await createWorkspace(t);
    const old = await defaultOf(ws);
    const res = await ws.admin.client.post<PipelineJson>(BASE, { name: 'New default', is_default: true });
    expect(res.status, res.raw).toBe(201);
    const list = await pipelines(ws);
    expect(list.filter((p) => p.is_default).map((p) => p.id)).toEqual([res.body.id]);
    expect(list.find((p) => p.id === old.id)).toMatchObject({ is_default: false, version: 2 });
  });

  it('422 naming the field for bad input, nothing written', async () => {
    const ws = await createWorkspace(t);
    const before = await writeCounts(t, ws.id);
    const open = (code: string) => ({
      code,
      name_vi: 'Mở',
      name_en: 'Open',
      default_probability: 10,
      category: 'open',
    });
    const cases: Array<[unknown, string[]]> = [
      [{}, ['name']],
      [{ name: '' }, ['name']],
      [{ name: 'x'.repeat(101) }, ['name']],
      [{ name: 'A', kind: 'retail' }, ['kind']],
      [{ name: 'A', colour: 'red' }, ['colour']],
      [{ name: 'A', template: 'sales', stages: [open('a')] }, ['template']],
      [{ name: 'A', stages: [] }, ['stages']],
      [{ name: 'A', stages: [{ ...open('a'), code: 'Bad Code' }] }, ['stages.0.code']],
      [{ name: 'A', stages: [{ ...open('a'), code: '1abc' }] }, ['stages.0.code']],
      [{ name: 'A', stages: [{ ...open('a'), code: 'a'.repeat(51) }] }, ['stages.0.code']],
      [{ name: 'A', stages: [open('a'), open('b'), open('a')] }, ['stages.2.code']],
      [{ name: 'A', stages: [{ ...open('a'), default_probability: 101 }] }, ['stages.0.default_probability']],
      [{ name: 'A', stages: [{ ...open('a'), default_probability: 5.5 }] }, ['stages.0.default_probability']],
      [{ name: 'A', stages: [{ ...open('a'), outcome: 'won' }] }, ['stages.0.outcome']],
      [
        { name: 'A', stages: [open('a'), { ...open('b'), category: 'won', outcome: 'lost' }] },
        ['stages.1.outcome'],
      ],
      [{ name: 'A', stages: [{ ...open('a'), category: 'lost', outcome: 'won' }] }, ['stages.0.outcome']],
      [
        { name: 'A', stages: [{ ...open('a'), required_fields: ['amount', 'budget'] }] },
        ['stages.0.required_fields.1'],
      ],
      [{ name: 'A', stages: [{ ...open('a'), allowed_roles: ['boss'] }] }, ['stages.0.allowed_roles.0']],
      [{ name: 'A', stages: [{ ...open('a'), rotting_days: 0 }] }, ['stages.0.rotting_days']],
      [{ name: 'A', stages: [{ ...open('a'), category: 'won' }] }, ['stages']],
      [
        { name: 'A', stages: [open('a'), open('b')], transitions: [{ from: 'a', to: 'zz' }] },
        ['transitions.0.to'],
      ],
      [
        { name: 'A', stages: [open('a'), open('b')], transitions: [{ from: 'x', to: 'b' }] },
        ['transitions.0.from'],
      ],
      [
        { name: 'A', stages: [open('a'), open('b')], transitions: [{ from: 'a', to: 'a' }] },
        ['transitions.0.to'],
      ],
      [{ name: 'A', transitions: 'circular' }, ['transitions']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post(BASE, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    expect(await writeCounts(t, ws.id)).toEqual(before);
    expect(await pipelines(ws)).toHaveLength(1);
  });

  it('409 naming `name` for a name already used (case-insensitive); a deleted pipeline’s name is free', async () => {
    const ws = await createWorkspace(t);
    const dup = await ws.admin.client.post(BASE, { name: 'sALES' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
    expect(fieldsOf(dup.body)).toEqual(['name']);
    const other = await pipelineFor(t, ws.admin, { name: 'Đối tác' });
    expect((await ws.admin.client.delete(`${BASE}/${other.id}`)).status).toBe(200);
    expect((await ws.admin.client.post(BASE, { name: 'Đối tác' })).status).toBe(201);
  });
});

describe('PATCH /pipelines/{id}', () => {
  it('changes name, kind, position, enforce_transitions; ETag and version advance', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin, { name: 'Inbound', kind: 'inbound' });
    const res = await ws.admin.client.patch<PipelineJson>(
      `${BASE}/${p.id}`,
      { name: 'Inbound VN', kind: 'outbound', position: 9, enforce_transitions: false },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      name: 'Inbound VN',
      kind: 'outbound',
      position: 9,
      enforce_transitions: false,
      version: 2,
      updated_by: ws.admin.userId,
    });
    // stages are untouched
    expect(res.body.stages).toEqual(p.stages);
    // a no-op PATCH: same version, no audit row
    const same = await ws.admin.client.patch<PipelineJson>(`${BASE}/${p.id}`, { name: 'Inbound VN' });
    expect(same.body.version).toBe(2);
    expect((await auditOf(ws, p.id)).map((a) => a.action)).toEqual(['pipeline.created', 'pipeline.updated']);
  });

  it('412 for a stale If-Match or body version, 400 for a malformed one, 422 for no fields', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin);
    const stale = await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'x' }, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect(stale.body.current_version).toBe(1);
    expect(stale.headers.etag).toBe('"1"');
    expect((await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'x', version: 3 })).status).toBe(412);
    expect(
      (await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'x' }, { 'if-match': 'nope' })).status,
    ).toBe(400);
    const none = await ws.admin.client.patch(`${BASE}/${p.id}`, {});
    expect(none.status).toBe(422);
    const bad = await ws.admin.client.patch(`${BASE}/${p.id}`, { kind: 'x', stages: [] });
    expect(fieldsOf(bad.body)).toEqual(['kind', 'stages']);
    expect((await ws.admin.client.patch(`${BASE}/${UNKNOWN_ID}`, { name: 'x' })).status).toBe(404);
  });

  it('exactly one default: setting one unsets the other in the same transaction; unsetting is refused', async () => {
    const ws = await createWorkspace(t);
    const sales = await defaultOf(ws);
    const p = await pipelineFor(t, ws.admin, { name: 'Partner', kind: 'partner' });
    const res = await ws.admin.client.patch<PipelineJson>(`${BASE}/${p.id}`, { is_default: true });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.is_default).toBe(true);
    const list = await pipelines(ws);
    expect(list.filter((x) => x.is_default).map((x) => x.id)).toEqual([p.id]);
    expect((await auditOf(ws, sales.id)).at(-1)?.diff).toEqual({ is_default: { from: true, to: false } });
    expect((await outboxOf(t, ws.id, sales.id)).map((e) => e.topic)).toEqual(['pipeline.updated']);

    const unset = await ws.admin.client.patch(`${BASE}/${p.id}`, { is_default: false });
    expect(unset.status).toBe(422);
    expect(fieldsOf(unset.body)).toEqual(['is_default']);
    // setting it again on the default is a no-op
    const again = await ws.admin.client.patch<PipelineJson>(`${BASE}/${p.id}`, { is_default: true });
    expect(again.body.version).toBe(res.body.version);
  });

  it('409 naming `name` when renamed onto another pipeline’s name', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin, { name: 'Two' });
    const res = await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'sales' });
    expect(res.status).toBe(409);
    expect(fieldsOf(res.body)).toEqual(['name']);
    // a change of case of its own name is fine
    expect((await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'TWO' })).status).toBe(200);
  });
});

describe('DELETE /pipelines/{id}', () => {
  it('soft-deletes an empty pipeline: gone from GET and the list', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin);
    const res = await ws.admin.client.delete<PipelineJson>(`${BASE}/${p.id}`, { 'if-match': '"1"' });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.deleted_at).not.toBeNull();
    expect(res.body.abilities).toEqual([]);
    expect((await ws.admin.client.get(`${BASE}/${p.id}`)).status).toBe(404);
    expect((await pipelines(ws)).map((x) => x.id)).not.toContain(p.id);
    expect((await ws.admin.client.delete(`${BASE}/${p.id}`)).status).toBe(404);
    expect((await ws.admin.client.patch(`${BASE}/${p.id}`, { name: 'back' })).status).toBe(404);
  });

  it('409 pipeline_has_deals while a live deal is in it; a deleted deal does not count', async () => {
    const ws = await createWorkspace(t);
    const p = await pipelineFor(t, ws.admin);
    const first = p.stages[0] as StageJson;
    const deal = await insertDealRow(t, ws, p.id, first);
    await insertDealRow(t, ws, p.id, first, { deleted: true });
    const res = await ws.admin.client.delete(`${BASE}/${p.id}`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('pipeline_has_deals');
    expect(res.body.deal_count).toBe(1);
    await t.platform.write({ actor: ws.admin.actor, requestId: 't' }, (uow) =>
      uow.trx
        .updateTable('crm_core.crm_deals')
        .set({ deleted_at: new Date() })
        .where('tenant_id', '=', ws.id)
        .where('id', '=', deal.id)
        .execute(),
    );
    expect((await ws.admin.client.delete(`${BASE}/${p.id}`)).status).toBe(200);
  });

  it('the default pipeline cannot be deleted (409, saying why), whether or not it is the only one', async () => {
    const ws = await createWorkspace(t);
    const sales = await defaultOf(ws);
    const only = await ws.admin.client.delete(`${BASE}/${sales.id}`);
    expect(only.status).toBe(409);
    expect(only.body.code).toBe('conflict');
    expect(only.body.reason).toBe('only_pipeline');
    expect(only.body.detail).toMatch(/only pipeline/);
    await pipelineFor(t, ws.admin);
    const stillDefault = await ws.admin.client.delete(`${BASE}/${sales.id}`);
    expect(stillDefault.status).toBe(409);
    expect(stillDefault.body.reason).toBe('default_pipeline');
    expect(stillDefault.body.detail).toMatch(/make another pipeline the default/);
    expect((await pipelines(ws)).map((p) => p.id)).toContain(sales.id);
  });
});

describe('PUT /pipelines/{id}/transitions', () => {
  it('replaces the allowed moves (deduplicated); shown in GET; an empty set is allowed', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const s = (c: string) => stageBy(p, c).id;
    const res = await ws.admin.client.put<PipelineJson>(`${BASE}/${p.id}/transitions`, {
      moves: [
        { from_stage_id: s('qualifying'), to_stage_id: s('proposal') },
        { from_stage_id: s('proposal'), to_stage_id: s('closed_won') },
        { from_stage_id: s('proposal'), to_stage_id: s('closed_won') },
      ],
    });
    expect(res.status, res.raw).toBe(200);
    expect(movesOf(res.body)).toEqual(['proposal>closed_won', 'qualifying>proposal']);
    const got = await ws.admin.client.get<PipelineJson>(`${BASE}/${p.id}`);
    expect(movesOf(got.body)).toEqual(['proposal>closed_won', 'qualifying>proposal']);
    const cleared = await ws.admin.client.put<PipelineJson>(`${BASE}/${p.id}/transitions`, { moves: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.transitions).toEqual([]);

    const audit = (await auditOf(ws, p.id)).filter((a) => a.action === 'pipeline.transitions_changed');
    expect(audit).toHaveLength(2);
    expect(audit[0]?.diff.transitions?.to).toEqual(['proposal→closed_won', 'qualifying→proposal']);
    expect(audit[1]?.diff.transitions).toEqual({
      from: ['proposal→closed_won', 'qualifying→proposal'],
      to: [],
    });
    const events = (await outboxOf<{ transitions: unknown[] }>(t, ws.id, p.id)).filter(
      (e) => e.topic === 'pipeline.transitions_changed',
    );
    expect(events.map((e) => e.payload.data.transitions.length)).toEqual([2, 0]);
    // the same set again writes nothing
    const before = await writeCounts(t, ws.id);
    await ws.admin.client.put(`${BASE}/${p.id}/transitions`, { moves: [] });
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('422 naming the move for a stage of another pipeline, a removed stage, or from = to', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const other = await pipelineFor(t, ws.admin);
    const a = stageBy(p, 'qualifying').id;
    const b = stageBy(p, 'discovery').id;
    const foreign = (other.stages[0] as StageJson).id;
    const cases: Array<[unknown, string]> = [
      [{ moves: [{ from_stage_id: foreign, to_stage_id: b }] }, 'moves.0.from_stage_id'],
      [
        {
          moves: [
            { from_stage_id: a, to_stage_id: b },
            { from_stage_id: a, to_stage_id: foreign },
          ],
        },
        'moves.1.to_stage_id',
      ],
      [{ moves: [{ from_stage_id: a, to_stage_id: a }] }, 'moves.0.to_stage_id'],
      [{ moves: [{ from_stage_id: 'x', to_stage_id: a }] }, 'moves.0.from_stage_id'],
      [{ moves: [{ from_stage_id: a }] }, 'moves.0.to_stage_id'],
      [{}, 'moves'],
    ];
    for (const [body, field] of cases) {
      const res = await ws.admin.client.put(`${BASE}/${p.id}/transitions`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(fieldsOf(res.body)).toEqual([field]);
    }
    expect(movesOf(await defaultOf(ws))).toEqual(movesOf(p));
  });
});

describe('admin-only writes', () => {
  it('managers, sales reps and viewers read but get 403 on every write', async () => {
    const ws = await createWorkspace(t);
    const p = await defaultOf(ws);
    const stage = stageBy(p, 'qualifying');
    const before = await writeCounts(t, ws.id);
    for (const role of ['manager', 'sales_rep', 'viewer'] as const) {
      const m = await addMember(t, ws, role);
      const c = m.client;
      expect((await c.get(`${BASE}/${p.id}`)).status).toBe(200);
      const writes = [
        await c.post(BASE, { name: 'Mine' }),
        await c.patch(`${BASE}/${p.id}`, { name: 'Mine' }),
        await c.delete(`${BASE}/${p.id}`),
        await c.post(`${BASE}/${p.id}/stages`, {
          code: 'x',
          name_vi: 'x',
          name_en: 'x',
          default_probability: 1,
          category: 'open',
        }),
        await c.patch(`${BASE}/${p.id}/stages/${stage.id}`, { name_en: 'x' }),
        await c.post(`${BASE}/${p.id}/stages/reorder`, { stage_ids: p.stages.map((s) => s.id) }),
        await c.delete(`${BASE}/${p.id}/stages/${stage.id}`),
        await c.put(`${BASE}/${p.id}/transitions`, { moves: [] }),
      ];
      for (const w of writes) {
        expect(w.status, `${role} ${w.raw}`).toBe(403);
        expect(w.body.code).toBe('forbidden');
      }
    }
    const after = await writeCounts(t, ws.id);
    // only the three memberships were written
    expect(after.outbox).toBe(before.outbox);
    expect(after.audit).toBe(before.audit + 3);
  });

  it('an admin’s API key without crm.admin cannot write pipelines (403 insufficient_scope)', async () => {
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    expect((await key.client.get(BASE)).status).toBe(200);
    const res = await key.client.post(BASE, { name: 'Via key' }, { 'idempotency-key': 'k-1' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    const adminKey = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.admin']);
    const ok = await adminKey.client.post<PipelineJson>(
      BASE,
      { name: 'Via key' },
      { 'idempotency-key': 'k-2' },
    );
    expect(ok.status, ok.raw).toBe(201);
    const audit = await auditOf(ws, ok.body.id);
    expect(audit[0]?.actor.type).toBe('api_key');
  });
});

describe('workspace isolation', () => {
  it('B cannot read or change A’s pipelines, stages or moves; A’s never appear in B’s list', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const pa = await pipelineFor(t, a.admin, { name: 'A only', kind: 'partner' });
    const aDefault = await defaultOf(a);
    const stageA = pa.stages[0] as StageJson;
    const pb = await defaultOf(b);
    const stageB = stageBy(pb, 'qualifying');
    const c = b.admin.client;

    const listB = await pipelines(b);
    const idsB = listB.flatMap((p) => [p.id, ...p.stages.map((s) => s.id)]);
    for (const id of [
      pa.id,
      aDefault.id,
      ...pa.stages.map((s) => s.id),
      ...aDefault.stages.map((s) => s.id),
    ]) {
      expect(idsB).not.toContain(id);
    }
    expect(listB).toHaveLength(1);

    const before = await writeCounts(t, a.id);
    const notFound = [
      await c.get(`${BASE}/${pa.id}`),
      await c.patch(`${BASE}/${pa.id}`, { name: 'Stolen' }),
      await c.patch(`${BASE}/${aDefault.id}`, { is_default: true }),
      await c.delete(`${BASE}/${pa.id}`),
      await c.post(`${BASE}/${pa.id}/stages`, {
        code: 'x',
        name_vi: 'x',
        name_en: 'x',
        default_probability: 1,
        category: 'open',
      }),
      await c.patch(`${BASE}/${pa.id}/stages/${stageA.id}`, { name_en: 'x' }),
      await c.post(`${BASE}/${pa.id}/stages/reorder`, { stage_ids: pa.stages.map((s) => s.id) }),
      await c.delete(`${BASE}/${pa.id}/stages/${stageA.id}`),
      await c.put(`${BASE}/${pa.id}/transitions`, { moves: [] }),
    ];
    for (const r of notFound) {
      expect(r.status, r.raw).toBe(404);
      expect(r.body.code).toBe('pipeline_not_found');
    }
    // A's stage through B's own pipeline
    const viaOwn = [
      await c.patch(`${BASE}/${pb.id}/stages/${stageA.id}`, { name_en: 'x' }),
      await c.delete(`${BASE}/${pb.id}/stages/${stageA.id}`),
    ];
    for (const r of viaOwn) {
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('stage_not_found');
    }
    const moves = await c.put(`${BASE}/${pb.id}/transitions`, {
      moves: [{ from_stage_id: stageB.id, to_stage_id: stageA.id }],
    });
    expect(moves.status).toBe(422);
    expect(fieldsOf(moves.body)).toEqual(['moves.0.to_stage_id']);
    const reorder = await c.post(`${BASE}/${pb.id}/stages/reorder`, {
      stage_ids: [...pb.stages.slice(1).map((s) => s.id), stageA.id],
    });
    expect(reorder.status).toBe(422);
    await insertDealRow(t, b, pb.id, stageB);
    const moveInto = await c.delete(`${BASE}/${pb.id}/stages/${stageB.id}?move_deals_to=${stageA.id}`);
    expect(moveInto.status).toBe(422);
    expect(fieldsOf(moveInto.body)).toEqual(['move_deals_to']);

    expect(await writeCounts(t, a.id)).toEqual(before);
    expect(await ws_get(a, pa.id)).toEqual(pa);
  });
});

async function ws_get(ws: TestWorkspace, id: string): Promise<PipelineJson> {
  const res = await ws.admin.client.get<PipelineJson>(`${BASE}/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

describe('audit and events', () => {
  it('pipeline.created / updated / deleted: one audit row with a diff and one event each', async () => {
    const ws = await createWorkspace(t);
    const created = await ws.admin.client.post<PipelineJson>(BASE, { name: 'Audited', kind: 'inbound' });
    const id = created.body.id;
    await ws.admin.client.patch(`${BASE}/${id}`, { name: 'Audited 2', enforce_transitions: false });
    const deleted = await ws.admin.client.delete<PipelineJson>(`${BASE}/${id}`);
    const audit = await auditOf(ws, id);
    expect(audit.map((a) => a.action)).toEqual(['pipeline.created', 'pipeline.updated', 'pipeline.deleted']);
    for (const a of audit) {
      expect(a.entity_type).toBe('pipeline');
      expect(a.actor).toMatchObject({ type: 'user', id: ws.admin.userId });
    }
    expect(audit[0]?.diff).toMatchObject({
      name: { from: null, to: 'Audited' },
      kind: { from: null, to: 'inbound' },
      stages: { from: null, to: PIPELINE_TEMPLATES.inbound.stages.map((s) => s.code) },
    });
    expect(audit[1]?.diff).toEqual({
      name: { from: 'Audited', to: 'Audited 2' },
      enforce_transitions: { from: true, to: false },
    });
    expect(audit[2]?.diff).toEqual({ deleted_at: { from: null, to: deleted.body.deleted_at } });

    const events = await outboxOf<{ pipeline: { name: string }; stages?: unknown[]; changes?: unknown }>(
      t,
      ws.id,
      id,
    );
    expect(events.map((e) => e.topic)).toEqual(['pipeline.created', 'pipeline.updated', 'pipeline.deleted']);
    for (const e of events) {
      expect(e.aggregate_type).toBe('pipeline');
      expect(e.payload.workspace_id).toBe(ws.id);
      expect(e.payload.actor).toEqual({ type: 'user', id: ws.admin.userId });
    }
    expect(events[0]?.payload.data.stages).toHaveLength(PIPELINE_TEMPLATES.inbound.stages.length);
    expect(events[1]?.payload.data.changes).toEqual(audit[1]?.diff);
    const chain = await ws.admin.client.get<{ ok: boolean }>('/crm/v1/audit/verify');
    expect(chain.body.ok).toBe(true);
  });
});
