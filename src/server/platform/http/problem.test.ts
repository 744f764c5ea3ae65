import { Writable } from 'node:stream';
import type { FastifyRequest, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import { buildApp } from '../../app.js';
import type { AppDatabase, DB } from '../../db.js';
import type { AccountJson } from '../../modules/accounts/account.presenter.js';
import { testConfig } from '../config.js';
import { createDatabase } from '../db/database.js';
import { AppError } from '../errors.js';
import { PROBLEM_TYPE_BASE, type ProblemDocument, problemFor, toAppError } from './problem.js';

/**
 * Every error the HTTP layer produces is an RFC 9457 problem document with our stable `code`. These
 * tests go through the real app (routing, content-type parsing, validation, auth, database).
 */

/** Asserts the full problem shape and returns the parsed document. */
function expectProblem(res: LightMyRequestResponse, status: number, code: string): ProblemDocument {
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status });
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(res.body) as ProblemDocument;
  expect(p.type).toBe(`${PROBLEM_TYPE_BASE}${code}`);
  expect(p.code).toBe(code);
  expect(p.status).toBe(status);
  expect(typeof p.title).toBe('string');
  expect(p.title.length).toBeGreaterThan(0);
  expect(typeof p.detail).toBe('string');
  expect(p.detail.length).toBeGreaterThan(0);
  expect(p.instance).toBe(res.raw.req.url?.split('?')[0]);
  expect(typeof p.request_id).toBe('string');
  expect(p.request_id).toBe(res.headers['x-request-id']);
  expect(p).not.toHaveProperty('stack');
  return p;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

