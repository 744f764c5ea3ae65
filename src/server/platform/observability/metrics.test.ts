import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../http/problem.js';

/** Health, readiness, Prometheus metrics and the API documentation of the real app. */

/** The value of one sample line, e.g. `name{a="b"} 3`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('answers /healthz without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('answers /readyz with the database engine when migrations are current', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', database: ENGINE });
  });
});

describe('/metrics', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => t.close());

  it('exposes request durations by route template and status, pool and outbox gauges', async () => {
    const c = ws.admin.client;
    const created = await c.post<{ id: string }>('/crm/v1/accounts', { name: 'Metered Co' });
    expect(created.status).toBe(201);
    expect((await c.get(`/crm/v1/accounts/${created.body.id}`)).status).toBe(200);
    expect((await c.get('/crm/v1/accounts/0190a0d2-7f3e-7000-8000-00000000abcd')).status).toBe(404);
    expect((await c.get('/crm/v1/no-such-route')).status).toBe(404);

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain/);
    const text = res.body;

    expect(text).toContain('# TYPE crm_http_request_duration_seconds histogram');
    const count = (method: string, route: string, status: string) =>
      sample(text, 'crm_http_request_duration_seconds_count', { method, route, status_code: status });
    expect(count('POST', '/crm/v1/accounts', '201')).toBe(1);
    // Labelled by the route template, not the concrete URL (bounded cardinality).
    expect(count('GET', '/crm/v1/accounts/:id', '200')).toBe(1);
    expect(count('GET', '/crm/v1/accounts/:id', '404')).toBe(1);
    expect(text).not.toContain(created.body.id);
    expect(text).not.toContain('no-such-route');
    expect(count('GET', 'not_found', '404')).toBe(1);

    expect(text).toContain('# TYPE crm_db_pool_connections gauge');
    const total = sample(text, 'crm_db_pool_connections', { state: 'total' });
    expect(total).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'crm_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'crm_db_pool_connections', { state: 'waiting' })).toBe(0);

    // Tests run with the relay off, so the account.created event above is still pending.
    expect(sample(text, 'crm_outbox_pending')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'crm_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'crm_outbox_dead')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'crm_outbox_published_total')).toBe(0);
    // NODE_ENV=test: no process metrics.
    expect(text).not.toContain('crm_process_cpu');
  });

  it('counts the scrape itself under its route', async () => {
    await t.app.inject({ method: 'GET', url: '/metrics' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(
      sample(res.body, 'crm_http_request_duration_seconds_count', { route: '/metrics', status_code: '200' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789';
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp({ METRICS_TOKEN: token });
  });
  afterAll(async () => t.close());

  it('needs the bearer token', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(String(none.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect((JSON.parse(none.body) as ProblemDocument).code).toBe('unauthenticated');
    expect(none.body).not.toContain('crm_http_request_duration_seconds');

    const wrong = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}x` },
    });
    expect(wrong.statusCode).toBe(401);
    expect((JSON.parse(wrong.body) as ProblemDocument).code).toBe('unauthenticated');

    // The token is what Prometheus sends (bearer_token); the authentication layer must not reject it.
    const right = await t.app.inject({
      method: 'GET',
      url: '/metrics?name[]=x',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('crm_http_request_duration_seconds');
  });

  it('does not accept a member session instead of the token', async () => {
    const ws = await createWorkspace(t);
    const res = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(res.statusCode).toBe(401);
  });

  it('leaves other routes to normal authentication', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.get('/crm/v1/accounts');
    expect(res.status).toBe(200);
    const metricsTokenElsewhere = await t.app.inject({
      method: 'GET',
      url: '/crm/v1/accounts',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(metricsTokenElsewhere.statusCode).toBe(401);
  });
});

interface OpenApiParameter {
  name: string;
  in: string;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string };
  paths: Record<
    string,
    Record<string, { parameters?: OpenApiParameter[]; responses?: Record<string, unknown> }>
  >;
}

describe('API documentation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('serves an OpenAPI 3.1 document describing /crm/v1/accounts, without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/crm/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    const doc = JSON.parse(res.body) as OpenApiDocument;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('CyberOS CRM API');

    const accounts = doc.paths['/crm/v1/accounts'];
    expect(accounts).toBeDefined();
    expect(Object.keys(accounts ?? {}).sort()).toEqual(['get', 'post']);
    const query = (accounts?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const name of ['q', 'owner_id', 'lifecycle', 'sort', 'limit', 'cursor', 'include_total']) {
      expect(query).toContain(name);
    }
    expect(Object.keys(accounts?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401', '422']),
    );
    expect(doc.paths['/crm/v1/accounts/{id}']).toBeDefined();
    // Internal endpoints are hidden.
    expect(doc.paths['/metrics']).toBeUndefined();
    expect(doc.paths['/healthz']).toBeUndefined();
  });

  it('serves the reference page at /docs without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toContain('swagger');
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.statusCode).toBe(200);
    expect(init.body).toContain('/crm/v1/openapi.json');
  });
});
