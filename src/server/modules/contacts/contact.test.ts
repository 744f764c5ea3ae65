import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../../test/factories/contacts.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type ApiResponse, type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { FieldDiff } from '../../platform/audit/audit.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import { FakeMxResolver } from './contact.email.js';
import type { ContactJson, ContactSnapshot } from './contact.presenter.js';
import type { ContactSort } from './contact.schema.js';
import type { ContactPage } from './contact.service.js';

/**
 * The contacts REST API end to end on a real database: CRUD with Vietnamese name rules, normalized
 * channels and their MX status, validation naming the field, listing (filters, name prefix, channel
 * lookup, keyset pagination), optimistic concurrency, ownership per role with claim/release, the one
 * primary contact per account, and the audit rows, outbox events and timeline entries of each write.
 */

interface AuditEntryJson {
  action: string;
  entity_type: string;
  entity_id: string;
  diff: FieldDiff;
}
interface OutboxRow {
  topic: string;
  aggregate_id: string;
  payload: EventEnvelope<{
    contact: ContactSnapshot;
    changes?: FieldDiff;
    previous_owner_id?: string | null;
  }>;
}

const BASE = '/crm/v1/contacts';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function auditOf(ws: TestWorkspace, entityId: string): Promise<AuditEntryJson[]> {
  const res = await ws.admin.client.get<{ data: AuditEntryJson[] }>(
    `/crm/v1/audit?entity_id=${entityId}&limit=100`,
  );
  expect(res.status).toBe(200);
  return [...res.body.data].reverse();
}

async function outboxOf(workspaceId: string, aggregateId: string): Promise<OutboxRow[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<OutboxRow>`
      SELECT topic, aggregate_id, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${aggregateId}
      ORDER BY created_at, id`.execute(k),
  );
  return r.rows;
}

async function timelineOf(
  workspaceId: string,
  contactId: string,
): Promise<{ kind: string; subject: string }[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ kind: string; subject: string }>`
      SELECT kind, subject FROM crm_core.crm_activities
      WHERE tenant_id = ${workspaceId} AND contact_id = ${contactId} ORDER BY occurred_at, id`.execute(k),
  );
  return r.rows;
}

async function writeCounts(
  workspaceId: string,
): Promise<{ audit: number; outbox: number; contacts: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number; contacts: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log WHERE tenant_id = ${workspaceId}) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox WHERE tenant_id = ${workspaceId}) AS outbox,
             (SELECT count(*)::int FROM crm_core.crm_contacts WHERE tenant_id = ${workspaceId}) AS contacts`.execute(
      k,
    ),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { audit: Number(row.audit), outbox: Number(row.outbox), contacts: Number(row.contacts) };
}

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function readAll(c: Client, query: string, limit: number): Promise<ContactJson[]> {
  const out: ContactJson[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const url: string = `${BASE}?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res: ApiResponse<ContactPage> = await c.get<ContactPage>(url);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.page.has_more).toBe(res.body.page.next_cursor !== null);
    out.push(...res.body.data);
    cursor = res.body.page.next_cursor;
    if (!cursor) return out;
  }
  throw new Error('pagination did not end');
}