describe('problem documents', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => t.close());

  it('answers a value the database cannot store (U+0000 in a workspace name) with 422, not 500', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/crm/v1/workspace',
      headers: { ...bearer(ws.admin.token), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Acme\u0000Corp' }),
    });
    const p = expectProblem(res, 422, 'validation_failed');
    expect(p.detail).toMatch(/cannot be stored/);
    const after = await t.app.inject({
      method: 'GET',
      url: '/crm/v1/workspace',
      headers: bearer(ws.admin.token),
    });
    expect((JSON.parse(after.body) as { name: string }).name).not.toContain('\u0000');
  });

  it('maps a CHECK violation the validation missed to 422 naming the column, not 500', async () => {
    // A real driver error of this engine: a temporary table whose CHECK has PostgreSQL's default name.
    const error = await t.db.systemTransaction(async (k) => {
      await sql`CREATE TEMP TABLE crm_probe (id int, amount_minor int CHECK (amount_minor >= 0), n int,
                CONSTRAINT crm_probe_pair CHECK (n IS NULL OR n > 0))`.execute(k);
      const caught: unknown[] = [];
      for (const values of [sql`(1, -5, NULL)`, sql`(2, 1, -1)`]) {
        await sql`SAVEPOINT p`.execute(k);
        await sql`INSERT INTO crm_probe VALUES ${values}`.execute(k).catch((e: unknown) => caught.push(e));
        await sql`ROLLBACK TO SAVEPOINT p`.execute(k);
      }
      await sql`DROP TABLE crm_probe`.execute(k);
      return caught;
    });
    const [column, custom] = error.map(toAppError);
    expect(column).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(column?.fields.map((f) => f.field)).toEqual(['amount_minor']);
    expect(custom).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(custom?.fields).toEqual([]);
  });

  describe('routing', () => {
    it('answers an unknown route with 404 route_not_found', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/crm/v1/nothing-here?x=1',
        headers: bearer(ws.admin.token),
      });
      const p = expectProblem(res, 404, 'route_not_found');
      expect(p.instance).toBe('/crm/v1/nothing-here');
      expect(p.title).toBe('Not Found');
    });

    it('answers an unknown route without credentials with 404, not 401', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/crm/v1/nothing-here', payload: { a: 1 } });
      expectProblem(res, 404, 'route_not_found');
      const root = await t.app.inject({ method: 'GET', url: '/no/such/thing' });
      expectProblem(root, 404, 'route_not_found');
    });

    it('answers a wrong method on a known path with 405 and an Allow header', async () => {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/crm/v1/accounts',
        headers: json(ws.admin.token),
        payload: '{}',
      });
      const p = expectProblem(res, 405, 'method_not_allowed');
      expect(p.title).toBe('Method Not Allowed');
      const allow = String(res.headers.allow)
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect(allow).toEqual(['GET', 'HEAD', 'POST']);
    });

    it('lists the methods of a parametric path in Allow, also without credentials', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts/0190a0d2-7f3e-7000-8000-000000000001',
        payload: {},
      });
      expectProblem(res, 405, 'method_not_allowed');
      const allow = String(res.headers.allow)
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect(allow).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
    });

    it('answers a known route without credentials with 401 unauthenticated', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/crm/v1/accounts' });
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    });

    it('answers a URL that is not valid percent-encoding with a 400 problem', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/crm/v1/accounts/%E0%A4%A',
        headers: { ...bearer(ws.admin.token), 'x-request-id': 'bad-url-1' },
      });
      expect(expectProblem(res, 400, 'bad_request').request_id).toBe('bad-url-1');
      // Over-long path parameters are refused by the router too (Fastify's maxParamLength).
      const long = await t.app.inject({ method: 'GET', url: `/crm/v1/accounts/${'a'.repeat(200)}` });
      expectProblem(long, 400, 'bad_request');
    });
  });

  describe('request bodies', () => {
    it('refuses text/plain and application/xml with 415 unsupported_media_type', async () => {
      for (const type of ['text/plain', 'application/xml']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/crm/v1/accounts',
          headers: { ...bearer(ws.admin.token), 'content-type': type },
          payload: type === 'text/plain' ? 'name=Acme' : '<account><name>Acme</name></account>',
        });
        const p = expectProblem(res, 415, 'unsupported_media_type');
        expect(p.title).toBe('Unsupported Media Type');
      }
    });

    it('refuses a body without a content type with 415', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: bearer(ws.admin.token),
        payload: Buffer.from('{"name":"Acme"}'),
      });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('answers malformed JSON with 400 malformed_body', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: json(ws.admin.token),
        payload: '{"name": "Acme",',
      });
      const p = expectProblem(res, 400, 'malformed_body');
      expect(p.detail).toBe('The request body is not valid JSON');
    });

    it('answers an empty JSON body with 400 malformed_body', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: json(ws.admin.token),
        payload: '',
      });
      expectProblem(res, 400, 'malformed_body');
    });

    it('accepts application/merge-patch+json on PATCH', async () => {
      const created = await ws.admin.client.post<AccountJson>('/crm/v1/accounts', { name: 'Merge Patch Co' });
      expect(created.status).toBe(201);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/crm/v1/accounts/${created.body.id}`,
        headers: {
          ...bearer(ws.admin.token),
          'content-type': 'application/merge-patch+json',
          'if-match': '"1"',
        },
        payload: JSON.stringify({ name: 'Merge Patch Co (renamed)', industry: 'Logistics' }),
      });
      expect(res.statusCode).toBe(200);
      const body = JSON.parse(res.body) as AccountJson;
      expect(body).toMatchObject({ name: 'Merge Patch Co (renamed)', industry: 'Logistics', version: 2 });
      const bad = await t.app.inject({
        method: 'PATCH',
        url: `/crm/v1/accounts/${created.body.id}`,
        headers: { ...bearer(ws.admin.token), 'content-type': 'application/merge-patch+json' },
        payload: '{"name":',
      });
      expectProblem(bad, 400, 'malformed_body');
    });
  });

  describe('body limit', () => {
    let small: TestApp;
    let sws: TestWorkspace;
    beforeAll(async () => {
      small = await testApp({ BODY_LIMIT_BYTES: 2048 });
      sws = await createWorkspace(small);
    });
    afterAll(async () => small.close());

    it('answers a body larger than BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
      const payload = JSON.stringify({ name: 'Big Co', description: 'x'.repeat(3000) });
      expect(Buffer.byteLength(payload)).toBeGreaterThan(2048);
      const res = await small.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: json(sws.admin.token),
        payload,
      });
      const p = expectProblem(res, 413, 'payload_too_large');
      expect(p.title).toBe('Content Too Large');
    });

    it('accepts a body just under the limit', async () => {
      const payload = JSON.stringify({ name: 'Almost Big Co', description: 'x'.repeat(1900) });
      expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(2048);
      const res = await small.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: json(sws.admin.token),
        payload,
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe('validation', () => {
    it('lists every bad body field', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/crm/v1/accounts',
        headers: json(ws.admin.token),
        payload: JSON.stringify({
          name: '',
          legal_type: 'corporation',
          email: 'not-an-email',
          addresses: [{ kind: 'moon', country: 'Vietnam' }],
          surprise: true,
        }),
      });
      const p = expectProblem(res, 422, 'validation_failed');
      const errors = p.errors ?? [];
      expect(errors.every((e) => e.in === 'body')).toBe(true);
      expect(errors.map((e) => e.field).sort()).toEqual(
        ['addresses.0.country', 'addresses.0.kind', 'email', 'legal_type', 'name', 'surprise'].sort(),
      );
      expect(errors.find((e) => e.field === 'addresses.0.kind')?.pointer).toBe('/addresses/0/kind');
      expect(errors.find((e) => e.field === 'surprise')?.message).toBe('unknown field');
      for (const f of ['name', 'legal_type', 'email', 'surprise']) expect(p.detail).toContain(f);
    });

    it('lists every bad query parameter', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/crm/v1/accounts?limit=0&sort=shoe_size&lifecycle=zombie&bogus=1',
        headers: bearer(ws.admin.token),
      });
      const p = expectProblem(res, 422, 'validation_failed');
      expect(p.instance).toBe('/crm/v1/accounts');
      const errors = p.errors ?? [];
      expect(errors.every((e) => e.in === 'query')).toBe(true);
      expect(errors.map((e) => e.field).sort()).toEqual(['bogus', 'lifecycle', 'limit', 'sort']);
      expect(p.detail).toMatch(/^Invalid query parameter: /);
    });

    it('reports a bad path parameter', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/crm/v1/accounts/not-a-uuid',
        headers: bearer(ws.admin.token),
      });
      const p = expectProblem(res, 422, 'validation_failed');
      expect(p.errors).toEqual([
        expect.objectContaining({ field: 'id', pointer: '/id', in: 'params', code: expect.any(String) }),
      ]);
    });
  });

  describe('request ids', () => {
    it('reuses a valid incoming x-request-id', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/crm/v1/nope',
        headers: { 'x-request-id': 'client-trace:42.a_b-c' },
      });
      expect(res.headers['x-request-id']).toBe('client-trace:42.a_b-c');
      expect(expectProblem(res, 404, 'route_not_found').request_id).toBe('client-trace:42.a_b-c');
      const ok = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'hc-1' } });
      expect(ok.headers['x-request-id']).toBe('hc-1');
    });

    it('replaces an invalid incoming x-request-id', async () => {
      for (const given of ['has spaces in it', 'x'.repeat(129), '<script>']) {
        const res = await t.app.inject({
          method: 'GET',
          url: '/crm/v1/nope',
          headers: { 'x-request-id': given },
        });
        const id = res.headers['x-request-id'];
        expect(typeof id).toBe('string');
        expect(id).not.toBe(given);
        expect(String(id)).toMatch(/^[\w.:-]{1,128}$/);
        expect(expectProblem(res, 404, 'route_not_found').request_id).toBe(id);
      }
    });

    it('generates a distinct id per request when none is sent', async () => {
      const a = await t.app.inject({ method: 'GET', url: '/healthz' });
      const b = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(a.headers['x-request-id']).toBeTruthy();
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });
});

describe('toAppError / problemFor', () => {
  const request = { url: '/crm/v1/accounts?q=x', id: 'req-123' } as unknown as FastifyRequest;

  it('turns an unknown error into a 500 internal_error without its message or stack', () => {
    const original = new Error('secret: password=hunter2');
    const e = toAppError(original);
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('internal_error');
    expect(e.status).toBe(500);
    expect(e.message).not.toContain('secret');
    expect(e.cause).toBe(original);
    const doc = problemFor(e, request);
    expect(doc).toEqual({
      type: `${PROBLEM_TYPE_BASE}internal_error`,
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred; it has been logged',
      instance: '/crm/v1/accounts',
      request_id: 'req-123',
    });
    expect(JSON.stringify(doc)).not.toContain('secret');
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });

  it('treats thrown non-errors as internal errors too', () => {
    expect(toAppError('secret string').code).toBe('internal_error');
    expect(toAppError(null).code).toBe('internal_error');
    expect(toAppError({ statusCode: 503, message: 'secret' }).code).toBe('internal_error');
  });

  it('keeps an AppError as it is, with its fields, extras and headers', () => {
    const e = new AppError('precondition_failed', 'stale', {
      extra: { current_version: 3 },
      headers: { etag: '"3"' },
      fields: [{ field: 'name', pointer: '/name', in: 'body', code: 'x', message: 'y' }],
    });
    expect(toAppError(e)).toBe(e);
    const doc = problemFor(e, request);
    expect(doc).toMatchObject({
      status: 412,
      code: 'precondition_failed',
      current_version: 3,
      title: 'Precondition Failed',
    });
    expect(doc.errors).toHaveLength(1);
  });

  it('does not let extras override the standard members', () => {
    const e = new AppError('not_found', 'gone', { extra: { status: 200, code: 'ok', request_id: 'forged' } });
    expect(problemFor(e, request)).toMatchObject({ status: 404, code: 'not_found', request_id: 'req-123' });
  });

  it('maps other 4xx framework errors to bad_request and 429 to rate_limited', () => {
    const fourHundred = Object.assign(new Error('Bad header'), { statusCode: 400 });
    expect(toAppError(fourHundred)).toMatchObject({ code: 'bad_request', status: 400 });
    const tooMany = Object.assign(new Error('slow down'), { statusCode: 429 });
    expect(toAppError(tooMany)).toMatchObject({ code: 'rate_limited', status: 429 });
    const tooLarge = Object.assign(new Error('too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(toAppError(tooLarge)).toMatchObject({ code: 'payload_too_large', status: 413 });
  });
});

describe('internal errors over HTTP', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  let broken: AppDatabase;
  let brokenApp: Awaited<ReturnType<typeof buildApp>>;
  const logLines: string[] = [];

  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
    if (ENGINE === 'postgres') {
      // A database that does not exist: the driver's error names it (and so contains "secret").
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      url.pathname = '/crm_secret_missing_database';
      broken = await createDatabase<DB>({ kind: 'postgres', url: url.toString(), poolMax: 1 });
    } else {
      broken = await createDatabase<DB>({ kind: 'pglite', dataDir: undefined });
      await broken.destroy();
    }
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    // Same secret as testApp's config, so the session token of `ws` is valid on this app.
    brokenApp = await buildApp({ config: testConfig(), db: broken, logger: pino({ level: 'info' }, sink) });
    await brokenApp.app.ready();
  });
  afterAll(async () => {
    await brokenApp.app.close();
    if (ENGINE === 'postgres') await broken.destroy();
    await t.close();
  });

  it('answers a database failure with a generic 500 and logs the cause with the request id', async () => {
    const res = await brokenApp.app.inject({
      method: 'POST',
      url: '/crm/v1/accounts',
      headers: { ...json(ws.admin.token), 'x-request-id': 'broken-db-1' },
      payload: JSON.stringify({ name: 'Will Not Be Stored' }),
    });
    const p = expectProblem(res, 500, 'internal_error');
    expect(p.detail).toBe('An unexpected error occurred; it has been logged');
    expect(Object.keys(p).sort()).toEqual([
      'code',
      'detail',
      'instance',
      'request_id',
      'status',
      'title',
      'type',
    ]);
    expect(res.body).not.toMatch(/secret|stack|\n\s+at /i);

    const logged = logLines
      .map(
        (l) => JSON.parse(l) as { reqId?: string; msg?: string; err?: { message?: string; stack?: string } },
      )
      .find((l) => l.reqId === 'broken-db-1' && l.msg === 'request failed');
    expect(logged?.err?.stack).toBeTruthy();
    const cause = logged?.err?.message ?? '';
    expect(cause.length).toBeGreaterThan(0);
    expect(res.body).not.toContain(cause);
    if (ENGINE === 'postgres') expect(cause).toContain('secret');
  });

  it('reports the database as unreachable on /readyz', async () => {
    const res = await brokenApp.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: 'unavailable', database: 'unreachable' });
  });

  it('maps database data exceptions and unmapped constraint violations to 4xx, never 500', () => {
    const dbError = (code: string) => Object.assign(new Error(`db says ${code}`), { code });
    expect(toAppError(dbError('22021'))).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(toAppError(dbError('22P02'))).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(toAppError(dbError('22003'))).toMatchObject({ code: 'validation_failed', status: 422 });
    expect(toAppError(dbError('23505'))).toMatchObject({ code: 'conflict', status: 409 });
    expect(toAppError(dbError('23503'))).toMatchObject({ code: 'validation_failed', status: 422 });
    // Anything else from the database (connection lost, syntax) stays an internal error.
    expect(toAppError(dbError('08006'))).toMatchObject({ code: 'internal_error', status: 500 });
    expect(toAppError(dbError('42601'))).toMatchObject({ code: 'internal_error', status: 500 });
  });
});
