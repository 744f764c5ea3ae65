import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadFor } from '../../../../test/factories/leads.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type ApiResponse, type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { ActivityJson } from './activity.presenter.js';
import type { ActivityPage } from './activity.service.js';

/**
 * Timeline entries on leads (migration 0022): logging on a lead alone, the 422 for a lead that is not a
 * live lead of the workspace (or one the credential may not view), the lead's timeline and its cursor,
 * the list's `lead_id` filter, task completion keeping the lead, workspaces, and the append-only guard
 * on the link columns conversion may fill.
 */

const BASE = '/crm/v1/activities';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function logOn(c: Client, leadId: string, body: Record<string, unknown> = {}): Promise<ActivityJson> {
  const res = await c.post<ActivityJson>(BASE, {
    kind: 'call',
    subject: 'Gọi lần đầu',
    lead_id: leadId,
    ...body,
  });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

async function activityCount(workspaceId: string): Promise<number> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM crm_core.crm_activities WHERE tenant_id = ${workspaceId}`.execute(k),
  );
  return Number(r.rows[0]?.n ?? 0);
}

async function readAll(c: Client, url: string, limit: number): Promise<ActivityJson[]> {
  const out: ActivityJson[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const sep = url.includes('?') ? '&' : '?';
    const res: ApiResponse<ActivityPage> = await c.get<ActivityPage>(
      `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, res.raw).toBe(200);
    if (res.body.page.has_more) expect(res.body.data).toHaveLength(limit);
    out.push(...res.body.data);
    cursor = res.body.page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('pagination did not end');
}

describe('log an entry on a lead', () => {
  it('accepts a lead alone, returns lead_id, audits and emits it', async () => {
    const ws = await createWorkspace(t);
    const lead = await leadFor(t, ws.admin);
    const a = await logOn(ws.admin.client, lead.id, { body_markdown: 'Hẹn gọi lại thứ Hai' });
    expect(a).toMatchObject({
      kind: 'call',
      lead_id: lead.id,
      account_id: null,
      contact_id: null,
      deal_id: null,
      owner_id: ws.admin.userId,
    });
    expect((await ws.admin.client.get<ActivityJson>(`${BASE}/${a.id}`)).body.lead_id).toBe(lead.id);

    const audit = await ws.admin.client.get<{
      data: Array<{ action: string; diff: Record<string, unknown> }>;
    }>(`/crm/v1/audit?entity_id=${a.id}&limit=10`);
    expect(audit.body.data.map((e) => e.action)).toEqual(['activity.logged']);
    expect(audit.body.data[0]?.diff.lead_id).toEqual({ from: null, to: lead.id });
    const outbox = await t.db.read(ws.id, (k) =>
      sql<{ topic: string; payload: { data: { activity: ActivityJson } } }>`
        SELECT topic, payload FROM crm_core.crm_outbox
        WHERE tenant_id = ${ws.id} AND aggregate_id = ${a.id}`.execute(k),
    );
    expect(outbox.rows.map((r) => r.topic)).toEqual(['activity.logged']);
    expect(outbox.rows[0]?.payload.data.activity.lead_id).toBe(lead.id);
  });

  it('still needs some link, and names lead_id for a lead that is unknown, deleted or of another workspace', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const c = ws.admin.client;
    const theirs = await leadFor(t, other.admin);
    const gone = await leadFor(t, ws.admin);
    expect((await c.delete(`/crm/v1/leads/${gone.id}`)).status).toBe(200);
    const before = await activityCount(ws.id);

    const none = await c.post(BASE, { kind: 'note', subject: 'x' });
    expect(none.status).toBe(422);
    expect(fieldsOf(none.body)).toEqual(['account_id']);
    for (const id of [UNKNOWN_ID, theirs.id, gone.id]) {
      const res = await c.post(BASE, { kind: 'call', subject: 'x', lead_id: id });
      expect(res.status, res.raw).toBe(422);
      expect(fieldsOf(res.body)).toEqual(['lead_id']);
    }
    const bad = await c.post(BASE, { kind: 'call', subject: 'x', lead_id: 'not-a-uuid' });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['lead_id']);
    expect(await activityCount(ws.id)).toBe(before);
  });

  it('needs a credential that may view leads: a write-only API key cannot log on a lead', async () => {
    const ws = await createWorkspace(t);
    const lead = await leadFor(t, ws.admin);
    const writeOnly = await apiKeyFor(t, ws.admin, ['crm.write']);
    const res = await writeOnly.client.post(
      BASE,
      { kind: 'call', subject: 'x', lead_id: lead.id },
      { 'idempotency-key': 'lead-write-only-1' },
    );
    expect(res.status, res.raw).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['lead_id']);
    // Every role may view leads: a support member logs on a lead owned by someone else.
    const support = await addMember(t, ws, 'support');
    expect((await logOn(support.client, lead.id)).owner_id).toBe(support.userId);
  });

  it('completes a task logged on a lead with an entry that keeps the lead', async () => {
    const ws = await createWorkspace(t);
    const lead = await leadFor(t, ws.admin);
    const task = await logOn(ws.admin.client, lead.id, {
      kind: 'task',
      subject: 'Gửi báo giá',
      due_at: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const done = await ws.admin.client.post<ActivityJson>(`${BASE}/${task.id}/complete`, {});
    expect(done.status, done.raw).toBe(201);
    expect(done.body).toMatchObject({
      kind: 'task_completed',
      lead_id: lead.id,
      related_activity_id: task.id,
    });
  });
});

