import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultPipelineId,
  fieldsOf,
  outboxOf,
  stagesOf,
  writeCounts,
} from '../../../../test/factories/deals.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { AccountJson } from '../accounts/account.presenter.js';
import type { ContactJson } from '../contacts/contact.presenter.js';
import type { DealJson } from '../deals/deal.presenter.js';
import type { LeadJson } from './lead.presenter.js';
import type { ConvertLeadResult, LeadPage } from './lead.service.js';

/**
 * The leads REST API end to end on a real database: CRUD and normalization (email, E.164 phone, MST),
 * 422s naming fields, listing with filters and cursors, status rules (qualify, disqualify, reopen,
 * converted is frozen), record policies, and conversion into account + contact + deal in one
 * transaction — all or nothing, with each module's audit rows and events plus lead.converted.
 */

const BASE = '/crm/v1/leads';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function leadOf(c: Client, body: Record<string, unknown>): Promise<LeadJson> {
  const res = await c.post<LeadJson>(BASE, body);
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

/** Rows of the workspace in the three tables a conversion writes. */
async function recordCounts(
  workspaceId: string,
): Promise<{ accounts: number; contacts: number; deals: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ accounts: number; contacts: number; deals: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_accounts WHERE tenant_id = ${workspaceId}) AS accounts,
             (SELECT count(*)::int FROM crm_core.crm_contacts WHERE tenant_id = ${workspaceId}) AS contacts,
             (SELECT count(*)::int FROM crm_core.crm_deals WHERE tenant_id = ${workspaceId}) AS deals`.execute(
      k,
    ),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { accounts: Number(row.accounts), contacts: Number(row.contacts), deals: Number(row.deals) };
}

describe('create, read, update, delete', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('creates a lead with normalized email, E.164 phone (raw kept), checked MST and defaults', async () => {
    const res = await ws.admin.client.post<LeadJson>(BASE, {
      first_name: 'Thị Lan',
      last_name: 'Nguyễn',
      title: 'Giám đốc',
      company_name: 'Công ty Sao Mai',
      email: '  Lan.Nguyen@SaoMai.VN ',
      phone: '0912 345 678',
      vn_mst: '0312273838',
      country: 'vn',
      source: 'website',
      source_detail: 'Contact form',
      estimated_amount_minor: 150_000_000,
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      display_name: 'Nguyễn Thị Lan',
      company_name: 'Công ty Sao Mai',
      email: 'lan.nguyen@saomai.vn',
      phone: '+84912345678',
      phone_raw: '0912 345 678',
      vn_mst: '0312273838',
      country: 'VN',
      source: 'website',
      status: 'new',
      score: 0,
      estimated_amount_minor: 150_000_000,
      currency: 'VND',
      owner_id: ws.admin.userId,
      converted_account_id: null,
      version: 1,
    });
    expect(res.body.abilities).toEqual(
      expect.arrayContaining(['update', 'delete', 'qualify', 'disqualify', 'convert', 'score', 'assign']),
    );
    const got = await ws.admin.client.get<LeadJson>(`${BASE}/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    const events = await outboxOf(t, ws.id, res.body.id);
    expect(events.map((e) => e.topic)).toEqual(['lead.created']);
  });

  it('names the field of every bad input with 422', async () => {
    const c = ws.admin.client;
    const none = await c.post(BASE, { title: 'CTO' });
    expect(none.status).toBe(422);
    expect(fieldsOf(none.body)).toEqual(['display_name']);
    const email = await c.post(BASE, { display_name: 'X', email: 'not-an-email' });
    expect(email.status).toBe(422);
    expect(fieldsOf(email.body)).toEqual(['email']);
    const phone = await c.post(BASE, { display_name: 'X', phone: '12ab' });
    expect(phone.status).toBe(422);
    expect(fieldsOf(phone.body)).toEqual(['phone']);
    const mst = await c.post(BASE, { display_name: 'X', vn_mst: '0312273839' });
    expect(mst.status).toBe(422);
    expect(mst.body.code).toMatch(/^mst_/);
    expect(fieldsOf(mst.body)).toEqual(['vn_mst']);
    const zod = await c.post(BASE, {
      display_name: 'X',
      score: 101,
      source: 'fax',
      estimated_amount_minor: 1.5,
    });
    expect(zod.status).toBe(422);
    expect(fieldsOf(zod.body)).toEqual(['estimated_amount_minor', 'score', 'source']);
    const extra = await c.post(BASE, { display_name: 'X', status: 'converted' });
    expect(extra.status).toBe(422);
    expect(fieldsOf(extra.body)).toEqual(['status']);
    // Two 100-character name parts compose a 201-character name: a 422, not the column's CHECK (500).
    const long = await c.post(BASE, { first_name: 'a'.repeat(100), last_name: 'b'.repeat(100) });
    expect(long.status).toBe(422);
    expect(fieldsOf(long.body)).toEqual(['display_name']);
    // A foreign tax code is kept as entered (as accounts do).
    const foreign = await leadOf(c, { display_name: 'Acme', country: 'US', vn_mst: '12-3456789' });
    expect(foreign.vn_mst).toBe('12-3456789');
  });

  it('updates with If-Match, follows the composed display name, and writes nothing for a no-op', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { first_name: 'Lan', last_name: 'Trần', phone: '+84 912 000 111' });
    expect(lead.display_name).toBe('Trần Lan');
    const stale = await c.patch(`${BASE}/${lead.id}`, { title: 'CEO' }, { 'if-match': '"9"' });
    expect(stale.status).toBe(412);
    const res = await c.patch<LeadJson>(
      `${BASE}/${lead.id}`,
      { first_name: 'Mai', status: 'contacted', score: 40 },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({ display_name: 'Trần Mai', status: 'contacted', score: 40, version: 2 });
    expect(res.body.phone).toBe('+84912000111');
    const same = await c.patch<LeadJson>(`${BASE}/${lead.id}`, { first_name: 'Mai' });
    expect(same.body.version).toBe(2);
    const badPhone = await c.patch(`${BASE}/${lead.id}`, { phone: 'abc' });
    expect(badPhone.status).toBe(422);
    expect(fieldsOf(badPhone.body)).toEqual(['phone']);
    const events = await outboxOf(t, ws.id, lead.id);
    expect(events.map((e) => e.topic)).toEqual(['lead.created', 'lead.updated']);
  });

  it('soft-deletes (404 after, listed with deleted=only) and restores', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { display_name: 'To delete' });
    expect((await c.delete(`${BASE}/${lead.id}`)).status).toBe(200);
    const gone = await c.get(`${BASE}/${lead.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('lead_not_found');
    const only = await c.get<LeadPage>(`${BASE}?deleted=only`);
    expect(only.body.data.map((l) => l.id)).toContain(lead.id);
    const restored = await c.post<LeadJson>(`${BASE}/${lead.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.deleted_at).toBeNull();
    const live = await c.post(`${BASE}/${lead.id}/restore`);
    expect(live.status).toBe(409);
    expect(live.body.code).toBe('conflict');
    expect((await c.get(`${BASE}/${UNKNOWN_ID}`)).status).toBe(404);
  });
});

