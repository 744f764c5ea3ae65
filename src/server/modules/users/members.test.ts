import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { addMember, createWorkspace, TEST_PASSWORD, type TestWorkspace } from '../../../../test/factories.js';
import { api, type TestApp, testApp } from '../../../../test/helpers.js';
import type { Role } from '../../../shared/auth.js';
import { sha256 } from '../../platform/auth/crypto.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import { newId } from '../../platform/ids.js';
import type { auditListResponseSchema } from '../audit/audit.schema.js';
import type {
  createdInvitationResponseSchema,
  invitationResponseSchema,
  memberResponseSchema,
} from './member.schema.js';
import type { meResponseSchema, sessionResponseSchema } from './user.schema.js';

type Member = z.infer<typeof memberResponseSchema>;
type Invitation = z.infer<typeof invitationResponseSchema>;
type CreatedInvitation = z.infer<typeof createdInvitationResponseSchema>;
type Session = z.infer<typeof sessionResponseSchema>;
type Me = z.infer<typeof meResponseSchema>;
type AuditList = z.infer<typeof auditListResponseSchema>;

const uniq = () => newId().slice(-12);
const NEW_PASSWORD = 'brand-new-member-passphrase';

/** Public endpoints have a tight per-IP rate limit; each caller here comes from its own address. */
let ipSeq = 0;
function fromNewIp(t: TestApp) {
  ipSeq += 1;
  const remoteAddress = `10.30.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
  return {
    async post<T = ProblemDocument>(url: string, body: unknown) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        remoteAddress,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as T };
    },
  };
}

const logIn = (t: TestApp, email: string, password = TEST_PASSWORD) =>
  fromNewIp(t).post<Session>('/crm/v1/auth/login', { email, password });

const accept = (t: TestApp, body: Record<string, unknown>) =>
  fromNewIp(t).post<Session>('/crm/v1/invitations/accept', body);

const asProblem = (b: unknown) => b as ProblemDocument;

async function invite(ws: TestWorkspace, email: string, role: Role) {
  const res = await ws.admin.client.post<CreatedInvitation>('/crm/v1/invitations', { email, role });
  expect(res.status).toBe(201);
  return res.body;
}

describe('members and invitations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  describe('members', () => {
    it('lists the members of the workspace with role and status', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'sales_rep', { name: 'Bùi Thị Rep' });
      const res = await rep.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(res.status).toBe(200);
      expect(res.body.data.map((m) => [m.user_id, m.email, m.role, m.status])).toEqual([
        [ws.admin.userId, ws.admin.email, 'admin', 'active'],
        [rep.userId, rep.email, 'sales_rep', 'active'],
      ]);
      expect(res.body.data[1]?.display_name).toBe('Bùi Thị Rep');
    });

    it('only admins change members (403 for a manager)', async () => {
      const ws = await createWorkspace(t);
      const manager = await addMember(t, ws, 'manager');
      const rep = await addMember(t, ws, 'sales_rep');
      const res = await manager.client.patch(`/crm/v1/members/${rep.userId}`, { role: 'manager' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      const list = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(list.body.data.find((m) => m.user_id === rep.userId)?.role).toBe('sales_rep');
    });

    it('a role change applies at once: the old session is signed out, the next sign-in has the new role', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'sales_rep');
      const login = await logIn(t, rep.email);
      expect(login.status).toBe(200);
      const session = api(t.app, login.body.tokens.access_token);
      const before = await session.get<Me>('/crm/v1/me');
      expect(before.body.permissions).toContain('crm.account.create');

      const res = await ws.admin.client.patch<Member>(`/crm/v1/members/${rep.userId}`, { role: 'viewer' });
      expect(res.status).toBe(200);
      expect(res.body.role).toBe('viewer');
      expect(res.body.version).toBe(2);

      const after = await session.get('/crm/v1/me');
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('token_invalid');
      const refreshed = await fromNewIp(t).post('/crm/v1/auth/refresh', {
        refresh_token: login.body.tokens.refresh_token,
      });
      expect(refreshed.status).toBe(401);

      const again = await logIn(t, rep.email);
      expect(again.body.role).toBe('viewer');
      const me = await api(t.app, again.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.role).toBe('viewer');
      expect(me.body.permissions).not.toContain('crm.account.create');

      const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=member.updated');
      expect(audit.body.data.map((a) => [a.entity_id, a.diff])).toEqual([
        [rep.userId, { role: { from: 'sales_rep', to: 'viewer' } }],
      ]);
    });

    it('disabling a member signs them out and keeps them out', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'support');
      const login = await logIn(t, rep.email);
      const res = await ws.admin.client.patch<Member>(`/crm/v1/members/${rep.userId}`, {
        status: 'disabled',
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('disabled');
      expect((await api(t.app, login.body.tokens.access_token).get('/crm/v1/me')).status).toBe(401);
      expect((await logIn(t, rep.email)).status).toBe(403);
    });

    it('the last active admin cannot be demoted or disabled (409); with two admins one can', async () => {
      const ws = await createWorkspace(t);
      const demote = await ws.admin.client.patch(`/crm/v1/members/${ws.admin.userId}`, { role: 'manager' });
      expect(demote.status).toBe(409);
      expect(demote.body.code).toBe('conflict');
      const disable = await ws.admin.client.patch(`/crm/v1/members/${ws.admin.userId}`, {
        status: 'disabled',
      });
      expect(disable.status).toBe(409);

      const second = await addMember(t, ws, 'admin');
      const ok = await ws.admin.client.patch<Member>(`/crm/v1/members/${second.userId}`, { role: 'manager' });
      expect(ok.status).toBe(200);
      // Back to a single admin: the remaining one is protected again.
      expect(
        (await ws.admin.client.patch(`/crm/v1/members/${ws.admin.userId}`, { role: 'viewer' })).status,
      ).toBe(409);

      // A disabled admin does not count as the "other" admin.
      const third = await addMember(t, ws, 'admin');
      expect(
        (await ws.admin.client.patch(`/crm/v1/members/${third.userId}`, { status: 'disabled' })).status,
      ).toBe(200);
      expect(
        (await ws.admin.client.patch(`/crm/v1/members/${ws.admin.userId}`, { role: 'viewer' })).status,
      ).toBe(409);
      const list = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(list.body.data.find((m) => m.user_id === ws.admin.userId)?.role).toBe('admin');
    });

    it('two admins demoting each other at once leave one admin (one 200, one 409)', async () => {
      const ws = await createWorkspace(t);
      const second = await addMember(t, ws, 'admin');
      const results = await Promise.all([
        ws.admin.client.patch(`/crm/v1/members/${second.userId}`, { role: 'manager' }),
        second.client.patch(`/crm/v1/members/${ws.admin.userId}`, { role: 'manager' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const list = await addMember(t, ws, 'viewer').then((v) =>
        v.client.get<{ data: Member[] }>('/crm/v1/members'),
      );
      expect(list.body.data.filter((m) => m.role === 'admin' && m.status === 'active')).toHaveLength(1);
    });

    it('answers 404 for someone who is not a member and 422 for an empty change', async () => {
      const ws = await createWorkspace(t);
      const res = await ws.admin.client.patch(`/crm/v1/members/${newId()}`, { role: 'viewer' });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('member_not_found');
      const empty = await ws.admin.client.patch(`/crm/v1/members/${ws.admin.userId}`, {});
      expect(empty.status).toBe(422);
    });
  });

  describe('invitations', () => {
    it('creates an invitation (admin only) whose token is shown once and stored only as a hash', async () => {
      const ws = await createWorkspace(t);
      const manager = await addMember(t, ws, 'manager');
      const email = `Invitee-${uniq()}@Members.Test`;
      const denied = await manager.client.post('/crm/v1/invitations', { email, role: 'sales_rep' });
      expect(denied.status).toBe(403);

      const res = await ws.admin.client.post<CreatedInvitation>('/crm/v1/invitations', {
        email,
        role: 'sales_rep',
      });
      expect(res.status).toBe(201);
      expect(res.body.invitation).toMatchObject({
        email: email.toLowerCase(),
        role: 'sales_rep',
        status: 'pending',
      });
      const days = (Date.parse(res.body.invitation.expires_at) - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(7);
      expect(res.body.token).toMatch(new RegExp(`^crm_inv_${ws.id.replaceAll('-', '')}_[A-Za-z0-9_-]{43}$`));
      expect(res.body.accept_path).toBe(`/invite?token=${encodeURIComponent(res.body.token)}`);

      const row = await t.db.read(ws.id, (k) =>
        k
          .selectFrom('crm_core.crm_invitations')
          .selectAll()
          .where('id', '=', res.body.invitation.id)
          .executeTakeFirstOrThrow(),
      );
      expect(row.token_hash).toBe(sha256(res.body.token));
      expect(JSON.stringify(row)).not.toContain(res.body.token);
      expect(row.invited_by).toBe(ws.admin.userId);

      const list = await ws.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([res.body.invitation]);
      expect(list.raw).not.toContain(res.body.token);
      expect((await manager.client.get('/crm/v1/invitations')).status).toBe(403);

      const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=invitation.created');
      expect(audit.body.data.map((a) => a.entity_id)).toEqual([res.body.invitation.id]);
      expect(JSON.stringify(audit.body)).not.toContain(res.body.token);
    });

    it('refuses to invite someone who is already a member (409 already_member)', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'sales_rep');
      const res = await ws.admin.client.post('/crm/v1/invitations', { email: rep.email, role: 'viewer' });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('already_member');
    });

    it('a new person accepts: user and membership with the invited role, and a session', async () => {
      const ws = await createWorkspace(t);
      const email = `new-${uniq()}@members.test`;
      const inv = await invite(ws, email, 'marketing');

      const noName = await accept(t, { token: inv.token, password: NEW_PASSWORD });
      expect(noName.status).toBe(422);
      expect(asProblem(noName.body).errors?.map((e) => e.field)).toEqual(['display_name']);
      const weak = await accept(t, { token: inv.token, password: 'short', display_name: 'Trần Mới' });
      expect(weak.status).toBe(422);
      expect(asProblem(weak.body).errors?.map((e) => e.field)).toEqual(['password']);

      const res = await accept(t, { token: inv.token, password: NEW_PASSWORD, display_name: 'Trần Mới' });
      expect(res.status).toBe(200);
      expect(res.body.user.email).toBe(email);
      expect(res.body.user.display_name).toBe('Trần Mới');
      expect(res.body.workspace.id).toBe(ws.id);
      expect(res.body.role).toBe('marketing');
      const me = await api(t.app, res.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.role).toBe('marketing');
      expect(me.body.user?.id).toBe(res.body.user.id);

      const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(members.body.data.find((m) => m.email === email)).toMatchObject({
        user_id: res.body.user.id,
        role: 'marketing',
        status: 'active',
      });
      const list = await ws.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
      expect(list.body.data.map((i) => i.status)).toEqual(['accepted']);
      // The new password works for ordinary sign-in.
      expect((await logIn(t, email, NEW_PASSWORD)).status).toBe(200);

      // An invitation is used once.
      const twice = await accept(t, { token: inv.token, password: NEW_PASSWORD, display_name: 'Trần Mới' });
      expect(twice.status).toBe(409);

      const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=invitation.accepted');
      expect(audit.body.data.map((a) => a.entity_id)).toEqual([inv.invitation.id]);
    });

    it('an existing user of another workspace accepts with their password (wrong password: 401)', async () => {
      const home = await createWorkspace(t);
      const ws = await createWorkspace(t);
      const inv = await invite(ws, home.admin.email, 'support');

      const wrong = await accept(t, { token: inv.token, password: 'not-their-password' });
      expect(wrong.status).toBe(401);
      expect(asProblem(wrong.body).code).toBe('invalid_credentials');
      const stillPending = await ws.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
      expect(stillPending.body.data.map((i) => i.status)).toEqual(['pending']);

      const res = await accept(t, { token: inv.token, password: TEST_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(home.admin.userId);
      expect(res.body.workspace.id).toBe(ws.id);
      expect(res.body.role).toBe('support');
      expect(res.body.workspaces.map((w) => [w.id, w.role])).toEqual([
        [home.id, 'admin'],
        [ws.id, 'support'],
      ]);
      // Their home workspace is unaffected.
      const me = await home.admin.client.get<Me>('/crm/v1/me');
      expect(me.body.role).toBe('admin');
    });

    it('a revoked invitation cannot be accepted; revoking twice is 409', async () => {
      const ws = await createWorkspace(t);
      const manager = await addMember(t, ws, 'manager');
      const inv = await invite(ws, `revoked-${uniq()}@members.test`, 'viewer');
      expect((await manager.client.delete(`/crm/v1/invitations/${inv.invitation.id}`)).status).toBe(403);

      const res = await ws.admin.client.delete<Invitation>(`/crm/v1/invitations/${inv.invitation.id}`);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('revoked');
      const again = await ws.admin.client.delete(`/crm/v1/invitations/${inv.invitation.id}`);
      expect(again.status).toBe(409);

      const accepted = await accept(t, { token: inv.token, password: NEW_PASSWORD, display_name: 'Late' });
      expect(accepted.status).toBe(409);
      expect(asProblem(accepted.body).code).toBe('conflict');
      const missing = await ws.admin.client.delete(`/crm/v1/invitations/${newId()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('invitation_not_found');
    });

    it('an expired invitation is 422 invitation_expired', async () => {
      const ws = await createWorkspace(t);
      const inv = await invite(ws, `expired-${uniq()}@members.test`, 'viewer');
      await t.db.read(ws.id, (k) =>
        sql`update crm_core.crm_invitations set expires_at = now() - interval '1 hour'
            where id = ${inv.invitation.id}`.execute(k),
      );
      const res = await accept(t, { token: inv.token, password: NEW_PASSWORD, display_name: 'Late' });
      expect(res.status).toBe(422);
      expect(asProblem(res.body).code).toBe('invitation_expired');
      const list = await ws.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
      expect(list.body.data.map((i) => i.status)).toEqual(['expired']);
      // An expired invitation is no longer pending: it cannot be revoked either.
      expect((await ws.admin.client.delete(`/crm/v1/invitations/${inv.invitation.id}`)).status).toBe(409);
    });

    it('accepting when already a member is 409 already_member', async () => {
      const ws = await createWorkspace(t);
      const email = `twice-${uniq()}@members.test`;
      const first = await invite(ws, email, 'viewer');
      const second = await invite(ws, email, 'manager');
      const ok = await accept(t, { token: first.token, password: NEW_PASSWORD, display_name: 'Twice' });
      expect(ok.status).toBe(200);
      const res = await accept(t, { token: second.token, password: NEW_PASSWORD });
      expect(res.status).toBe(409);
      expect(asProblem(res.body).code).toBe('already_member');
      const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(members.body.data.filter((m) => m.email === email).map((m) => m.role)).toEqual(['viewer']);
    });

    it('two people racing to accept one invitation: one 200, one 409', async () => {
      const ws = await createWorkspace(t);
      const inv = await invite(ws, `race-${uniq()}@members.test`, 'viewer');
      const results = await Promise.all(
        ['A', 'B'].map((n) => accept(t, { token: inv.token, password: NEW_PASSWORD, display_name: n })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(members.body.data).toHaveLength(2);
    });

    it('a disabled account cannot accept an invitation (401) and the invitation stays pending', async () => {
      const home = await createWorkspace(t);
      const ws = await createWorkspace(t);
      const inv = await invite(ws, home.admin.email, 'viewer');
      await t.db.system((k) =>
        sql`update crm_core.crm_users set disabled_at = now() where id = ${home.admin.userId}`.execute(k),
      );
      const res = await accept(t, { token: inv.token, password: TEST_PASSWORD });
      expect(res.status).toBe(401);
      expect(asProblem(res.body).code).toBe('invalid_credentials');
      const list = await ws.admin.client.get<{ data: Invitation[] }>('/crm/v1/invitations');
      expect(list.body.data.map((i) => i.status)).toEqual(['pending']);
      const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
      expect(members.body.data.map((m) => m.user_id)).toEqual([ws.admin.userId]);
    });

    it('a garbage or unknown token is 404 invitation_not_found', async () => {
      const ws = await createWorkspace(t);
      const inv = await invite(ws, `other-${uniq()}@members.test`, 'viewer');
      const other = await createWorkspace(t);
      // The same secret under another workspace's id must not find the invitation.
      const moved = inv.token.replace(ws.id.replaceAll('-', ''), other.id.replaceAll('-', ''));
      const unknown = `crm_inv_${ws.id.replaceAll('-', '')}_${'x'.repeat(43)}`;
      for (const token of ['garbage', moved, unknown]) {
        const res = await accept(t, { token, password: NEW_PASSWORD, display_name: 'X' });
        expect(res.status).toBe(404);
        expect(asProblem(res.body).code).toBe('invitation_not_found');
      }
    });
  });

  describe('password guessing through invitations', () => {
    let locked: TestApp;
    beforeAll(async () => {
      locked = await testApp({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCKOUT_SECONDS: 60 });
    });
    afterAll(async () => locked.close());

    it('wrong passwords on accept count toward the sign-in lock of that email', async () => {
      // Anyone can sign up and invite any email, so accept must not be an unthrottled password oracle.
      const victim = await createWorkspace(locked);
      const attacker = await createWorkspace(locked);
      const inv = await invite(attacker, victim.admin.email, 'viewer');
      for (let i = 0; i < 3; i++) {
        const res = await accept(locked, { token: inv.token, password: `guess-number-${i}` });
        expect(res.status).toBe(401);
      }
      const blocked = await accept(locked, { token: inv.token, password: TEST_PASSWORD });
      expect(blocked.status).toBe(429);
      expect(asProblem(blocked.body).code).toBe('login_locked');
      const login = await logIn(locked, victim.admin.email);
      expect(login.status).toBe(429);
    });
  });
});
