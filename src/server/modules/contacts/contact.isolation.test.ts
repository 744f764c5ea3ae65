import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../../test/factories/contacts.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import type { Client, TestApp } from '../../../../test/helpers.js';
import { testApp } from '../../../../test/helpers.js';
import { newId } from '../../platform/ids.js';
import type { ContactJson } from './contact.presenter.js';
import type { CreateContactInput } from './contact.schema.js';
import type { ContactPage } from './contact.service.js';

/**
 * Tenant isolation of every contacts endpoint (DESIGN rule 5): workspace B never sees, counts, finds
 * (by name prefix or channel value) or changes workspace A's contacts, through a session or an API key;
 * A's contact answers 404 `contact_not_found` for B, never 403 or 409. A and B hold contacts with the
 * same names and the same phone, so a leak cannot hide behind a non-matching filter.
 */

const BASE = '/crm/v1/contacts';

let t: TestApp;
let a: TestWorkspace;
let b: TestWorkspace;
let bRep: TestMember;
let bKey: Client;
let aOwned: ContactJson;
let aUnowned: ContactJson;
let aDeleted: ContactJson;
let bLive: ContactJson;

const same: CreateContactInput = {
  last_name: 'Nguyễn',
  first_name: 'Thị Lan',
  buying_role: 'decision_maker',
  channels: [
    { kind: 'phone', value: '0912 345 678' },
    { kind: 'email', value: 'lan@saomai.vn' },
  ],
};

beforeAll(async () => {
  t = await testApp();
  a = await createWorkspace(t);
  b = await createWorkspace(t);
  bRep = await addMember(t, b, 'sales_rep');
  bKey = (await apiKeyFor(t, b.admin, ['crm.read', 'crm.write'])).client;
  const aAccount = await accountFor(t, a.admin);
  aOwned = await contactFor(t, a.admin, { ...same, account_id: aAccount.id, is_primary: true });
  aUnowned = await contactFor(t, a.admin, { ...same, owner_id: null });
  aDeleted = await contactFor(t, a.admin, { ...same, owner_id: null });
  expect((await a.admin.client.delete(`${BASE}/${aDeleted.id}`)).status).toBe(200);
  bLive = await contactFor(t, b.admin, same);
});
afterAll(async () => t.close());

async function aSnapshot(): Promise<ContactJson[]> {
  const res = await a.admin.client.get<ContactPage>(`${BASE}?deleted=include&limit=100`);
  expect(res.status).toBe(200);
  return res.body.data;
}

async function counts(workspaceId: string): Promise<{ audit: number; outbox: number; activities: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number; activities: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox) AS outbox,
             (SELECT count(*)::int FROM crm_core.crm_activities) AS activities`.execute(k),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { audit: Number(row.audit), outbox: Number(row.outbox), activities: Number(row.activities) };
}

describe('cross-workspace isolation', () => {
  it("B's lists, filters, name prefix, channel lookup and counts never include A's contacts", async () => {
    const aIds = new Set([aOwned.id, aUnowned.id, aDeleted.id]);
    for (const client of [b.admin.client, bRep.client, bKey]) {
      for (const q of [
        'deleted=include',
        'deleted=only',
        'owner_id=none',
        'buying_role=decision_maker',
        'is_primary=true',
        `account_id=${aOwned.account_id}`,
        'q=nguyen',
        'channel=0912345678',
        'channel=%2B84912345678',
        'channel=84912345678',
        'channel=lan@saomai.vn',
      ]) {
        const res = await client.get<ContactPage>(`${BASE}?${q}&include_total=true&limit=100`);
        expect(res.status, q).toBe(200);
        expect(
          res.body.data.filter((c) => aIds.has(c.id)),
          q,
        ).toEqual([]);
        expect(res.body.page.total, q).toBe(res.body.data.length);
      }
    }
    const channel = await b.admin.client.get<ContactPage>(
      `${BASE}?channel=0912%20345%20678&include_total=true`,
    );
    expect(channel.body.data.map((c) => c.id)).toEqual([bLive.id]);
    expect(channel.body.page.total).toBe(1);
    // and A sees its own
    const mine = await a.admin.client.get<ContactPage>(`${BASE}?channel=84912345678&include_total=true`);
    expect(mine.body.page.total).toBe(2);
  });

  it("every endpoint answers 404 contact_not_found for A's contacts, and changes nothing", async () => {
    const before = await aSnapshot();
    const aCounts = await counts(a.id);
    const bCounts = await counts(b.id);
    for (const client of [b.admin.client, bRep.client, bKey]) {
      for (const c of [aOwned, aUnowned, aDeleted]) {
        // API-key writes need an Idempotency-Key; a fresh one each, so nothing is replayed.
        const k = () => ({ 'idempotency-key': newId() });
        const calls = [
          client.get(`${BASE}/${c.id}`),
          client.get(`${BASE}/${c.id}?include_deleted=true`),
          client.patch(
            `${BASE}/${c.id}`,
            { title: 'hacked', channels: [{ kind: 'phone', value: '0987654321' }] },
            k(),
          ),
          client.patch(`${BASE}/${c.id}`, { title: 'hacked' }, { 'if-match': '"1"', ...k() }),
          client.delete(`${BASE}/${c.id}`, k()),
          client.post(`${BASE}/${c.id}/restore`, {}, k()),
          client.post(`${BASE}/${c.id}/claim`, {}, k()),
          client.post(`${BASE}/${c.id}/release`, {}, k()),
        ];
        for (const res of await Promise.all(calls)) {
          expect(res.status, res.raw).toBe(404);
          expect(res.body.code).toBe('contact_not_found');
        }
      }
    }
    expect(await aSnapshot()).toEqual(before);
    expect(await counts(a.id)).toEqual(aCounts);
    expect(await counts(b.id)).toEqual(bCounts);
  });

  it("B cannot link its contact to A's account nor give it to A's member", async () => {
    const acc = aOwned.account_id;
    const linked = await b.admin.client.post(BASE, { display_name: 'X', account_id: acc });
    expect(linked.status).toBe(422);
    expect(linked.body.errors?.map((e) => e.field)).toEqual(['account_id']);
    const patched = await b.admin.client.patch(`${BASE}/${bLive.id}`, { account_id: acc, is_primary: true });
    expect(patched.status).toBe(422);
    const owner = await b.admin.client.post(BASE, { display_name: 'X', owner_id: a.admin.userId });
    expect(owner.status).toBe(422);
    expect(owner.body.errors?.map((e) => e.field)).toEqual(['owner_id']);
    // A's primary contact is untouched by anything B did
    expect((await a.admin.client.get<ContactJson>(`${BASE}/${aOwned.id}`)).body).toMatchObject({
      is_primary: true,
      version: 1,
    });
  });
});
