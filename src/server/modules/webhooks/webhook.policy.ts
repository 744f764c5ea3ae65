import { type Actor, can } from '../../platform/auth/actor.js';
import { matchesPattern } from '../../platform/events/bus.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { isUuid } from '../../platform/ids.js';
import type { WebhookAbility } from './webhook.schema.js';
import type { DeliveryStatus, WebhookRow } from './webhook.table.js';

/**
 * Pure rules of webhooks: who may manage them, which events reach them, and the retry schedule.
 *
 * Reading and writing both need `crm.settings.manage` (admins; API keys with `crm.admin`): a webhook's URL
 * often carries a token of the receiving system, and its deliveries are copies of every event.
 */
export const WEBHOOK_MANAGE = 'crm.settings.manage' as const;

export function webhookAbilities(actor: Actor, row: Pick<WebhookRow, 'deleted_at'>): WebhookAbility[] {
  if (row.deleted_at || !can(actor, WEBHOOK_MANAGE)) return [];
  return ['update', 'delete', 'rotate_secret', 'test'];
}

/** Webhook-config events are never delivered to webhooks: a receiver reacting to them could loop. */
export const isWebhookEvent = (type: string): boolean => type === 'webhook' || type.startsWith('webhook.');

export function subscriptionMatches(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.some((p) => matchesPattern(p, type));
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What an event says about the deals it concerns (R-CRM-009: restricted deals never leave the CRM).
 * `restricted`: the event itself carries a restricted deal snapshot. `dealIds`: deals it refers to whose
 * ACL must be looked up (the aggregate when it is a deal, `data.deal.id`, and `deal_id` fields at the top
 * level of `data` or one object down, e.g. an activity's or a VietQR code's deal).
 */
export function dealReferences(event: EventEnvelope): { restricted: boolean; dealIds: string[] } {
  const data = isObj(event.data) ? event.data : {};
  const deal = isObj(data.deal) ? data.deal : null;
  if (deal?.acl_mode === 'restricted') return { restricted: true, dealIds: [] };
  const ids = new Set<string>();
  const add = (v: unknown) => {
    // Only real UUIDs reach the lookup's ::uuid cast: a malformed id would fail the fan-out on every retry.
    if (typeof v === 'string' && isUuid(v)) ids.add(v.toLowerCase());
  };
  // A snapshot that says "default" is the deal as it was when the event happened: no lookup needed.
  const snapshotSaysDefault = deal?.acl_mode === 'default';
  if (event.aggregate.type === 'deal' && !(snapshotSaysDefault && deal?.id === event.aggregate.id)) {
    add(event.aggregate.id);
  }
  if (deal && !snapshotSaysDefault) add(deal.id);
  add(data.deal_id);
  for (const v of Object.values(data)) if (isObj(v)) add(v.deal_id);
  return { restricted: false, dealIds: [...ids] };
}

export const RETRY_BASE_SECONDS = 30;
export const RETRY_CAP_SECONDS = 6 * 3600;

/**
 * Seconds to wait after failed attempt number `attempt` (1-based): 30 s doubling to a 6 h cap
 * (30 s, 1 min, 2, 4, 8, 16, 32 min, 1 h 4 min, 2 h 8 min, 4 h 16 min, 6 h …), times a jitter of ±20 %
 * so that many deliveries failing together do not retry together. A receiver's `Retry-After` (429/503)
 * is honoured when it asks for longer, up to the cap. `random` in [0, 1).
 */
export function retryDelaySeconds(
  attempt: number,
  random: number,
  retryAfterSeconds: number | null = null,
): number {
  const exp = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
  const jittered = Math.round(exp * (0.8 + 0.4 * random));
  const base = Math.min(RETRY_CAP_SECONDS, Math.max(1, jittered));
  if (retryAfterSeconds !== null && retryAfterSeconds > base)
    return Math.min(RETRY_CAP_SECONDS, retryAfterSeconds);
  return base;
}

/** 2xx is delivered; anything else (3xx included: redirects are not followed) is a failure. */
export const isDelivered = (statusCode: number | null): boolean =>
  statusCode !== null && statusCode >= 200 && statusCode < 300;

/** The outcome of a failed attempt: retry later, or give up (dead letter). */
export function afterFailure(
  attempts: number,
  maxAttempts: number,
): Extract<DeliveryStatus, 'failed' | 'dead'> {
  return attempts >= maxAttempts ? 'dead' : 'failed';
}

/** Deliveries an admin may send again by hand (a delivered one too: the receiver may have lost it). */
export const REDELIVERABLE: readonly DeliveryStatus[] = ['dead', 'failed', 'delivered'];
