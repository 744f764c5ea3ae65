import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { PROBLEM_TYPE_BASE, type ProblemDocument } from './problem.js';

/** Rate limits, security headers and CORS of the real app. */

const ACCOUNTS = '/crm/v1/accounts';

const list = (v: unknown) =>
  String(v)
    .split(',')
    .map((s) => s.trim());

function problemOf(res: LightMyRequestResponse): ProblemDocument {
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return JSON.parse(res.body) as ProblemDocument;
}

describe('rate limits', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp({ RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_SECONDS: 60 });
    ws = await createWorkspace(t);
  });
  afterAll(async () => t.close());

  const asUser = (token: string) => ({
    method: 'GET' as const,
    url: ACCOUNTS,
    headers: { authorization: `Bearer ${token}` },
  });

  it('answers the request over the limit with a 429 rate_limited problem and Retry-After', async () => {
    const statuses: number[] = [];
    const remaining: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject(asUser(ws.admin.token));
      statuses.push(res.statusCode);
      remaining.push(res.headers['x-ratelimit-remaining']);
    }
    expect(statuses).toEqual([200, 200, 200]);
    // Limit headers ride on 429 answers only (they cost bytes on every success).
    expect(remaining).toEqual([undefined, undefined, undefined]);

    const over = await t.app.inject({
      ...asUser(ws.admin.token),
      headers: { ...asUser(ws.admin.token).headers, 'x-request-id': 'rl-1' },
    });
    expect(over.statusCode).toBe(429);
    const p = problemOf(over);
    expect(p).toMatchObject({
      type: `${PROBLEM_TYPE_BASE}rate_limited`,
      code: 'rate_limited',
      status: 429,
      title: 'Too Many Requests',
      instance: ACCOUNTS,
      request_id: 'rl-1',
    });
    expect(p.detail).toContain('3');
    const retryAfter = Number(over.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers['x-ratelimit-limit']).toBe('3');
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    // Writes are counted in the same budget.
    const write = await t.app.inject({
      method: 'POST',
      url: ACCOUNTS,
      headers: { authorization: `Bearer ${ws.admin.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Over Budget' }),
    });
    expect(write.statusCode).toBe(429);
  });

  it('gives each credential of a workspace its own budget', async () => {
    const w = await createWorkspace(t);
    const rep = await addMember(t, w, 'sales_rep');
    const key = await apiKeyFor(t, w.admin, ['crm.read']);
    for (let i = 0; i < 3; i++) expect((await t.app.inject(asUser(w.admin.token))).statusCode).toBe(200);
    expect((await t.app.inject(asUser(w.admin.token))).statusCode).toBe(429);

    for (let i = 0; i < 3; i++) expect((await t.app.inject(asUser(rep.token))).statusCode).toBe(200);
    expect((await t.app.inject(asUser(rep.token))).statusCode).toBe(429);

    // The admin's API key is a credential of its own, not the admin's budget.
    const viaKey = await t.app.inject({ method: 'GET', url: ACCOUNTS, headers: { 'x-api-key': key.token } });
    expect(viaKey.statusCode).toBe(200);
  });

  it('limits anonymous clients per IP address', async () => {
    const from = (ip: string) => t.app.inject({ method: 'GET', url: ACCOUNTS, remoteAddress: ip });
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await from('203.0.113.7')).statusCode);
    expect(first).toEqual([401, 401, 401]);
    const over = await from('203.0.113.7');
    expect(over.statusCode).toBe(429);
    expect(problemOf(over).code).toBe('rate_limited');
    // Another address has its own budget.
    expect((await from('203.0.113.8')).statusCode).toBe(401);
    // A signed-in user on the exhausted address is counted by credential, not by IP.
    const user = await t.app.inject({
      ...asUser((await createWorkspace(t)).admin.token),
      remoteAddress: '203.0.113.7',
    });
    expect(user.statusCode).toBe(200);
  });

  it('counts rejected credentials per IP, so keys and tokens cannot be guessed without limit', async () => {
    const guess = (i: number) =>
      t.app.inject({
        method: 'GET',
        url: ACCOUNTS,
        remoteAddress: '192.0.2.44',
        headers: { 'x-api-key': `crm_sk_${'0'.repeat(32)}_${String(i).padStart(43, 'x')}` },
      });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await guess(i)).statusCode);
    expect(statuses).toEqual([401, 401, 401]);
    const over = await guess(99);
    expect(over.statusCode).toBe(429);
    expect(problemOf(over).code).toBe('rate_limited');
  });

  it('counts unknown routes and wrong methods too', async () => {
    const ip = '192.0.2.45';
    const probes = [
      await t.app.inject({ method: 'GET', url: '/crm/v1/nope', remoteAddress: ip }),
      await t.app.inject({ method: 'PUT', url: ACCOUNTS, remoteAddress: ip }),
      await t.app.inject({ method: 'GET', url: '/wp-admin', remoteAddress: ip }),
    ];
    expect(probes.map((r) => r.statusCode)).toEqual([404, 405, 404]);
    const over = await t.app.inject({ method: 'GET', url: '/crm/v1/nope', remoteAddress: ip });
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBeDefined();
  });

  it('exempts /healthz, /readyz and /metrics', async () => {
    const ip = '198.51.100.9';
    for (let i = 0; i < 4; i++) await t.app.inject({ method: 'GET', url: ACCOUNTS, remoteAddress: ip });
    expect((await t.app.inject({ method: 'GET', url: ACCOUNTS, remoteAddress: ip })).statusCode).toBe(429);
    for (let i = 0; i < 6; i++) {
      expect((await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip })).statusCode).toBe(
        200,
      );
      expect((await t.app.inject({ method: 'GET', url: '/readyz', remoteAddress: ip })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: ip })).statusCode).toBe(
        200,
      );
    }
  });
});

describe('security headers', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => t.close());

  function expectSecurityHeaders(res: LightMyRequestResponse): void {
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-site');
    expect(String(res.headers['strict-transport-security'])).toMatch(/^max-age=\d+/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  }

  it('sets them on API responses', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: ACCOUNTS,
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res);
  });

  it('sets them on error responses, including a 401 for a bad token and a 404', async () => {
    const bad = await t.app.inject({
      method: 'GET',
      url: ACCOUNTS,
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(bad.statusCode).toBe(401);
    expect(problemOf(bad).code).toBe('token_invalid');
    expectSecurityHeaders(bad);
    const missing = await t.app.inject({ method: 'GET', url: '/crm/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expectSecurityHeaders(missing);
  });
});

describe('CORS', () => {
  let t: TestApp;
  let closed: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp({ CORS_ORIGINS: ['https://app.example'] });
    closed = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
    await closed.close();
  });

  const preflight = (app: TestApp, origin: string) =>
    app.app.inject({
      method: 'OPTIONS',
      url: ACCOUNTS,
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

  it('allows a preflight from a configured origin, without credentials', async () => {
    const res = await preflight(t, 'https://app.example');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(list(res.headers['access-control-allow-methods'])).toContain('POST');
    const allowed = list(res.headers['access-control-allow-headers']);
    for (const h of ['authorization', 'content-type', 'idempotency-key', 'if-match'])
      expect(allowed).toContain(h);
    expect(String(res.headers.vary)).toMatch(/origin/i);
  });

  it('does not allow a preflight from another origin', async () => {
    const res = await preflight(t, 'https://evil.example');
    // Without Access-Control-Allow-Origin the browser refuses the request (the plugin still sends
    // allow-credentials, which means nothing on its own).
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows no origin at all when CORS_ORIGINS is empty', async () => {
    const res = await preflight(closed, 'https://app.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('exposes our headers to the allowed origin on real responses, errors included', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: ACCOUNTS,
      headers: { origin: 'https://app.example', authorization: `Bearer ${ws.admin.token}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    const exposed = list(ok.headers['access-control-expose-headers']);
    for (const h of ['etag', 'location', 'retry-after', 'x-request-id', 'idempotent-replayed']) {
      expect(exposed).toContain(h);
    }
    // The browser app must be able to read a 401 for an expired or bad token.
    const bad = await t.app.inject({
      method: 'GET',
      url: ACCOUNTS,
      headers: { origin: 'https://app.example', authorization: 'Bearer not-a-token' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['access-control-allow-origin']).toBe('https://app.example');

    const other = await t.app.inject({
      method: 'GET',
      url: ACCOUNTS,
      headers: { origin: 'https://evil.example', authorization: `Bearer ${ws.admin.token}` },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
