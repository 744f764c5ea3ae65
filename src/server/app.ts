import { randomBytes } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import type { AppDatabase, AppPlatform } from './db.js';
import { graphqlRoutes } from './graphql/routes.js';
import { crmMcpTools } from './mcp.js';
import { accountRoutes } from './modules/accounts/account.routes.js';
import { activityRoutes } from './modules/activities/activity.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { contactRoutes } from './modules/contacts/contact.routes.js';
import { currencyRoutes } from './modules/currencies/currency.routes.js';
import { dashboardRoutes } from './modules/dashboard/dashboard.routes.js';
import { wireDealRealtime } from './modules/deals/deal.realtime.js';
import { dealRoutes } from './modules/deals/deal.routes.js';
import { inboundRoutes } from './modules/inbound/inbound.routes.js';
import { leadRoutes } from './modules/leads/lead.routes.js';
import { pipelineRoutes } from './modules/pipelines/pipeline.routes.js';
import { searchRoutes } from './modules/search/search.routes.js';
import { tagRoutes } from './modules/tags/tag.routes.js';
import { apiKeyRoutes } from './modules/users/api-key.routes.js';
import { createCredentialResolver } from './modules/users/user.credentials.js';
import { userRoutes } from './modules/users/user.routes.js';
import { mstRegistryFor } from './modules/vietnam/mst.service.js';
import { vietnamRoutes } from './modules/vietnam/vietnam.routes.js';
import { WonFlowRunner, type WonFlowRunnerOptions } from './modules/vietnam/won-flow.runner.js';
import { enqueueCloseFlow } from './modules/vietnam/won-flow.service.js';
import { type WebhookDispatcher, wireWebhooks } from './modules/webhooks/webhook.dispatcher.js';
import { webhookRoutes } from './modules/webhooks/webhook.routes.js';
import type { HostLookup } from './modules/webhooks/webhook.ssrf.js';
import { wireWorkflows } from './modules/workflows/workflow.consumer.js';
import { workflowRoutes } from './modules/workflows/workflow.routes.js';
import { workspaceRoutes } from './modules/workspaces/workspace.routes.js';
import { installAuthentication, SessionRevocations } from './platform/auth/authenticate.js';
import { SessionTokens } from './platform/auth/session-tokens.js';
import type { Config } from './platform/config.js';
import { migrationsCurrent } from './platform/db/migrate.js';
import { AppError } from './platform/errors.js';
import { type EventBus, InProcessBus } from './platform/events/bus.js';
import { NatsJetStreamBus } from './platform/events/nats-bus.js';
import { OutboxRelay } from './platform/events/relay.js';
import { installIdempotency } from './platform/http/idempotency.js';
import { frameworkErrorHandler, installProblemHandling } from './platform/http/problem.js';
import { installSecurityHeaders } from './platform/http/security-headers.js';
import { installWebApp } from './platform/http/web-app.js';
import { connectRedis, type KeyValueStore, MemoryStore, RedisStore } from './platform/kv.js';
import { mcpHttpRoutes } from './platform/mcp/http.js';
import { installMetrics, installMetricsAuth } from './platform/observability/metrics.js';
import { RealtimeHub } from './platform/realtime/hub.js';
import { realtimeRoutes } from './platform/realtime/routes.js';
import { writeOneStatement, writeTransaction } from './platform/unit-of-work.js';

export const API_PREFIX = '/crm/v1';

export interface BuildOptions {
  config: Config;
  db: AppDatabase;
  bus?: EventBus;
  kv?: KeyValueStore;
  mxResolver?: AppPlatform['mxResolver'];
  /** Webhook DNS resolution (tests pass a fake: they never do real DNS); default: the system resolver. */
  webhookLookup?: HostLookup;
  /** The GDT registry (tests pass a fake; null: none); default from MST_REGISTRY_URL, cached 7 days. */
  mstRegistry?: AppPlatform['mstRegistry'];
  /** Won-flow runner tuning (tests inject faults, short leases). */
  wonFlow?: WonFlowRunnerOptions;
  /** Override the logger destination (tests); defaults to stdout JSON at config.LOG_LEVEL. */
  logger?: FastifyBaseLogger;
}

export interface App {
  app: FastifyInstance;
  platform: AppPlatform;
  relay: OutboxRelay<unknown>;
  /** Sends queued webhook deliveries; started with the relay (main.ts, worker.ts). */
  webhooks: WebhookDispatcher;
  /** Runs the steps that follow a won/lost deal; started with the relay (main.ts, worker.ts). */
  wonFlow: WonFlowRunner;
}

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

// Request ids: a random per-process prefix and a counter: unique across processes, and far cheaper than
// a random UUID per request on the hot path.
const REQUEST_ID_PREFIX = randomBytes(6).toString('base64url');
let requestCounter = 0;
const nextRequestId = (): string => `${REQUEST_ID_PREFIX}-${(++requestCounter).toString(36)}`;

