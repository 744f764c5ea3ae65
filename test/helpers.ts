import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { type App, type BuildOptions, buildApp } from '../src/server/app.js';
import type { AppDatabase, DB } from '../src/server/db.js';
import { type Config, testConfig } from '../src/server/platform/config.js';
import { createDatabase } from '../src/server/platform/db/database.js';
import type { ProblemDocument } from '../src/server/platform/http/problem.js';
import { recreateDatabase } from './global-setup.js';

/** The engine under test: PostgreSQL when TEST_DATABASE_URL is set, else PGlite. */
export const ENGINE: 'postgres' | 'pglite' = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

let shared: Promise<AppDatabase> | null = null;

/** The worker's migrated database (shared by the test files of one worker; tests make their own workspaces). */
export function testDb(): Promise<AppDatabase> {
  shared ??= (async () => {
    const url = process.env.TEST_DATABASE_URL;
    if (url) return createDatabase<DB>({ kind: 'postgres', url, poolMax: 6 });
    const template = process.env.CRM_TEST_PGLITE_TEMPLATE;
    if (!template) throw new Error('test/global-setup.ts did not run');
    return createDatabase<DB>({
      kind: 'pglite',
      dataDir: undefined,
      loadDataDir: new Blob([readFileSync(template)]),
    });
  })();
  return shared;
}

/**
 * A database of its own, not migrated (migration tests): a fresh PGlite, or a new PostgreSQL database
 * next to TEST_DATABASE_URL's.
 */
export async function freshDb(
  label: string,
): Promise<{ db: AppDatabase; url?: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    const db = await createDatabase<DB>({ kind: 'pglite', dataDir: undefined });
    return { db, drop: () => db.destroy() };
  }
  const u = new URL(base);
  u.pathname = `/${u.pathname.slice(1)}_${label}_${process.pid}`;
  const url = u.toString();
  await recreateDatabase(url);
  const db = await createDatabase<DB>({ kind: 'postgres', url, poolMax: 4 });
  return {
    db,
    url,
    drop: async () => {
      await db.destroy();
      const admin = new URL(base);
      admin.pathname = '/postgres';
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${u.pathname.slice(1)} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestApp extends App {
  db: AppDatabase;
  config: Config;
  close(): Promise<void>;
}

/** An app on the worker's database, configured for tests (no relay loop, quiet, generous limits). */
export async function testApp(
  overrides: Partial<Config> = {},
  options: Omit<Partial<BuildOptions>, 'config' | 'db'> = {},
): Promise<TestApp> {
  const db = await testDb();
  const config = testConfig({ RATE_LIMIT_MAX: 1_000_000, ...overrides });
  // Tests never do real DNS: MX lookups answer 'valid' unless a test builds its own app.
  const built = await buildApp({ config, db, mxResolver: { resolveMx: async () => 'valid' }, ...options });
  await built.app.ready();
  return { ...built, db, config, close: () => built.app.close() };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  raw: string;
}

export interface Credentials {
  token?: string;
  apiKey?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A small typed client over `app.inject()`. `T` is what the test expects back. */
export function api(app: FastifyInstance, creds: Credentials | string = {}) {
  const c: Credentials = typeof creds === 'string' ? { token: creds } : creds;
  async function send<T>(method: Method, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const opts: InjectOptions = {
      method,
      url,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(c.token ? { authorization: `Bearer ${c.token}` } : {}),
        ...(c.apiKey ? { 'x-api-key': c.apiKey } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    };
    const res = await app.inject(opts);
    let parsed: unknown = null;
    if (res.body) {
      try {
        parsed = JSON.parse(res.body);
      } catch {
        parsed = res.body;
      }
    }
    return {
      status: res.statusCode,
      body: parsed as T,
      headers: res.headers,
      raw: res.body,
    } satisfies ApiResponse<T>;
  }
  return {
    get: <T = ProblemDocument>(url: string, headers?: Record<string, string>) =>
      send<T>('GET', url, undefined, headers),
    post: <T = ProblemDocument>(url: string, body?: unknown, headers?: Record<string, string>) =>
      send<T>('POST', url, body ?? {}, headers),
    patch: <T = ProblemDocument>(url: string, body: unknown, headers?: Record<string, string>) =>
      send<T>('PATCH', url, body, headers),
    put: <T = ProblemDocument>(url: string, body: unknown, headers?: Record<string, string>) =>
      send<T>('PUT', url, body, headers),
    delete: <T = ProblemDocument>(url: string, headers?: Record<string, string>) =>
      send<T>('DELETE', url, undefined, headers),
  };
}

export type Client = ReturnType<typeof api>;

/** Whether a Redis answers PING on 127.0.0.1:6379 (Redis-backed tests skip without one: npm test needs no server). */
export async function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: 6379 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}
