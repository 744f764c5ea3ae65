import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { addMember, createWorkspace } from '../../../../test/factories.js';
import { api, type TestApp, testApp } from '../../../../test/helpers.js';
import { newId } from '../../platform/ids.js';
import type { AccountJson } from '../accounts/account.presenter.js';
import type { auditListResponseSchema } from '../audit/audit.schema.js';
import type { memberResponseSchema } from './member.schema.js';
import type { meResponseSchema } from './user.schema.js';

type Me = z.infer<typeof meResponseSchema>;
type Member = z.infer<typeof memberResponseSchema>;
type AuditList = z.infer<typeof auditListResponseSchema>;

const ISSUER = 'https://central.test';
const AUDIENCE = 'cyberos-crm';
const KID = 'central-key-1';
const uniq = () => newId().slice(-12);

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('external OIDC issuer', () => {
  let t: TestApp;
  let server: Server;
  let keys: KeyPair;
  let jwksRequests = 0;

  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    const jwk: JWK = { ...(await exportJWK(keys.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        jwksRequests += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    t = await testApp({
      oidc: { issuer: ISSUER, jwksUrl: `http://127.0.0.1:${port}/jwks.json`, audience: AUDIENCE },
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  interface SignOptions {
    key?: KeyPair['privateKey'];
    kid?: string;
    issuer?: string;
    audience?: string;
    expiresIn?: number;
  }

  async function sign(claims: JWTPayload, o: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? KID })
      .setIssuer(o.issuer ?? ISSUER)
      .setAudience(o.audience ?? AUDIENCE)
      .setIssuedAt(now - 5)
      .setExpirationTime(now + (o.expiresIn ?? 300))
      .sign(o.key ?? keys.privateKey);
  }

  const person = (workspace: string, extra: JWTPayload = {}): JWTPayload => {
    const tag = uniq();
    return {
      sub: `central|${tag}`,
      email: `central-${tag}@oidc.test`,
      name: 'Lê Văn Trung Tâm',
      workspace_id: workspace,
      crm_role: 'sales_rep',
      ...extra,
    };
  };

  it('provisions the person and their membership on first sight, audited; /me shows the claimed role', async () => {
    const ws = await createWorkspace(t);
    const claims = person(ws.id);
    const token = await sign(claims);
    const me = await api(t.app, token).get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.via).toBe('oidc');
    expect(me.body.role).toBe('sales_rep');
    expect(me.body.workspace.id).toBe(ws.id);
    expect(me.body.user?.email).toBe(claims.email);
    expect(me.body.user?.display_name).toBe('Lê Văn Trung Tâm');
    expect(me.body.permissions).toContain('crm.deal.create');
    expect(me.body.permissions).not.toContain('crm.members.manage');
    expect(jwksRequests).toBeGreaterThanOrEqual(1);

    const userId = me.body.user?.id ?? '';
    const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
    expect(members.body.data.find((m) => m.user_id === userId)).toMatchObject({
      email: claims.email,
      role: 'sales_rep',
      status: 'active',
    });
    const row = await t.db.system((k) =>
      k
        .selectFrom('crm_core.crm_users')
        .select(['external_issuer', 'external_subject', 'password_hash'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow(),
    );
    expect(row).toEqual({ external_issuer: ISSUER, external_subject: claims.sub, password_hash: null });

    // Later calls (a fresh token too) use the same person; nothing is provisioned twice.
    const again = await api(t.app, await sign({ ...claims, name: 'Renamed' })).get<Me>('/crm/v1/me');
    expect(again.body.user?.id).toBe(userId);
    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=member.provisioned');
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      entity_type: 'member',
      entity_id: userId,
      actor: { type: 'system', label: `oidc:${ISSUER}` },
      diff: { email: { from: null, to: claims.email }, role: { from: null, to: 'sales_rep' } },
    });

    // The provisioned person acts in the workspace.
    const created = await api(t.app, token).post<AccountJson>('/crm/v1/accounts', { name: 'Qua OIDC' });
    expect(created.status).toBe(201);
  });

  it('names the workspace by slug as well as by id', async () => {
    const ws = await createWorkspace(t);
    const me = await api(t.app, await sign(person(ws.slug, { crm_role: 'manager' }))).get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.workspace.id).toBe(ws.id);
    expect(me.body.role).toBe('manager');
  });

  it('maps an unknown role claim to viewer', async () => {
    const ws = await createWorkspace(t);
    const me = await api(t.app, await sign(person(ws.id, { crm_role: 'superuser' }))).get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('viewer');
  });

  it('an unknown workspace is 403', async () => {
    for (const workspace of [newId(), `no-such-${uniq()}`]) {
      const res = await api(t.app, await sign(person(workspace))).get('/crm/v1/me');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
  });

  it('a bad signature, a wrong audience, an expired token are 401 token_invalid', async () => {
    const ws = await createWorkspace(t);
    const other = await generateKeyPair('RS256');
    const claims = person(ws.id);
    const cases = [
      await sign(claims, { key: other.privateKey }), // same kid, wrong key
      await sign(claims, { key: other.privateKey, kid: 'unknown-kid' }),
      await sign(claims, { audience: 'someone-else' }),
      await sign(claims, { expiresIn: -120 }),
    ];
    for (const token of cases) {
      const res = await api(t.app, token).get('/crm/v1/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
    }
    // None of these provisioned anyone.
    const members = await ws.admin.client.get<{ data: Member[] }>('/crm/v1/members');
    expect(members.body.data.map((m) => m.email)).toEqual([ws.admin.email]);
  });

  it('a token of another issuer, signed with the right key, is 401', async () => {
    const ws = await createWorkspace(t);
    const res = await api(t.app, await sign(person(ws.id), { issuer: 'https://evil.test' })).get(
      '/crm/v1/me',
    );
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('missing claims (sub, email, workspace) or an unverified email are 401', async () => {
    const ws = await createWorkspace(t);
    const full = person(ws.id);
    const without = (name: string): JWTPayload =>
      Object.fromEntries(Object.entries(full).filter(([k]) => k !== name));
    for (const claims of [
      without('sub'),
      without('email'),
      without('workspace_id'),
      { ...full, email_verified: false },
    ]) {
      const res = await api(t.app, await sign(claims)).get('/crm/v1/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
    }
  });

  it('a scope claim limits what the token may do', async () => {
    const ws = await createWorkspace(t);
    const token = await sign(person(ws.id, { crm_role: 'admin', scope: 'crm.read openid profile' }));
    const c = api(t.app, token);
    const me = await c.get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.scopes).toEqual(['crm.read']);
    expect(me.body.permissions).toContain('crm.account.view');
    expect(me.body.permissions).not.toContain('crm.account.create');
    expect((await c.get('/crm/v1/accounts')).status).toBe(200);
    const write = await c.post('/crm/v1/accounts', { name: 'Không được' });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('insufficient_scope');
    const admin = await c.get('/crm/v1/members');
    expect(admin.status).toBe(200);
    expect((await c.patch(`/crm/v1/members/${ws.admin.userId}`, { role: 'viewer' })).status).toBe(403);
  });

  it('links to an existing account with the same email instead of creating another', async () => {
    const ws = await createWorkspace(t);
    const local = await addMember(t, ws, 'support');
    const me = await api(
      t.app,
      await sign(person(ws.id, { email: local.email, crm_role: 'support' })),
    ).get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.user?.id).toBe(local.userId);
    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=member.provisioned');
    expect(audit.body.data).toEqual([]);
  });

  it('a disabled membership is refused (403) at once, even right after a successful call', async () => {
    const ws = await createWorkspace(t);
    const token = await sign(person(ws.id));
    const me = await api(t.app, token).get<Me>('/crm/v1/me');
    expect(me.status).toBe(200);
    const off = await ws.admin.client.patch(`/crm/v1/members/${me.body.user?.id}`, { status: 'disabled' });
    expect(off.status).toBe(200);
    const res = await api(t.app, token).get('/crm/v1/me');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('concurrent first requests of the same person provision them once', async () => {
    const ws = await createWorkspace(t);
    const token = await sign(person(ws.id));
    const results = await Promise.all([1, 2, 3].map(() => api(t.app, token).get<Me>('/crm/v1/me')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.body.user?.id)).size).toBe(1);
    const audit = await ws.admin.client.get<AuditList>('/crm/v1/audit?action=member.provisioned');
    expect(audit.body.data).toHaveLength(1);
  });

  it('an OIDC identity cannot switch workspace (no session to open)', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const res = await api(t.app, await sign(person(ws.id))).post('/crm/v1/auth/switch', {
      workspace_id: other.id,
    });
    expect(res.status).toBe(403);
  });
});

describe('without an OIDC issuer configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('refuses third-party JWTs (401 token_invalid)', async () => {
    const ws = await createWorkspace(t);
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({
      sub: 'x',
      email: 'x@oidc.test',
      workspace_id: ws.id,
      crm_role: 'admin',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await api(t.app, token).get('/crm/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });
});
