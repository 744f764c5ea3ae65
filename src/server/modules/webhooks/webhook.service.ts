import type { AppPlatform } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError, fieldError } from '../../platform/errors.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { hintOfStored, targetPolicy, type WebhookDispatcher } from './webhook.dispatcher.js';
import {
  WEBHOOK_EVENTS,
  webhookCreated,
  webhookDeleted,
  webhookSecretRotated,
  webhookUpdated,
} from './webhook.events.js';
import { REDELIVERABLE, WEBHOOK_MANAGE } from './webhook.policy.js';
import {
  type DeliveryDetailJson,
  type DeliveryJson,
  presentDelivery,
  presentDeliveryDetail,
  presentWebhook,
  type WebhookJson,
  webhookSnapshot,
} from './webhook.presenter.js';
import {
  attemptsOf,
  cancelOpenDeliveries,
  findDelivery,
  findWebhook,
  holdOpenDeliveries,
  insertClaimedDelivery,
  insertWebhook,
  listDeliveryRows,
  listWebhookRows,
  releaseHeldDeliveries,
  requeueDelivery,
  updateWebhookRow,
} from './webhook.repository.js';
import type {
  CreateWebhookInput,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  UpdateWebhookInput,
} from './webhook.schema.js';
import { generateSecret, sealSecret } from './webhook.signature.js';
import { checkTarget, type HostLookup, TargetRefused } from './webhook.ssrf.js';
import type { WebhookRow } from './webhook.table.js';

/**
 * Webhook use cases: validate (zod at the edge, the SSRF guard here) → authorize (crm.settings.manage,
 * see webhook.policy.ts) → command (one transaction with audit and a `webhook.*` event) → present. The
 * secret leaves the server twice only: in the answers of create and rotate-secret.
 */

/** What the webhook use cases need beyond the platform: the dispatcher (test pings) and DNS. */
export interface WebhookRuntime {
  dispatcher: WebhookDispatcher;
  lookup: HostLookup;
}

/** After a rotation the previous secret still signs (a second `v1=`) for this long. */
export const ROTATION_GRACE_HOURS = 24;

const notFound = () => new AppError('webhook_not_found', 'Webhook not found');
const deliveryNotFound = () => new AppError('webhook_delivery_not_found', 'Webhook delivery not found');
const DIFF_IGNORE = ['updated_at', 'version', 'updated_by', 'secret_hint', 'previous_secret_expires_at'];

type WithSecret = WebhookJson & { secret: string };

export interface Page<T> {
  data: T[];
  page: { limit: number; next_cursor: string | null; has_more: boolean };
}

const hint = (p: AppPlatform, row: WebhookRow) => hintOfStored(row.secret, p.config.WEBHOOK_SECRET_KEY);
const present = (p: AppPlatform, row: WebhookRow, ctx: RequestContext) =>
  presentWebhook(row, hint(p, row), ctx.actor);
const snapshot = (p: AppPlatform, row: WebhookRow) => webhookSnapshot(row, hint(p, row));

/** The SSRF guard on a URL an admin typed: 422 naming `url` when it may not be called. */
async function assertTargetAllowed(p: AppPlatform, rt: WebhookRuntime, url: string): Promise<void> {
  try {
    await checkTarget(url, targetPolicy(p.config), rt.lookup);
  } catch (error) {
    if (error instanceof TargetRefused) {
      throw fieldError(['url'], 'url_not_allowed', `The webhook URL ${error.reason}`);
    }
    throw error;
  }
}

export async function listWebhooks(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListWebhooksQuery,
): Promise<Page<WebhookJson>> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const after = query.cursor
    ? (decodeCursor(query.cursor, 'webhooks', ['instant', 'uuid']) as [string, string])
    : null;
  const rows = await p.db.read(actor.workspaceId, (db) =>
    listWebhookRows(db, actor.workspaceId, after, query.limit + 1),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last
      ? encodeCursor('webhooks', [last.created_at.toISOString(), last.id])
      : null;
  return {
    data: page.map((r) => present(p, r, ctx)),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}

async function loadLive(p: AppPlatform, ctx: RequestContext, id: string): Promise<WebhookRow> {
  const row = await p.db.read(ctx.actor.workspaceId, (db) => findWebhook(db, ctx.actor.workspaceId, id));
  if (!row || row.deleted_at) throw notFound();
  return row;
}

export async function getWebhook(p: AppPlatform, ctx: RequestContext, id: string): Promise<WebhookJson> {
  requirePermission(ctx.actor, WEBHOOK_MANAGE);
  return present(p, await loadLive(p, ctx, id), ctx);
}

export async function createWebhook(
  p: AppPlatform,
  rt: WebhookRuntime,
  ctx: RequestContext,
  input: CreateWebhookInput,
): Promise<WithSecret> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  await assertTargetAllowed(p, rt, input.url);
  const secret = generateSecret();
  const row = await p.write(ctx, async (uow) => {
    const created = await insertWebhook(uow.trx, {
      tenant_id: actor.workspaceId,
      id: newId(),
      url: input.url,
      description: input.description ?? null,
      event_types: input.event_types,
      active: input.active,
      secret: sealSecret(secret, p.config.WEBHOOK_SECRET_KEY),
      previous_secret: null,
      previous_secret_expires_at: null,
      secret_rotated_at: null,
      disabled_reason: null,
      disabled_at: null,
      created_by: actor.userId,
      updated_by: actor.userId,
      deleted_at: null,
    });
    const snap = snapshot(p, created);
    uow.audit({
      action: WEBHOOK_EVENTS.created,
      entityType: 'webhook',
      entityId: created.id,
      diff: diffRecords(null, snap, DIFF_IGNORE),
    });
    uow.emit(webhookCreated(snap));
    return created;
  });
  return { ...present(p, row, ctx), secret };
}

