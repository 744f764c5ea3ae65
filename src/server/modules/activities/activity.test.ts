import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityFor, rawContact, rawDeal } from '../../../../test/factories/activities.js';
import { contactFor } from '../../../../test/factories/contacts.js';
import { dealFor } from '../../../../test/factories/deals.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type ApiResponse, type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { ActivityJson } from './activity.presenter.js';
import { recordSystemActivity } from './activity.record.js';
import { REPLAYED_HEADER } from './activity.routes.js';
import type { ActivityPage } from './activity.service.js';

/**
 * The timeline end to end on a real database: logging (links, derived account, validation, owner
 * rules), feed idempotency (also racing), append-only (405), markdown safety, tasks and their due
 * filters, per-entity timelines (merging, order, cursor), the deal ACL, workspaces, audit and outbox.
 */

const BASE = '/crm/v1/activities';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function outboxOf(workspaceId: string, aggregateId: string) {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ topic: string; payload: { data: { activity: ActivityJson } } }>`
      SELECT topic, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${aggregateId} ORDER BY created_at, id`.execute(k),
  );
  return r.rows;
}

async function auditOf(ws: TestWorkspace, entityId: string) {
  const res = await ws.admin.client.get<{ data: Array<{ action: string; entity_type: string }> }>(
    `/crm/v1/audit?entity_id=${entityId}&limit=100`,
  );
  expect(res.status).toBe(200);
  return res.body.data;
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
    expect(res.body.page.has_more).toBe(res.body.page.next_cursor !== null);
    if (res.body.page.has_more) expect(res.body.data).toHaveLength(limit);
    out.push(...res.body.data);
    cursor = res.body.page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('pagination did not end');
}

