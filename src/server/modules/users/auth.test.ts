import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { addMember, createWorkspace, TEST_PASSWORD } from '../../../../test/factories.js';
import { api, type TestApp, testApp } from '../../../../test/helpers.js';
import { PERMISSIONS, SCOPES } from '../../../shared/auth.js';
import { sha256 } from '../../platform/auth/crypto.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import { newId } from '../../platform/ids.js';
import type { auditListResponseSchema } from '../audit/audit.schema.js';
import type { meResponseSchema, sessionResponseSchema, tokensResponseSchema } from './user.schema.js';
import { REFRESH_REUSE_GRACE_MS } from './user.service.js';

type Session = z.infer<typeof sessionResponseSchema>;
type Tokens = z.infer<typeof tokensResponseSchema>;
type Me = z.infer<typeof meResponseSchema>;
type AuditList = z.infer<typeof auditListResponseSchema>;

const PASSWORD = 'a-long-and-secret-passphrase';
const uniq = () => newId().slice(-12);
const emailOf = (label: string) => `${label}-${uniq()}@auth.test`;

/**
 * Public endpoints (sign-up, login, refresh) have a tight per-IP rate limit (20/min). Each caller here
 * comes from its own address so the suite measures the behaviour under test, not that limit.
 */
let ipSeq = 0;
function fromNewIp(t: TestApp) {
  ipSeq += 1;
  const remoteAddress = `10.20.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
  return {
    async post<T = ProblemDocument>(url: string, body: unknown, token?: string) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        remoteAddress,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        payload: JSON.stringify(body),
      });
      return {
        status: res.statusCode,
        body: (res.body ? JSON.parse(res.body) : null) as T,
        headers: res.headers,
      };
    },
  };
}

async function signUp(t: TestApp, overrides: Record<string, unknown> = {}) {
  const email = emailOf('owner');
  const res = await fromNewIp(t).post<Session>('/crm/v1/auth/signup', {
    workspace_name: `Công ty ${uniq()}`,
    email,
    password: PASSWORD,
    display_name: 'Nguyễn Văn A',
    ...overrides,
  });
  expect(res.status).toBe(201);
  return { email, session: res.body };
}

async function logIn(t: TestApp, email: string, password = PASSWORD, extra: Record<string, unknown> = {}) {
  return fromNewIp(t).post<Session>('/crm/v1/auth/login', { email, password, ...extra });
}

const refresh = (t: TestApp, token: string) =>
  fromNewIp(t).post<Tokens>('/crm/v1/auth/refresh', { refresh_token: token });

const sessionIdOf = (accessToken: string) => decodeJwt(accessToken).sid as string;

async function auditActions(t: TestApp, token: string, action: string): Promise<AuditList['data']> {
  const res = await api(t.app, token).get<AuditList>(`/crm/v1/audit?action=${encodeURIComponent(action)}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

describe('identity and sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  describe('sign-up', () => {
    it('creates the user, the workspace and an admin session whose access token works', async () => {
      const slug = `acme-${uniq()}`;
      const { email, session } = await signUp(t, { workspace_name: 'Acme Việt Nam', workspace_slug: slug });
      expect(session.user.email).toBe(email);
      expect(session.user.display_name).toBe('Nguyễn Văn A');
      expect(session.user.locale).toBe('vi');
      expect(session.workspace.slug).toBe(slug);
      expect(session.workspace.name).toBe('Acme Việt Nam');
      expect(session.role).toBe('admin');
      expect(session.workspaces).toEqual([
        { id: session.workspace.id, slug, name: 'Acme Việt Nam', role: 'admin' },
      ]);
      expect(session.tokens.token_type).toBe('Bearer');
      expect(session.tokens.expires_in).toBe(t.config.ACCESS_TOKEN_TTL_SECONDS);
      expect(session.tokens.refresh_token).toMatch(/^crm_rt_[0-9a-f]{32}_/);

      const me = await api(t.app, session.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.user?.id).toBe(session.user.id);
      expect(me.body.workspace.id).toBe(session.workspace.id);
      expect(me.body.role).toBe('admin');
      expect(me.body.via).toBe('session');

      const created = await auditActions(t, session.tokens.access_token, 'session.created');
      expect(created.map((a) => a.entity_id)).toEqual([sessionIdOf(session.tokens.access_token)]);
      const ws = await auditActions(t, session.tokens.access_token, 'workspace.created');
      expect(ws[0]?.diff.slug).toEqual({ from: null, to: slug });
    });

    it('derives a slug from the workspace name when none is given', async () => {
      const tag = uniq();
      const { session } = await signUp(t, { workspace_name: `Công ty Đại Việt ${tag}` });
      expect(session.workspace.slug).toBe(`cong-ty-dai-viet-${tag}`);
    });

    it('stores the password as an argon2id hash, never the password', async () => {
      const { email } = await signUp(t);
      const row = await t.db.system((k) =>
        k
          .selectFrom('crm_core.crm_users')
          .select('password_hash')
          .where('email', '=', email)
          .executeTakeFirst(),
      );
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(row?.password_hash).not.toContain(PASSWORD);
    });

    it('refuses an email that is already registered (in any letter case) with 409 email_taken', async () => {
      const { email } = await signUp(t);
      const again = await fromNewIp(t).post('/crm/v1/auth/signup', {
        workspace_name: 'Another',
        email: email.toUpperCase(),
        password: PASSWORD,
        display_name: 'Copycat',
      });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('email_taken');
      expect(again.body.errors?.map((e) => e.field)).toEqual(['email']);
    });

    it('refuses a taken workspace slug with 409 slug_taken and creates nothing', async () => {
      const { session } = await signUp(t);
      const email = emailOf('late');
      const res = await fromNewIp(t).post('/crm/v1/auth/signup', {
        workspace_name: 'Late',
        workspace_slug: session.workspace.slug,
        email,
        password: PASSWORD,
        display_name: 'Late',
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('slug_taken');
      const user = await t.db.system((k) =>
        k.selectFrom('crm_core.crm_users').select('id').where('email', '=', email).executeTakeFirst(),
      );
      expect(user).toBeUndefined();
    });

    it('refuses a weak password with 422 naming the password field', async () => {
      const res = await fromNewIp(t).post('/crm/v1/auth/signup', {
        workspace_name: 'Weak',
        email: emailOf('weak'),
        password: 'short',
        display_name: 'Weak',
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors?.map((e) => e.field)).toEqual(['password']);
    });

    it('concurrent sign-ups with one email (or one slug): one wins, the other is 409', async () => {
      const email = emailOf('race');
      const body = (n: number) => ({
        workspace_name: `Race ${n}`,
        email,
        password: PASSWORD,
        display_name: `Racer ${n}`,
      });
      const byEmail = await Promise.all([1, 2].map((n) => fromNewIp(t).post('/crm/v1/auth/signup', body(n))));
      expect(byEmail.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(byEmail.find((r) => r.status === 409)?.body.code).toBe('email_taken');

      const slug = `race-${uniq()}`;
      const bySlug = await Promise.all(
        [1, 2].map((n) =>
          fromNewIp(t).post('/crm/v1/auth/signup', {
            ...body(n),
            email: emailOf(`slug${n}`),
            workspace_slug: slug,
          }),
        ),
      );
      expect(bySlug.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(bySlug.find((r) => r.status === 409)?.body.code).toBe('slug_taken');
    });

    it('refuses unknown fields (no mass assignment)', async () => {
      const res = await fromNewIp(t).post('/crm/v1/auth/signup', {
        workspace_name: 'Sneaky',
        email: emailOf('sneaky'),
        password: PASSWORD,
        display_name: 'Sneaky',
        role: 'admin',
      });
      expect(res.status).toBe(422);
      expect(res.body.errors?.map((e) => e.field)).toEqual(['role']);
    });
  });

  describe('login', () => {
    it('signs in with email and password (email case-insensitive)', async () => {
      const { email, session } = await signUp(t);
      const res = await logIn(t, email.toUpperCase());
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(session.user.id);
      expect(res.body.workspace.id).toBe(session.workspace.id);
      expect(res.body.role).toBe('admin');
      expect(sessionIdOf(res.body.tokens.access_token)).not.toBe(sessionIdOf(session.tokens.access_token));
      const me = await api(t.app, res.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.user?.email).toBe(email);
    });

    it('answers a wrong password and an unknown email identically (401 invalid_credentials)', async () => {
      const { email } = await signUp(t);
      const wrong = await logIn(t, email, 'not-the-password');
      const unknown = await logIn(t, emailOf('nobody'), 'not-the-password');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const strip = (b: unknown) => {
        const { request_id: _ignored, ...rest } = b as ProblemDocument;
        return rest;
      };
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      expect(strip(wrong.body)).toMatchObject({ code: 'invalid_credentials', status: 401 });
    });

    it('opens the session in the workspace named by workspace_id; a non-member workspace is 403', async () => {
      const { email, session } = await signUp(t);
      const second = await api(t.app, session.tokens.access_token).post<Session>('/crm/v1/workspaces', {
        name: 'Second office',
      });
      expect(second.status).toBe(201);

      const first = await logIn(t, email);
      expect(first.body.workspace.id).toBe(session.workspace.id); // oldest membership by default
      expect(first.body.workspaces.map((w) => w.id)).toEqual([
        session.workspace.id,
        second.body.workspace.id,
      ]);

      const chosen = await logIn(t, email, PASSWORD, { workspace_id: second.body.workspace.id });
      expect(chosen.status).toBe(200);
      expect(chosen.body.workspace.id).toBe(second.body.workspace.id);
      const me = await api(t.app, chosen.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.workspace.id).toBe(second.body.workspace.id);

      const other = await createWorkspace(t);
      const denied = await logIn(t, email, PASSWORD, { workspace_id: other.id });
      expect(denied.status).toBe(403);
      expect((denied.body as unknown as ProblemDocument).code).toBe('forbidden');
    });

    it('refuses a member whose only membership is disabled (403) and a disabled user (401)', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'sales_rep');
      const off = await ws.admin.client.patch(`/crm/v1/members/${rep.userId}`, { status: 'disabled' });
      expect(off.status).toBe(200);
      const res = await logIn(t, rep.email, TEST_PASSWORD);
      expect(res.status).toBe(403);

      const other = await addMember(t, ws, 'viewer');
      await t.db.system((k) =>
        sql`update crm_core.crm_users set disabled_at = now() where id = ${other.userId}`.execute(k),
      );
      const disabled = await logIn(t, other.email, TEST_PASSWORD);
      expect(disabled.status).toBe(401);
      expect((disabled.body as unknown as ProblemDocument).code).toBe('invalid_credentials');
    });
  });

  describe('brute-force protection', () => {
    let locked: TestApp;
    beforeAll(async () => {
      locked = await testApp({ LOGIN_MAX_FAILURES: 3, LOGIN_LOCKOUT_SECONDS: 60 });
    });
    afterAll(async () => locked.close());

    it('locks the email after LOGIN_MAX_FAILURES failures, even for the right password', async () => {
      const { email } = await signUp(locked);
      for (let i = 0; i < 3; i++) {
        const res = await logIn(locked, email, `wrong-${i}`);
        expect(res.status).toBe(401);
      }
      const res = await logIn(locked, email, PASSWORD);
      expect(res.status).toBe(429);
      expect((res.body as unknown as ProblemDocument).code).toBe('login_locked');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);

      // The lock is per email: another account signs in fine.
      const other = await signUp(locked);
      expect((await logIn(locked, other.email)).status).toBe(200);
    });

    it('locks an unknown email the same way (no account enumeration)', async () => {
      const email = emailOf('ghost');
      for (let i = 0; i < 3; i++) expect((await logIn(locked, email, 'whatever-1')).status).toBe(401);
      const res = await logIn(locked, email, 'whatever-1');
      expect(res.status).toBe(429);
      expect((res.body as unknown as ProblemDocument).code).toBe('login_locked');
    });

    it('a successful sign-in resets the failure count', async () => {
      const { email } = await signUp(locked);
      for (let round = 0; round < 3; round++) {
        expect((await logIn(locked, email, 'wrong-pass-1')).status).toBe(401);
        expect((await logIn(locked, email, 'wrong-pass-2')).status).toBe(401);
        expect((await logIn(locked, email)).status).toBe(200);
      }
    });
  });

  describe('refresh tokens', () => {
    it('rotates: each refresh returns a new pair and the new access token works', async () => {
      const { session } = await signUp(t);
      const r1 = await refresh(t, session.tokens.refresh_token);
      expect(r1.status).toBe(200);
      expect(r1.body.refresh_token).not.toBe(session.tokens.refresh_token);
      // Same session (family) across rotations.
      expect(sessionIdOf(r1.body.access_token)).toBe(sessionIdOf(session.tokens.access_token));
      const r2 = await refresh(t, r1.body.refresh_token);
      expect(r2.status).toBe(200);
      expect(new Set([session.tokens.refresh_token, r1.body.refresh_token, r2.body.refresh_token]).size).toBe(
        3,
      );
      const me = await api(t.app, r2.body.access_token).get<Me>('/crm/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.user?.id).toBe(session.user.id);

      const stored = await t.db.read(session.workspace.id, (k) =>
        k
          .selectFrom('crm_core.crm_refresh_tokens')
          .select(['token_hash', 'rotated_at'])
          .where('family_id', '=', sessionIdOf(session.tokens.access_token))
          .execute(),
      );
      expect(stored).toHaveLength(3);
      expect(stored.map((s) => s.token_hash).sort()).toEqual(
        [session.tokens.refresh_token, r1.body.refresh_token, r2.body.refresh_token].map(sha256).sort(),
      );
      expect(stored.filter((s) => s.rotated_at === null).map((s) => s.token_hash)).toEqual([
        sha256(r2.body.refresh_token),
      ]);
    });

    /** Moves a token's rotation back past the reuse grace: presenting it now is a replay. */
    const ageRotation = (workspaceId: string, token: string) =>
      t.db.read(workspaceId, (k) =>
        sql`update crm_core.crm_refresh_tokens
            set rotated_at = now() - make_interval(secs => ${REFRESH_REUSE_GRACE_MS / 1000 + 1})
            where token_hash = ${sha256(token)}`.execute(k),
      );

    it('a reused refresh token revokes its whole family at once', async () => {
      const { email, session } = await signUp(t);
      const a0 = session.tokens.access_token;
      const r1 = await refresh(t, session.tokens.refresh_token);
      const r2 = await refresh(t, r1.body.refresh_token);
      expect(r2.status).toBe(200);
      // Another session of the same person, which must survive.
      const other = await logIn(t, email);
      await ageRotation(session.workspace.id, session.tokens.refresh_token);

      const reused = await refresh(t, session.tokens.refresh_token);
      expect(reused.status).toBe(401);
      expect((reused.body as unknown as ProblemDocument).code).toBe('refresh_token_reused');

      const newest = await refresh(t, r2.body.refresh_token);
      expect(newest.status).toBe(401);
      for (const access of [a0, r1.body.access_token, r2.body.access_token]) {
        const me = await api(t.app, access).get('/crm/v1/me');
        expect(me.status).toBe(401);
        expect(me.body.code).toBe('token_invalid');
      }

      const survivor = other.body.tokens.access_token;
      expect((await api(t.app, survivor).get('/crm/v1/me')).status).toBe(200);
      const audit = await auditActions(t, survivor, 'session.reuse_detected');
      expect(audit.map((a) => a.entity_id)).toEqual([sessionIdOf(a0)]);
      expect(audit[0]?.actor.type).toBe('system');
    });

    it('two concurrent refreshes with one token (two tabs, a reload mid-refresh): both get a session', async () => {
      const { session } = await signUp(t);
      const both = await Promise.all([1, 2].map(() => refresh(t, session.tokens.refresh_token)));
      expect(both.map((r) => r.status)).toEqual([200, 200]);
      const [a, b] = both;
      if (!a || !b) throw new Error('two responses expected');
      expect(a.body.refresh_token).not.toBe(b.body.refresh_token);
      // Siblings in one family: each goes on rotating, and both access tokens work.
      for (const r of [a, b]) {
        expect((await api(t.app, r.body.access_token).get('/crm/v1/me')).status).toBe(200);
        expect((await refresh(t, r.body.refresh_token)).status).toBe(200);
      }
    });

    it('a rotated token replayed after the grace revokes the family, the siblings too', async () => {
      const { session } = await signUp(t);
      const r1 = await refresh(t, session.tokens.refresh_token);
      const sibling = await refresh(t, session.tokens.refresh_token); // within the grace
      expect(sibling.status).toBe(200);
      await ageRotation(session.workspace.id, session.tokens.refresh_token);
      const replay = await refresh(t, session.tokens.refresh_token);
      expect(replay.status).toBe(401);
      expect((replay.body as unknown as ProblemDocument).code).toBe('refresh_token_reused');
      for (const r of [r1, sibling]) {
        expect((await refresh(t, r.body.refresh_token)).status).toBe(401);
        expect((await api(t.app, r.body.access_token).get('/crm/v1/me')).status).toBe(401);
      }
    });

    it('an expired refresh token is refused with 401 token_expired', async () => {
      const { session } = await signUp(t);
      await t.db.read(session.workspace.id, (k) =>
        sql`update crm_core.crm_refresh_tokens set expires_at = now() - interval '1 minute'
            where token_hash = ${sha256(session.tokens.refresh_token)}`.execute(k),
      );
      const res = await refresh(t, session.tokens.refresh_token);
      expect(res.status).toBe(401);
      expect((res.body as unknown as ProblemDocument).code).toBe('token_expired');
    });

    it('garbage and unknown refresh tokens are 401 token_invalid', async () => {
      const { session } = await signUp(t);
      const wellFormedUnknown = `crm_rt_${session.workspace.id.replaceAll('-', '')}_${'A'.repeat(43)}`;
      for (const token of ['garbage', session.tokens.access_token, wellFormedUnknown]) {
        const res = await refresh(t, token);
        expect(res.status).toBe(401);
        expect((res.body as unknown as ProblemDocument).code).toBe('token_invalid');
      }
    });

    it('stops refreshing once the membership is disabled', async () => {
      const ws = await createWorkspace(t);
      const rep = await addMember(t, ws, 'sales_rep');
      const login = await logIn(t, rep.email, TEST_PASSWORD);
      expect(login.status).toBe(200);
      await ws.admin.client.patch(`/crm/v1/members/${rep.userId}`, { status: 'disabled' });
      const res = await refresh(t, login.body.tokens.refresh_token);
      expect(res.status).toBe(401);
    });
  });

  describe('logout', () => {
    it('signs out the access token’s session: its access and refresh tokens stop working', async () => {
      const { email, session } = await signUp(t);
      const other = await logIn(t, email);
      const out = await api(t.app, session.tokens.access_token).post('/crm/v1/auth/logout');
      expect(out.status).toBe(204);
      expect(out.raw).toBe('');
      const me = await api(t.app, session.tokens.access_token).get('/crm/v1/me');
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('token_invalid');
      expect((await refresh(t, session.tokens.refresh_token)).status).toBe(401);

      // Other sessions of the same person are untouched.
      const otherToken = other.body.tokens.access_token;
      expect((await api(t.app, otherToken).get('/crm/v1/me')).status).toBe(200);
      const audit = await auditActions(t, otherToken, 'session.revoked');
      expect(audit.map((a) => a.entity_id)).toEqual([sessionIdOf(session.tokens.access_token)]);
    });

    it('signs out by refresh token alone', async () => {
      const { session } = await signUp(t);
      const out = await api(t.app).post('/crm/v1/auth/logout', {
        refresh_token: session.tokens.refresh_token,
      });
      expect(out.status).toBe(204);
      expect((await api(t.app, session.tokens.access_token).get('/crm/v1/me')).status).toBe(401);
      expect((await refresh(t, session.tokens.refresh_token)).status).toBe(401);
    });

    it('needs a credential: 401 without one, 401 for a malformed refresh token', async () => {
      const none = await api(t.app).post('/crm/v1/auth/logout');
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('unauthenticated');
      const bad = await api(t.app).post('/crm/v1/auth/logout', { refresh_token: 'nope' });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('token_invalid');
    });
  });

  describe('switching workspace', () => {
    it('opens a session in another workspace of the same user; 404 for a workspace they are not in', async () => {
      const { session } = await signUp(t);
      const c = api(t.app, session.tokens.access_token);
      const second = await c.post<Session>('/crm/v1/workspaces', { name: 'Chi nhánh Hà Nội' });
      expect(second.status).toBe(201);

      const back = await api(t.app, second.body.tokens.access_token).post<Session>('/crm/v1/auth/switch', {
        workspace_id: session.workspace.id,
      });
      expect(back.status).toBe(200);
      expect(back.body.workspace.id).toBe(session.workspace.id);
      expect(back.body.role).toBe('admin');
      const me = await api(t.app, back.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.workspace.id).toBe(session.workspace.id);
      expect(me.body.workspaces.map((w) => w.id).sort()).toEqual(
        [session.workspace.id, second.body.workspace.id].sort(),
      );

      const stranger = await createWorkspace(t);
      const denied = await c.post('/crm/v1/auth/switch', { workspace_id: stranger.id });
      expect(denied.status).toBe(404);
      expect(denied.body.code).toBe('workspace_not_found');
      const unknown = await c.post('/crm/v1/auth/switch', { workspace_id: newId() });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('workspace_not_found');
    });

    it('switches with the role the user holds in the target workspace', async () => {
      const home = await createWorkspace(t);
      const target = await createWorkspace(t);
      const login = await logIn(t, home.admin.email, TEST_PASSWORD);
      // Make the same person a viewer of the target workspace through an invitation.
      const inv = await target.admin.client.post<{ token: string }>('/crm/v1/invitations', {
        email: home.admin.email,
        role: 'viewer',
      });
      expect(inv.status).toBe(201);
      const accepted = await fromNewIp(t).post<Session>('/crm/v1/invitations/accept', {
        token: inv.body.token,
        password: TEST_PASSWORD,
      });
      expect(accepted.status).toBe(200);
      const sw = await api(t.app, login.body.tokens.access_token).post<Session>('/crm/v1/auth/switch', {
        workspace_id: target.id,
      });
      expect(sw.status).toBe(200);
      expect(sw.body.role).toBe('viewer');
      const me = await api(t.app, sw.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.role).toBe('viewer');
    });
  });

  describe('/me', () => {
    it('shows role, scopes and the effective permissions of a viewer', async () => {
      const ws = await createWorkspace(t);
      const viewer = await addMember(t, ws, 'viewer');
      const me = await viewer.client.get<Me>('/crm/v1/me');
      expect(me.status).toBe(200);
      expect(me.body.role).toBe('viewer');
      expect(me.body.user?.id).toBe(viewer.userId);
      expect(me.body.workspace.id).toBe(ws.id);
      expect([...me.body.scopes].sort()).toEqual([...SCOPES].sort());
      expect(me.body.permissions).toContain('crm.account.view');
      expect(me.body.permissions).not.toContain('crm.account.create');
      expect(me.body.permissions).not.toContain('crm.members.manage');
      expect(me.body.permissions.every((p) => p.endsWith('.view'))).toBe(true);
    });

    it('gives an admin every permission; a manager all but the admin ones', async () => {
      const ws = await createWorkspace(t);
      const admin = await ws.admin.client.get<Me>('/crm/v1/me');
      expect([...admin.body.permissions].sort()).toEqual([...PERMISSIONS].sort());
      const manager = await addMember(t, ws, 'manager');
      const m = await manager.client.get<Me>('/crm/v1/me');
      expect(m.body.permissions).toContain('crm.deal.close');
      expect(m.body.permissions).not.toContain('crm.members.manage');
      expect(m.body.permissions).not.toContain('crm.apikeys.manage');
    });

    it('is 401 without credentials and for a tampered token', async () => {
      expect((await api(t.app).get('/crm/v1/me')).status).toBe(401);
      const { session } = await signUp(t);
      const [h, p, s] = session.tokens.access_token.split('.');
      const tampered = `${h}.${p}.${s?.startsWith('A') ? `B${s.slice(1)}` : `A${s?.slice(1)}`}`;
      const res = await api(t.app, tampered).get('/crm/v1/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
    });
  });

  describe('creating another workspace', () => {
    it('makes the signed-in user admin of a new workspace, with a session there', async () => {
      const { session } = await signUp(t);
      const slug = `branch-${uniq()}`;
      const res = await api(t.app, session.tokens.access_token).post<Session>('/crm/v1/workspaces', {
        name: 'Branch',
        slug,
      });
      expect(res.status).toBe(201);
      expect(res.body.workspace.slug).toBe(slug);
      expect(res.body.workspace.id).not.toBe(session.workspace.id);
      expect(res.body.role).toBe('admin');
      expect(res.body.user.id).toBe(session.user.id);
      expect(res.body.workspaces.map((w) => w.slug)).toEqual([session.workspace.slug, slug]);

      const me = await api(t.app, res.body.tokens.access_token).get<Me>('/crm/v1/me');
      expect(me.body.workspace.id).toBe(res.body.workspace.id);
      expect(me.body.role).toBe('admin');
      // The old session still points at the first workspace.
      const old = await api(t.app, session.tokens.access_token).get<Me>('/crm/v1/me');
      expect(old.body.workspace.id).toBe(session.workspace.id);

      const dup = await api(t.app, session.tokens.access_token).post('/crm/v1/workspaces', {
        name: 'X',
        slug,
      });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('slug_taken');
    });

    it('needs a signed-in person', async () => {
      const res = await api(t.app).post('/crm/v1/workspaces', { name: 'Nobody’s' });
      expect(res.status).toBe(401);
    });
  });
});
