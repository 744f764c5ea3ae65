import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { buildApp } from '../../src/server/app.js';
import type { AppDatabase, DB } from '../../src/server/db.js';
import type { WebhookDispatcher } from '../../src/server/modules/webhooks/webhook.dispatcher.js';
import type { HostLookup, ResolvedAddress } from '../../src/server/modules/webhooks/webhook.ssrf.js';
import type { DeliveryRow } from '../../src/server/modules/webhooks/webhook.table.js';
import { type Config, testConfig } from '../../src/server/platform/config.js';
import { createDatabase } from '../../src/server/platform/db/database.js';
import { migrateUp } from '../../src/server/platform/db/migrate.js';
import { freshDb, type TestApp } from '../helpers.js';

/**
 * Factories for the webhook tests.
 *
 * The dispatcher and the relay work across every workspace (crm_system), so a webhook test app runs on a
 * database of its own (a copy of the migrated PGlite template, or a fresh PostgreSQL database): on the
 * shared one they would claim other test files' rows. Its DNS is a fake (`fakeLookup`): tests never do
 * real DNS. Private targets are admitted (WEBHOOK_ALLOW_PRIVATE_TARGETS) so deliveries can reach the local
 * `Receiver`, unless a test says otherwise.
 */

export interface WebhookTestApp extends TestApp {
  webhooks: WebhookDispatcher;
}

/** DNS answers from a table; an unknown name fails like a real resolver (ENOTFOUND). */
export function fakeLookup(
  table: Record<string, string[]>,
): HostLookup & { table: Record<string, string[]> } {
  const fn = (async (hostname: string): Promise<ResolvedAddress[]> => {
    const found = table[hostname.toLowerCase()];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as HostLookup & { table: Record<string, string[]> };
  fn.table = table;
  return fn;
}

export const PUBLIC_HOSTS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'dual.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.0.0.5'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.10'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
};

async function privateDb(): Promise<{ db: AppDatabase; drop(): Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    const fresh = await freshDb('hooks');
    await migrateUp(fresh.db);
    return fresh;
  }
  const template = process.env.CRM_TEST_PGLITE_TEMPLATE;
  if (!template) throw new Error('test/global-setup.ts did not run');
  const db = await createDatabase<DB>({
    kind: 'pglite',
    dataDir: undefined,
    loadDataDir: new Blob([readFileSync(template)]),
  });
  return { db, drop: () => db.destroy() };
}

export async function webhookTestApp(
  options: { overrides?: Partial<Config>; lookup?: HostLookup } = {},
): Promise<WebhookTestApp> {
  const { db, drop } = await privateDb();
  const config = testConfig({
    RATE_LIMIT_MAX: 1_000_000,
    WEBHOOK_ALLOW_PRIVATE_TARGETS: true,
    WEBHOOK_TIMEOUT_MS: 2000,
    ...options.overrides,
  });
  const built = await buildApp({
    config,
    db,
    mxResolver: { resolveMx: async () => 'valid' },
    webhookLookup: options.lookup ?? fakeLookup({ ...PUBLIC_HOSTS }),
  });
  await built.app.ready();
  return {
    ...built,
    db,
    config,
    close: async () => {
      await built.app.close();
      await drop();
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Responder = (req: ReceivedRequest) => {
  status: number;
  body?: string;
  headers?: Record<string, string>;
};

/**
 * A real HTTP receiver on 127.0.0.1 that records every request. `respond` decides each answer (default
 * 200); `failFirst(n, status)` answers `status` n times, then 200; `hang()` never answers (timeouts).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => ({ status: 200, body: 'ok' });
  #hang = false;
  readonly #server: http.Server;

  private constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: ReceivedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(r);
        if (this.#hang) return;
        const answer = this.respond(r);
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      });
    });
  }

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/crm?token=abc`;
  }

  failFirst(n: number, status = 500): void {
    let left = n;
    this.respond = () =>
      left-- > 0 ? { status, body: `failing (${left + 1} left)` } : { status: 200, body: 'ok' };
  }

  hang(): void {
    this.#hang = true;
  }

  reset(): void {
    this.requests.length = 0;
    this.#hang = false;
    this.respond = () => ({ status: 200, body: 'ok' });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The deliveries of a workspace (optionally of one subscription), oldest first. */
export async function deliveriesOf(
  t: TestApp,
  workspaceId: string,
  subscriptionId?: string,
): Promise<DeliveryRow[]> {
  return t.db.read(workspaceId, (db) => {
    let q = db.selectFrom('crm_core.crm_webhook_deliveries').selectAll().where('tenant_id', '=', workspaceId);
    if (subscriptionId) q = q.where('subscription_id', '=', subscriptionId);
    return q.orderBy('created_at').orderBy('id').execute();
  });
}

/** Makes a delivery's scheduled retry due now (instead of waiting out the backoff). */
export async function makeDue(t: TestApp, workspaceId: string, deliveryId: string): Promise<void> {
  await t.db.transaction(workspaceId, (trx) =>
    sql`UPDATE crm_core.crm_webhook_deliveries SET next_attempt_at = now()
        WHERE tenant_id = ${workspaceId} AND id = ${deliveryId}`.execute(trx),
  );
}

/** Makes every pending outbox row available now (a retry after a failed publish waits out a backoff). */
export async function outboxDueNow(t: TestApp): Promise<void> {
  await t.db.system((k) =>
    sql`UPDATE crm_core.crm_outbox SET available_at = now() WHERE status = 'pending'`.execute(k),
  );
}