describe('log an entry', () => {
  it('answers 201 with the entry, writes an audit row and an activity.logged event', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const res = await ws.admin.client.post<ActivityJson>(BASE, {
      kind: 'call',
      subject: '  Gọi chị Lan về báo giá  ',
      body_markdown: 'Khách hỏi **giá** năm 2026',
      account_id: account.id,
      metadata: { duration_s: 320 },
    });
    expect(res.status, res.raw).toBe(201);
    const a = res.body;
    expect(res.headers.location).toBe(`${BASE}/${a.id}`);
    expect(res.headers[REPLAYED_HEADER]).toBeUndefined();
    expect(a).toMatchObject({
      kind: 'call',
      subject: 'Gọi chị Lan về báo giá',
      body_markdown: 'Khách hỏi **giá** năm 2026',
      body_html: '<p>Khách hỏi <strong>giá</strong> năm 2026</p>\n',
      account_id: account.id,
      contact_id: null,
      deal_id: null,
      source: 'manual',
      source_event_id: null,
      metadata: { duration_s: 320 },
      owner_id: ws.admin.userId,
      created_by: ws.admin.userId,
      actor_type: 'user',
      due_at: null,
      related_activity_id: null,
      completion: null,
      task_state: null,
      abilities: [],
    });
    expect(Math.abs(Date.parse(a.occurred_at) - Date.now())).toBeLessThan(60_000);
    const got = await ws.admin.client.get<ActivityJson>(`${BASE}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a);

    const audit = await auditOf(ws, a.id);
    expect(audit.map((r) => [r.action, r.entity_type])).toEqual([['activity.logged', 'activity']]);
    const events = await outboxOf(ws.id, a.id);
    expect(events.map((e) => e.topic)).toEqual(['activity.logged']);
    expect(events[0]?.payload.data.activity).toMatchObject({
      id: a.id,
      kind: 'call',
      account_id: account.id,
    });
  });

  it('derives account_id from the deal, else from the contact', async () => {
    const ws = await createWorkspace(t);
    const acc1 = await accountFor(t, ws.admin);
    const acc2 = await accountFor(t, ws.admin);
    const contact = await rawContact(t, ws.id, { account_id: acc1.id });
    const deal = await rawDeal(t, ws.id, { account_id: acc2.id });
    const viaContact = await ws.admin.client.post<ActivityJson>(BASE, {
      kind: 'email',
      subject: 'x',
      contact_id: contact,
    });
    expect(viaContact.status, viaContact.raw).toBe(201);
    expect(viaContact.body.account_id).toBe(acc1.id);
    const viaDeal = await ws.admin.client.post<ActivityJson>(BASE, {
      kind: 'meeting',
      subject: 'x',
      contact_id: contact,
      deal_id: deal,
    });
    expect(viaDeal.body.account_id).toBe(acc2.id);
    const orphan = await rawContact(t, ws.id);
    const none = await ws.admin.client.post<ActivityJson>(BASE, {
      kind: 'note',
      subject: 'x',
      contact_id: orphan,
    });
    expect(none.status).toBe(201);
    expect(none.body.account_id).toBeNull();
    const mismatch = await ws.admin.client.post(BASE, {
      kind: 'note',
      subject: 'x',
      deal_id: deal,
      account_id: acc1.id,
    });
    expect(mismatch.status).toBe(422);
    expect(fieldsOf(mismatch.body)).toEqual(['account_id']);
  });

  it('refuses bad input with the field named, writing nothing', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const before = await activityCount(ws.id);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ kind: 'note', subject: 'no link' }, ['account_id']],
      [{ kind: 'deal_created', subject: 'x', account_id: account.id }, ['kind']],
      [{ kind: 'note', subject: '', account_id: account.id }, ['subject']],
      [{ kind: 'note', subject: 'x'.repeat(301), account_id: account.id }, ['subject']],
      [{ kind: 'note', subject: 'x', account_id: account.id, source: 'system' }, ['source']],
      [{ kind: 'note', subject: 'x', account_id: account.id, due_at: '2026-01-01T00:00:00Z' }, ['due_at']],
      [{ kind: 'task', subject: 'x', account_id: account.id, due_at: 'tomorrow' }, ['due_at']],
      [{ kind: 'note', subject: 'x', account_id: account.id, occurred_at: '2026-01-01' }, ['occurred_at']],
      [{ kind: 'note', subject: 'x', account_id: 'nope' }, ['account_id']],
      [{ kind: 'note', subject: 'x', account_id: account.id, metadata: [] }, ['metadata']],
      [
        { kind: 'note', subject: 'x', account_id: account.id, metadata: { a: 'x'.repeat(5000) } },
        ['metadata'],
      ],
      [{ kind: 'note', subject: 'a\u0000b', account_id: account.id }, ['subject']],
      [{ kind: 'note', subject: 'x', account_id: account.id, colour: 'red' }, ['(root)']],
      [{ kind: 'note', subject: 'x', account_id: UNKNOWN_ID }, ['account_id']],
      [{ kind: 'note', subject: 'x', contact_id: UNKNOWN_ID }, ['contact_id']],
      [{ kind: 'note', subject: 'x', deal_id: UNKNOWN_ID }, ['deal_id']],
      [{ kind: 'note', subject: 'x', account_id: account.id, owner_id: UNKNOWN_ID }, ['owner_id']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post(BASE, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      const got = fieldsOf(res.body);
      if (fields[0] === '(root)') expect(got.length).toBeGreaterThan(0);
      else expect(got, JSON.stringify(body)).toEqual(fields);
    }
    expect(await activityCount(ws.id)).toBe(before);
  });

  it('lets members log their own entries; only managers log for someone else', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const rep = await addMember(t, ws, 'sales_rep');
    const other = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const viewer = await addMember(t, ws, 'viewer');
    const own = await rep.client.post<ActivityJson>(BASE, {
      kind: 'call',
      subject: 'x',
      account_id: account.id,
    });
    expect(own.status).toBe(201);
    expect(own.body.owner_id).toBe(rep.userId);
    const forOther = await rep.client.post(BASE, {
      kind: 'call',
      subject: 'x',
      account_id: account.id,
      owner_id: other.userId,
    });
    expect(forOther.status).toBe(403);
    expect(fieldsOf(forOther.body)).toEqual(['owner_id']);
    const byManager = await manager.client.post<ActivityJson>(BASE, {
      kind: 'call',
      subject: 'x',
      account_id: account.id,
      owner_id: other.userId,
    });
    expect(byManager.status).toBe(201);
    expect(byManager.body.owner_id).toBe(other.userId);
    expect(
      (await viewer.client.post(BASE, { kind: 'call', subject: 'x', account_id: account.id })).status,
    ).toBe(403);
    const readKey = await apiKeyFor(t, ws.admin, ['crm.read']);
    const denied = await readKey.client.post(BASE, { kind: 'call', subject: 'x', account_id: account.id });
    expect(denied.status).toBe(403);
    const writeKey = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const viaKey = await writeKey.client.post<ActivityJson>(
      BASE,
      {
        kind: 'email',
        subject: 'from a feed',
        account_id: account.id,
        source: 'email',
        source_event_id: 'm1',
      },
      { 'idempotency-key': 'feed-m1' },
    );
    expect(viaKey.status, viaKey.raw).toBe(201);
    expect(viaKey.body.actor_type).toBe('api_key');
  });

  it('has no update or delete: PATCH, PUT and DELETE answer 405', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const a = await activityFor(t, ws.admin, { subject: 'x', account_id: account.id });
    const patch = await ws.admin.client.patch(`${BASE}/${a.id}`, { subject: 'changed' });
    expect(patch.status).toBe(405);
    expect(patch.body.code).toBe('method_not_allowed');
    expect((await ws.admin.client.delete(`${BASE}/${a.id}`)).status).toBe(405);
    expect((await ws.admin.client.put(`${BASE}/${a.id}`, { subject: 'changed' })).status).toBe(405);
    const got = await ws.admin.client.get<ActivityJson>(`${BASE}/${a.id}`);
    expect(got.body.subject).toBe('x');
  });
});

describe('feed idempotency (source, source_event_id)', () => {
  it('answers a repeated event with the existing entry (200, replayed), never a duplicate', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const body = {
      kind: 'email',
      subject: 'Re: báo giá',
      account_id: account.id,
      source: 'email',
      source_event_id: '<abc@mail.example>',
    };
    const first = await ws.admin.client.post<ActivityJson>(BASE, body);
    expect(first.status).toBe(201);
    const again = await ws.admin.client.post<ActivityJson>(BASE, { ...body, subject: 'different' });
    expect(again.status).toBe(200);
    expect(again.headers[REPLAYED_HEADER]).toBe('true');
    expect(again.body).toEqual(first.body);
    // Same id from another source is another event.
    const chat = await ws.admin.client.post<ActivityJson>(BASE, { ...body, source: 'chat' });
    expect(chat.status).toBe(201);
    expect(chat.body.id).not.toBe(first.body.id);
    expect(await activityCount(ws.id)).toBe(2);
    expect((await outboxOf(ws.id, first.body.id)).length).toBe(1);
    expect((await auditOf(ws, first.body.id)).length).toBe(1);
    // Another workspace may use the same event id.
    const ws2 = await createWorkspace(t);
    const acc2 = await accountFor(t, ws2.admin);
    const other = await ws2.admin.client.post<ActivityJson>(BASE, { ...body, account_id: acc2.id });
    expect(other.status).toBe(201);
  });

  it('records one entry when the same event arrives many times at once', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const body = {
      kind: 'meeting',
      subject: 'Họp',
      account_id: account.id,
      source: 'calendar',
      source_event_id: 'evt-42',
    };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => ws.admin.client.post<ActivityJson>(BASE, body)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await activityCount(ws.id)).toBe(1);
    expect((await outboxOf(ws.id, results[0]?.body.id ?? '')).length).toBe(1);
  });
});

describe('markdown is rendered safely', () => {
  it('never lets script, event handlers, raw HTML or javascript: links through', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1))',
      '[click](JAVASCRIPT:alert(1))',
      '[v](vbscript:msgbox(1))',
      '[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '![i](javascript:alert(1))',
      '<a href="javascript:alert(1)">x</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<div onclick="alert(1)">x</div>',
    ].join('\n\n');
    const res = await ws.admin.client.post<ActivityJson>(BASE, {
      kind: 'note',
      subject: 'hostile',
      account_id: account.id,
      body_markdown: `${hostile}\n\nxem https://acme.vn và [site](https://acme.vn/a)`,
    });
    expect(res.status).toBe(201);
    const html = res.body.body_html ?? '';
    expect(res.body.body_markdown).toContain('<script>');
    // Every tag is one markdown produces; links carry only href/rel/target, with a web URL.
    const tags = [...html.matchAll(/<\/?([a-zA-Z0-9]+)([^>]*)>/g)];
    expect(tags.length).toBeGreaterThan(0);
    for (const [tag, name, attrs] of tags) {
      expect(['p', 'a', 'strong', 'em', 'code', 'pre', 'br'], tag).toContain(name);
      if (name === 'a' && !tag.startsWith('</')) {
        expect(attrs, tag).toMatch(
          /^ href="https:\/\/[^"]*" rel="nofollow noopener noreferrer" target="_blank"$/,
        );
      } else {
        expect(attrs, tag).toBe('');
      }
    }
    expect(html).toContain('&lt;script&gt;');
    // Ordinary links (and linkified URLs) work, opened safely.
    expect(html).toContain(
      '<a href="https://acme.vn/a" rel="nofollow noopener noreferrer" target="_blank">site</a>',
    );
    expect(html).toContain(
      '<a href="https://acme.vn" rel="nofollow noopener noreferrer" target="_blank">https://acme.vn</a>',
    );
  });
});

