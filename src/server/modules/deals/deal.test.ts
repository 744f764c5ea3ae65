import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activitiesOf,
  auditOf,
  BASE,
  contactFor,
  dealFor,
  defaultPipelineId,
  fieldsOf,
  outboxOf,
  stagesOf,
  UNKNOWN_ID,
  writeCounts,
} from '../../../../test/factories/deals.js';
import { accountFor, addMember, apiKeyFor, createWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { DealJson } from './deal.presenter.js';
import type { DealPage } from './deal.service.js';

/**
 * The deals REST API end to end: create with defaults and references, 422s naming fields, get/list with
 * filters, sorts and keyset cursors, PATCH (versions, probability override, contacts, no stage), soft
 * delete/restore, record rules, audit rows, outbox events and timeline entries.
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

describe('create', () => {
  it('defaults to the default pipeline, its first open stage, the stage probability and me as owner', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<DealJson>(BASE, {
      name: '  Hợp đồng ERP  ',
      amount_minor: 500_000_000,
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    const stages = await stagesOf(t, ws);
    expect(res.body).toMatchObject({
      name: 'Hợp đồng ERP',
      pipeline_id: await defaultPipelineId(t, ws),
      stage_id: stages.qualifying,
      stage: {
        id: stages.qualifying,
        code: 'qualifying',
        name_vi: 'Đánh giá',
        name_en: 'Qualifying',
        category: 'open',
      },
      probability: 10,
      probability_overridden: false,
      currency: 'VND',
      amount_minor: 500_000_000,
      status: 'open',
      closed_at: null,
      owner_id: ws.admin.userId,
      acl_mode: 'default',
      tags: [],
      contacts: [],
      version: 1,
    });
    expect(res.body.abilities).toEqual(['update', 'delete', 'move', 'close']);
  });

  it('takes references, contacts with roles (primary listed too), a probability override, tags trimmed and deduped', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin, { name: 'Công ty An Phát' });
    const primary = await contactFor(t, ws, { accountId: account.id });
    const other = await contactFor(t, ws);
    const stages = await stagesOf(t, ws);
    const rep = await addMember(t, ws, 'sales_rep');
    const res = await ws.admin.client.post<DealJson>(BASE, {
      name: 'Deal',
      description: 'Phần mềm kế toán',
      account_id: account.id,
      primary_contact_id: primary,
      contacts: [{ contact_id: other, role: 'finance' }],
      amount_minor: 12_345,
      currency: 'USD',
      stage_id: stages.discovery,
      probability: 40,
      expected_close_date: '2026-12-31',
      owner_id: rep.userId,
      acl_mode: 'restricted',
      acl_member_ids: [rep.userId, rep.userId],
      acl_roles: ['manager'],
      tags: [' vip ', 'vip', 'q4'],
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body).toMatchObject({
      stage: { code: 'discovery' },
      probability: 40,
      probability_overridden: true,
      currency: 'USD',
      expected_close_date: '2026-12-31',
      owner_id: rep.userId,
      acl_member_ids: [rep.userId],
      acl_roles: ['manager'],
      tags: ['vip', 'q4'],
      contacts: [
        { contact_id: primary, role: null },
        { contact_id: other, role: 'finance' },
      ],
    });
    const got = await ws.admin.client.get<DealJson>(`${BASE}/${res.body.id}`);
    expect(got.body.contacts).toEqual(res.body.contacts);
  });

  it('answers 422 naming the field for floats, strings, unknown currencies, bad references and non-members', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    const other = await createWorkspace(t);
    const otherStages = await stagesOf(t, other);
    const before = await writeCounts(t, ws.id);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ name: 'x', amount_minor: 10.5 }, ['amount_minor']],
      [{ name: 'x', amount_minor: '1000' }, ['amount_minor']],
      [{ name: 'x', amount_minor: -1 }, ['amount_minor']],
      [{ name: 'x', currency: 'EUR' }, ['currency']],
      [{ name: '' }, ['name']],
      [{ name: 'x', probability: 101 }, ['probability']],
      [{ name: 'x', expected_close_date: '31/12/2026' }, ['expected_close_date']],
      [{ name: 'x', stage_id: otherStages.qualifying }, ['stage_id']],
      [{ name: 'x', pipeline_id: UNKNOWN_ID }, ['pipeline_id']],
      [{ name: 'x', account_id: UNKNOWN_ID }, ['account_id']],
      [{ name: 'x', primary_contact_id: UNKNOWN_ID }, ['primary_contact_id']],
      [{ name: 'x', contacts: [{ contact_id: UNKNOWN_ID, role: 'user' }] }, ['contacts.0.contact_id']],
      [{ name: 'x', acl_member_ids: [other.admin.userId] }, ['acl_member_ids.0']],
      [{ name: 'x', owner_id: other.admin.userId }, ['owner_id']],
      [{ name: 'x', acl_roles: ['boss'] }, ['acl_roles.0']],
      [{ name: 'x', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, ['tags']],
      [{ name: 'x', status: 'won' }, ['status']],
    ];
    for (const [body, fields] of cases) {
      const res = await c.post<ProblemDocument>(BASE, body);
      expect(res.status, `${JSON.stringify(body)} → ${res.raw}`).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('checks the first stage with the rules: straight into proposal needs amount and a primary contact', async () => {
    const ws = await createWorkspace(t);
    const stages = await stagesOf(t, ws);
    const res = await ws.admin.client.post<
      ProblemDocument & { unmet: Array<{ rule: string; field?: string }> }
    >(BASE, { name: 'x', stage_id: stages.proposal });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('stage_transition_blocked');
    expect(res.body.unmet.map((u) => [u.rule, u.field])).toEqual([
      ['field_required', 'primary_contact_id'],
      ['field_required', 'amount'],
    ]);
    const contact = await contactFor(t, ws);
    const ok = await ws.admin.client.post<DealJson>(BASE, {
      name: 'x',
      stage_id: stages.proposal,
      amount_minor: 1,
      primary_contact_id: contact,
    });
    expect(ok.status, ok.raw).toBe(201);
    expect(ok.body.probability).toBe(50);
  });

  it('lets only managers and admins give a deal to someone else; viewers cannot create', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const viewer = await addMember(t, ws, 'viewer');
    const denied = await rep.client.post<ProblemDocument>(BASE, { name: 'x', owner_id: manager.userId });
    expect(denied.status).toBe(403);
    expect(fieldsOf(denied.body)).toEqual(['owner_id']);
    expect((await rep.client.post(BASE, { name: 'x', owner_id: null })).status).toBe(201);
    const given = await manager.client.post<DealJson>(BASE, { name: 'x', owner_id: rep.userId });
    expect(given.status).toBe(201);
    expect(given.body.owner_id).toBe(rep.userId);
    expect((await viewer.client.post(BASE, { name: 'x' })).status).toBe(403);
  });

  it('writes the audit row, deal.created with the ACL snapshot, the first stage-history row and a timeline entry', async () => {
    const ws = await createWorkspace(t);
    const account = await accountFor(t, ws.admin);
    const deal = await dealFor(t, ws.admin, {
      account_id: account.id,
      acl_mode: 'restricted',
      acl_roles: ['manager'],
    });
    const audit = await auditOf(t, ws, deal.id);
    expect(audit.map((a) => a.action)).toEqual(['deal.created']);
    expect(audit[0]?.diff.name).toEqual({ from: null, to: deal.name });
    const events = await outboxOf(t, ws.id, deal.id);
    expect(events.map((e) => e.topic)).toEqual(['deal.created']);
    expect(events[0]?.payload.data.deal).toMatchObject({
      id: deal.id,
      pipeline_id: deal.pipeline_id,
      stage_id: deal.stage_id,
      owner_id: ws.admin.userId,
      acl_mode: 'restricted',
      acl_member_ids: [],
      acl_roles: ['manager'],
    });
    const timeline = await activitiesOf(t, ws.id, deal.id);
    expect(timeline.map((a) => [a.kind, a.source, a.account_id])).toEqual([
      ['deal_created', 'system', account.id],
    ]);
    const history = await ws.admin.client.get<{
      data: Array<{ from_stage: unknown; to_stage: { code: string } }>;
    }>(`${BASE}/${deal.id}/stage-history`);
    expect(history.body.data.map((h) => [h.from_stage, h.to_stage.code])).toEqual([[null, 'qualifying']]);
  });
});

describe('get and list', () => {
  it('answers 404 for unknown ids and 422 for malformed ones', async () => {
    const ws = await createWorkspace(t);
    expect((await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await ws.admin.client.get<ProblemDocument>(`${BASE}/${UNKNOWN_ID}`)).body.code).toBe(
      'deal_not_found',
    );
    expect((await ws.admin.client.get(`${BASE}/not-a-uuid`)).status).toBe(422);
  });

  it('filters by pipeline, stage, status, owner, account, contact, tag, amount and close date', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const account = await accountFor(t, ws.admin);
    const contact = await contactFor(t, ws);
    const stages = await stagesOf(t, ws);
    const a = await dealFor(t, ws.admin, {
      name: 'Alpha',
      amount_minor: 100,
      tags: ['vip'],
      account_id: account.id,
    });
    const b = await dealFor(t, rep, {
      name: 'Bravo',
      amount_minor: 5_000,
      expected_close_date: '2026-03-01',
      contacts: [{ contact_id: contact, role: 'user' }],
    });
    const c = await dealFor(t, ws.admin, { name: 'Charlie', owner_id: null, stage_id: stages.discovery });
    const ids = async (q: string) => {
      const res = await ws.admin.client.get<DealPage>(`${BASE}?${q}`);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((d) => d.name).sort();
    };
    expect(await ids('')).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await ids(`stage_id=${stages.discovery}`)).toEqual(['Charlie']);
    expect(await ids(`pipeline_id=${a.pipeline_id}&status=open`)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await ids('status=won')).toEqual([]);
    expect(await ids('owner_id=me')).toEqual(['Alpha']);
    expect(await ids('owner_id=none')).toEqual(['Charlie']);
    expect(await ids(`owner_id=${rep.userId}`)).toEqual(['Bravo']);
    expect(await ids(`account_id=${account.id}`)).toEqual(['Alpha']);
    expect(await ids(`contact_id=${contact}`)).toEqual(['Bravo']);
    expect(await ids('tag=vip')).toEqual(['Alpha']);
    expect(await ids('amount_min=101')).toEqual(['Bravo']);
    expect(await ids('amount_max=100')).toEqual(['Alpha']);
    expect(await ids('expected_close_from=2026-01-01&expected_close_to=2026-12-31')).toEqual(['Bravo']);
    expect(await ids('q=charl')).toEqual(['Charlie']);
    expect(b.id && c.id).toBeTruthy();
    const bad = await ws.admin.client.get<ProblemDocument>(`${BASE}?amount_min=1.5`);
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['amount_min']);
  });

  it('pages every sort with keyset cursors (nulls included) and counts with include_total', async () => {
    const ws = await createWorkspace(t);
    const names = ['Đại Phát', 'an khang', 'Bình Minh', 'Cửu Long', 'Ếch', 'dừa'];
    for (const [i, name] of names.entries()) {
      await dealFor(t, ws.admin, {
        name,
        ...(i % 3 === 0 ? {} : { amount_minor: (i % 2) * 1000 + i }),
        ...(i % 2 === 0 ? { expected_close_date: `2026-0${i + 1}-15` } : {}),
      });
    }
    for (const sort of [
      'name',
      '-name',
      'created_at',
      '-created_at',
      'updated_at',
      '-updated_at',
      'amount',
      '-amount',
      'expected_close_date',
      '-expected_close_date',
    ]) {
      const all = await ws.admin.client.get<DealPage>(`${BASE}?sort=${sort}&limit=100&include_total=true`);
      expect(all.body.page.total).toBe(6);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const url: string = `${BASE}?sort=${sort}&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await ws.admin.client.get<DealPage>(url);
        expect(page.status, page.raw).toBe(200);
        seen.push(...page.body.data.map((d) => d.id));
        cursor = page.body.page.next_cursor;
        if (!cursor) break;
      }
      expect(seen, sort).toEqual(all.body.data.map((d) => d.id));
    }
    const byName = await ws.admin.client.get<DealPage>(`${BASE}?sort=name`);
    expect(byName.body.data.map((d) => d.name)).toEqual([
      'an khang',
      'Bình Minh',
      'Cửu Long',
      'Đại Phát',
      'dừa',
      'Ếch',
    ]);
    const byAmount = await ws.admin.client.get<DealPage>(`${BASE}?sort=-amount`);
    expect(byAmount.body.data.map((d) => d.amount_minor)).toEqual([1005, 1001, 4, 2, null, null]);
    expect((await ws.admin.client.get(`${BASE}?cursor=garbage`)).status).toBe(400);
  });
});

describe('update', () => {
  it('updates with If-Match or version; a stale one is 412 carrying the current deal', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin);
    const c = ws.admin.client;
    const ok = await c.patch<DealJson>(`${BASE}/${deal.id}`, { name: 'Renamed' }, { 'if-match': '"1"' });
    expect(ok.status, ok.raw).toBe(200);
    expect(ok.body).toMatchObject({ name: 'Renamed', version: 2 });
    expect(ok.headers.etag).toBe('"2"');
    const stale = await c.patch<ProblemDocument & { current: DealJson }>(`${BASE}/${deal.id}`, {
      name: 'Again',
      version: 1,
    });
    expect(stale.status).toBe(412);
    expect(stale.body.current.name).toBe('Renamed');
  });

  it('refuses stage_id (pointing at /move) and unknown fields with 422', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin);
    const stages = await stagesOf(t, ws);
    const res = await ws.admin.client.patch<ProblemDocument>(`${BASE}/${deal.id}`, {
      stage_id: stages.discovery,
    });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['stage_id']);
    expect(res.body.detail).toContain('/move');
    const unknown = await ws.admin.client.patch<ProblemDocument>(`${BASE}/${deal.id}`, { status: 'won' });
    expect(unknown.status).toBe(422);
    const float = await ws.admin.client.patch<ProblemDocument>(`${BASE}/${deal.id}`, { amount_minor: 1.25 });
    expect(fieldsOf(float.body)).toEqual(['amount_minor']);
  });

  it('records a probability override and resets it to the stage default with null', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin);
    const c = ws.admin.client;
    const set = await c.patch<DealJson>(`${BASE}/${deal.id}`, { probability: 65 });
    expect(set.body).toMatchObject({ probability: 65, probability_overridden: true });
    const reset = await c.patch<DealJson>(`${BASE}/${deal.id}`, { probability: null });
    expect(reset.body).toMatchObject({ probability: 10, probability_overridden: false });
    const audit = await auditOf(t, ws, deal.id);
    expect(audit.map((a) => a.action)).toEqual(['deal.created', 'deal.updated', 'deal.updated']);
    expect(audit[1]?.diff).toEqual({
      probability: { from: 10, to: 65 },
      probability_overridden: { from: false, to: true },
    });
    const events = await outboxOf(t, ws.id, deal.id);
    expect(events.map((e) => e.topic)).toEqual(['deal.created', 'deal.updated', 'deal.updated']);
    expect(events[1]?.payload.data.changes?.probability).toEqual({ from: 10, to: 65 });
  });

  it('writes seed 003 timeline entries for tags added and removed and for a change of owner', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const deal = await dealFor(t, ws.admin, { tags: ['vip', 'q4'] });
    const res = await ws.admin.client.patch<DealJson>(`${BASE}/${deal.id}`, {
      tags: ['q4', 'renewal'],
      owner_id: rep.userId,
    });
    expect(res.status).toBe(200);
    const entries = (await activitiesOf(t, ws.id, deal.id)).filter((a) => a.kind !== 'deal_created');
    expect(entries.map((a) => [a.kind, a.metadata])).toEqual(
      expect.arrayContaining([
        ['tag_added', { tag: 'renewal' }],
        ['tag_removed', { tag: 'vip' }],
        ['owner_changed', { from_owner_id: ws.admin.userId, to_owner_id: rep.userId }],
      ]),
    );
    expect(entries).toHaveLength(3);
    expect(entries.every((a) => a.source === 'system')).toBe(true);
  });

  it('replaces the contact set when given, keeps the primary in it, and a no-op PATCH writes nothing', async () => {
    const ws = await createWorkspace(t);
    const [c1, c2, c3] = [await contactFor(t, ws), await contactFor(t, ws), await contactFor(t, ws)];
    const deal = await dealFor(t, ws.admin, {
      primary_contact_id: c1,
      contacts: [{ contact_id: c2, role: 'user' }],
    });
    const c = ws.admin.client;
    const replaced = await c.patch<DealJson>(`${BASE}/${deal.id}`, {
      contacts: [{ contact_id: c3, role: 'decision_maker' }],
    });
    expect(replaced.status, replaced.raw).toBe(200);
    expect(replaced.body.contacts).toEqual([
      { contact_id: c1, role: null },
      { contact_id: c3, role: 'decision_maker' },
    ]);
    const newPrimary = await c.patch<DealJson>(`${BASE}/${deal.id}`, { primary_contact_id: c2 });
    expect(newPrimary.body.contacts.map((x) => x.contact_id).sort()).toEqual([c1, c2, c3].sort());
    const got = await c.get<DealJson>(`${BASE}/${deal.id}`);
    expect(got.body.contacts[0]).toEqual({ contact_id: c2, role: null });
    const before = await writeCounts(t, ws.id);
    const same = await c.patch<DealJson>(`${BASE}/${deal.id}`, { name: deal.name });
    expect(same.body.version).toBe(got.body.version);
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('lets a member write own and unowned deals only; managers write all; viewers nothing', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const rep2 = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const viewer = await addMember(t, ws, 'viewer');
    const mine = await dealFor(t, rep, {});
    const unowned = await dealFor(t, ws.admin, { owner_id: null });
    const others = await dealFor(t, rep2, {});
    expect((await rep.client.patch(`${BASE}/${mine.id}`, { name: 'a' })).status).toBe(200);
    expect((await rep.client.patch(`${BASE}/${unowned.id}`, { name: 'b' })).status).toBe(200);
    const denied = await rep.client.get<DealJson>(`${BASE}/${others.id}`);
    expect(denied.body.abilities).toEqual([]);
    expect((await rep.client.patch(`${BASE}/${others.id}`, { name: 'c' })).status).toBe(403);
    expect((await rep.client.delete(`${BASE}/${others.id}`)).status).toBe(403);
    expect((await manager.client.patch(`${BASE}/${others.id}`, { name: 'd' })).status).toBe(200);
    expect((await viewer.client.patch(`${BASE}/${unowned.id}`, { name: 'e' })).status).toBe(403);
    const viewerSees = await viewer.client.get<DealJson>(`${BASE}/${unowned.id}`);
    expect(viewerSees.body.abilities).toEqual([]);
    expect(
      (await rep.client.patch<ProblemDocument>(`${BASE}/${mine.id}`, { owner_id: rep2.userId })).status,
    ).toBe(403);
  });

  it('API keys need crm.write to write and crm.close to close', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin);
    const reader = await apiKeyFor(t, ws.admin, ['crm.read']);
    expect((await reader.client.get(`${BASE}/${deal.id}`)).status).toBe(200);
    expect((await reader.client.patch(`${BASE}/${deal.id}`, { name: 'x' })).status).toBe(403);
    const writer = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const res = await writer.client.post<ProblemDocument>(
      `${BASE}/${deal.id}/close`,
      { outcome: 'cancelled' },
      { 'idempotency-key': 'k1' },
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
    // Moving into a won/lost stage is closing too: crm.write alone is not enough.
    const stages = await stagesOf(t, ws);
    const lost = await writer.client.post<ProblemDocument>(
      `${BASE}/${deal.id}/move`,
      { stage_id: stages.cancelled, version: 1 },
      { 'idempotency-key': 'k2' },
    );
    expect(lost.status).toBe(403);
    expect(lost.body.code).toBe('insufficient_scope');
    const open = await writer.client.post<DealJson>(
      `${BASE}/${deal.id}/move`,
      { stage_id: stages.discovery, version: 1 },
      { 'idempotency-key': 'k3' },
    );
    expect(open.status, open.raw).toBe(200);
    const audit = await auditOf(t, ws, deal.id);
    expect(audit.at(-1)?.actor.type).toBe('api_key');
  });
});

describe('delete and restore', () => {
  it('soft-deletes (404 after, listed with deleted=only) and restores; audit and events for each', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin);
    const c = ws.admin.client;
    const del = await c.delete<DealJson>(`${BASE}/${deal.id}`);
    expect(del.status).toBe(200);
    expect(del.body.deleted_at).not.toBeNull();
    expect(del.body.abilities).toEqual(['restore']);
    expect((await c.get(`${BASE}/${deal.id}`)).status).toBe(404);
    expect((await c.get<DealJson>(`${BASE}/${deal.id}?include_deleted=true`)).status).toBe(200);
    expect((await c.get<DealPage>(BASE)).body.data).toHaveLength(0);
    expect((await c.get<DealPage>(`${BASE}?deleted=only`)).body.data.map((d) => d.id)).toEqual([deal.id]);
    expect((await c.post(`${BASE}/${deal.id}/move`, { stage_id: deal.stage_id, version: 2 })).status).toBe(
      404,
    );
    const restored = await c.post<DealJson>(`${BASE}/${deal.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.deleted_at).toBeNull();
    expect((await c.post(`${BASE}/${deal.id}/restore`)).status).toBe(409);
    expect((await auditOf(t, ws, deal.id)).map((a) => a.action)).toEqual([
      'deal.created',
      'deal.deleted',
      'deal.restored',
    ]);
    expect((await outboxOf(t, ws.id, deal.id)).map((e) => e.topic)).toEqual([
      'deal.created',
      'deal.deleted',
      'deal.restored',
    ]);
  });
});