describe('create', () => {
  it('composes the Vietnamese display name and call name, owns it, embeds channels', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<ContactJson>(BASE, {
      last_name: 'Nguyễn',
      first_name: 'Thị Lan',
      title: 'Giám đốc',
      buying_role: 'decision_maker',
      channels: [
        { kind: 'phone', value: '0162 123 4567', label: 'mobile' },
        { kind: 'email', value: 'Lan.Nguyen@Acme.VN' },
        { kind: 'linkedin', value: 'linkedin.com/in/nguyen-thi-lan/' },
        { kind: 'telegram', value: '@Lan_Nguyen' },
        { kind: 'zalo', value: '0912.345.678' },
      ],
    });
    expect(res.status, res.raw).toBe(201);
    const c = res.body;
    expect(res.headers.location).toBe(`${BASE}/${c.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(c).toMatchObject({
      display_name: 'Nguyễn Thị Lan',
      call_name: 'Lan',
      first_name: 'Thị Lan',
      last_name: 'Nguyễn',
      // Filled by the Vietnamese salutation rule (middle name Thị): "Chị Lan".
      salutation: 'chi',
      salutation_source: 'auto',
      salutation_display: 'Chị Lan',
      title: 'Giám đốc',
      buying_role: 'decision_maker',
      is_primary: false,
      account_id: null,
      owner_id: ws.admin.userId,
      email_opt_in: false,
      do_not_call: false,
      custom_fields: {},
      version: 1,
      deleted_at: null,
      abilities: ['update', 'delete', 'release'],
    });
    expect(c.claimed_at).not.toBeNull();
    expect(
      c.channels.map((ch) => [ch.kind, ch.value, ch.raw_value, ch.is_primary, ch.position, ch.mx_status]),
    ).toEqual([
      ['phone', '+84321234567', '0162 123 4567', true, 0, null],
      ['email', 'lan.nguyen@acme.vn', 'Lan.Nguyen@Acme.VN', true, 1, 'valid'],
      [
        'linkedin',
        'https://www.linkedin.com/in/nguyen-thi-lan',
        'linkedin.com/in/nguyen-thi-lan/',
        true,
        2,
        null,
      ],
      ['telegram', 'lan_nguyen', '@Lan_Nguyen', true, 3, null],
      ['zalo', '+84912345678', '0912.345.678', true, 4, null],
    ]);
    expect(c.channels[0]?.label).toBe('mobile');
    const got = await ws.admin.client.get<ContactJson>(`${BASE}/${c.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(c);
  });

  it('keeps a given display name and call name; derives the call name from the display name alone', async () => {
    const ws = await createWorkspace(t);
    const a = await ws.admin.client.post<ContactJson>(BASE, {
      first_name: 'Ngọc Anh',
      last_name: 'Phạm',
      display_name: 'Chị Ngọc Anh (Kế toán)',
      call_name: 'Ngọc Anh',
    });
    expect(a.body).toMatchObject({ display_name: 'Chị Ngọc Anh (Kế toán)', call_name: 'Ngọc Anh' });
    const b = await ws.admin.client.post<ContactJson>(BASE, { display_name: 'Trần Văn Tuấn' });
    expect(b.body).toMatchObject({ display_name: 'Trần Văn Tuấn', call_name: 'Tuấn', first_name: null });
  });

  it('writes an audit row, a contact.created event and a contact_created timeline entry', async () => {
    const ws = await createWorkspace(t);
    const c = (
      await ws.admin.client.post<ContactJson>(BASE, {
        display_name: 'Lê Minh',
        channels: [{ kind: 'phone', value: '0912345678' }],
      })
    ).body;
    const audit = await auditOf(ws, c.id);
    expect(audit.map((a) => a.action)).toEqual(['contact.created']);
    expect(audit[0]?.diff.display_name).toEqual({ from: null, to: 'Lê Minh' });
    expect(audit[0]?.diff.channels?.to).toEqual([
      { kind: 'phone', value: '+84912345678', raw_value: '0912345678', label: null, is_primary: true },
    ]);
    const events = await outboxOf(ws.id, c.id);
    expect(events.map((e) => e.topic)).toEqual(['contact.created']);
    expect(events[0]?.payload.data.contact.channels[0]?.value).toBe('+84912345678');
    expect(await timelineOf(ws.id, c.id)).toEqual([
      { kind: 'contact_created', subject: 'Contact created: Lê Minh' },
    ]);
  });

  it('answers 422 naming the field, and writes nothing', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const foreignAccount = await accountFor(t, other.admin);
    const before = await writeCounts(ws.id);
    const cases: [unknown, string][] = [
      [{}, 'display_name'],
      [{ first_name: '  ', last_name: '' }, 'display_name'],
      [{ display_name: 'x'.repeat(201) }, 'display_name'],
      [{ display_name: 'A', buying_role: 'boss' }, 'buying_role'],
      [{ display_name: 'A', salutation: 'mr' }, 'salutation'],
      [{ display_name: 'A', account_id: 'nope' }, 'account_id'],
      [{ display_name: 'A', account_id: UNKNOWN_ID }, 'account_id'],
      [{ display_name: 'A', account_id: foreignAccount.id }, 'account_id'],
      [{ display_name: 'A', owner_id: UNKNOWN_ID }, 'owner_id'],
      [{ display_name: 'A', is_primary: true }, 'is_primary'],
      [{ display_name: 'A', unknown: 1 }, 'unknown'],
      [{ display_name: 'A\u0000' }, 'display_name'],
      [{ display_name: 'A', channels: [{ kind: 'fax', value: '1' }] }, 'channels.0.kind'],
      [{ display_name: 'A', channels: [{ kind: 'phone' }] }, 'channels.0.value'],
      [
        { display_name: 'A', channels: [{ kind: 'phone', value: '0912345678', extra: 1 }] },
        'channels.0.extra',
      ],
      [
        {
          display_name: 'A',
          channels: [
            { kind: 'email', value: 'a@acme.vn' },
            { kind: 'phone', value: '0912345678' },
            { kind: 'phone', value: '0912 abc' },
          ],
        },
        'channels.2.value',
      ],
      [{ display_name: 'A', channels: [{ kind: 'phone', value: '091234' }] }, 'channels.0.value'],
      [{ display_name: 'A', channels: [{ kind: 'email', value: 'lan@acme' }] }, 'channels.0.value'],
      [
        { display_name: 'A', channels: [{ kind: 'linkedin', value: 'https://evil.com/in/lan' }] },
        'channels.0.value',
      ],
      [{ display_name: 'A', channels: [{ kind: 'telegram', value: '@abc' }] }, 'channels.0.value'],
      [{ display_name: 'A', channels: [{ kind: 'zalo', value: 'lan' }] }, 'channels.0.value'],
      [
        {
          display_name: 'A',
          channels: [
            { kind: 'phone', value: '0912 345 678' },
            { kind: 'phone', value: '84912345678' },
          ],
        },
        'channels.1.value',
      ],
      [
        {
          display_name: 'A',
          channels: [
            { kind: 'email', value: 'a@acme.vn', is_primary: true },
            { kind: 'email', value: 'b@acme.vn', is_primary: true },
          ],
        },
        'channels.1.is_primary',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await ws.admin.client.post(BASE, body);
      expect(res.status, `${JSON.stringify(body)} → ${res.raw}`).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toContain(field);
    }
    expect(await writeCounts(ws.id)).toEqual(before);
  });

  it('a deleted account is not an account to link to', async () => {
    const ws = await createWorkspace(t);
    const acc = await accountFor(t, ws.admin);
    expect((await ws.admin.client.delete(`/crm/v1/accounts/${acc.id}`)).status).toBe(200);
    const res = await ws.admin.client.post(BASE, { display_name: 'A', account_id: acc.id });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['account_id']);
  });
});