describe('tasks', () => {
  it('completes a task with a task_completed entry, once (the second call returns the first)', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const rep = await addMember(t, ws, 'sales_rep');
    const other = await addMember(t, ws, 'sales_rep');
    const task = await rep.client.post<ActivityJson>(BASE, {
      kind: 'task',
      subject: 'Gửi hợp đồng',
      account_id: account.id,
      due_at: '2030-01-01T09:00:00+07:00',
    });
    expect(task.status).toBe(201);
    expect(task.body).toMatchObject({
      due_at: '2030-01-01T02:00:00.000Z',
      task_state: 'open',
      completion: null,
      abilities: ['complete'],
    });
    // Someone else's task is theirs to complete (or a manager's).
    expect((await other.client.post(`${BASE}/${task.body.id}/complete`)).status).toBe(403);

    const done = await rep.client.post<ActivityJson>(`${BASE}/${task.body.id}/complete`, {
      body_markdown: 'Đã gửi',
    });
    expect(done.status, done.raw).toBe(201);
    expect(done.body).toMatchObject({
      kind: 'task_completed',
      related_activity_id: task.body.id,
      account_id: account.id,
      source: 'system',
      body_markdown: 'Đã gửi',
      owner_id: rep.userId,
    });
    const again = await rep.client.post<ActivityJson>(`${BASE}/${task.body.id}/complete`);
    expect(again.status).toBe(200);
    expect(again.headers[REPLAYED_HEADER]).toBe('true');
    expect(again.body.id).toBe(done.body.id);

    const reread = await rep.client.get<ActivityJson>(`${BASE}/${task.body.id}`);
    expect(reread.body).toMatchObject({
      task_state: 'done',
      completion: { activity_id: done.body.id, completed_by: rep.userId },
      abilities: [],
    });
    expect((await outboxOf(ws.id, done.body.id)).map((e) => e.topic)).toEqual(['activity.logged']);
    expect((await auditOf(ws, done.body.id)).map((a) => a.action)).toEqual(['activity.logged']);

    const note = await activityFor(t, rep, { subject: 'x', account_id: account.id });
    expect((await rep.client.post(`${BASE}/${note.id}/complete`)).status).toBe(409);
    expect((await rep.client.post(`${BASE}/${UNKNOWN_ID}/complete`)).status).toBe(404);
  });

  it('completes once under concurrency', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const task = await activityFor(t, ws.admin, { kind: 'task', subject: 't', account_id: account.id });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ws.admin.client.post<ActivityJson>(`${BASE}/${task.id}/complete`)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
  });

  it('filters by task state: overdue, today, upcoming, open, done', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const hour = 3_600_000;
    const mk = (subject: string, dueInMs: number | null) =>
      activityFor(t, ws.admin, {
        kind: 'task',
        subject,
        account_id: account.id,
        ...(dueInMs === null ? {} : { due_at: new Date(Date.now() + dueInMs) }),
      });
    const overdue = await mk('overdue', -48 * hour);
    const future = await mk('future', 30 * 24 * hour);
    const noDue = await mk('no due', null);
    const doneTask = await mk('done', -72 * hour);
    await ws.admin.client.post(`${BASE}/${doneTask.id}/complete`);
    await activityFor(t, ws.admin, { kind: 'call', subject: 'not a task', account_id: account.id });

    const ids = async (due: string) => {
      const res = await ws.admin.client.get<ActivityPage>(`${BASE}?due=${due}`);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => a.subject).sort();
    };
    expect(await ids('overdue')).toEqual(['overdue']);
    expect(await ids('upcoming')).toEqual(['future']);
    expect(await ids('open')).toEqual(['future', 'no due', 'overdue']);
    expect(await ids('done')).toEqual(['done']);
    expect(await ids('today')).toEqual([]);
    // A task due later today (in the workspace's zone) is "today", whatever the clock says.
    const tz = await t.db.read(ws.id, (k) =>
      sql<{ end_of_day: Date }>`SELECT ((date_trunc('day', now() AT TIME ZONE w.timezone) + interval '1 day')
        AT TIME ZONE w.timezone) - interval '1 second' AS end_of_day
        FROM crm_core.crm_workspaces w WHERE w.id = ${ws.id}`.execute(k),
    );
    const endOfDay = new Date(tz.rows[0]?.end_of_day ?? Date.now());
    await activityFor(t, ws.admin, {
      kind: 'task',
      subject: 'today',
      account_id: account.id,
      due_at: endOfDay,
    });
    expect(await ids('today')).toEqual(['today']);
    expect(overdue.task_state).toBe('open');
    expect([future.id, noDue.id]).toHaveLength(2);
    const bad = await ws.admin.client.get(`${BASE}?due=soon`);
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['due']);
  });
});

