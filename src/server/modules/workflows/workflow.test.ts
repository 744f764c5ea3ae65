import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOf, outboxOf } from '../../../../test/factories/pipelines.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { WorkflowJson } from './workflow.presenter.js';
import type { Page } from './workflow.service.js';

/**
 * Workflow definitions through the API: CRUD with audit and events, validation naming the field (shape
 * by zod, fields/placeholders/actions by the trigger's catalogue entry, also on PATCH of the merged
 * definition), If-Match, the catalogue, admin-only access (role and scope), isolation between workspaces.
 */

const BASE = '/crm/v1/workflows';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

const proposalTask = {
  name: 'Proposal follow-up',
  trigger: 'deal.stage_changed',
  conditions: [{ field: 'change.to_stage_code', op: 'eq', value: 'proposal' }],
  actions: [
    { type: 'create_task', title: 'Gửi báo giá: {{deal.name}}', due_in_amount: 2, due_in_unit: 'days' },
  ],
};

async function create(ws: TestWorkspace, body: Record<string, unknown> = {}): Promise<WorkflowJson> {
  const res = await ws.admin.client.post<WorkflowJson>(BASE, { ...proposalTask, ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

describe('POST /workflows', () => {
  it('creates a workflow with defaults, audit row and workflow.created event', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<WorkflowJson>(BASE, proposalTask);
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
    expect(res.body).toMatchObject({
      name: 'Proposal follow-up',
      enabled: true,
      trigger: 'deal.stage_changed',
      conditions: proposalTask.conditions,
      last_run: null,
      version: 1,
      abilities: ['update', 'delete'],
    });
    expect(res.body.actions[0]).toEqual({
      type: 'create_task',
      title: 'Gửi báo giá: {{deal.name}}',
      due_in_amount: 2,
      due_in_unit: 'days',
      assignee: 'record_owner',
    });
    const audit = await auditOf(ws, res.body.id);
    expect(audit.map((a) => a.action)).toEqual(['workflow.created']);
    const events = await outboxOf(t, ws.id, res.body.id);
    expect(events.map((e) => e.topic)).toEqual(['workflow.created']);
  });

  it('422 names the offending field', async () => {
    const ws = await createWorkspace(t);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ trigger: 'deal.exploded' }, ['trigger']],
      [{ conditions: [{ field: 'deal.colour', op: 'eq', value: 'red' }] }, ['conditions.0.field']],
      [{ conditions: [{ field: 'deal.name', op: 'in', value: 'x' }] }, ['conditions.0.value']],
      [{ conditions: [{ field: 'deal.name', op: 'matches', value: 'x' }] }, ['conditions.0.op']],
      [{ actions: [] }, ['actions']],
      [{ actions: [{ type: 'send_sms', text: 'hi' }] }, ['actions.0.type']],
      [{ actions: [{ type: 'create_task', title: 'For {{deal.nobody}}' }] }, ['actions.0.title']],
      [{ actions: [{ type: 'create_task', title: 'x', assignee: 'member' }] }, ['actions.0.member_id']],
      [
        { trigger: 'account.created', conditions: [], actions: [{ type: 'add_deal_tag', tag: 'vip' }] },
        ['actions.0.type'],
      ],
      [{ name: '' }, ['name']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post<ProblemDocument>(BASE, { ...proposalTask, ...body });
      expect(res.status, `${JSON.stringify(body)} → ${res.raw}`).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    const list = await ws.admin.client.get<Page<WorkflowJson>>(BASE);
    expect(list.body.data).toEqual([]);
  });
});

describe('GET, PATCH, DELETE /workflows/{id}', () => {
  it('reads, lists, changes with If-Match, validates the merged definition, deletes', async () => {
    const ws = await createWorkspace(t);
    const wf = await create(ws);
    await create(ws, { name: 'Second' });

    const got = await ws.admin.client.get<WorkflowJson>(`${BASE}/${wf.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    const list = await ws.admin.client.get<Page<WorkflowJson>>(`${BASE}?limit=1`);
    expect(list.body.data.map((w) => w.name)).toEqual(['Second']);
    expect(list.body.page.has_more).toBe(true);
    const rest = await ws.admin.client.get<Page<WorkflowJson>>(
      `${BASE}?limit=1&cursor=${list.body.page.next_cursor}`,
    );
    expect(rest.body.data.map((w) => w.id)).toEqual([wf.id]);

    // A new trigger must fit the kept conditions: deal.* fields are not account.created's.
    const misfit = await ws.admin.client.patch<ProblemDocument>(
      `${BASE}/${wf.id}`,
      { trigger: 'account.created' },
      { 'if-match': '"1"' },
    );
    expect(misfit.status, misfit.raw).toBe(422);
    expect(fieldsOf(misfit.body)).toEqual(['actions.0.title', 'conditions.0.field']);

    const off = await ws.admin.client.patch<WorkflowJson>(
      `${BASE}/${wf.id}`,
      { enabled: false },
      { 'if-match': '"1"' },
    );
    expect(off.status, off.raw).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, version: 2 });
    expect(off.headers.etag).toBe('"2"');

    const stale = await ws.admin.client.patch<ProblemDocument>(
      `${BASE}/${wf.id}`,
      { name: 'x' },
      { 'if-match': '"1"' },
    );
    expect(stale.status).toBe(412);

    const del = await ws.admin.client.delete<WorkflowJson>(`${BASE}/${wf.id}`);
    expect(del.status, del.raw).toBe(200);
    expect(del.body.deleted_at).not.toBeNull();
    expect((await ws.admin.client.get(`${BASE}/${wf.id}`)).status).toBe(404);
    expect((await ws.admin.client.get(`${BASE}/${wf.id}/runs`)).status).toBe(404);
    const after = await ws.admin.client.get<Page<WorkflowJson>>(BASE);
    expect(after.body.data.map((w) => w.name)).toEqual(['Second']);
    const audit = await auditOf(ws, wf.id);
    expect(audit.map((a) => a.action)).toEqual(['workflow.created', 'workflow.updated', 'workflow.deleted']);
    expect(audit[1]?.diff).toMatchObject({ enabled: { from: true, to: false } });
  });

  it('the catalogue lists triggers with their fields, the operators and the actions', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.get<{
      triggers: Array<{ type: string; fields: Array<{ path: string }>; actions: string[] }>;
      ops: string[];
      actions: Array<{ type: string }>;
    }>(`${BASE}/catalogue`);
    expect(res.status, res.raw).toBe(200);
    const stage = res.body.triggers.find((x) => x.type === 'deal.stage_changed');
    expect(stage?.fields.map((f) => f.path)).toContain('change.to_stage_code');
    expect(stage?.actions).toEqual(['create_task', 'log_note', 'add_deal_tag', 'set_deal_owner']);
    expect(res.body.triggers.map((x) => x.type)).toEqual(
      expect.arrayContaining([
        'deal.created',
        'deal.won',
        'activity.logged',
        'lead.created',
        'lead.converted',
      ]),
    );
    expect(res.body.ops).toContain('exists');
  });
});

describe('access', () => {
  it('admins only (role and scope); reads included', async () => {
    const ws = await createWorkspace(t);
    const wf = await create(ws);
    const manager = await addMember(t, ws, 'manager');
    for (const [method, url] of [
      ['get', BASE],
      ['get', `${BASE}/${wf.id}`],
      ['get', `${BASE}/${wf.id}/runs`],
      ['get', `${BASE}/catalogue`],
    ] as const) {
      expect((await manager.client[method](url)).status, url).toBe(403);
    }
    expect((await manager.client.post(BASE, proposalTask)).status).toBe(403);
    const readKey = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    expect((await readKey.client.get(BASE)).status).toBe(403);
    const adminKey = await apiKeyFor(t, ws.admin, ['crm.admin']);
    expect((await adminKey.client.get(BASE)).status).toBe(200);
  });

  it("another workspace's workflow is not found, never listed", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const wf = await create(a);
    expect((await b.admin.client.get(`${BASE}/${wf.id}`)).status).toBe(404);
    expect((await b.admin.client.get(`${BASE}/${wf.id}/runs`)).status).toBe(404);
    expect((await b.admin.client.patch(`${BASE}/${wf.id}`, { enabled: false })).status).toBe(404);
    expect((await b.admin.client.delete(`${BASE}/${wf.id}`)).status).toBe(404);
    expect((await b.admin.client.get(`${BASE}/${UNKNOWN_ID}`)).status).toBe(404);
    const list = await b.admin.client.get<Page<WorkflowJson>>(BASE);
    expect(list.body.data).toEqual([]);
    const still = await a.admin.client.get<WorkflowJson>(`${BASE}/${wf.id}`);
    expect(still.body).toMatchObject({ enabled: true, version: 1 });
  });
});