/**
 * Builds the HTTP application without listening (tests use `app.inject()`; main.ts listens). Platform
 * plugins first (errors, auth, limits, idempotency, docs, metrics), then one plugin per module under
 * /crm/v1. The database is the caller's: it decides the engine and runs migrations.
 */
export async function buildApp(options: BuildOptions): Promise<App> {
  const { config, db } = options;
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : {
          logger: {
            level: config.LOG_LEVEL,
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["x-api-key"]',
                'req.headers.cookie',
                'res.headers["set-cookie"]',
              ],
              censor: '[redacted]',
            },
          },
        }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : nextRequestId();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Bad percent-encoding etc. never reach the error handler; answer them as problems too.
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Presenters already produce the documented shape (typed by the same zod schemas); re-validating
  // every response would cost CPU on the hottest paths for no safety gain.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    ['application/merge-patch+json', 'application/problem+json'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );

  const kv =
    options.kv ??
    (config.REDIS_URL ? new RedisStore(await connectRedis(config.REDIS_URL)) : new MemoryStore());
  const onHandlerError = (err: unknown, event: { id: string }) =>
    app.log.error({ err, eventId: event.id }, 'event handler failed');
  // NATS JetStream when NATS_URL is set (several processes share events); an unreachable NATS fails
  // start-up with a message naming NATS_URL.
  const bus =
    options.bus ??
    (config.NATS_URL
      ? await NatsJetStreamBus.connect({
          url: config.NATS_URL,
          stream: config.NATS_STREAM,
          log: app.log,
          onHandlerError,
        })
      : new InProcessBus(onHandlerError));
  const tokens = new SessionTokens(config.jwtSecret, config.ACCESS_TOKEN_TTL_SECONDS);
  const revocations = new SessionRevocations(kv, config.ACCESS_TOKEN_TTL_SECONDS);
  const relay = new OutboxRelay(db, bus, { pollMs: config.OUTBOX_POLL_MS, log: app.log });

  const platform: AppPlatform = {
    config,
    db,
    kv,
    bus,
    tokens,
    revocations,
    log: app.log,
    mxResolver: options.mxResolver,
    mstRegistry:
      options.mstRegistry !== undefined ? options.mstRegistry : mstRegistryFor(config, db, kv, app.log),
    write: (ctx, fn) => writeTransaction(db, ctx, fn, (committed) => relay.committed(committed)),
    writeOne: (ctx, build) => writeOneStatement(db, ctx, build, (committed) => relay.committed(committed)),
  };
  const credentials = createCredentialResolver(platform);
  // Webhooks: the fan-out is a durable subscriber of every event; the dispatcher starts with the relay.
  const webhooks = wireWebhooks(
    { db, config, log: app.log, write: platform.write, lookup: options.webhookLookup },
    bus,
  );

  const installNotFound = installProblemHandling(app);
  // Security headers and CORS are registered before authentication: their onRequest hooks must run
  // before the auth hook can throw, or a 401 for a bad token would lack them (and a browser could not
  // read it cross-origin).
  installSecurityHeaders(app);
  // Without configured origins there is nothing for CORS to allow: skip its per-request work entirely.
  if (config.CORS_ORIGINS.length > 0) {
    await app.register(cors, {
      origin: config.CORS_ORIGINS,
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: [
        'authorization',
        'content-type',
        'idempotency-key',
        'if-match',
        'x-api-key',
        'x-request-id',
      ],
      exposedHeaders: ['etag', 'location', 'retry-after', 'x-request-id', 'idempotent-replayed'],
    });
  }
  installMetricsAuth(app, config.METRICS_TOKEN);
  const auth = installAuthentication(app, { config, tokens, revocations, resolver: credentials });
  await app.register(rateLimit, {
    global: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
    ...(kv instanceof RedisStore ? { redis: kv.redis, nameSpace: 'crm:rl:' } : {}),
    // Per API key or user when authenticated (the auth hook ran before), else per client IP.
    keyGenerator: (request) =>
      request.actor ? `${request.actor.type}:${request.actor.id}` : `ip:${request.ip}`,
    // Limit headers on 429 answers only: on every success they were bytes on the hottest paths.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_request, ctx) =>
      new AppError('rate_limited', `Rate limit of ${ctx.max} requests exceeded; retry in ${ctx.after}`),
    // Static assets of the web app are not API traffic (a page load fetches a dozen of them).
    allowList: (request) =>
      request.url === '/healthz' ||
      request.url === '/readyz' ||
      request.url === '/metrics' ||
      request.url.startsWith('/assets/'),
  });
  // Unknown routes and wrong methods count against the same budget (route scanning is traffic too).
  installNotFound({ onRequest: app.rateLimit() });
  installIdempotency(app, db, config.IDEMPOTENCY_TTL_SECONDS);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CyberOS CRM API',
        version: '1.0.0',
        description:
          'Multi-tenant B2B CRM. Errors are RFC 9457 problem documents with a stable `code`. Writes accept ' +
          '`Idempotency-Key` (required for API keys). Updates take `If-Match` with the ETag you read.',
      },
      servers: [{ url: config.PUBLIC_URL ?? '/' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Access token (JWT) or API key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(async (docs) => {
    // The reference page is public like the OpenAPI document it shows; swagger-ui's routes carry no
    // config of ours, so without this the auth preHandler answered /docs with 401.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' };
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: true,
      uiConfig: { url: `${API_PREFIX}/openapi.json` },
    });
  });

  const metrics = installMetrics(app, db, { defaultMetrics: config.NODE_ENV !== 'test' });
  const publishedBefore = { n: 0 };
  app.addHook('onResponse', (_request, _reply, done) => {
    if (relay.published !== publishedBefore.n) {
      metrics.outboxPublished.inc(relay.published - publishedBefore.n);
      publishedBefore.n = relay.published;
    }
    done();
  });

  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  let migrated = false;
  app.get('/readyz', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await db.system((k) => sql`SELECT 1`.execute(k));
      migrated ||= await migrationsCurrent(db);
    } catch (err) {
      app.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
    if (!migrated) return reply.code(503).send({ status: 'unavailable', database: 'migrations pending' });
    return { status: 'ready', database: db.engine };
  });

  app.get(`${API_PREFIX}/openapi.json`, { config: { auth: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  // The web app (built into dist/web) at the same origin as the API and its WebSocket.
  await installWebApp(app);

  await app.register(userRoutes(platform), { prefix: API_PREFIX });
  await app.register(apiKeyRoutes(platform, credentials.apiKeys), { prefix: API_PREFIX });
  await app.register(workspaceRoutes(platform), { prefix: API_PREFIX });
  await app.register(accountRoutes(platform), { prefix: API_PREFIX });
  await app.register(contactRoutes(platform), { prefix: API_PREFIX });
  await app.register(tagRoutes(platform), { prefix: API_PREFIX });
  await app.register(pipelineRoutes(platform), { prefix: API_PREFIX });
  await app.register(dealRoutes(platform), { prefix: API_PREFIX });
  await app.register(leadRoutes(platform), { prefix: API_PREFIX });
  await app.register(activityRoutes(platform), { prefix: API_PREFIX });
  await app.register(currencyRoutes(platform), { prefix: API_PREFIX });
  await app.register(searchRoutes(platform), { prefix: API_PREFIX });
  await app.register(dashboardRoutes(platform), { prefix: API_PREFIX });
  await app.register(auditRoutes(platform), { prefix: API_PREFIX });
  await app.register(webhookRoutes(platform, webhooks), { prefix: API_PREFIX });
  await app.register(workflowRoutes(platform), { prefix: API_PREFIX });
  await app.register(graphqlRoutes(platform));
  // MCP (streamable HTTP) at /mcp, beside /crm/v1: the seed's path for agents.
  await app.register(mcpHttpRoutes(platform, crmMcpTools));
  await app.register(inboundRoutes(platform), { prefix: API_PREFIX });
  // Live boards: the hub authenticates by first message; deal events reach it from the bus.
  const hub = new RealtimeHub({ authenticate: auth.authenticateToken, log: app.log });
  wireDealRealtime(platform, hub);
  await app.register(realtimeRoutes(hub, `${API_PREFIX}/ws`));

  const wonFlow = new WonFlowRunner(platform, { pollMs: config.WON_FLOW_POLL_MS, ...options.wonFlow });
  await app.register(
    vietnamRoutes(platform, () => wonFlow.wake()),
    { prefix: API_PREFIX },
  );
  // Durable: if writing a closed deal's steps fails, the relay publishes the event again.
  bus.subscribe(
    'deal.*',
    async (event) => {
      if (await enqueueCloseFlow(platform, event)) wonFlow.wake();
    },
    { durable: true, name: 'won-flow' },
  );
  // Automation (ADR 0020): a durable consumer of every event runs the workspace's matching workflows.
  wireWorkflows(platform, bus);
  // A broker's consumers exist before the app serves: no event published after start-up is missed.
  if (bus instanceof NatsJetStreamBus) await bus.ready();

  app.addHook('onClose', async () => {
    await wonFlow.stop();
    await relay.stop();
    await webhooks.dispatcher.stop();
    if (!options.bus) await bus.close();
    if (!options.kv) await kv.close();
  });

  return { app, platform, relay: relay as OutboxRelay<unknown>, webhooks: webhooks.dispatcher, wonFlow };
}