describe('lists and timelines', () => {
  it('lists with filters (kind, owner, source, period), newest first', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const rep = await addMember(t, ws, 'sales_rep');
    const day = (d: number) => new Date(Date.UTC(2026, 0, d, 3));
    await activityFor(t, ws.admin, {
      kind: 'call',
      subject: 'c1',
      account_id: account.id,
      occurred_at: day(1),
    });
    await activityFor(t, rep, {
      kind: 'email',
      subject: 'e1',
      account_id: account.id,
      occurred_at: day(2),
      source: 'email',
      source_event_id: 'm1',
    });
    await activityFor(t, rep, { kind: 'call', subject: 'c2', account_id: account.id, occurred_at: day(3) });
    const subjects = async (q: string, c: Client = ws.admin.client) => {
      const res = await c.get<ActivityPage>(`${BASE}?${q}`);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => a.subject);
    };
    expect(await subjects('')).toEqual(['c2', 'e1', 'c1']);
    expect(await subjects('kind=call')).toEqual(['c2', 'c1']);
    expect(await subjects('kind=call,email')).toEqual(['c2', 'e1', 'c1']);
    expect(await subjects('owner_id=me', rep.client)).toEqual(['c2', 'e1']);
    expect(await subjects(`owner_id=${ws.admin.userId}`)).toEqual(['c1']);
    expect(await subjects('source=email')).toEqual(['e1']);
    expect(await subjects('from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z')).toEqual(['e1']);
    expect((await ws.admin.client.get(`${BASE}?kind=bogus`)).status).toBe(422);
    expect(
      (await ws.admin.client.get(`${BASE}?from=2026-01-03T00:00:00Z&to=2026-01-02T00:00:00Z`)).status,
    ).toBe(422);
    const badCursor = await ws.admin.client.get(`${BASE}?cursor=nope`);
    expect(badCursor.status).toBe(400);
    expect(fieldsOf(badCursor.body)).toEqual(['cursor']);
  });

  it("merges an account's contacts' and deals' entries; a contact's includes its deals'", async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const otherAccount = await accountFor(t, ws.admin);
    const contact = await rawContact(t, ws.id, { account_id: account.id });
    const dealContact = await rawContact(t, ws.id, { account_id: account.id });
    const deal = await rawDeal(t, ws.id, { account_id: account.id, primary_contact_id: contact });
    const deal2 = await rawDeal(t, ws.id, { account_id: account.id, contact_ids: [dealContact] });
    const at = (m: number) => new Date(Date.UTC(2026, 2, 1, 0, m));
    await activityFor(t, ws.admin, {
      kind: 'note',
      subject: 'account',
      account_id: account.id,
      occurred_at: at(1),
    });
    await activityFor(t, ws.admin, {
      kind: 'call',
      subject: 'contact',
      contact_id: contact,
      occurred_at: at(2),
    });
    await activityFor(t, ws.admin, { kind: 'email', subject: 'deal', deal_id: deal, occurred_at: at(3) });
    await activityFor(t, ws.admin, { kind: 'meeting', subject: 'deal2', deal_id: deal2, occurred_at: at(4) });
    await activityFor(t, ws.admin, {
      kind: 'note',
      subject: 'elsewhere',
      account_id: otherAccount.id,
      occurred_at: at(5),
    });

    const subjects = async (url: string) => {
      const res = await ws.admin.client.get<ActivityPage>(url);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => a.subject);
    };
    expect(await subjects(`/crm/v1/accounts/${account.id}/timeline`)).toEqual([
      'deal2',
      'deal',
      'contact',
      'account',
    ]);
    expect(await subjects(`/crm/v1/accounts/${account.id}/timeline?kinds=call,email`)).toEqual([
      'deal',
      'contact',
    ]);
    expect(await subjects(`/crm/v1/contacts/${contact}/timeline`)).toEqual(['deal', 'contact']);
    expect(await subjects(`/crm/v1/contacts/${dealContact}/timeline`)).toEqual(['deal2']);
    expect(await subjects(`/crm/v1/deals/${deal}/timeline`)).toEqual(['deal']);
    for (const e of ['accounts', 'contacts', 'deals']) {
      const res = await ws.admin.client.get(`/crm/v1/${e}/${UNKNOWN_ID}/timeline`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe(`${e.slice(0, -1)}_not_found`);
    }
  });

  it('pages a timeline by cursor with equal timestamps, in (occurred_at desc, id desc) order', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const same = new Date(Date.UTC(2026, 4, 1));
    for (let i = 0; i < 7; i++) {
      await activityFor(t, ws.admin, {
        kind: 'note',
        subject: `n${i}`,
        account_id: account.id,
        occurred_at: i % 2 === 0 ? same : new Date(same.getTime() + i * 1000),
      });
    }
    const all = await readAll(ws.admin.client, `/crm/v1/accounts/${account.id}/timeline`, 3);
    expect(all).toHaveLength(7);
    const expected = [...all].sort(
      (a, b) => b.occurred_at.localeCompare(a.occurred_at) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0),
    );
    expect(all.map((a) => a.id)).toEqual(expected.map((a) => a.id));
    expect(new Set(all.map((a) => a.id)).size).toBe(7);
    const listed = await readAll(ws.admin.client, BASE, 2);
    expect(listed.map((a) => a.id)).toEqual(all.map((a) => a.id));
  });
});