describe('list', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
    const c = ws.admin.client;
    await leadOf(c, {
      display_name: 'Nguyễn Văn An',
      company_name: 'Hoà Bình JSC',
      source: 'event',
      score: 80,
    });
    await leadOf(c, { display_name: 'Lê Thị Bình', email: 'binh@example.vn', source: 'website', score: 20 });
    await leadOf(c, { display_name: 'Trần Cường', source: 'website', score: 55, owner_id: null });
    const d = await leadOf(c, { display_name: 'Phạm Dũng', source: 'referral', score: 10 });
    await c.post(`${BASE}/${d.id}/disqualify`, { reason: 'No budget' });
  });

  it('filters by status, source, owner, score range and a diacritic-insensitive q', async () => {
    const c = ws.admin.client;
    const names = async (q: string) => {
      const res = await c.get<LeadPage>(`${BASE}?${q}&sort=name`);
      expect(res.status, res.raw).toBe(200);
      return res.body.data.map((l) => l.display_name);
    };
    expect(await names('source=website')).toEqual(['Lê Thị Bình', 'Trần Cường']);
    expect(await names('status=disqualified')).toEqual(['Phạm Dũng']);
    expect(await names('owner_id=none')).toEqual(['Trần Cường']);
    expect(await names('score_min=50')).toEqual(['Nguyễn Văn An', 'Trần Cường']);
    expect(await names('score_min=15&score_max=60')).toEqual(['Lê Thị Bình', 'Trần Cường']);
    expect(await names('q=nguyen')).toEqual(['Nguyễn Văn An']);
    expect(await names('q=hoa%20binh')).toEqual(['Nguyễn Văn An']);
    expect(await names('q=BINH%40EXAMPLE')).toEqual(['Lê Thị Bình']);
    const bad = await c.get(`${BASE}?score_min=70&score_max=10`);
    expect(bad.status).toBe(422);
  });

  it('pages by cursor in score order, each lead once', async () => {
    const c = ws.admin.client;
    const seen: number[] = [];
    let url = `${BASE}?sort=-score&limit=2&include_total=true`;
    for (let i = 0; i < 5; i++) {
      const res = await c.get<LeadPage>(url);
      expect(res.status, res.raw).toBe(200);
      expect(res.body.page.total).toBe(4);
      seen.push(...res.body.data.map((l) => l.score));
      if (!res.body.page.next_cursor) break;
      url = `${BASE}?sort=-score&limit=2&include_total=true&cursor=${encodeURIComponent(res.body.page.next_cursor)}`;
    }
    expect(seen).toEqual([80, 55, 20, 10]);
    const scoreCursor = Buffer.from(JSON.stringify({ s: '-score', k: [55, UNKNOWN_ID] })).toString(
      'base64url',
    );
    const wrong = await c.get(`${BASE}?sort=name&cursor=${scoreCursor}`);
    expect(wrong.status).toBe(400);
  });
});

