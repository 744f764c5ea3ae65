import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { webhookAbilities } from './webhook.policy.js';
import type {
  attemptResponseSchema,
  deliveryDetailSchema,
  deliveryResponseSchema,
  webhookResponseSchema,
} from './webhook.schema.js';
import { isSealed, secretHint } from './webhook.signature.js';
import type { AttemptRow, DeliveryRow, WebhookRow } from './webhook.table.js';

export type WebhookJson = z.infer<typeof webhookResponseSchema>;
/** What events and audit rows carry: never the secret, not even sealed. */
export type WebhookSnapshot = Omit<WebhookJson, 'abilities'>;
export type DeliveryJson = z.infer<typeof deliveryResponseSchema>;
export type DeliveryDetailJson = z.infer<typeof deliveryDetailSchema>;
export type AttemptJson = z.infer<typeof attemptResponseSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** `hint` comes from the opened secret (the stored form may be sealed). */
export function webhookSnapshot(row: WebhookRow, hint: string): WebhookSnapshot {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types,
    active: row.active,
    secret_hint: hint,
    secret_storage: isSealed(row.secret) ? 'encrypted' : 'plaintext',
    secret_rotated_at: iso(row.secret_rotated_at),
    previous_secret_expires_at:
      row.previous_secret_expires_at && row.previous_secret_expires_at > new Date()
        ? row.previous_secret_expires_at.toISOString()
        : null,
    consecutive_dead: row.consecutive_dead,
    disabled_reason: row.disabled_reason,
    disabled_at: iso(row.disabled_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

export function presentWebhook(row: WebhookRow, hint: string, actor: Actor): WebhookJson {
  return { ...webhookSnapshot(row, hint), abilities: webhookAbilities(actor, row) };
}

export const hintOf = (secret: string): string => secretHint(secret);

export const webhookEtag = (version: number): string => `"${version}"`;

export function presentDelivery(row: DeliveryRow): DeliveryJson {
  // Parked while the webhook is paused (HELD_UNTIL): no time is due.
  const open =
    (row.status === 'pending' || row.status === 'failed') && row.next_attempt_at.getUTCFullYear() < 9999;
  return {
    id: row.id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    next_attempt_at: open ? row.next_attempt_at.toISOString() : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: iso(row.delivered_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function presentAttempt(row: AttemptRow): AttemptJson {
  return {
    attempt: row.attempt,
    started_at: row.started_at.toISOString(),
    ip: row.ip,
    status_code: row.status_code,
    latency_ms: row.latency_ms,
    outcome: row.outcome,
    error: row.error,
    response_body: row.response_body,
  };
}

export function presentDeliveryDetail(row: DeliveryRow, attempts: readonly AttemptRow[]): DeliveryDetailJson {
  return {
    ...presentDelivery(row),
    payload: row.payload as unknown as Record<string, unknown>,
    attempt_log: attempts.map(presentAttempt),
  };
}