describe('system entries (recordSystemActivity)', () => {
  it('land on the timelines, with the account derived when not given, and cannot be forged by the API', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const deal = await rawDeal(t, ws.id, { account_id: account.id });
    const id = await t.platform.write({ actor: ws.admin.actor, requestId: 'test' }, (uow) =>
      recordSystemActivity(uow, {
        kind: 'stage_changed',
        subject: 'qualifying → discovery',
        dealId: deal,
        metadata: { from: 'qualifying', to: 'discovery' },
      }),
    );
    const got = await ws.admin.client.get<ActivityJson>(`${BASE}/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      kind: 'stage_changed',
      source: 'system',
      account_id: account.id,
      deal_id: deal,
      metadata: { from: 'qualifying', to: 'discovery' },
      body_html: null,
      task_state: null,
    });
    const timeline = await ws.admin.client.get<ActivityPage>(
      `/crm/v1/accounts/${account.id}/timeline?kinds=stage_changed`,
    );
    expect(timeline.body.data.map((a) => a.id)).toEqual([id]);
    const forged = await ws.admin.client.post(BASE, { kind: 'stage_changed', subject: 'x', deal_id: deal });
    expect(forged.status).toBe(422);
    expect(fieldsOf(forged.body)).toEqual(['kind']);
    const cursor = Buffer.from(
      JSON.stringify({ s: 'occurred_desc', k: ['2026-01-01T00:00:00.000Z', 'x'] }),
    ).toString('base64url');
    const badCursor = await ws.admin.client.get(`/crm/v1/accounts/${account.id}/timeline?cursor=${cursor}`);
    expect(badCursor.status).toBe(400);
  });
});

describe('with the contacts and deals services', () => {
  it("shows their system entries on the account's and contact's timelines, under the deal ACL", async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const owner = await addMember(t, ws, 'sales_rep');
    const outsider = await addMember(t, ws, 'sales_rep');
    const contact = await contactFor(t, ws.admin, { display_name: 'Trần Văn Bình', account_id: account.id });
    const open = await dealFor(t, owner, {
      name: 'Open deal',
      account_id: account.id,
      primary_contact_id: contact.id,
    });
    const secret = await dealFor(t, owner, {
      name: 'Secret deal',
      account_id: account.id,
      primary_contact_id: contact.id,
      acl_mode: 'restricted',
    });
    const kindsOn = async (c: Client, url: string) => {
      const res = await c.get<ActivityPage>(url);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => `${a.kind}:${a.deal_id ?? a.contact_id}`);
    };
    for (const url of [
      `/crm/v1/accounts/${account.id}/timeline`,
      `/crm/v1/contacts/${contact.id}/timeline`,
    ]) {
      const seenByOwner = await kindsOn(owner.client, url);
      expect(seenByOwner, url).toContain(`deal_created:${open.id}`);
      expect(seenByOwner, url).toContain(`deal_created:${secret.id}`);
      const seenByOutsider = await kindsOn(outsider.client, url);
      expect(seenByOutsider, url).toContain(`deal_created:${open.id}`);
      expect(seenByOutsider, url).not.toContain(`deal_created:${secret.id}`);
    }
    expect(
      await kindsOn(ws.admin.client, `/crm/v1/accounts/${account.id}/timeline?kinds=contact_created`),
    ).toEqual([`contact_created:${contact.id}`]);
    // Logging on the real deal derives its account.
    const call = await owner.client.post<ActivityJson>(BASE, {
      kind: 'call',
      subject: 'x',
      deal_id: secret.id,
    });
    expect(call.status, call.raw).toBe(201);
    expect(call.body.account_id).toBe(account.id);
    expect((await outsider.client.get(`${BASE}/${call.body.id}`)).status).toBe(404);
  });
});

describe('restricted deals', () => {
  it('hide their entries from members who cannot see the deal, everywhere', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const owner = await addMember(t, ws, 'sales_rep');
    const outsider = await addMember(t, ws, 'sales_rep');
    const allowed = await addMember(t, ws, 'support');
    const contact = await rawContact(t, ws.id, { account_id: account.id });
    const secret = await rawDeal(t, ws.id, {
      account_id: account.id,
      primary_contact_id: contact,
      owner_id: owner.userId,
      acl_mode: 'restricted',
      acl_roles: ['support'],
    });
    const hidden = await activityFor(t, owner, { kind: 'call', subject: 'secret call', deal_id: secret });
    const task = await activityFor(t, owner, { kind: 'task', subject: 'secret task', deal_id: secret });
    await activityFor(t, owner, { kind: 'note', subject: 'public', account_id: account.id });

    const subjects = async (c: Client, url: string) => {
      const res = await c.get<ActivityPage>(url);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((a) => a.subject).sort();
    };
    for (const url of [
      `/crm/v1/accounts/${account.id}/timeline`,
      `/crm/v1/contacts/${contact}/timeline`,
      BASE,
      `${BASE}?due=open`,
    ]) {
      expect(await subjects(outsider.client, url), url).not.toContain('secret call');
      expect(await subjects(outsider.client, url), url).not.toContain('secret task');
      expect(await subjects(owner.client, url), url).toContain('secret task');
      expect(await subjects(allowed.client, url), url).toContain('secret task');
      expect(await subjects(ws.admin.client, url), url).toContain('secret task');
    }
    expect((await outsider.client.get(`${BASE}/${hidden.id}`)).status).toBe(404);
    expect((await outsider.client.get(`/crm/v1/deals/${secret}/timeline`)).status).toBe(404);
    expect((await allowed.client.get(`/crm/v1/deals/${secret}/timeline`)).status).toBe(200);
    // Logging on it or completing its task is answered as if it did not exist.
    const log = await outsider.client.post(BASE, { kind: 'note', subject: 'x', deal_id: secret });
    expect(log.status).toBe(422);
    expect(fieldsOf(log.body)).toEqual(['deal_id']);
    const manager = await addMember(t, ws, 'manager');
    expect((await manager.client.post(`${BASE}/${task.id}/complete`)).status).toBe(404);
  });
});

describe('workspaces', () => {
  it("never shows another workspace's entries, entities or links", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const accountA = await accountFor(t, a.admin);
    const contactA = await rawContact(t, a.id, { account_id: accountA.id });
    const dealA = await rawDeal(t, a.id, { account_id: accountA.id });
    const entry = await activityFor(t, a.admin, { kind: 'task', subject: 'A only', deal_id: dealA });
    await activityFor(t, a.admin, {
      kind: 'email',
      subject: 'A feed',
      account_id: accountA.id,
      source: 'email',
      source_event_id: 'shared-id',
    });
    expect((await b.admin.client.get(`${BASE}/${entry.id}`)).status).toBe(404);
    expect((await b.admin.client.post(`${BASE}/${entry.id}/complete`)).status).toBe(404);
    for (const url of [
      `/crm/v1/accounts/${accountA.id}/timeline`,
      `/crm/v1/contacts/${contactA}/timeline`,
      `/crm/v1/deals/${dealA}/timeline`,
    ]) {
      expect((await b.admin.client.get(url)).status, url).toBe(404);
    }
    const listed = await b.admin.client.get<ActivityPage>(BASE);
    expect(listed.body.data).toEqual([]);
    for (const field of ['account_id', 'contact_id', 'deal_id']) {
      const id = field === 'account_id' ? accountA.id : field === 'contact_id' ? contactA : dealA;
      const res = await b.admin.client.post(BASE, { kind: 'note', subject: 'x', [field]: id });
      expect(res.status, field).toBe(422);
      expect(fieldsOf(res.body)).toEqual([field]);
    }
    // The same source event id in B is B's own event: no replay of A's row.
    const accountB = await accountFor(t, b.admin);
    const bFeed = await b.admin.client.post<ActivityJson>(BASE, {
      kind: 'email',
      subject: 'B feed',
      account_id: accountB.id,
      source: 'email',
      source_event_id: 'shared-id',
    });
    expect(bFeed.status).toBe(201);
    expect(bFeed.body.subject).toBe('B feed');
  });
});