describe('MX status', () => {
  it('stores the resolver answer, and a slow or failing DNS never blocks or fails the save', async () => {
    const ws = await createWorkspace(t);
    const saved = t.platform.mxResolver;
    try {
      t.platform.mxResolver = new FakeMxResolver({ 'nomail.vn': 'no_mx', 'dead.vn': 'unresolvable' });
      const c = (
        await ws.admin.client.post<ContactJson>(BASE, {
          display_name: 'A',
          channels: [
            { kind: 'email', value: 'a@acme.vn' },
            { kind: 'email', value: 'a@nomail.vn' },
            { kind: 'email', value: 'a@dead.vn' },
          ],
        })
      ).body;
      expect(c.channels.map((ch) => ch.mx_status)).toEqual(['valid', 'no_mx', 'unresolvable']);
      expect(c.channels[0]?.mx_checked_at).not.toBeNull();

      t.platform.mxResolver = new FakeMxResolver({}, { fail: true });
      const failing = await ws.admin.client.post<ContactJson>(BASE, {
        display_name: 'B',
        channels: [{ kind: 'email', value: 'b@acme.vn' }],
      });
      expect(failing.status).toBe(201);
      expect(failing.body.channels[0]).toMatchObject({ mx_status: 'unchecked', mx_checked_at: null });

      // A known address keeps its stored status: no second lookup when the set is replaced.
      const fake = new FakeMxResolver();
      t.platform.mxResolver = fake;
      const patched = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, {
        channels: [
          { kind: 'email', value: 'A@nomail.vn' },
          { kind: 'email', value: 'new@fresh.vn' },
        ],
      });
      expect(patched.status, patched.raw).toBe(200);
      expect(patched.body.channels.map((ch) => [ch.value, ch.mx_status])).toEqual([
        ['a@nomail.vn', 'no_mx'],
        ['new@fresh.vn', 'valid'],
      ]);
      expect(fake.calls).toEqual(['fresh.vn']);

      // EMAIL_MX_CHECK=off and no injected resolver: nothing is looked up, the status says so.
      t.platform.mxResolver = undefined;
      t.platform.config.EMAIL_MX_CHECK = 'off';
      const off = await ws.admin.client.post<ContactJson>(BASE, {
        display_name: 'C',
        channels: [{ kind: 'email', value: 'c@acme.vn' }],
      });
      expect(off.body.channels[0]).toMatchObject({ mx_status: 'unchecked', mx_checked_at: null });
    } finally {
      t.platform.mxResolver = saved;
      t.platform.config.EMAIL_MX_CHECK = 'dns';
    }
  });
});

