import type { FastifyBaseLogger } from 'fastify';
import type { AppDatabase, DB } from '../../db.js';
import { systemActor } from '../../platform/auth/actor.js';
import type { Config } from '../../platform/config.js';
import type { EventBus } from '../../platform/events/bus.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { WorkspaceCache } from '../../platform/events/workspace-cache.js';
import { newId } from '../../platform/ids.js';
import { Poller } from '../../platform/jobs/poller.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { webhookDisabled } from './webhook.events.js';
import { WebhookFanout } from './webhook.fanout.js';
import { afterFailure, isDelivered, retryDelaySeconds } from './webhook.policy.js';
import { webhookSnapshot } from './webhook.presenter.js';
import {
  activeSubscriptions,
  bumpDeadStreak,
  type ClaimedDelivery,
  claimDue,
  findWebhook,
  holdOpenDeliveries,
  pruneFinished,
  recordAttempt,
  resetDeadStreak,
  updateWebhookRow,
} from './webhook.repository.js';
import { clip, type SendResult, send, USER_AGENT } from './webhook.sender.js';
import { openSecret, secretHint, signatureHeader } from './webhook.signature.js';
import {
  checkTarget,
  type HostLookup,
  systemLookup,
  type TargetPolicy,
  TargetRefused,
} from './webhook.ssrf.js';
import type { DeliveryStatus } from './webhook.table.js';

/**
 * Sends queued webhook deliveries (ADR 0014). Same shape as the outbox relay: `runOnce` claims a batch of
 * due rows across workspaces in a short system transaction (`FOR UPDATE SKIP LOCKED`, a lease, attempts
 * bumped), commits, then POSTs them OUTSIDE any transaction (in parallel within the batch: one slow
 * receiver must not hold the others), and records each outcome in the workspace's own scope. Several
 * dispatchers (processes) can run at once. A failure is retried with exponential backoff and jitter
 * (webhook.policy.ts) until `max_attempts`, then the delivery is dead (a dead letter, redeliverable by
 * hand). Optionally a subscription is switched off after WEBHOOK_DISABLE_AFTER_DEAD dead letters in a row.
 *
 * Before every send the URL goes through the SSRF guard again (DNS may have changed since it was saved:
 * rebinding), and the connection is pinned to the addresses that passed.
 */

type WebhookConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'WEBHOOK_ALLOW_PRIVATE_TARGETS'
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_MAX_ATTEMPTS'
  | 'WEBHOOK_SECRET_KEY'
  | 'WEBHOOK_DISABLE_AFTER_DEAD'
  | 'WEBHOOK_POLL_MS'
  | 'WEBHOOK_RETENTION_DAYS'
>;

export interface WebhookDeps {
  db: AppDatabase;
  config: WebhookConfig;
  lookup: HostLookup;
  /** The platform's write (one transaction with audit + events): used to switch a subscription off. */
  write: <T>(ctx: RequestContext, fn: (uow: UnitOfWork<DB>) => Promise<T>) => Promise<T>;
  log?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'info' | 'debug'> | undefined;
  /** Jitter source, [0, 1). */
  random?: () => number;
  batchSize?: number;
}

export const targetPolicy = (
  config: Pick<Config, 'NODE_ENV' | 'WEBHOOK_ALLOW_PRIVATE_TARGETS'>,
): TargetPolicy => ({
  allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  allowHttp: config.NODE_ENV !== 'production',
});

/** The envelope in its documented key order (jsonb gives keys back in its own order). */
export function bodyOf(e: EventEnvelope): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    workspace_id: e.workspace_id,
    occurred_at: e.occurred_at,
    aggregate: e.aggregate,
    actor: e.actor,
    request_id: e.request_id,
    data: e.data,
  });
}

