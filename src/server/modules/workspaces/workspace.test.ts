import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { addMember, apiKeyFor, createWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { newId } from '../../platform/ids.js';
import type { auditListResponseSchema } from '../audit/audit.schema.js';
import type { apiKeyResponseSchema } from '../users/api-key.schema.js';
import type {
  createdInvitationResponseSchema,
  invitationResponseSchema,
  memberResponseSchema,
} from '../users/member.schema.js';
import type { WorkspaceJson } from './workspace.presenter.js';

type AuditList = z.infer<typeof auditListResponseSchema>;
type Member = z.infer<typeof memberResponseSchema>;
type Invitation = z.infer<typeof invitationResponseSchema>;
type CreatedInvitation = z.infer<typeof createdInvitationResponseSchema>;
type ApiKeyJson = z.infer<typeof apiKeyResponseSchema>;

describe('workspace settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('any member reads the current workspace, with its version as ETag', async () => {
    const ws = await createWorkspace(t, { name: 'Công ty Sao Mai' });
    const viewer = await addMember(t, ws, 'viewer');
    const res = await viewer.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ws.id,
      slug: ws.slug,
      name: 'Công ty Sao Mai',
      base_currency: 'VND',
      version: 1,
    });
    expect(res.headers.etag).toBe('"1"');
  });

  it('an admin updates the settings: new version, ETag, audit row with the diff', async () => {
    const ws = await createWorkspace(t, { name: 'Old name' });
    const res = await ws.admin.client.patch<WorkspaceJson>(
      '/crm/v1/workspace',
      { name: 'New name', base_currency: 'USD', locale: 'en', timezone: 'Asia/Ho_Chi_Minh' },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'New name',
      base_currency: 'USD',
      locale: 'en',
      timezone: 'Asia/Ho_Chi_Minh',
      version: 2,
    });
    expect(res.headers.etag).toBe('"2"');
    const got = await ws.admin.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(got.body.name).toBe('New name');

    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=workspace.updated');
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]?.entity_id).toBe(ws.id);
    expect(audit.body.data[0]?.actor).toMatchObject({ type: 'user', id: ws.admin.userId });
    expect(audit.body.data[0]?.diff.name).toEqual({ from: 'Old name', to: 'New name' });
    expect(audit.body.data[0]?.diff.base_currency).toEqual({ from: 'VND', to: 'USD' });
    const verify = await ws.admin.client.get<{ ok: boolean }>('/crm/v1/audit/verify');
    expect(verify.body.ok).toBe(true);
  });

  it('only admins update (403 for a manager and a viewer); nothing changes', async () => {
    const ws = await createWorkspace(t, { name: 'Stable' });
    for (const role of ['manager', 'viewer'] as const) {
      const m = await addMember(t, ws, role);
      const res = await m.client.patch('/crm/v1/workspace', { name: 'Hijacked' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    const got = await ws.admin.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(got.body).toMatchObject({ name: 'Stable', version: 1 });
  });

  it('a stale If-Match (or body version) is 412 and changes nothing', async () => {
    const ws = await createWorkspace(t);
    const first = await ws.admin.client.patch<WorkspaceJson>('/crm/v1/workspace', { name: 'First' });
    expect(first.body.version).toBe(2);
    const stale = await ws.admin.client.patch(
      '/crm/v1/workspace',
      { name: 'Lost update' },
      { 'if-match': '"1"' },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect(stale.body.current_version).toBe(2);
    const staleBody = await ws.admin.client.patch('/crm/v1/workspace', { name: 'Lost update', version: 1 });
    expect(staleBody.status).toBe(412);
    const got = await ws.admin.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(got.body).toMatchObject({ name: 'First', version: 2 });

    const fresh = await ws.admin.client.patch<WorkspaceJson>(
      '/crm/v1/workspace',
      { name: 'Second' },
      { 'if-match': 'W/"2"' },
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.version).toBe(3);
    const malformed = await ws.admin.client.patch(
      '/crm/v1/workspace',
      { name: 'X' },
      { 'if-match': 'yesterday' },
    );
    expect(malformed.status).toBe(400);
  });

  it('refuses fields that are not settings, and an empty change (422)', async () => {
    const ws = await createWorkspace(t);
    const slug = await ws.admin.client.patch('/crm/v1/workspace', { slug: 'taken-over' });
    expect(slug.status).toBe(422);
    expect(slug.body.errors?.map((e) => e.field)).toContain('slug');
    expect((await ws.admin.client.patch('/crm/v1/workspace', { version: 1 })).status).toBe(422);
    expect((await ws.admin.client.patch('/crm/v1/workspace', { base_currency: 'EUR' })).status).toBe(422);
  });
});

describe('cross-workspace isolation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  async function twoWorkspaces() {
    const a = await createWorkspace(t, { name: 'Workspace A' });
    const b = await createWorkspace(t, { name: 'Workspace B' });
    const aRep = await addMember(t, a, 'sales_rep');
    const bViewer = await addMember(t, b, 'viewer');
    const aKey = await apiKeyFor(t, a.admin, ['crm.read']);
    const aInv = await a.admin.client.post<CreatedInvitation>('/crm/v1/invitations', {
      email: `a-invitee-${newId().slice(-12)}@iso.test`,
      role: 'viewer',
    });
    expect(aInv.status).toBe(201);
    return { a, b, aRep, bViewer, aKey, aInv: aInv.body };
  }

  it('a member of B never sees A’s workspace, members, invitations, keys or audit', async () => {
    const { a, b, aRep, bViewer, aKey, aInv } = await twoWorkspaces();
    const bKey = await apiKeyFor(t, b.admin, ['crm.read']);

    const wsB = await bViewer.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(wsB.body.id).toBe(b.id);
    expect(wsB.raw).not.toContain(a.id);

    const members = await b.admin.client.get<{ data: Member[] }>('/crm/v1/members');
    expect(members.body.data.map((m) => m.user_id).sort()).toEqual([b.admin.userId, bViewer.userId].sort());
    expect(members.raw).not.toContain(aRep.email);

    const invitations = await b.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
    expect(invitations.body.data).toEqual([]);
    expect(invitations.raw).not.toContain(aInv.invitation.id);

    const keys = await b.admin.client.get<{ data: ApiKeyJson[] }>('/crm/v1/api-keys');
    expect(keys.body.data.map((k) => k.id)).toEqual([bKey.id]);
    expect(keys.raw).not.toContain(aKey.id);

    const audit = await b.admin.client.get<AuditList>('/crm/v1/audit?limit=100');
    expect(audit.raw).not.toContain(a.id);
    expect(audit.raw).not.toContain(aInv.invitation.id);

    // An A key only ever sees A.
    const viaKey = await aKey.client.get<WorkspaceJson>('/crm/v1/workspace');
    expect(viaKey.body.id).toBe(a.id);
  });

  it('B’s admin cannot revoke A’s key or invitation, nor change A’s member (404); A is untouched', async () => {
    const { a, b, aRep, aKey, aInv } = await twoWorkspaces();

    const key = await b.admin.client.delete(`/crm/v1/api-keys/${aKey.id}`);
    expect(key.status).toBe(404);
    expect(key.body.code).toBe('api_key_not_found');

    const inv = await b.admin.client.delete(`/crm/v1/invitations/${aInv.invitation.id}`);
    expect(inv.status).toBe(404);
    expect(inv.body.code).toBe('invitation_not_found');

    for (const userId of [aRep.userId, a.admin.userId]) {
      const member = await b.admin.client.patch(`/crm/v1/members/${userId}`, { role: 'viewer' });
      expect(member.status).toBe(404);
      expect(member.body.code).toBe('member_not_found');
    }

    const switched = await b.admin.client.post('/crm/v1/auth/switch', { workspace_id: a.id });
    expect(switched.status).toBe(404);

    // A is unchanged.
    expect((await aKey.client.get('/crm/v1/accounts')).status).toBe(200);
    const invitations = await a.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
    expect(invitations.body.data.map((i) => i.status)).toEqual(['pending']);
    const members = await a.admin.client.get<{ data: Member[] }>('/crm/v1/members');
    expect(members.body.data.find((m) => m.user_id === aRep.userId)?.role).toBe('sales_rep');
    // …and B's attempts left no trace in A's audit log.
    const audit = await a.admin.client.get<AuditList>('/crm/v1/audit?limit=100');
    expect(audit.body.data.some((e) => e.actor.id === b.admin.userId)).toBe(false);
  });

  it('an A member’s session cannot be used to act on B, even by naming B’s ids', async () => {
    const { b, aRep, bViewer } = await twoWorkspaces();
    const patch = await aRep.client.patch(`/crm/v1/members/${bViewer.userId}`, { role: 'admin' });
    expect(patch.status).toBe(403); // a sales rep may not manage members anywhere
    const bMembers = await b.admin.client.get<{ data: Member[] }>('/crm/v1/members');
    expect(bMembers.body.data.find((m) => m.user_id === bViewer.userId)?.role).toBe('viewer');
  });
});