describe('status rules', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('qualifies new/contacted leads (idempotently) and disqualifies with a mandatory reason', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { display_name: 'Q' });
    const q = await c.post<LeadJson>(`${BASE}/${lead.id}/qualify`);
    expect(q.status, q.raw).toBe(200);
    expect(q.body.status).toBe('qualified');
    expect(q.body.qualified_at).not.toBeNull();
    const again = await c.post<LeadJson>(`${BASE}/${lead.id}/qualify`);
    expect(again.body.version).toBe(q.body.version);
    const noReason = await c.post(`${BASE}/${lead.id}/disqualify`, {});
    expect(noReason.status).toBe(422);
    expect(fieldsOf(noReason.body)).toEqual(['reason']);
    const d = await c.post<LeadJson>(`${BASE}/${lead.id}/disqualify`, { reason: 'Wrong market' });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({
      status: 'disqualified',
      disqualified_reason: 'Wrong market',
      qualified_at: null,
    });
    expect(d.body.abilities).not.toContain('convert');
    const qualifyDisq = await c.post(`${BASE}/${lead.id}/qualify`);
    expect(qualifyDisq.status).toBe(409);
    expect(qualifyDisq.body.code).toBe('lead_status_invalid');
    const twice = await c.post(`${BASE}/${lead.id}/disqualify`, { reason: 'again' });
    expect(twice.status).toBe(409);
    const convert = await c.post(`${BASE}/${lead.id}/convert`, {});
    expect(convert.status).toBe(409);
    expect(convert.body.code).toBe('lead_status_invalid');
    // Reopening clears the reason.
    const reopened = await c.patch<LeadJson>(`${BASE}/${lead.id}`, { status: 'contacted' });
    expect(reopened.body).toMatchObject({
      status: 'contacted',
      disqualified_reason: null,
      disqualified_at: null,
    });
    const events = await outboxOf(t, ws.id, lead.id);
    expect(events.map((e) => e.topic)).toEqual([
      'lead.created',
      'lead.qualified',
      'lead.disqualified',
      'lead.updated',
    ]);
  });

  it('freezes a converted lead: PATCH, qualify, disqualify and convert are 409 lead_status_invalid', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { display_name: 'Frozen', company_name: 'Frozen Co' });
    expect((await c.post(`${BASE}/${lead.id}/convert`, {})).status).toBe(201);
    for (const res of [
      await c.patch(`${BASE}/${lead.id}`, { title: 'x' }),
      await c.post(`${BASE}/${lead.id}/qualify`),
      await c.post(`${BASE}/${lead.id}/disqualify`, { reason: 'x' }),
      await c.post(`${BASE}/${lead.id}/convert`, {}),
    ]) {
      expect(res.status, res.raw).toBe(409);
      expect(res.body.code).toBe('lead_status_invalid');
    }
  });
});