/** What one attempt did, as the test endpoint reports it. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  result: SendResult;
}

export class WebhookDispatcher {
  readonly #batchSize: number;
  readonly #leaseSeconds: number;
  readonly #policy: TargetPolicy;
  readonly #poller: Poller;
  #lastCleanup = 0;
  delivered = 0;
  failed = 0;

  constructor(private readonly deps: WebhookDeps) {
    this.#batchSize = deps.batchSize ?? 20;
    // Longer than a send can take, so a live dispatcher never loses its claim mid-send.
    this.#leaseSeconds = Math.ceil(deps.config.WEBHOOK_TIMEOUT_MS / 1000) + 30;
    this.#policy = targetPolicy(deps.config);
    this.#poller = new Poller(() => this.runOnce(), {
      pollMs: deps.config.WEBHOOK_POLL_MS,
      batchSize: this.#batchSize,
      onError: (err) => deps.log?.error({ err }, 'webhook dispatcher pass failed'),
    });
  }

  get leaseSeconds(): number {
    return this.#leaseSeconds;
  }

  /** Claims one batch of due deliveries and sends them. Returns how many were attempted. */
  async runOnce(): Promise<number> {
    const claimed = await this.deps.db.systemTransaction((trx) =>
      claimDue(trx, this.#batchSize, this.#leaseSeconds),
    );
    if (claimed.length > 0) {
      await Promise.all(
        claimed.map((c) =>
          this.attempt(c, { countsTowardDisable: true }).catch((err: unknown) => {
            // Recording failed (database down): the lease expires and the row is claimed again.
            this.deps.log?.error({ err, deliveryId: c.id }, 'webhook delivery could not be recorded');
          }),
        ),
      );
    }
    await this.#maybeCleanup();
    return claimed.length;
  }

  /**
   * Sends one claimed delivery and records the attempt. Exposed for the test ping, which claims its own
   * row and sends it inline (`countsTowardDisable: false`: a failing ping is not a dead letter streak).
   */
  async attempt(c: ClaimedDelivery, options: { countsTowardDisable: boolean }): Promise<AttemptOutcome> {
    const startedAt = new Date();
    const result = await this.#send(c);
    const ok = isDelivered(result.statusCode);
    const status: DeliveryStatus = ok ? 'delivered' : afterFailure(c.attempts, c.max_attempts);
    const nextAttemptAt =
      status === 'failed'
        ? new Date(
            Date.now() +
              retryDelaySeconds(c.attempts, (this.deps.random ?? Math.random)(), result.retryAfterSeconds) *
                1000,
          )
        : null;
    let disable = false;
    await this.deps.db.transaction(c.tenant_id, async (trx) => {
      const applied = await recordAttempt(
        trx,
        c.tenant_id,
        c.id,
        c.attempts,
        {
          id: newId(),
          attempt: c.attempts,
          started_at: startedAt,
          ip: result.ip,
          status_code: result.statusCode,
          latency_ms: result.latencyMs,
          outcome: ok ? 'delivered' : 'failed',
          error: result.error === null ? null : clip(result.error, 2000),
          response_body: result.responseBody,
        },
        { status, nextAttemptAt },
      );
      if (!applied) return;
      if (ok) {
        await resetDeadStreak(trx, c.tenant_id, c.subscription_id);
      } else if (status === 'dead' && options.countsTowardDisable) {
        const streak = await bumpDeadStreak(trx, c.tenant_id, c.subscription_id);
        const limit = this.deps.config.WEBHOOK_DISABLE_AFTER_DEAD;
        disable = limit > 0 && !!streak?.active && streak.consecutive_dead >= limit;
      }
    });
    if (ok) this.delivered++;
    else this.failed++;
    if (status === 'dead') {
      this.deps.log?.warn(
        { deliveryId: c.id, webhookId: c.subscription_id, error: result.error },
        'webhook dead letter',
      );
    }
    if (disable) await this.#disable(c.tenant_id, c.subscription_id);
    return { status, result };
  }

  async #send(c: ClaimedDelivery): Promise<SendResult> {
    const failed = (error: string): SendResult => ({
      statusCode: null,
      latencyMs: 0,
      error,
      responseBody: null,
      ip: null,
      retryAfterSeconds: null,
    });
    const key = this.deps.config.WEBHOOK_SECRET_KEY;
    let secrets: string[];
    try {
      secrets = [openSecret(c.secret, key)];
      if (c.previous_secret && c.previous_secret_expires_at && c.previous_secret_expires_at > new Date()) {
        secrets.push(openSecret(c.previous_secret, key));
      }
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
    let target: Awaited<ReturnType<typeof checkTarget>>;
    try {
      target = await checkTarget(c.url, this.#policy, this.deps.lookup);
    } catch (error) {
      if (error instanceof TargetRefused) return failed(`refused by the SSRF guard: the URL ${error.reason}`);
      return failed(clip(String(error), 2000));
    }
    const body = bodyOf(c.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    return send({
      url: target.checked.url,
      addresses: target.addresses,
      body,
      timeoutMs: this.deps.config.WEBHOOK_TIMEOUT_MS,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': c.payload.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, timestamp, body),
      },
    });
  }

  /** Switches a subscription off after too many dead letters in a row (audited, `webhook.disabled`). */
  async #disable(tenantId: string, subscriptionId: string): Promise<void> {
    const limit = this.deps.config.WEBHOOK_DISABLE_AFTER_DEAD;
    const reason = `${limit} deliveries in a row failed every attempt`;
    try {
      await this.deps.write(
        { actor: systemActor(tenantId, 'webhook dispatcher'), requestId: null },
        async (uow) => {
          const row = await findWebhook(uow.trx, tenantId, subscriptionId, { forUpdate: true });
          if (!row?.active || row.deleted_at) return;
          const updated = await updateWebhookRow(uow.trx, tenantId, subscriptionId, row.version, {
            active: false,
            disabled_reason: reason,
            disabled_at: new Date(),
            updated_by: null,
          });
          if (!updated) return;
          await holdOpenDeliveries(uow.trx, tenantId, subscriptionId);
          const snapshot = webhookSnapshot(
            updated,
            hintOfStored(updated.secret, this.deps.config.WEBHOOK_SECRET_KEY),
          );
          uow.audit({
            action: 'webhook.disabled',
            entityType: 'webhook',
            entityId: subscriptionId,
            diff: { active: { from: true, to: false }, disabled_reason: { from: null, to: reason } },
          });
          uow.emit(webhookDisabled(snapshot, reason));
        },
      );
      this.deps.log?.warn(
        { webhookId: subscriptionId, workspaceId: tenantId },
        'webhook disabled: too many dead letters',
      );
    } catch (err) {
      this.deps.log?.error({ err, webhookId: subscriptionId }, 'webhook could not be disabled');
    }
  }

  async #maybeCleanup(): Promise<void> {
    if (Date.now() - this.#lastCleanup < 10 * 60_000) return;
    this.#lastCleanup = Date.now();
    try {
      await this.deps.db.system((k) => pruneFinished(k, this.deps.config.WEBHOOK_RETENTION_DAYS));
    } catch (err) {
      this.deps.log?.warn({ err }, 'webhook delivery cleanup failed');
    }
  }

  /** Sends until nothing is due (tests; a worker's drain on shutdown). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n < this.#batchSize) return total;
    }
  }

  start(): void {
    this.#poller.start();
  }

  /** Asks for an immediate pass (the fan-out queued deliveries). */
  wake(): void {
    this.#poller.wake();
  }

  async stop(): Promise<void> {
    await this.#poller.stop();
  }
}