async function loadForWrite(
  p: AppPlatform,
  trx: Parameters<typeof findWebhook>[0],
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<WebhookRow> {
  const row = await findWebhook(trx, ctx.actor.workspaceId, id, { forUpdate: true });
  if (!row || row.deleted_at) throw notFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The webhook changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: present(p, row, ctx) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

const conflict = () => new AppError('version_conflict', 'The webhook was changed concurrently; retry');

export async function updateWebhook(
  p: AppPlatform,
  rt: WebhookRuntime,
  ctx: RequestContext,
  id: string,
  input: UpdateWebhookInput,
  ifMatchVersion: number | undefined,
): Promise<WebhookJson> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const { version: bodyVersion, ...changes } = input;
  if (changes.url !== undefined) await assertTargetAllowed(p, rt, changes.url);
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(p, uow.trx, ctx, id, ifMatchVersion ?? bodyVersion);
    const before = snapshot(p, current);
    const wouldBe = {
      ...before,
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.event_types !== undefined ? { event_types: changes.event_types } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
    };
    if (Object.keys(diffRecords(before, wouldBe, DIFF_IGNORE)).length === 0) return current;
    // Switching a webhook back on clears why the CRM had switched it off, and its dead-letter streak.
    const reactivated = changes.active === true && !current.active;
    const updated = await updateWebhookRow(uow.trx, actor.workspaceId, id, current.version, {
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.event_types !== undefined ? { event_types: changes.event_types } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
      ...(reactivated ? { disabled_reason: null, disabled_at: null, consecutive_dead: 0 } : {}),
      updated_by: actor.userId,
    });
    if (!updated) throw conflict();
    if (changes.active === false && current.active) await holdOpenDeliveries(uow.trx, actor.workspaceId, id);
    if (reactivated) await releaseHeldDeliveries(uow.trx, actor.workspaceId, id);
    const after = snapshot(p, updated);
    const diff = diffRecords(before, after, DIFF_IGNORE);
    uow.audit({ action: WEBHOOK_EVENTS.updated, entityType: 'webhook', entityId: id, diff });
    uow.emit(webhookUpdated(after, diff));
    return updated;
  });
  if (changes.active === true) rt.dispatcher.wake();
  return present(p, row, ctx);
}

/** Soft delete; its queued deliveries are cancelled in the same transaction. */
export async function deleteWebhook(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<WebhookJson> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(p, uow.trx, ctx, id, ifMatchVersion);
    const updated = await updateWebhookRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: new Date(),
      active: false,
      updated_by: actor.userId,
    });
    if (!updated) throw conflict();
    const cancelled = await cancelOpenDeliveries(uow.trx, actor.workspaceId, id);
    const snap = snapshot(p, updated);
    uow.audit({
      action: WEBHOOK_EVENTS.deleted,
      entityType: 'webhook',
      entityId: id,
      diff: {
        deleted_at: { from: null, to: snap.deleted_at },
        ...(cancelled > 0 ? { cancelled_deliveries: { from: null, to: cancelled } } : {}),
      },
    });
    uow.emit(webhookDeleted(snap));
    return updated;
  });
  return present(p, row, ctx);
}

/**
 * A new secret, shown once. The previous one keeps signing beside it (a second `v1=` in
 * Webhook-Signature) for ROTATION_GRACE_HOURS, so receivers can switch without dropping messages.
 */
export async function rotateSecret(p: AppPlatform, ctx: RequestContext, id: string): Promise<WithSecret> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const secret = generateSecret();
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(p, uow.trx, ctx, id, undefined);
    const before = hint(p, current);
    const now = new Date();
    const updated = await updateWebhookRow(uow.trx, actor.workspaceId, id, current.version, {
      secret: sealSecret(secret, p.config.WEBHOOK_SECRET_KEY),
      previous_secret: current.secret,
      previous_secret_expires_at: new Date(now.getTime() + ROTATION_GRACE_HOURS * 3600_000),
      secret_rotated_at: now,
      updated_by: actor.userId,
    });
    if (!updated) throw conflict();
    const snap = snapshot(p, updated);
    uow.audit({
      action: WEBHOOK_EVENTS.secretRotated,
      entityType: 'webhook',
      entityId: id,
      diff: { secret_hint: { from: before, to: snap.secret_hint } },
    });
    uow.emit(webhookSecretRotated(snap));
    return updated;
  });
  return { ...present(p, row, ctx), secret };
}