describe('policies', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('members read all, write own or unowned; only managers/admins/assigners give leads away', async () => {
    const rep = await addMember(t, ws, 'sales_rep');
    const rep2 = await addMember(t, ws, 'sales_rep');
    const viewer = await addMember(t, ws, 'viewer');
    const marketing = await addMember(t, ws, 'marketing');
    const mine = await leadOf(rep.client, { display_name: 'Mine' });
    expect(mine.owner_id).toBe(rep.userId);
    expect(mine.abilities).not.toContain('score');
    expect(mine.abilities).not.toContain('delete');

    expect((await rep2.client.get(`${BASE}/${mine.id}`)).status).toBe(200);
    expect((await rep2.client.patch(`${BASE}/${mine.id}`, { title: 'x' })).status).toBe(403);
    expect((await rep2.client.post(`${BASE}/${mine.id}/qualify`)).status).toBe(403);
    expect((await rep2.client.post(`${BASE}/${mine.id}/convert`, {})).status).toBe(403);
    expect((await viewer.client.post(BASE, { display_name: 'V' })).status).toBe(403);
    // Scores are crm.lead.score's (marketing, managers, admins), not a sales rep's.
    const score = await rep.client.patch(`${BASE}/${mine.id}`, { score: 90 });
    expect(score.status).toBe(403);
    expect(fieldsOf(score.body)).toEqual(['score']);
    const giveAway = await rep.client.post(BASE, { display_name: 'G', owner_id: rep2.userId });
    expect(giveAway.status).toBe(403);
    expect(fieldsOf(giveAway.body)).toEqual(['owner_id']);
    // Marketing captures leads and routes them to a rep.
    const routed = await leadOf(marketing.client, {
      display_name: 'Routed',
      owner_id: rep2.userId,
      score: 70,
    });
    expect(routed.owner_id).toBe(rep2.userId);
    // Managers and admins write everything.
    expect((await ws.admin.client.patch(`${BASE}/${mine.id}`, { score: 90 })).status).toBe(200);
    const notMember = await ws.admin.client.post(BASE, { display_name: 'N', owner_id: UNKNOWN_ID });
    expect(notMember.status).toBe(422);
    expect(fieldsOf(notMember.body)).toEqual(['owner_id']);
  });

  it('an API key limited to crm.read cannot write', async () => {
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    expect((await key.client.get(BASE)).status).toBe(200);
    expect((await key.client.post(BASE, { display_name: 'K' }, { 'idempotency-key': 'k1' })).status).toBe(
      403,
    );
  });
});