/** The hint of a stored (possibly sealed) secret; a secret that cannot be opened shows only its prefix. */
export function hintOfStored(stored: string, key: string | undefined): string {
  try {
    return secretHint(openSecret(stored, key));
  } catch {
    return 'whsec_…';
  }
}

/** The dispatcher and the fan-out of one process, wired together (buildApp, the worker). */
export interface WebhookWiring {
  dispatcher: WebhookDispatcher;
  fanout: WebhookFanout;
  lookup: HostLookup;
}

/**
 * Builds the dispatcher and the fan-out and subscribes the fan-out to every event on `bus` as a DURABLE
 * handler (its failure makes the relay publish the event again). Start the dispatcher where the relay
 * runs; the returned unsubscribe is for tests.
 */
export function wireWebhooks(
  deps: Omit<WebhookDeps, 'lookup'> & { lookup?: HostLookup | undefined },
  bus: EventBus,
): WebhookWiring & { unsubscribe: () => void } {
  const lookup = deps.lookup ?? systemLookup;
  const dispatcher = new WebhookDispatcher({ ...deps, lookup });
  // Subscriptions change rarely and every event asks for them: cached per workspace, dropped by the
  // workspace's webhook.* events (ADR 0022).
  const subscriptions = new WorkspaceCache(bus, {
    invalidatedBy: 'webhook.*',
    load: (ws) => deps.db.read(ws, (db) => activeSubscriptions(db, ws)),
  });
  const fanout = new WebhookFanout(deps.db, {
    maxAttempts: deps.config.WEBHOOK_MAX_ATTEMPTS,
    onQueued: () => dispatcher.wake(),
    subscriptions: (ws) => subscriptions.get(ws),
  });
  const unsubscribe = bus.subscribe(
    '*',
    async (event) => {
      await fanout.handle(event);
    },
    { durable: true, name: 'webhook-fanout' },
  );
  return {
    dispatcher,
    fanout,
    lookup,
    unsubscribe: () => {
      unsubscribe();
      subscriptions.close();
    },
  };
}