describe("a lead's timeline and the list filter", () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('pages the lead’s entries newest first by cursor (equal timestamps included), each once', async () => {
    const c = ws.admin.client;
    const lead = await leadFor(t, ws.admin);
    const elsewhere = await leadFor(t, ws.admin, { last_name: 'Lê', first_name: 'Hoa' });
    const at = '2026-03-02T03:00:00.000Z';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (
          await logOn(c, lead.id, {
            subject: `Lần ${i}`,
            occurred_at: i < 3 ? at : `2026-03-0${i}T01:00:00Z`,
          })
        ).id,
      );
    }
    await logOn(c, elsewhere.id);
    const all = await readAll(c, `/crm/v1/leads/${lead.id}/timeline`, 2);
    expect(all).toHaveLength(5);
    expect(new Set(all.map((a) => a.id))).toEqual(new Set(ids));
    const keys = all.map((a) => `${a.occurred_at}|${a.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);

    const calls = await c.get<ActivityPage>(`/crm/v1/leads/${lead.id}/timeline?kinds=note`);
    expect(calls.body.data).toEqual([]);

    const listed = await readAll(c, `${BASE}?lead_id=${lead.id}`, 3);
    expect(listed.map((a) => a.id)).toEqual(all.map((a) => a.id));
  });

  it('answers 404 lead_not_found for an unknown or deleted lead', async () => {
    const c = ws.admin.client;
    const lead = await leadFor(t, ws.admin);
    await logOn(c, lead.id);
    expect((await c.delete(`/crm/v1/leads/${lead.id}`)).status).toBe(200);
    for (const id of [UNKNOWN_ID, lead.id]) {
      const res = await c.get(`/crm/v1/leads/${id}/timeline`);
      expect(res.status, res.raw).toBe(404);
      expect(res.body.code).toBe('lead_not_found');
    }
  });
});

describe('workspaces', () => {
  it("never shows another workspace's lead, its timeline or its entries", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const aLead = await leadFor(t, a.admin);
    const entry = await logOn(a.admin.client, aLead.id);
    const bKey = (await apiKeyFor(t, b.admin, ['crm.read', 'crm.write'])).client;
    for (const c of [b.admin.client, bKey]) {
      const tl = await c.get(`/crm/v1/leads/${aLead.id}/timeline`);
      expect(tl.status).toBe(404);
      expect(tl.body.code).toBe('lead_not_found');
      const listed = await c.get<ActivityPage>(`${BASE}?lead_id=${aLead.id}`);
      expect(listed.status).toBe(200);
      expect(listed.body.data).toEqual([]);
      expect((await c.get(`${BASE}/${entry.id}`)).status).toBe(404);
    }
    // RLS is the second wall: a query that forgets its tenant filter still sees only its workspace.
    const r = await t.db.read(b.id, (k) =>
      sql<{ id: string }>`SELECT id FROM crm_core.crm_activities WHERE lead_id = ${aLead.id}`.execute(k),
    );
    expect(r.rows).toEqual([]);
  });
});

describe('append-only links', () => {
  it('lets the app fill an empty link but never change one, nor any other column', async () => {
    const ws = await createWorkspace(t);
    const lead = await leadFor(t, ws.admin);
    const other = await leadFor(t, ws.admin);
    const a = await logOn(ws.admin.client, lead.id);
    const account = await ws.admin.client.post<{ id: string }>('/crm/v1/accounts', { name: 'Bình Minh' });
    const second = await ws.admin.client.post<{ id: string }>('/crm/v1/accounts', { name: 'Hoàng Hôn' });
    const update = (set: ReturnType<typeof sql>) =>
      t.db.transaction(ws.id, (k) =>
        sql`UPDATE crm_core.crm_activities SET ${set} WHERE tenant_id = ${ws.id} AND id = ${a.id}`.execute(k),
      );
    await update(sql`account_id = ${account.body.id}`);
    await expect(update(sql`account_id = ${second.body.id}`)).rejects.toThrow(/append-only|check/i);
    await expect(update(sql`account_id = NULL`)).rejects.toThrow(/append-only|check/i);
    await expect(update(sql`subject = 'rewritten'`)).rejects.toThrow(/permission denied/i);
    await expect(update(sql`lead_id = ${other.id}`)).rejects.toThrow(/permission denied/i);
    const got = await ws.admin.client.get<ActivityJson>(`${BASE}/${a.id}`);
    expect(got.body).toMatchObject({ account_id: account.body.id, lead_id: lead.id, subject: a.subject });
  });
});