describe('convert', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('creates account, primary contact and deal in one go, with their events, audit and lead.converted', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, {
      first_name: 'Thị Lan',
      last_name: 'Nguyễn',
      title: 'CFO',
      company_name: 'Công ty Sao Mai',
      email: 'lan@saomai.vn',
      phone: '0912345678',
      vn_mst: '0312273838',
      source: 'referral',
      estimated_amount_minor: 250_000_000,
    });
    const before = await writeCounts(t, ws.id);
    const res = await c.post<ConvertLeadResult>(`${BASE}/${lead.id}/convert`, {
      deal: { expected_close_date: '2027-03-31' },
    });
    expect(res.status, res.raw).toBe(201);
    const { account, contact, deal } = res.body;
    expect(account).toMatchObject({ name: 'Công ty Sao Mai', vn_mst: '0312273838', country: 'VN' });
    expect(contact).toMatchObject({
      display_name: 'Nguyễn Thị Lan',
      account_id: account.id,
      is_primary: true,
    });
    expect(contact.channels.map((ch) => [ch.kind, ch.value])).toEqual([
      ['email', 'lan@saomai.vn'],
      ['phone', '+84912345678'],
    ]);
    expect(deal).toMatchObject({
      name: 'Công ty Sao Mai',
      account_id: account.id,
      primary_contact_id: contact.id,
      amount_minor: 250_000_000,
      currency: 'VND',
      pipeline_id: await defaultPipelineId(t, ws),
      expected_close_date: '2027-03-31',
    });
    expect(res.body.lead).toMatchObject({
      status: 'converted',
      converted_account_id: account.id,
      converted_contact_id: contact.id,
      converted_deal_id: deal?.id,
    });
    expect(res.body.lead.abilities).toEqual(['delete']);
    expect((await outboxOf(t, ws.id, account.id)).map((e) => e.topic)).toEqual(['account.created']);
    expect((await outboxOf(t, ws.id, contact.id)).map((e) => e.topic)).toEqual(['contact.created']);
    expect((await outboxOf(t, ws.id, deal?.id ?? '')).map((e) => e.topic)).toEqual(['deal.created']);
    const leadEvents = await outboxOf(t, ws.id, lead.id);
    expect(leadEvents.map((e) => e.topic)).toEqual(['lead.created', 'lead.converted']);
    expect(leadEvents[1]?.payload.data).toMatchObject({
      account: { id: account.id, created: true },
      contact: { id: contact.id, created: true },
      deal: { id: deal?.id },
    });
    const after = await writeCounts(t, ws.id);
    expect(after.audit - before.audit).toBe(4);
    // The created records are readable through their own endpoints.
    expect((await c.get<AccountJson>(`/crm/v1/accounts/${account.id}`)).status).toBe(200);
    expect((await c.get<ContactJson>(`/crm/v1/contacts/${contact.id}`)).status).toBe(200);
    expect((await c.get<DealJson>(`/crm/v1/deals/${deal?.id}`)).status).toBe(200);
  });

  it('links an existing account and contact, without a deal; a company-less lead becomes an individual', async () => {
    const c = ws.admin.client;
    const existing = await accountFor(t, ws.admin, { name: 'Existing Co' });
    const person = await c.post<ContactJson>('/crm/v1/contacts', { display_name: 'Existing Person' });
    expect(person.status).toBe(201);
    const lead = await leadOf(c, { display_name: 'Whoever', company_name: 'Whatever' });
    const counts = await recordCounts(ws.id);
    const res = await c.post<ConvertLeadResult>(`${BASE}/${lead.id}/convert`, {
      account_id: existing.id,
      contact_id: person.body.id,
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.account.id).toBe(existing.id);
    expect(res.body.contact.id).toBe(person.body.id);
    expect(res.body.deal).toBeNull();
    expect(await recordCounts(ws.id)).toEqual(counts);
    const events = await outboxOf(t, ws.id, lead.id);
    expect(events[1]?.payload.data).toMatchObject({
      account: { id: existing.id, created: false },
      contact: { id: person.body.id, created: false },
      deal: null,
    });

    // A contact of another account cannot be linked to this one (nor become its deal's primary contact).
    const elsewhere = await accountFor(t, ws.admin, { name: 'Elsewhere Co' });
    const theirs = await c.post<ContactJson>('/crm/v1/contacts', {
      display_name: 'Their Person',
      account_id: elsewhere.id,
    });
    expect(theirs.status, theirs.raw).toBe(201);
    const mixed = await leadOf(c, { display_name: 'Mixed', company_name: 'Mixed Co' });
    const before = await recordCounts(ws.id);
    const refused = await c.post(`${BASE}/${mixed.id}/convert`, {
      account_id: existing.id,
      contact_id: theirs.body.id,
    });
    expect(refused.status).toBe(422);
    expect(fieldsOf(refused.body)).toEqual(['contact_id']);
    expect(await recordCounts(ws.id)).toEqual(before);

    const solo = await leadOf(c, { first_name: 'Bình', last_name: 'Lê', email: 'binh@le.vn' });
    const conv = await c.post<ConvertLeadResult>(`${BASE}/${solo.id}/convert`, {
      account_id: existing.id,
    });
    expect(conv.status, conv.raw).toBe(201);
    expect(conv.body.contact).toMatchObject({
      display_name: 'Lê Bình',
      account_id: existing.id,
      is_primary: true,
    });
    const solo2 = await leadOf(c, { first_name: 'Cúc', last_name: 'Đỗ' });
    const ind = await c.post<ConvertLeadResult>(`${BASE}/${solo2.id}/convert`, {});
    expect(ind.status, ind.raw).toBe(201);
    expect(ind.body.account).toMatchObject({ name: 'Đỗ Cúc', legal_type: 'individual' });
  });

  it('is all or nothing: a deal that fails validation writes nothing at all', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { display_name: 'Atomic', company_name: 'Atomic Co', email: 'a@atomic.vn' });
    const counts = await recordCounts(ws.id);
    const writes = await writeCounts(t, ws.id);
    const res = await c.post(`${BASE}/${lead.id}/convert`, { deal: { pipeline_id: UNKNOWN_ID } });
    expect(res.status, res.raw).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['deal.pipeline_id']);
    const stages = await stagesOf(t, ws);
    // Entering "proposal" needs an amount the lead does not have: a blocked stage rule, also atomic.
    const blocked = await c.post(`${BASE}/${lead.id}/convert`, { deal: { stage_id: stages.proposal } });
    expect(blocked.status, blocked.raw).toBe(422);
    expect(await recordCounts(ws.id)).toEqual(counts);
    expect(await writeCounts(t, ws.id)).toEqual(writes);
    expect((await c.get<LeadJson>(`${BASE}/${lead.id}`)).body.status).toBe('new');
    const missing = await c.post(`${BASE}/${lead.id}/convert`, { account_id: UNKNOWN_ID });
    expect(missing.status).toBe(422);
    expect(fieldsOf(missing.body)).toEqual(['account_id']);
    const missingContact = await c.post(`${BASE}/${lead.id}/convert`, { contact_id: UNKNOWN_ID });
    expect(missingContact.status).toBe(422);
    expect(fieldsOf(missingContact.body)).toEqual(['contact_id']);
    expect(await recordCounts(ws.id)).toEqual(counts);
  });

  it('honours If-Match and needs the create permissions of what it creates', async () => {
    const c = ws.admin.client;
    const lead = await leadOf(c, { display_name: 'Versioned', company_name: 'V Co' });
    const stale = await c.post(`${BASE}/${lead.id}/convert`, {}, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    // Marketing has no crm.lead.convert.
    const marketing = await addMember(t, ws, 'marketing');
    const mine = await leadOf(marketing.client, { display_name: 'M', owner_id: null });
    expect((await marketing.client.post(`${BASE}/${mine.id}/convert`, {})).status).toBe(403);
    // A sales rep converts an unowned lead: everything created is theirs.
    const rep = await addMember(t, ws, 'sales_rep');
    const res = await rep.client.post<ConvertLeadResult>(`${BASE}/${mine.id}/convert`, {
      deal: { name: 'D' },
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.body.account.owner_id).toBe(rep.userId);
    expect(res.body.contact.owner_id).toBe(rep.userId);
    expect(res.body.deal?.owner_id).toBe(rep.userId);
  });
});

describe('problem documents', () => {
  it('a lead route answers problem+json for a bad id', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.get<ProblemDocument>(`${BASE}/not-a-uuid`);
    expect(res.status).toBe(422);
  });
});
