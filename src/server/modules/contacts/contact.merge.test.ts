import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityFor } from '../../../../test/factories/activities.js';
import { contactFor } from '../../../../test/factories/contacts.js';
import { dealFor } from '../../../../test/factories/deals.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ContactJson } from './contact.presenter.js';

interface MergeJson {
  contact: ContactJson;
  merged: { id: string; channels_moved: number; deals_moved: string[]; fields_filled: string[] };
}

describe('POST /contacts/{id}/merge', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('moves channels, deal roles, primary places and the timeline to the kept contact, once', async () => {
    const account = await accountFor(t, ws.admin, { name: 'Công ty Acme' });
    const keep = await contactFor(t, ws.admin, {
      display_name: 'Nguyễn Thị Lan',
      channels: [{ kind: 'email', value: 'lan@acme.vn' }],
    });
    const dup = await contactFor(t, ws.admin, {
      display_name: 'Lan Nguyen',
      title: 'Kế toán trưởng',
      account_id: account.id,
      do_not_call: true,
      channels: [
        { kind: 'email', value: 'LAN@acme.vn' },
        { kind: 'phone', value: '0912 345 678' },
      ],
    });
    const asPrimary = await dealFor(t, ws.admin, { name: 'Primary', primary_contact_id: dup.id });
    const shared = await dealFor(t, ws.admin, {
      name: 'Shared',
      contacts: [
        { contact_id: keep.id, role: 'decision_maker' },
        { contact_id: dup.id, role: 'finance' },
      ],
    });
    const note = await activityFor(t, ws.admin, { subject: 'Gọi cho chị Lan', contact_id: dup.id });

    const r = await ws.admin.client.post<MergeJson>(`/crm/v1/contacts/${keep.id}/merge`, {
      merge_id: dup.id,
    });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.contact).toMatchObject({
      display_name: 'Nguyễn Thị Lan',
      title: 'Kế toán trưởng',
      account_id: account.id,
      do_not_call: true,
    });
    expect(r.body.contact.channels.map((c) => `${c.kind}:${c.value}`)).toEqual([
      'email:lan@acme.vn',
      'phone:+84912345678',
    ]);
    expect(r.body.merged).toMatchObject({ id: dup.id, channels_moved: 1 });
    expect(r.body.merged.deals_moved.sort()).toEqual([asPrimary.id, shared.id].sort());

    const primary = await ws.admin.client.get<{ primary_contact_id: string }>(
      `/crm/v1/deals/${asPrimary.id}`,
    );
    expect(primary.body.primary_contact_id).toBe(keep.id);
    const roles = await t.db.read(ws.id, (k) =>
      sql<{ contact_id: string; role: string }>`SELECT contact_id, role FROM crm_core.crm_deal_contacts
        WHERE tenant_id = ${ws.id} AND deal_id = ${shared.id}`.execute(k),
    );
    expect(roles.rows).toEqual([{ contact_id: keep.id, role: 'decision_maker' }]);

    const timeline = await ws.admin.client.get<{ data: Array<{ id: string }> }>(
      `/crm/v1/contacts/${keep.id}/timeline`,
    );
    expect(timeline.body.data.map((a) => a.id)).toContain(note.id);

    const gone = await ws.admin.client.get(`/crm/v1/contacts/${dup.id}`);
    expect(gone.status).toBe(404);
    const restore = await ws.admin.client.post(`/crm/v1/contacts/${dup.id}/restore`);
    expect(restore.status).toBe(409);
    const again = await ws.admin.client.post(`/crm/v1/contacts/${keep.id}/merge`, { merge_id: dup.id });
    expect(again.status).toBe(404);
    expect(again.body.errors?.[0]?.field).toBe('merge_id');

    const audit = await t.db.read(ws.id, (k) =>
      sql<{ action: string; entity_id: string }>`SELECT action, entity_id FROM crm_core.crm_audit_log
        WHERE tenant_id = ${ws.id} AND action LIKE 'contact.merged%' ORDER BY seq`.execute(k),
    );
    expect(audit.rows).toEqual([
      { action: 'contact.merged', entity_id: keep.id },
      { action: 'contact.merged_into', entity_id: dup.id },
    ]);
  });

  it('needs crm.contact.merge (role and scope); refuses itself; another workspace sees nothing', async () => {
    const a = await contactFor(t, ws.admin, { display_name: 'A' });
    const b = await contactFor(t, ws.admin, { display_name: 'B' });
    const rep = await addMember(t, ws, 'sales_rep');
    expect((await rep.client.post(`/crm/v1/contacts/${a.id}/merge`, { merge_id: b.id })).status).toBe(403);
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const noScope = await key.client.post(
      `/crm/v1/contacts/${a.id}/merge`,
      { merge_id: b.id },
      {
        'idempotency-key': 'merge-1',
      },
    );
    expect(noScope.status).toBe(403);
    expect(noScope.body.code).toBe('insufficient_scope');
    const self = await ws.admin.client.post(`/crm/v1/contacts/${a.id}/merge`, { merge_id: a.id });
    expect(self.status).toBe(422);
    expect(self.body.errors?.[0]?.field).toBe('merge_id');
    const other = await createWorkspace(t);
    expect((await other.admin.client.post(`/crm/v1/contacts/${a.id}/merge`, { merge_id: b.id })).status).toBe(
      404,
    );
    const manager = await addMember(t, ws, 'manager');
    expect((await manager.client.post(`/crm/v1/contacts/${a.id}/merge`, { merge_id: b.id })).status).toBe(
      200,
    );
  });
});