describe('read and list', () => {
  it('404s unknown and deleted contacts (unless include_deleted)', async () => {
    const ws = await createWorkspace(t);
    expect((await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`)).body.code).toBe('contact_not_found');
    expect((await ws.admin.client.get(`${BASE}/not-a-uuid`)).status).toBe(422);
    const c = await contactFor(t, ws.admin);
    await ws.admin.client.delete(`${BASE}/${c.id}`);
    expect((await ws.admin.client.get(`${BASE}/${c.id}`)).status).toBe(404);
    const incl = await ws.admin.client.get<ContactJson>(`${BASE}/${c.id}?include_deleted=true`);
    expect(incl.status).toBe(200);
    expect(incl.body.abilities).toEqual(['restore']);
  });

  it('filters by account, owner, buying role, primary, deleted', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const acc = await accountFor(t, ws.admin);
    const c1 = await contactFor(t, ws.admin, {
      display_name: 'Một',
      account_id: acc.id,
      is_primary: true,
      buying_role: 'finance',
    });
    const c2 = await contactFor(t, rep, { display_name: 'Hai', account_id: acc.id });
    const c3 = await contactFor(t, ws.admin, { display_name: 'Ba', owner_id: null });
    const c4 = await contactFor(t, ws.admin, { display_name: 'Bốn' });
    await ws.admin.client.delete(`${BASE}/${c4.id}`);
    const ids = async (q: string) =>
      (await ws.admin.client.get<ContactPage>(`${BASE}?${q}`)).body.data.map((c) => c.id).sort();
    expect(await ids(`account_id=${acc.id}`)).toEqual([c1.id, c2.id].sort());
    expect(await ids(`owner_id=${rep.userId}`)).toEqual([c2.id]);
    expect(await ids('owner_id=none')).toEqual([c3.id]);
    expect(await ids('owner_id=me')).toEqual([c1.id]);
    expect(await ids('buying_role=finance')).toEqual([c1.id]);
    expect(await ids('is_primary=true')).toEqual([c1.id]);
    expect(await ids('is_primary=false')).toEqual([c2.id, c3.id].sort());
    expect(await ids('deleted=only')).toEqual([c4.id]);
    expect((await ids('deleted=include')).length).toBe(4);
    const total = await ws.admin.client.get<ContactPage>(`${BASE}?include_total=true&limit=1`);
    expect(total.body.page).toMatchObject({ total: 3, has_more: true });
    expect((await ws.admin.client.get(`${BASE}?owner_id=someone`)).status).toBe(422);
    expect((await ws.admin.client.get(`${BASE}?is_primary=yes`)).status).toBe(422);
  });

  it('q is a diacritic-insensitive name prefix', async () => {
    const ws = await createWorkspace(t);
    const lan = await contactFor(t, ws.admin, { last_name: 'Nguyễn', first_name: 'Thị Lan' });
    const tuan = await contactFor(t, ws.admin, { last_name: 'Nguyễn', first_name: 'Văn Tuấn' });
    const dang = await contactFor(t, ws.admin, { last_name: 'Đặng', first_name: 'Văn A' });
    await contactFor(t, ws.admin, { display_name: 'Lan Nguyễn' });
    const ids = async (q: string) =>
      (await ws.admin.client.get<ContactPage>(`${BASE}?q=${encodeURIComponent(q)}`)).body.data.map(
        (c) => c.id,
      );
    expect(await ids('nguyen')).toEqual([lan.id, tuan.id]);
    expect(await ids('NGUYỄN THỊ')).toEqual([lan.id]);
    expect(await ids('nguyen thi lan')).toEqual([lan.id]);
    expect(await ids('dang')).toEqual([dang.id]);
    expect(await ids('Đặng')).toEqual([dang.id]);
    expect(await ids('thi')).toEqual([]);
    expect(await ids('%')).toEqual([]);
  });

  it('channel= finds a contact by any spelling of a channel value', async () => {
    const ws = await createWorkspace(t);
    const c = await contactFor(t, ws.admin, {
      display_name: 'Lan',
      channels: [
        { kind: 'phone', value: '0912 345 678' },
        { kind: 'email', value: 'Lan@Acme.vn' },
        { kind: 'telegram', value: 't.me/lan_nguyen' },
        { kind: 'zalo', value: '4397432147824386212' },
      ],
    });
    const old = await contactFor(t, ws.admin, {
      display_name: 'Cũ',
      channels: [{ kind: 'phone', value: '0162 123 4567' }],
    });
    await contactFor(t, ws.admin, {
      display_name: 'Other',
      channels: [{ kind: 'phone', value: '0987654321' }],
    });
    const ids = async (v: string) =>
      (await ws.admin.client.get<ContactPage>(`${BASE}?channel=${encodeURIComponent(v)}`)).body.data.map(
        (x) => x.id,
      );
    for (const v of ['0912 345 678', '+84912345678', '84912345678', '0084912345678', '0912.345.678']) {
      expect(await ids(v), v).toEqual([c.id]);
    }
    expect(await ids('LAN@acme.VN')).toEqual([c.id]);
    expect(await ids('@lan_nguyen')).toEqual([c.id]);
    expect(await ids('4397432147824386212')).toEqual([c.id]);
    expect(await ids('0321234567')).toEqual([old.id]);
    expect(await ids('+84 162 123 4567')).toEqual([old.id]);
    expect(await ids('0900000000')).toEqual([]);
    const counted = await ws.admin.client.get<ContactPage>(`${BASE}?channel=84912345678&include_total=true`);
    expect(counted.body.page.total).toBe(1);
  });

  it('pages with keyset cursors in every sort', async () => {
    const ws = await createWorkspace(t);
    const names = ['Đỗ An', 'an Bình', 'Ân Cường', 'Bùi Dũng', 'Zed', 'Ánh', 'Lê Lan'];
    for (const n of names) await contactFor(t, ws.admin, { display_name: n });
    const sorts: ContactSort[] = ['name', '-name', 'created_at', '-created_at', 'updated_at', '-updated_at'];
    const all = await readAll(ws.admin.client, 'sort=name', 100);
    expect(all).toHaveLength(names.length);
    for (const sort of sorts) {
      const whole = (await readAll(ws.admin.client, `sort=${sort}`, 100)).map((c) => c.id);
      const paged = (await readAll(ws.admin.client, `sort=${sort}`, 2)).map((c) => c.id);
      expect(paged, sort).toEqual(whole);
    }
    const first = await ws.admin.client.get<ContactPage>(`${BASE}?sort=name&limit=2`);
    const cursor = first.body.page.next_cursor ?? '';
    expect((await ws.admin.client.get(`${BASE}?sort=-name&cursor=${cursor}`)).body.code).toBe(
      'invalid_cursor',
    );
    expect((await ws.admin.client.get(`${BASE}?cursor=garbage`)).status).toBe(400);
  });
});

describe('update', () => {
  it('recomputes derived names, keeps edited ones, and audits the diff', async () => {
    const ws = await createWorkspace(t);
    const c = await contactFor(t, ws.admin, { last_name: 'Nguyễn', first_name: 'Thị Lan' });
    const res = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, { first_name: 'Thị Hoa' });
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({ display_name: 'Nguyễn Thị Hoa', call_name: 'Hoa', version: 2 });
    const edited = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, {
      call_name: 'Hoa Hoa',
      display_name: 'Chị Hoa',
    });
    expect(edited.body).toMatchObject({ display_name: 'Chị Hoa', call_name: 'Hoa Hoa' });
    const kept = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, { first_name: 'Thị Mai' });
    expect(kept.body).toMatchObject({ display_name: 'Chị Hoa', call_name: 'Hoa Hoa', first_name: 'Thị Mai' });
    const reset = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, {
      call_name: null,
      display_name: null,
    });
    expect(reset.body).toMatchObject({ display_name: 'Nguyễn Thị Mai', call_name: 'Mai' });
    const audit = await auditOf(ws, c.id);
    expect(audit.map((a) => a.action)).toEqual([
      'contact.created',
      'contact.updated',
      'contact.updated',
      'contact.updated',
      'contact.updated',
    ]);
    expect(audit[1]?.diff).toEqual({
      first_name: { from: 'Thị Lan', to: 'Thị Hoa' },
      display_name: { from: 'Nguyễn Thị Lan', to: 'Nguyễn Thị Hoa' },
      call_name: { from: 'Lan', to: 'Hoa' },
    });
    const events = await outboxOf(ws.id, c.id);
    expect(events.map((e) => e.topic)).toEqual(['contact.created', ...Array(4).fill('contact.updated')]);
    expect(events[1]?.payload.data.changes).toEqual(audit[1]?.diff);
  });

  it('replaces the channel set; the same set again is a no-op', async () => {
    const ws = await createWorkspace(t);
    const c = await contactFor(t, ws.admin, {
      display_name: 'A',
      channels: [
        { kind: 'phone', value: '0912345678' },
        { kind: 'email', value: 'a@acme.vn' },
      ],
    });
    const res = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, {
      channels: [
        { kind: 'email', value: 'a@acme.vn' },
        { kind: 'telegram', value: '@lan_nguyen', label: 'work' },
      ],
    });
    expect(res.status, res.raw).toBe(200);
    expect(res.body.channels.map((ch) => [ch.kind, ch.value, ch.position])).toEqual([
      ['email', 'a@acme.vn', 0],
      ['telegram', 'lan_nguyen', 1],
    ]);
    const same = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, {
      channels: [
        { kind: 'email', value: 'a@acme.vn' },
        { kind: 'telegram', value: '@lan_nguyen', label: 'work' },
      ],
    });
    expect(same.body.version).toBe(2);
    const cleared = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, { channels: [] });
    expect(cleared.body.channels).toEqual([]);
    const bad = await ws.admin.client.patch(`${BASE}/${c.id}`, {
      channels: [
        { kind: 'email', value: 'ok@acme.vn' },
        { kind: 'phone', value: 'abc' },
      ],
    });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad.body)).toEqual(['channels.1.value']);
    expect((await ws.admin.client.get<ContactJson>(`${BASE}/${c.id}`)).body.channels).toEqual([]);
    const audit = await auditOf(ws, c.id);
    expect(audit.map((a) => a.action)).toEqual(['contact.created', 'contact.updated', 'contact.updated']);
    expect(audit[1]?.diff.channels?.from).toHaveLength(2);
  });

  it('If-Match / version: a stale one gets 412 with the current version', async () => {
    const ws = await createWorkspace(t);
    const c = await contactFor(t, ws.admin);
    const ok = await ws.admin.client.patch<ContactJson>(
      `${BASE}/${c.id}`,
      { title: 'CEO' },
      { 'if-match': '"1"' },
    );
    expect(ok.status).toBe(200);
    const stale = await ws.admin.client.patch(`${BASE}/${c.id}`, { title: 'CTO' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.etag).toBe('"2"');
    expect(stale.body).toMatchObject({ code: 'precondition_failed', current_version: 2 });
    expect((await ws.admin.client.patch(`${BASE}/${c.id}`, { title: 'CTO', version: 1 })).status).toBe(412);
    expect(
      (await ws.admin.client.patch(`${BASE}/${c.id}`, { title: 'CTO' }, { 'if-match': 'nope' })).status,
    ).toBe(400);
    expect((await ws.admin.client.delete(`${BASE}/${c.id}`, { 'if-match': '"1"' })).status).toBe(412);
    expect((await ws.admin.client.post(`${BASE}/${c.id}/release`, {}, { 'if-match': '"1"' })).status).toBe(
      412,
    );
    expect((await ws.admin.client.patch(`${BASE}/${c.id}`, {})).status).toBe(422);
  });

  it('one primary contact per account: setting it unsets the others (audited)', async () => {
    const ws = await createWorkspace(t);
    const acc = await accountFor(t, ws.admin);
    const a = await contactFor(t, ws.admin, { display_name: 'A', account_id: acc.id, is_primary: true });
    const b = await contactFor(t, ws.admin, { display_name: 'B', account_id: acc.id });
    const res = await ws.admin.client.patch<ContactJson>(`${BASE}/${b.id}`, { is_primary: true });
    expect(res.body.is_primary).toBe(true);
    const aNow = (await ws.admin.client.get<ContactJson>(`${BASE}/${a.id}`)).body;
    expect(aNow).toMatchObject({ is_primary: false, version: 2 });
    expect((await auditOf(ws, a.id)).at(-1)?.diff).toEqual({ is_primary: { from: true, to: false } });
    const c = await contactFor(t, ws.admin, { display_name: 'C', account_id: acc.id, is_primary: true });
    const primaries = (await ws.admin.client.get<ContactPage>(`${BASE}?account_id=${acc.id}&is_primary=true`))
      .body.data;
    expect(primaries.map((x) => x.id)).toEqual([c.id]);
    // Leaving the account drops the flag; is_primary without an account is refused.
    const left = await ws.admin.client.patch<ContactJson>(`${BASE}/${c.id}`, { account_id: null });
    expect(left.body).toMatchObject({ account_id: null, is_primary: false });
    const bad = await ws.admin.client.patch(`${BASE}/${c.id}`, { is_primary: true });
    expect(fieldsOf(bad.body)).toEqual(['is_primary']);
    const badAcc = await ws.admin.client.patch(`${BASE}/${c.id}`, { account_id: UNKNOWN_ID });
    expect(badAcc.status).toBe(422);
    expect(fieldsOf(badAcc.body)).toEqual(['account_id']);
  });

  it('concurrent primaries on one account end with exactly one', async () => {
    const ws = await createWorkspace(t);
    const acc = await accountFor(t, ws.admin);
    const cs = await Promise.all(
      ['A', 'B', 'C', 'D'].map((n) => contactFor(t, ws.admin, { display_name: n, account_id: acc.id })),
    );
    const results = await Promise.all(
      cs.map((c) => ws.admin.client.patch(`${BASE}/${c.id}`, { is_primary: true })),
    );
    for (const r of results) expect([200, 409]).toContain(r.status);
    const primaries = (await ws.admin.client.get<ContactPage>(`${BASE}?account_id=${acc.id}&is_primary=true`))
      .body.data;
    expect(primaries).toHaveLength(1);
  });
});

describe('delete and restore', () => {
  it('soft-deletes and restores with audit and events', async () => {
    const ws = await createWorkspace(t);
    const c = await contactFor(t, ws.admin);
    const del = await ws.admin.client.delete<ContactJson>(`${BASE}/${c.id}`);
    expect(del.status).toBe(200);
    expect(del.body.deleted_at).not.toBeNull();
    expect((await ws.admin.client.delete(`${BASE}/${c.id}`)).status).toBe(404);
    expect((await ws.admin.client.patch(`${BASE}/${c.id}`, { title: 'x' })).status).toBe(404);
    expect((await ws.admin.client.post(`${BASE}/${c.id}/claim`)).status).toBe(404);
    const res = await ws.admin.client.post<ContactJson>(`${BASE}/${c.id}/restore`);
    expect(res.status).toBe(200);
    expect(res.body.deleted_at).toBeNull();
    expect((await ws.admin.client.post(`${BASE}/${c.id}/restore`)).status).toBe(409);
    expect((await auditOf(ws, c.id)).map((a) => a.action)).toEqual([
      'contact.created',
      'contact.deleted',
      'contact.restored',
    ]);
    expect((await outboxOf(ws.id, c.id)).map((e) => e.topic)).toEqual([
      'contact.created',
      'contact.deleted',
      'contact.restored',
    ]);
  });
});

describe('ownership', () => {
  it('a sales rep writes own and unowned contacts, not a colleague’s; managers write all; viewers nothing', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const rep2 = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const viewer = await addMember(t, ws, 'viewer');
    const mine = await contactFor(t, rep, { display_name: 'Mine' });
    const theirs = await contactFor(t, rep2, { display_name: 'Theirs' });
    const nobody = await contactFor(t, rep, { display_name: 'Nobody', owner_id: null });

    expect((await rep.client.patch(`${BASE}/${mine.id}`, { title: 'x' })).status).toBe(200);
    expect((await rep.client.patch(`${BASE}/${nobody.id}`, { title: 'x' })).status).toBe(200);
    const denied = await rep.client.patch(`${BASE}/${theirs.id}`, { title: 'x' });
    expect(denied.status).toBe(403);
    expect((await rep.client.delete(`${BASE}/${theirs.id}`)).status).toBe(403);
    expect((await rep.client.get<ContactJson>(`${BASE}/${theirs.id}`)).body.abilities).toEqual([]);
    expect((await rep.client.get<ContactJson>(`${BASE}/${nobody.id}`)).body.abilities).toEqual([
      'update',
      'delete',
      'claim',
    ]);
    // a rep may not give a contact to someone else
    const give = await rep.client.patch(`${BASE}/${mine.id}`, { owner_id: rep2.userId });
    expect(give.status).toBe(403);
    expect(fieldsOf(give.body)).toEqual(['owner_id']);
    expect((await rep.client.post(BASE, { display_name: 'X', owner_id: rep2.userId })).status).toBe(403);

    expect((await manager.client.patch(`${BASE}/${theirs.id}`, { title: 'm' })).status).toBe(200);
    const assigned = await manager.client.patch<ContactJson>(`${BASE}/${mine.id}`, { owner_id: rep2.userId });
    expect(assigned.body.owner_id).toBe(rep2.userId);

    expect((await viewer.client.get(`${BASE}/${mine.id}`)).status).toBe(200);
    expect((await viewer.client.post(BASE, { display_name: 'V' })).status).toBe(403);
    expect((await viewer.client.patch(`${BASE}/${nobody.id}`, { title: 'v' })).status).toBe(403);
    expect((await viewer.client.post(`${BASE}/${nobody.id}/claim`)).status).toBe(403);
    expect((await viewer.client.get<ContactJson>(`${BASE}/${nobody.id}`)).body.abilities).toEqual([]);

    const readKey = await apiKeyFor(t, ws.admin, ['crm.read']);
    expect((await readKey.client.get(`${BASE}/${mine.id}`)).status).toBe(200);
    expect((await readKey.client.post(`${BASE}/${nobody.id}/claim`)).status).toBe(403);
  });

  it('claim takes an unowned contact; a colleague’s answers 409 contact_claimed; managers take over', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const rep2 = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const c = await contactFor(t, ws.admin, { display_name: 'Chủ', owner_id: null });

    const claimed = await rep.client.post<ContactJson>(`${BASE}/${c.id}/claim`);
    expect(claimed.status, claimed.raw).toBe(200);
    expect(claimed.body).toMatchObject({ owner_id: rep.userId, version: 2 });
    expect(claimed.body.claimed_at).not.toBeNull();
    expect(claimed.body.abilities).toEqual(['update', 'delete', 'release']);
    // a bodiless POST works too (the body only carries an optional version)
    const bare = await t.app.inject({
      method: 'POST',
      url: `${BASE}/${c.id}/claim`,
      headers: { authorization: `Bearer ${rep.token}` },
    });
    expect(bare.statusCode, bare.body).toBe(200);
    // again by the owner: no-op
    const again = await rep.client.post<ContactJson>(`${BASE}/${c.id}/claim`);
    expect(again.body.version).toBe(2);

    const conflict = await rep2.client.post(`${BASE}/${c.id}/claim`);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'contact_claimed', owner_id: rep.userId });
    expect((await rep2.client.post(`${BASE}/${c.id}/release`)).status).toBe(403);

    const taken = await manager.client.post<ContactJson>(`${BASE}/${c.id}/claim`);
    expect(taken.body.owner_id).toBe(manager.userId);

    const released = await manager.client.post<ContactJson>(`${BASE}/${c.id}/release`);
    expect(released.body).toMatchObject({ owner_id: null, claimed_at: null });
    expect((await manager.client.post<ContactJson>(`${BASE}/${c.id}/release`)).body.version).toBe(
      released.body.version,
    );

    const audit = await auditOf(ws, c.id);
    expect(audit.map((a) => a.action)).toEqual([
      'contact.created',
      'contact.claimed',
      'contact.claimed',
      'contact.released',
    ]);
    expect(audit[2]?.diff.owner_id).toEqual({ from: rep.userId, to: manager.userId });
    const events = await outboxOf(ws.id, c.id);
    expect(events.map((e) => e.topic)).toEqual([
      'contact.created',
      'contact.claimed',
      'contact.claimed',
      'contact.released',
    ]);
    expect(events[2]?.payload.data.previous_owner_id).toBe(rep.userId);
    expect(events[3]?.payload.data.previous_owner_id).toBe(manager.userId);
    expect((await timelineOf(ws.id, c.id)).map((a) => a.kind)).toEqual([
      'contact_created',
      'owner_claimed',
      'owner_claimed',
      'owner_released',
    ]);
  });

  it('the owner releases; two members claiming at once: one wins, the other gets 409', async () => {
    const ws = await createWorkspace(t);
    const reps = await Promise.all([addMember(t, ws, 'sales_rep'), addMember(t, ws, 'sales_rep')]);
    const c = await contactFor(t, ws.admin, { owner_id: null });
    const results = await Promise.all(reps.map((r) => r.client.post<ContactJson>(`${BASE}/${c.id}/claim`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)?.body.owner_id;
    const owner = reps.find((r) => r.userId === winner);
    if (!owner) throw new Error('no winner');
    const rel = await owner.client.post<ContactJson>(`${BASE}/${c.id}/release`, { version: 2 });
    expect(rel.status, rel.raw).toBe(200);
    expect(rel.body.owner_id).toBeNull();
    expect((await auditOf(ws, c.id)).map((a) => a.action)).toEqual([
      'contact.created',
      'contact.claimed',
      'contact.released',
    ]);
  });
});
