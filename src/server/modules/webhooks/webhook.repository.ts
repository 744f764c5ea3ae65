import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../../db.js';
import { jsonb } from '../../platform/db/sql.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type {
  AttemptRow,
  DeliveryRow,
  DeliveryStatus,
  NewWebhookRow,
  WebhookRow,
  WebhookRowUpdate,
} from './webhook.table.js';

/** SQL for webhooks, nothing else. Tenant functions run as crm_app under RLS; `claimDue`/`prune` as crm_system. */

type Db = Kysely<DB> | Transaction<DB>;
const S = 'crm_core.crm_webhook_subscriptions' as const;
const D = 'crm_core.crm_webhook_deliveries' as const;
const A = 'crm_core.crm_webhook_attempts' as const;

export async function findWebhook(
  db: Db,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<WebhookRow | undefined> {
  let q = db.selectFrom(S).selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function insertWebhook(db: Db, row: NewWebhookRow): Promise<WebhookRow> {
  return db.insertInto(S).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateWebhookRow(
  db: Db,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: WebhookRowUpdate,
): Promise<WebhookRow | undefined> {
  return db
    .updateTable(S)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

/** Live subscriptions, newest first; `after` = (created_at ISO, id) of the previous page's last row. */
export async function listWebhookRows(
  db: Db,
  tenantId: string,
  after: readonly [string, string] | null,
  limit: number,
): Promise<WebhookRow[]> {
  let q = db.selectFrom(S).selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The workspace's subscriptions that receive events now. */
export async function activeSubscriptions(
  db: Db,
  tenantId: string,
): Promise<Array<Pick<WebhookRow, 'id' | 'event_types'>>> {
  return db
    .selectFrom(S)
    .select(['id', 'event_types'])
    .where('tenant_id', '=', tenantId)
    .where('active', '=', true)
    .where('deleted_at', 'is', null)
    .execute();
}

/** Of these deals, the ids that are restricted (soft-deleted ones included). */
export async function restrictedDealIds(db: Db, tenantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('crm_core.crm_deals')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('acl_mode', '=', 'restricted')
    .execute();
  return rows.map((r) => r.id);
}

export interface NewDelivery {
  id: string;
  subscription_id: string;
  max_attempts: number;
}

/**
 * One delivery per subscription for this event; an event seen before (the relay publishes at least once)
 * inserts nothing. Returns how many rows are new.
 */
export async function insertDeliveries(
  db: Db,
  tenantId: string,
  event: EventEnvelope,
  rows: readonly NewDelivery[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const values = sql.join(
    rows.map((r) => sql`(${r.id}::uuid, ${r.subscription_id}::uuid, ${r.max_attempts}::int)`),
  );
  // The fan-out chose the subscriptions from a cache (ADR 0022); the join keeps only those still active
  // at insert time, so a subscription switched off a moment ago gets nothing queued.
  const r = await sql<{ id: string }>`
    INSERT INTO crm_core.crm_webhook_deliveries
      (tenant_id, id, subscription_id, event_id, event_type, payload, max_attempts)
    SELECT s.tenant_id, v.id, s.id, ${event.id}::uuid, ${event.type}, ${jsonb(event)}, v.max_attempts
    FROM (VALUES ${values}) AS v(id, subscription_id, max_attempts)
    JOIN crm_core.crm_webhook_subscriptions s
      ON s.tenant_id = ${tenantId}::uuid AND s.id = v.subscription_id AND s.active AND s.deleted_at IS NULL
    ON CONFLICT (tenant_id, subscription_id, event_id) DO NOTHING
    RETURNING id`.execute(db);
  return r.rows.length;
}

/**
 * A delivery already claimed by the caller (the test ping): sent inline, so the background dispatcher
 * must not pick it up meanwhile (its lease) and it gets exactly one try.
 */
export async function insertClaimedDelivery(
  db: Db,
  tenantId: string,
  id: string,
  subscriptionId: string,
  event: EventEnvelope,
  leaseSeconds: number,
): Promise<void> {
  await sql`
    INSERT INTO crm_core.crm_webhook_deliveries
      (tenant_id, id, subscription_id, event_id, event_type, payload, max_attempts, attempts, locked_until)
    VALUES (${tenantId}, ${id}, ${subscriptionId}, ${event.id}, ${event.type}, ${jsonb(event)}, 1, 1,
            now() + make_interval(secs => ${leaseSeconds}))`.execute(db);
}

/** Pending and failed deliveries of a deleted subscription will never be sent. */
export async function cancelOpenDeliveries(
  db: Db,
  tenantId: string,
  subscriptionId: string,
): Promise<number> {
  const r = await db
    .updateTable(D)
    .set({
      status: 'cancelled',
      locked_until: null,
      updated_at: sql`now()`,
      last_error: 'subscription deleted',
    })
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['pending', 'failed'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * While a subscription is paused its open deliveries are parked far in the future: the claim walks the
 * due index in `next_attempt_at` order, and a large paused backlog must not be re-scanned on every poll.
 */
export const HELD_UNTIL = new Date('9999-01-01T00:00:00Z');

export async function holdOpenDeliveries(db: Db, tenantId: string, subscriptionId: string): Promise<void> {
  await db
    .updateTable(D)
    .set({ next_attempt_at: HELD_UNTIL, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['pending', 'failed'])
    .execute();
}

/** A resumed subscription's parked deliveries are due now (the dispatcher takes them batch by batch). */
export async function releaseHeldDeliveries(db: Db, tenantId: string, subscriptionId: string): Promise<void> {
  await db
    .updateTable(D)
    .set({ next_attempt_at: sql`now()`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['pending', 'failed'])
    .where('next_attempt_at', '>=', HELD_UNTIL)
    .execute();
}

/** Newest first; `after` = (created_at ISO, id) of the previous page's last row. */
export async function listDeliveryRows(
  db: Db,
  tenantId: string,
  subscriptionId: string,
  status: DeliveryStatus | undefined,
  after: readonly [string, string] | null,
  limit: number,
): Promise<DeliveryRow[]> {
  let q = db
    .selectFrom(D)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId);
  if (status) q = q.where('status', '=', status);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function findDelivery(
  db: Db,
  tenantId: string,
  subscriptionId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<DeliveryRow | undefined> {
  let q = db
    .selectFrom(D)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('subscription_id', '=', subscriptionId)
    .where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function attemptsOf(db: Db, tenantId: string, deliveryId: string): Promise<AttemptRow[]> {
  return db
    .selectFrom(A)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('delivery_id', '=', deliveryId)
    .orderBy('started_at')
    .orderBy('attempt')
    .execute();
}

/**
 * Queues a delivery again, due now. A dead letter (or a delivered message) gets one more try on top of
 * the attempts it used (max_attempts = attempts + 1); a failed one keeps its schedule's budget.
 */
export async function requeueDelivery(
  db: Db,
  row: DeliveryRow,
  options: { held: boolean },
): Promise<DeliveryRow> {
  const maxAttempts =
    row.status === 'failed' ? row.max_attempts : Math.max(row.max_attempts, row.attempts + 1);
  return db
    .updateTable(D)
    .set({
      status: 'pending',
      // For a paused webhook it waits parked until the webhook is switched on again.
      next_attempt_at: options.held ? HELD_UNTIL : sql`now()`,
      locked_until: null,
      max_attempts: maxAttempts,
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', row.tenant_id)
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A due delivery claimed by the dispatcher, with what it needs to send it. */
export interface ClaimedDelivery {
  tenant_id: string;
  id: string;
  subscription_id: string;
  event_id: string;
  payload: EventEnvelope;
  attempts: number;
  max_attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Claims up to `limit` due deliveries of active subscriptions across workspaces (crm_system): bumps
 * `attempts` and stamps a lease in the claiming statement, so several dispatchers never claim the same
 * row, and a dispatcher killed mid-send leaves a lease that simply expires. Paused subscriptions keep
 * their deliveries queued until resumed.
 */
export async function claimDue(
  trx: Transaction<DB>,
  limit: number,
  leaseSeconds: number,
): Promise<ClaimedDelivery[]> {
  const r = await sql<ClaimedDelivery>`
    UPDATE crm_core.crm_webhook_deliveries d
    SET attempts = d.attempts + 1, locked_until = now() + make_interval(secs => ${leaseSeconds}),
        updated_at = now()
    FROM (
      SELECT d2.tenant_id, d2.id FROM crm_core.crm_webhook_deliveries d2
      JOIN crm_core.crm_webhook_subscriptions s2 ON s2.tenant_id = d2.tenant_id AND s2.id = d2.subscription_id
      WHERE d2.status IN ('pending','failed') AND d2.next_attempt_at <= now()
        AND (d2.locked_until IS NULL OR d2.locked_until < now())
        AND s2.active AND s2.deleted_at IS NULL
      ORDER BY d2.next_attempt_at
      LIMIT ${limit}
      FOR UPDATE OF d2 SKIP LOCKED
    ) c, crm_core.crm_webhook_subscriptions s
    WHERE d.tenant_id = c.tenant_id AND d.id = c.id AND s.tenant_id = d.tenant_id AND s.id = d.subscription_id
    RETURNING d.tenant_id, d.id, d.subscription_id, d.event_id, d.payload, d.attempts, d.max_attempts,
              s.url, s.secret, s.previous_secret, s.previous_secret_expires_at`.execute(trx);
  return r.rows;
}

export interface AttemptRecord {
  id: string;
  attempt: number;
  started_at: Date;
  ip: string | null;
  status_code: number | null;
  latency_ms: number;
  outcome: 'delivered' | 'failed';
  error: string | null;
  response_body: string | null;
}

/**
 * Writes the attempt and the delivery's new state. The state change applies only while the claim is
 * still ours (same attempts count, still open): a send that outlived its lease may have been claimed
 * again, and its stale outcome must not overwrite the newer one. Returns whether it applied.
 */
export async function recordAttempt(
  trx: Transaction<DB>,
  tenantId: string,
  deliveryId: string,
  claimedAttempts: number,
  attempt: AttemptRecord,
  next: { status: DeliveryStatus; nextAttemptAt: Date | null },
): Promise<boolean> {
  await trx
    .insertInto(A)
    .values({ tenant_id: tenantId, delivery_id: deliveryId, ...attempt })
    .execute();
  const r = await trx
    .updateTable(D)
    .set({
      status: next.status,
      locked_until: null,
      last_status_code: attempt.status_code,
      last_error: attempt.error,
      updated_at: sql`now()`,
      ...(next.nextAttemptAt ? { next_attempt_at: next.nextAttemptAt } : {}),
      ...(next.status === 'delivered' ? { delivered_at: sql`now()` } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', deliveryId)
    .where('attempts', '=', claimedAttempts)
    .where('status', 'in', ['pending', 'failed'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A delivered message ends a streak of dead letters. */
export async function resetDeadStreak(
  trx: Transaction<DB>,
  tenantId: string,
  subscriptionId: string,
): Promise<void> {
  await trx
    .updateTable(S)
    .set({ consecutive_dead: 0 })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', subscriptionId)
    .where('consecutive_dead', '<>', 0)
    .execute();
}

/** One more dead letter in a row; returns the streak and whether the subscription is still active. */
export async function bumpDeadStreak(
  trx: Transaction<DB>,
  tenantId: string,
  subscriptionId: string,
): Promise<{ consecutive_dead: number; active: boolean } | undefined> {
  return trx
    .updateTable(S)
    .set({ consecutive_dead: sql`consecutive_dead + 1` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', subscriptionId)
    .returning(['consecutive_dead', 'active'])
    .executeTakeFirst();
}

/** Deletes finished deliveries (and, by cascade, their attempts) older than the retention (crm_system). */
export async function pruneFinished(db: Kysely<DB>, retentionDays: number): Promise<number> {
  const r = await sql`
    DELETE FROM crm_core.crm_webhook_deliveries
    WHERE status IN ('delivered','dead','cancelled')
      AND updated_at < now() - make_interval(days => ${retentionDays})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
