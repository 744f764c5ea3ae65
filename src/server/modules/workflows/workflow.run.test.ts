import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor, dealFor } from '../../../../test/factories/deals.js';
import { auditOf } from '../../../../test/factories/pipelines.js';
import { type WebhookTestApp, webhookTestApp } from '../../../../test/factories/webhooks.js';
import {
  addMember,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type { ActivityJson } from '../activities/activity.presenter.js';
import type { DealJson } from '../deals/deal.presenter.js';
import { producedByWorkflow, WORKFLOW_ACTOR_ID, WorkflowConsumer } from './workflow.consumer.js';
import type { RunJson, WorkflowJson } from './workflow.presenter.js';
import type { Page } from './workflow.service.js';

/**
 * Workflows running for real, on a database of their own (the relay works across workspaces): domain
 * writes through the API → outbox → relay → the durable consumer → actions through the services. The
 * proposal task end to end, skipped runs, idempotency under redelivery, the loop guard, disabled
 * workflows, deal actions, a refused action, and workspaces never running each other's workflows.
 */

const BASE = '/crm/v1/workflows';
let t: WebhookTestApp;

beforeAll(async () => {
  t = await webhookTestApp();
});
afterAll(async () => {
  await t.close();
});

const flush = () => t.relay.drain();

async function workflow(ws: TestWorkspace, body: Record<string, unknown>): Promise<WorkflowJson> {
  const res = await ws.admin.client.post<WorkflowJson>(BASE, { name: 'wf', conditions: [], ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

const proposalTask = {
  name: 'Proposal follow-up',
  trigger: 'deal.stage_changed',
  conditions: [{ field: 'change.to_stage_code', op: 'eq', value: 'proposal' }],
  actions: [
    {
      type: 'create_task',
      title: 'Gửi báo giá: {{deal.name}}',
      description: 'Deal {{deal.name}} moved from {{change.from_stage_code}}',
      due_in_amount: 2,
      due_in_unit: 'days',
    },
  ],
};

async function runs(ws: TestWorkspace, id: string): Promise<RunJson[]> {
  const res = await ws.admin.client.get<Page<RunJson>>(`${BASE}/${id}/runs`);
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
}

async function timeline(ws: TestWorkspace, dealId: string, kinds = 'task,note'): Promise<ActivityJson[]> {
  const res = await ws.admin.client.get<Page<ActivityJson>>(
    `/crm/v1/deals/${dealId}/timeline?kinds=${kinds}`,
  );
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
}

/** A deal of `member` ready for the proposal stage (amount and primary contact filled). */
async function readyDeal(ws: TestWorkspace, member: TestMember): Promise<DealJson> {
  const contact = await contactFor(t, ws);
  return dealFor(t, member, {
    name: `Deal ${Math.random().toString(36).slice(2, 8)}`,
    amount_minor: 5_000_000,
    primary_contact_id: contact,
  });
}

async function moveTo(member: TestMember, deal: DealJson, code: string): Promise<DealJson> {
  const p = await member.client.get<{ stages: Array<{ id: string; code: string }> }>(
    `/crm/v1/pipelines/${deal.pipeline_id}`,
  );
  const stage = p.body.stages.find((s) => s.code === code);
  if (!stage) throw new Error(`no stage ${code}`);
  const res = await member.client.post<DealJson>(`/crm/v1/deals/${deal.id}/move`, {
    stage_id: stage.id,
    version: deal.version,
  });
  expect(res.status, res.raw).toBe(200);
  return res.body;
}

async function outboxEvents(wsId: string, topic: string): Promise<EventEnvelope[]> {
  const r = await t.db.read(wsId, (k) =>
    sql<{ payload: EventEnvelope }>`SELECT payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${wsId} AND topic = ${topic} ORDER BY created_at, id`.execute(k),
  );
  return r.rows.map((x) => x.payload);
}

describe('a deal entering proposal creates a task for its owner', () => {
  it('end to end: task with the rendered title, owner and due date; runs recorded (skipped, succeeded)', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const wf = await workflow(ws, proposalTask);
    const deal = await readyDeal(ws, rep);

    const inDiscovery = await moveTo(rep, deal, 'discovery');
    await moveTo(rep, inDiscovery, 'proposal');
    await flush();

    const tasks = await timeline(ws, deal.id, 'task');
    expect(tasks).toHaveLength(1);
    const [task] = tasks;
    if (!task) throw new Error('no task');
    expect(task).toMatchObject({
      kind: 'task',
      subject: `Gửi báo giá: ${deal.name}`,
      body_markdown: `Deal ${deal.name} moved from discovery`,
      owner_id: rep.userId,
      deal_id: deal.id,
      actor_type: 'system',
      task_state: 'open',
      metadata: { workflow_id: wf.id, event_type: 'deal.stage_changed' },
    });
    const [moved] = (await outboxEvents(ws.id, 'deal.stage_changed')).slice(-1);
    const due = Date.parse(moved?.occurred_at ?? '') + 2 * 24 * 3_600_000;
    expect(Date.parse(task.due_at ?? '')).toBe(due);

    const recorded = await runs(ws, wf.id);
    expect(recorded.map((r) => r.status)).toEqual(['succeeded', 'skipped']);
    expect(recorded[0]?.results).toEqual([
      {
        index: 0,
        type: 'create_task',
        status: 'succeeded',
        detail: { activity_id: task.id, owner_id: rep.userId, replayed: false },
        error: null,
      },
    ]);
    const listed = await ws.admin.client.get<WorkflowJson>(`${BASE}/${wf.id}`);
    expect(listed.body.last_run).toMatchObject({ id: recorded[0]?.id, status: 'succeeded' });
    // The audit trail names the workflow as the actor.
    const audit = (await auditOf(ws, task.id)) as unknown as Array<{
      action: string;
      actor: { label?: string };
    }>;
    expect(audit.map((a) => a.action)).toEqual(['activity.logged']);
    expect(JSON.stringify(audit[0])).toContain('workflow: Proposal follow-up');
  });

  it('a redelivered event runs nothing twice (one task, one run)', async () => {
    const ws = await createWorkspace(t);
    const wf = await workflow(ws, proposalTask);
    const deal = await readyDeal(ws, ws.admin);
    await moveTo(ws.admin, await moveTo(ws.admin, deal, 'discovery'), 'proposal');
    await flush();
    const events = await outboxEvents(ws.id, 'deal.stage_changed');
    for (const e of events) await t.platform.bus.publish(e);
    for (const e of events) await t.platform.bus.publish(e);
    await flush();
    expect(await timeline(ws, deal.id, 'task')).toHaveLength(1);
    const recorded = await runs(ws, wf.id);
    expect(recorded).toHaveLength(2);
    expect(recorded.every((r) => r.attempts === 1)).toBe(true);
  });

  it('a delivery that finds the run in flight elsewhere asks to be delivered again, and does not ack it', async () => {
    const ws = await createWorkspace(t);
    const wf = await workflow(ws, proposalTask);
    const deal = await readyDeal(ws, ws.admin);
    await moveTo(ws.admin, await moveTo(ws.admin, deal, 'discovery'), 'proposal');
    await flush();
    const [moved] = (await outboxEvents(ws.id, 'deal.stage_changed')).slice(-1);
    if (!moved) throw new Error('no stage change event');
    // As if another process had claimed it and were still within its lease (or had died within it).
    await t.db.read(ws.id, (k) =>
      sql`UPDATE crm_core.crm_workflow_runs SET status = 'running', locked_until = now() + interval '5 minutes'
          WHERE tenant_id = ${ws.id} AND workflow_id = ${wf.id} AND event_id = ${moved.id}`.execute(k),
    );
    await expect(new WorkflowConsumer(t.platform).handle(moved)).rejects.toThrow(/deliver again later/);
    // Done (not running): the same delivery is acknowledged with nothing to do.
    await t.db.read(ws.id, (k) =>
      sql`UPDATE crm_core.crm_workflow_runs SET status = 'succeeded', locked_until = NULL
          WHERE tenant_id = ${ws.id} AND workflow_id = ${wf.id} AND event_id = ${moved.id}`.execute(k),
    );
    expect(await new WorkflowConsumer(t.platform).handle(moved)).toBe(0);
  });

  it('a disabled workflow does nothing; conditions that fail record a skipped run', async () => {
    const ws = await createWorkspace(t);
    const off = await workflow(ws, { ...proposalTask, enabled: false });
    const usdOnly = await workflow(ws, {
      ...proposalTask,
      name: 'USD only',
      conditions: [...proposalTask.conditions, { field: 'deal.currency', op: 'eq', value: 'USD' }],
    });
    const deal = await readyDeal(ws, ws.admin);
    await moveTo(ws.admin, await moveTo(ws.admin, deal, 'discovery'), 'proposal');
    await flush();
    expect(await timeline(ws, deal.id, 'task')).toEqual([]);
    expect(await runs(ws, off.id)).toEqual([]);
    expect((await runs(ws, usdOnly.id)).map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });

  it('a workflow created, disabled or enabled applies to the very next event (the cache is dropped)', async () => {
    const ws = await createWorkspace(t);
    const first = await readyDeal(ws, ws.admin);
    await moveTo(ws.admin, first, 'discovery');
    await flush(); // the consumer has now cached "no workflows" for this workspace
    const wf = await workflow(ws, { ...proposalTask, conditions: [] });
    const deal = await moveTo(ws.admin, await readyDeal(ws, ws.admin), 'discovery');
    await flush();
    expect(await runs(ws, wf.id)).toHaveLength(1);
    const off = await ws.admin.client.patch<WorkflowJson>(`${BASE}/${wf.id}`, { enabled: false });
    expect(off.status, off.raw).toBe(200);
    const back = await moveTo(ws.admin, deal, 'qualifying');
    await flush();
    expect(await runs(ws, wf.id)).toHaveLength(1);
    const on = await ws.admin.client.patch<WorkflowJson>(`${BASE}/${wf.id}`, { enabled: true });
    expect(on.status, on.raw).toBe(200);
    await moveTo(ws.admin, back, 'discovery');
    await flush();
    expect(await runs(ws, wf.id)).toHaveLength(2);
  });
});

describe('retention', () => {
  it('prunes runs finished more than WORKFLOW_RUN_RETENTION_DAYS ago; running and retryable ones stay', async () => {
    const ws = await createWorkspace(t);
    const wf = await workflow(ws, proposalTask);
    const deal = await readyDeal(ws, ws.admin);
    await moveTo(ws.admin, await moveTo(ws.admin, deal, 'discovery'), 'proposal');
    await flush();
    const before = await runs(ws, wf.id);
    expect(before.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    const [old, recent] = before;
    if (!old || !recent) throw new Error('two runs expected');
    const days = t.platform.config.WORKFLOW_RUN_RETENTION_DAYS;
    await t.db.owner((k) =>
      sql`UPDATE crm_core.crm_workflow_runs SET finished_at = now() - make_interval(days => ${days + 1})
          WHERE tenant_id = ${ws.id} AND id = ${old.id}`.execute(k),
    );
    // An old run that may still be retried, and one still running: never pruned.
    await t.db.owner((k) =>
      sql`INSERT INTO crm_core.crm_workflow_runs (tenant_id, id, workflow_id, workflow_version, event_id,
            event_type, status, retryable, finished_at)
          VALUES (${ws.id}, gen_random_uuid(), ${wf.id}, 1, gen_random_uuid(), 'deal.stage_changed', 'failed',
                  true, now() - make_interval(days => ${days + 5})),
                 (${ws.id}, gen_random_uuid(), ${wf.id}, 1, gen_random_uuid(), 'deal.stage_changed', 'running',
                  false, NULL)`.execute(k),
    );
    expect(await new WorkflowConsumer(t.platform).prune()).toBeGreaterThanOrEqual(1);
    const after = await runs(ws, wf.id);
    expect(after.map((r) => r.id)).not.toContain(old.id);
    expect(after.map((r) => r.id)).toContain(recent.id);
    expect(after.map((r) => r.status).sort()).toEqual(['failed', 'running', recent.status].sort());
  });
});

describe('loop guard', () => {
  it("events of a workflow's own actions never trigger workflows again", async () => {
    const ws = await createWorkspace(t);
    // Every timeline entry logs a note — its own notes are entries too, so without the guard it never ends.
    const echo = await workflow(ws, {
      name: 'Echo',
      trigger: 'activity.logged',
      actions: [{ type: 'log_note', subject: 'Seen: {{activity.subject}}' }],
    });
    const deal = await readyDeal(ws, ws.admin);
    const res = await ws.admin.client.post('/crm/v1/activities', {
      kind: 'call',
      subject: 'Gọi khách',
      deal_id: deal.id,
    });
    expect(res.status, res.raw).toBe(201);
    await flush();
    await flush();

    const notes = await timeline(ws, deal.id, 'note');
    expect(notes.map((n) => n.subject)).toEqual(['Seen: Gọi khách']);
    expect(await runs(ws, echo.id)).toHaveLength(1);
    const logged = await outboxEvents(ws.id, 'activity.logged');
    const own = logged.find((e) => (e.data as { activity: { id: string } }).activity.id === notes[0]?.id);
    expect(own?.actor).toEqual({ type: 'system', id: WORKFLOW_ACTOR_ID });
    expect(own && producedByWorkflow(own)).toBe(true);
    expect(own && (await new WorkflowConsumer(t.platform).handle(own))).toBe(0);
  });
});

describe('deal actions', () => {
  it('tags a new deal and gives it to a member; a second delivery changes nothing', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const wf = await workflow(ws, {
      name: 'Route big deals',
      trigger: 'deal.created',
      conditions: [{ field: 'deal.amount_minor', op: 'gte', value: 1_000_000 }],
      actions: [
        { type: 'add_deal_tag', tag: 'big' },
        { type: 'set_deal_owner', owner: 'member', member_id: rep.userId },
        { type: 'create_task', title: 'Call about {{deal.name}}', assignee: 'event_actor' },
      ],
    });
    const deal = await dealFor(t, ws.admin, { amount_minor: 2_000_000 });
    await flush();
    const after = await ws.admin.client.get<DealJson>(`/crm/v1/deals/${deal.id}`);
    expect(after.body.tags).toContain('big');
    expect(after.body.owner_id).toBe(rep.userId);
    const [task] = await timeline(ws, deal.id, 'task');
    expect(task?.owner_id).toBe(ws.admin.userId);
    const [run] = await runs(ws, wf.id);
    expect(run?.results.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    // A retry of the run (as after a transient failure): the actions themselves are idempotent.
    await t.db.transaction(ws.id, (k) =>
      sql`UPDATE crm_core.crm_workflow_runs SET status = 'failed', retryable = true
          WHERE tenant_id = ${ws.id}`.execute(k),
    );
    const [created] = await outboxEvents(ws.id, 'deal.created');
    if (!created) throw new Error('no deal.created');
    expect(await new WorkflowConsumer(t.platform).handle(created)).toBe(1);
    expect(await timeline(ws, deal.id, 'task')).toHaveLength(1);
    const [again] = await runs(ws, wf.id);
    expect(again).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(again?.results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(again?.results[2]?.detail).toMatchObject({ activity_id: task?.id, replayed: true });
  });

  it('a refused action fails the run for good, naming the field; the event is not retried', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const wf = await workflow(ws, {
      name: 'Bad owner',
      trigger: 'deal.created',
      actions: [{ type: 'set_deal_owner', owner: 'member', member_id: other.admin.userId }],
    });
    await dealFor(t, ws.admin);
    await flush();
    const [run] = await runs(ws, wf.id);
    expect(run).toMatchObject({ status: 'failed', attempts: 1 });
    expect(run?.error).toContain('owner_id');
    const pending = await t.db.system((k) =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_outbox
        WHERE tenant_id = ${ws.id} AND status <> 'published'`.execute(k),
    );
    expect(pending.rows[0]?.n).toBe(0);
  });
});

describe('retries', () => {
  it('a transient failure is recorded, rethrown for redelivery, and the next delivery completes the run', async () => {
    const ws = await createWorkspace(t);
    const wf = await workflow(ws, {
      name: 'Flaky',
      trigger: 'deal.created',
      actions: [{ type: 'log_note', subject: 'New deal {{deal.name}}' }],
    });
    const deal = await dealFor(t, ws.admin);
    const [created] = await outboxEvents(ws.id, 'deal.created');
    if (!created) throw new Error('no deal.created');
    // The database fails the first write (a dropped connection, say): not the workflow's fault.
    let failures = 1;
    const flaky = {
      ...t.platform,
      write: ((ctx, fn) => {
        if (failures-- > 0) return Promise.reject(new Error('connection terminated'));
        return t.platform.write(ctx, fn);
      }) as typeof t.platform.write,
    };
    const consumer = new WorkflowConsumer(flaky, { maxAttempts: 3 });
    await expect(consumer.handle(created)).rejects.toThrow('connection terminated');
    const [failed] = await runs(ws, wf.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed?.error).toContain('connection terminated');
    expect(await timeline(ws, deal.id, 'note')).toEqual([]);

    expect(await consumer.handle(created)).toBe(1);
    const [done] = await runs(ws, wf.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
    expect((await timeline(ws, deal.id, 'note')).map((n) => n.subject)).toEqual([`New deal ${deal.name}`]);
    // Handled: a further delivery does nothing.
    expect(await consumer.handle(created)).toBe(0);
  });
});

describe('isolation', () => {
  it("workspace B's events never run A's workflows", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const wfA = await workflow(a, proposalTask);
    const deal = await readyDeal(b, b.admin);
    await moveTo(b.admin, await moveTo(b.admin, deal, 'discovery'), 'proposal');
    await flush();
    expect(await runs(a, wfA.id)).toEqual([]);
    expect(await timeline(b, deal.id, 'task')).toEqual([]);
    expect((await b.admin.client.get(`${BASE}/${wfA.id}/runs`)).status).toBe(404);
  });
});