export async function listDeliveries(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  query: ListDeliveriesQuery,
): Promise<Page<DeliveryJson>> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  await loadLive(p, ctx, id);
  const sort = `deliveries:${query.status ?? 'all'}`;
  const after = query.cursor
    ? (decodeCursor(query.cursor, sort, ['instant', 'uuid']) as [string, string])
    : null;
  const rows = await p.db.read(actor.workspaceId, (db) =>
    listDeliveryRows(db, actor.workspaceId, id, query.status, after, query.limit + 1),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last ? encodeCursor(sort, [last.created_at.toISOString(), last.id]) : null;
  return {
    data: page.map(presentDelivery),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}

export async function getDelivery(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  deliveryId: string,
): Promise<DeliveryDetailJson> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  await loadLive(p, ctx, id);
  return p.db.read(actor.workspaceId, async (db) => {
    const row = await findDelivery(db, actor.workspaceId, id, deliveryId);
    if (!row) throw deliveryNotFound();
    return presentDeliveryDetail(row, await attemptsOf(db, actor.workspaceId, deliveryId));
  });
}

/**
 * Queues a dead, failed or delivered delivery again, due now (409 while it is pending or cancelled).
 * Audited; the delivery keeps its event id, so a receiver that already processed it can deduplicate.
 */
export async function redeliver(
  p: AppPlatform,
  rt: WebhookRuntime,
  ctx: RequestContext,
  id: string,
  deliveryId: string,
): Promise<DeliveryJson> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const row = await p.write(ctx, async (uow) => {
    const sub = await findWebhook(uow.trx, actor.workspaceId, id);
    if (!sub || sub.deleted_at) throw notFound();
    const current = await findDelivery(uow.trx, actor.workspaceId, id, deliveryId, { forUpdate: true });
    if (!current) throw deliveryNotFound();
    if (!REDELIVERABLE.includes(current.status)) {
      throw new AppError(
        'webhook_delivery_not_redeliverable',
        current.status === 'pending'
          ? 'This delivery is already queued'
          : `A ${current.status} delivery cannot be sent again`,
        { extra: { status: current.status } },
      );
    }
    const requeued = await requeueDelivery(uow.trx, current, { held: !sub.active });
    uow.audit({
      action: 'webhook.delivery_requeued',
      entityType: 'webhook',
      entityId: id,
      diff: { delivery_id: { from: null, to: deliveryId }, status: { from: current.status, to: 'pending' } },
    });
    return requeued;
  });
  rt.dispatcher.wake();
  return presentDelivery(row);
}

/**
 * Sends a `webhook.ping` to this webhook now, inline, and answers with the delivery and its attempt
 * (whatever the receiver said: a failed ping is a 200 with `status: dead` and the error). One try only, no
 * retries; it works on a paused webhook too (check a receiver before switching it on), and a failing
 * ping does not count toward the auto-disable streak.
 */
export async function testWebhook(
  p: AppPlatform,
  rt: WebhookRuntime,
  ctx: RequestContext,
  id: string,
): Promise<DeliveryDetailJson> {
  const { actor } = ctx;
  requirePermission(actor, WEBHOOK_MANAGE);
  const sub = await loadLive(p, ctx, id);
  const event: EventEnvelope = {
    id: newId(),
    type: WEBHOOK_EVENTS.ping,
    workspace_id: actor.workspaceId,
    occurred_at: new Date().toISOString(),
    aggregate: { type: 'webhook', id },
    actor: { type: actor.type, id: actor.id },
    request_id: ctx.requestId,
    data: { webhook: { id, url: sub.url }, message: 'Test message from CyberOS CRM' },
  };
  const deliveryId = newId();
  await p.db.transaction(actor.workspaceId, (trx) =>
    insertClaimedDelivery(trx, actor.workspaceId, deliveryId, id, event, rt.dispatcher.leaseSeconds),
  );
  await rt.dispatcher.attempt(
    {
      tenant_id: actor.workspaceId,
      id: deliveryId,
      subscription_id: id,
      event_id: event.id,
      payload: event,
      attempts: 1,
      max_attempts: 1,
      url: sub.url,
      secret: sub.secret,
      previous_secret: sub.previous_secret,
      previous_secret_expires_at: sub.previous_secret_expires_at,
    },
    { countsTowardDisable: false },
  );
  return getDelivery(p, ctx, id, deliveryId);
}
