import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFor, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ContactJson } from '../contacts/contact.presenter.js';
import type { LeadJson } from './lead.presenter.js';
import type { LeadPage } from './lead.service.js';

/**
 * Tenant isolation of every leads endpoint (DESIGN rule 5): workspace B never sees, counts, finds,
 * changes or converts workspace A's leads, through a session or an API key; another workspace's lead
 * answers 404 `lead_not_found`, never 403; and a conversion in B cannot link A's account or contact.
 * Both workspaces hold leads with the same name so a leak cannot hide behind a non-matching filter.
 */

const BASE = '/crm/v1/leads';
const SHARED = 'Nguyễn Văn Sao';

let t: TestApp;
let a: TestWorkspace;
let b: TestWorkspace;
let bKey: Client;
let aLead: LeadJson;
let bLead: LeadJson;

beforeAll(async () => {
  t = await testApp();
  a = await createWorkspace(t);
  b = await createWorkspace(t);
  bKey = (await apiKeyFor(t, b.admin, ['crm.read', 'crm.write'])).client;
  const body = { display_name: SHARED, company_name: 'Sao Mai', email: 'sao@saomai.vn', source: 'website' };
  aLead = (await a.admin.client.post<LeadJson>(BASE, body)).body;
  bLead = (await b.admin.client.post<LeadJson>(BASE, body)).body;
  expect(aLead.id).toBeDefined();
  expect(bLead.id).toBeDefined();
});
afterAll(async () => t.close());

describe.each([
  ['a session', () => b.admin.client],
  ['an API key', () => bKey],
])('workspace B through %s', (_label, client) => {
  it('lists, searches and counts only its own leads', async () => {
    const res = await client().get<LeadPage>(`${BASE}?q=sao&include_total=true`);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.data.map((l) => l.id)).toEqual([bLead.id]);
    expect(res.body.page.total).toBe(1);
  });

  it("answers 404 lead_not_found for A's lead on every route", async () => {
    const id = aLead.id;
    const idem = (k: string) => ({ 'idempotency-key': `${k}-${Math.random()}` });
    for (const res of [
      await client().get(`${BASE}/${id}`),
      await client().patch(`${BASE}/${id}`, { title: 'x' }, idem('p')),
      await client().delete(`${BASE}/${id}`, idem('d')),
      await client().post(`${BASE}/${id}/restore`, {}, idem('r')),
      await client().post(`${BASE}/${id}/qualify`, {}, idem('q')),
      await client().post(`${BASE}/${id}/disqualify`, { reason: 'x' }, idem('dq')),
      await client().post(`${BASE}/${id}/convert`, {}, idem('c')),
    ]) {
      expect(res.status, res.raw).toBe(404);
      expect(res.body.code).toBe('lead_not_found');
    }
  });
});

describe('conversion across workspaces', () => {
  it("cannot link A's account or contact from B, and writes nothing in either", async () => {
    const aAccount = await accountFor(t, a.admin, { name: 'A only' });
    const aContact = await a.admin.client.post<ContactJson>('/crm/v1/contacts', { display_name: 'A person' });
    expect(aContact.status).toBe(201);
    const acc = await b.admin.client.post(`${BASE}/${bLead.id}/convert`, { account_id: aAccount.id });
    expect(acc.status, acc.raw).toBe(422);
    expect(acc.body.errors?.map((e) => e.field)).toEqual(['account_id']);
    const con = await b.admin.client.post(`${BASE}/${bLead.id}/convert`, { contact_id: aContact.body.id });
    expect(con.status, con.raw).toBe(422);
    expect(con.body.errors?.map((e) => e.field)).toEqual(['contact_id']);
    expect((await b.admin.client.get<LeadJson>(`${BASE}/${bLead.id}`)).body.status).toBe('new');
  });

  it("A's lead is untouched by everything B tried", async () => {
    const res = await a.admin.client.get<LeadJson>(`${BASE}/${aLead.id}`);
    expect(res.body).toMatchObject({ version: 1, status: 'new', deleted_at: null, title: null });
  });

  it('RLS hides the other workspace even to a query that forgets its tenant filter', async () => {
    const r = await t.db.read(b.id, (k) =>
      sql<{ id: string }>`SELECT id FROM crm_core.crm_leads WHERE display_name = ${SHARED}`.execute(k),
    );
    expect(r.rows.map((x) => x.id)).toEqual([bLead.id]);
  });
});
