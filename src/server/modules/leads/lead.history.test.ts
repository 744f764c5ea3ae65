import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../../test/factories/contacts.js';
import { auditOf, writeCounts } from '../../../../test/factories/deals.js';
import { leadFor } from '../../../../test/factories/leads.js';
import { accountFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ActivityJson } from '../activities/activity.presenter.js';
import type { ActivityPage } from '../activities/activity.service.js';
import type { ConvertLeadResult } from './lead.service.js';

/**
 * A converted lead's history follows the customer: the conversion fills the new account, contact (and
 * deal) into the empty links of the lead's timeline entries in its own transaction, keeps every link
 * already set and the lead link itself, audits one summary row, and writes nothing when it fails.
 */

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function logOn(c: Client, body: Record<string, unknown>): Promise<ActivityJson> {
  const res = await c.post<ActivityJson>('/crm/v1/activities', { kind: 'call', subject: 'Gọi', ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

const timelineIds = async (c: Client, url: string): Promise<string[]> => {
  const res = await c.get<ActivityPage>(`${url}?limit=100`);
  expect(res.status, res.raw).toBe(200);
  return res.body.data.map((a) => a.id);
};

describe('converting a lead carries its timeline', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('fills the new account, contact and deal into empty links, keeping the lead and links already set', async () => {
    const c = ws.admin.client;
    const lead = await leadFor(t, ws.admin, { company_name: 'Công ty Sao Khuê', email: 'khue@saokhue.vn' });
    const call = await logOn(c, { lead_id: lead.id, subject: 'Gọi giới thiệu' });
    const meeting = await logOn(c, { lead_id: lead.id, kind: 'meeting', subject: 'Gặp tại văn phòng' });
    // An entry that already names someone else's contact (a colleague who referred the lead) keeps it.
    const referrer = await contactFor(t, ws.admin, { display_name: 'Người giới thiệu' });
    const referred = await logOn(c, {
      lead_id: lead.id,
      contact_id: referrer.id,
      subject: 'Được giới thiệu',
    });
    const unrelated = await logOn(c, { contact_id: referrer.id, subject: 'Không liên quan' });

    const res = await c.post<ConvertLeadResult>(`/crm/v1/leads/${lead.id}/convert`, { deal: {} });
    expect(res.status, res.raw).toBe(201);
    const { account, contact, deal } = res.body;
    if (!deal) throw new Error('no deal');

    const get = async (id: string) => (await c.get<ActivityJson>(`/crm/v1/activities/${id}`)).body;
    for (const a of [call, meeting]) {
      expect(await get(a.id)).toMatchObject({
        lead_id: lead.id,
        account_id: account.id,
        contact_id: contact.id,
        deal_id: deal.id,
        subject: a.subject,
        occurred_at: a.occurred_at,
      });
    }
    expect(await get(referred.id)).toMatchObject({
      lead_id: lead.id,
      account_id: account.id,
      contact_id: referrer.id,
      deal_id: deal.id,
    });
    expect(await get(unrelated.id)).toMatchObject({ lead_id: null, account_id: null, deal_id: null });

    // The history shows on the customer's timelines and is still the lead's.
    const lead3 = [call.id, meeting.id, referred.id];
    expect(await timelineIds(c, `/crm/v1/leads/${lead.id}/timeline`)).toEqual(expect.arrayContaining(lead3));
    expect(await timelineIds(c, `/crm/v1/accounts/${account.id}/timeline`)).toEqual(
      expect.arrayContaining(lead3),
    );
    expect(await timelineIds(c, `/crm/v1/deals/${deal.id}/timeline`)).toEqual(expect.arrayContaining(lead3));
    expect(await timelineIds(c, `/crm/v1/contacts/${contact.id}/timeline`)).toEqual(
      expect.arrayContaining([call.id, meeting.id]),
    );

    const audit = await auditOf(t, ws, lead.id);
    const linked = audit.filter((e) => e.action === 'lead.activities_linked');
    expect(linked).toHaveLength(1);
    expect(linked[0]?.diff).toEqual({
      activities_linked: { from: 0, to: 3 },
      account_id: { from: null, to: account.id },
      contact_id: { from: null, to: contact.id },
      deal_id: { from: null, to: deal.id },
    });
  });

  it('without a deal, fills account and contact only; an existing account keeps entries of its own', async () => {
    const c = ws.admin.client;
    const existing = await accountFor(t, ws.admin, { name: 'Công ty Có Sẵn' });
    const lead = await leadFor(t, ws.admin, { company_name: 'Công ty Có Sẵn' });
    const a = await logOn(c, { lead_id: lead.id });
    const res = await c.post<ConvertLeadResult>(`/crm/v1/leads/${lead.id}/convert`, {
      account_id: existing.id,
    });
    expect(res.status, res.raw).toBe(201);
    const got = (await c.get<ActivityJson>(`/crm/v1/activities/${a.id}`)).body;
    expect(got).toMatchObject({
      lead_id: lead.id,
      account_id: existing.id,
      contact_id: res.body.contact.id,
      deal_id: null,
    });
  });

  it('a lead with no entries converts without the summary audit row', async () => {
    const lead = await leadFor(t, ws.admin);
    const res = await ws.admin.client.post(`/crm/v1/leads/${lead.id}/convert`, {});
    expect(res.status, res.raw).toBe(201);
    expect((await auditOf(t, ws, lead.id)).map((e) => e.action)).not.toContain('lead.activities_linked');
  });

  it('a failed conversion leaves the entries as they were', async () => {
    const c = ws.admin.client;
    const lead = await leadFor(t, ws.admin);
    const a = await logOn(c, { lead_id: lead.id });
    const writes = await writeCounts(t, ws.id);
    const res = await c.post(`/crm/v1/leads/${lead.id}/convert`, {
      deal: { pipeline_id: '01900000-0000-7000-8000-000000000000' },
    });
    expect(res.status, res.raw).toBe(422);
    expect((await c.get<ActivityJson>(`/crm/v1/activities/${a.id}`)).body).toMatchObject({
      account_id: null,
      contact_id: null,
      deal_id: null,
    });
    expect(await writeCounts(t, ws.id)).toEqual(writes);
  });
});
