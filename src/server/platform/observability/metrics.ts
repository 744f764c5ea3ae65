import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { safeEqual } from '../auth/crypto.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

/**
 * Prometheus metrics, all named `crm_*` (seed: telemetry namespace `crm.*`). Each app instance has its
 * own registry (tests build many apps); process-level default metrics are registered once per process.
 */

let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'crm_' });
  }
  return processRegistry;
}

export interface Metrics {
  registry: Registry;
  outboxPublished: Counter;
}

export function installMetrics<DB>(
  app: FastifyInstance,
  db: Database<DB>,
  options: { defaultMetrics: boolean },
): Metrics {
  const registry = new Registry();
  const httpDuration = new Histogram({
    name: 'crm_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'crm_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = db.poolStats();
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  const outboxPending = new Gauge({
    name: 'crm_outbox_pending',
    help: 'Outbox events not yet published',
    registers: [registry],
  });
  const outboxLag = new Gauge({
    name: 'crm_outbox_lag_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when none)',
    registers: [registry],
  });
  const outboxDead = new Gauge({
    name: 'crm_outbox_dead',
    help: 'Outbox events that exhausted their retries',
    registers: [registry],
  });
  const outboxPublished = new Counter({
    name: 'crm_outbox_published_total',
    help: 'Outbox events published by this process',
    registers: [registry],
  });

  async function collectOutbox(): Promise<void> {
    const r = await db.system((k) =>
      sql<{ pending: number; dead: number; lag: number | null }>`
        SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
               count(*) FILTER (WHERE status = 'dead')::int AS dead,
               extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS lag
        FROM crm_core.crm_outbox WHERE status <> 'published'`.execute(k),
    );
    const row = r.rows[0];
    outboxPending.set(row?.pending ?? 0);
    outboxDead.set(row?.dead ?? 0);
    outboxLag.set(row?.lag ?? 0);
  }

  app.addHook('onResponse', (request, reply, done) => {
    httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? (request.is404 ? 'not_found' : 'unknown'),
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // The METRICS_TOKEN check is installMetricsAuth's (it must run before authentication).
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    await collectOutbox().catch((err) => request.log.warn({ err }, 'outbox metrics unavailable'));
    const merged = options.defaultMetrics ? Registry.merge([registry, processMetrics()]) : registry;
    reply.type(merged.contentType);
    return merged.metrics();
  });

  return { registry, outboxPublished };
}

/**
 * Guards /metrics with METRICS_TOKEN sent as `Authorization: Bearer <token>` (what Prometheus sends).
 * Install it before authentication: the authentication hook rejects any bearer token that is neither a
 * session JWT nor an API key with 401 token_invalid, so the right metrics token could never get through.
 * Once checked, the header is removed so authentication does not see it.
 */
export function installMetricsAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url !== '/metrics') return;
    const given = request.headers.authorization;
    if (typeof given !== 'string' || !safeEqual(given, `Bearer ${token}`)) {
      throw new AppError('unauthenticated', 'Send the metrics token as a bearer token', {
        headers: { 'www-authenticate': 'Bearer realm="metrics"' },
      });
    }
    delete request.headers.authorization;
  });
}
