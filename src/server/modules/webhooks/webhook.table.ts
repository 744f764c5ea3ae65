import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { EventEnvelope } from '../../platform/events/outbox.js';

export interface WebhookSubscriptionTable {
  tenant_id: string;
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  active: Generated<boolean>;
  /** `whsec_…`, or `enc:v1:…` when WEBHOOK_SECRET_KEY sealed it (webhook.signature.ts). */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  secret_rotated_at: Date | null;
  consecutive_dead: Generated<number>;
  disabled_reason: string | null;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export const DELIVERY_STATUSES = ['pending', 'failed', 'delivered', 'dead', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface WebhookDeliveryTable {
  tenant_id: string;
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  /** The event envelope, exactly what is POSTed (jsonb; written through `jsonb()`). */
  payload: ColumnType<EventEnvelope, string, string>;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: Generated<Date>;
  locked_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookAttemptTable {
  tenant_id: string;
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: Date;
  ip: string | null;
  status_code: number | null;
  latency_ms: number;
  outcome: 'delivered' | 'failed';
  error: string | null;
  response_body: string | null;
}

export interface WebhookTables {
  'crm_core.crm_webhook_subscriptions': WebhookSubscriptionTable;
  'crm_core.crm_webhook_deliveries': WebhookDeliveryTable;
  'crm_core.crm_webhook_attempts': WebhookAttemptTable;
}

export type WebhookRow = Selectable<WebhookSubscriptionTable>;
export type NewWebhookRow = Insertable<WebhookSubscriptionTable>;
export type WebhookRowUpdate = Updateable<WebhookSubscriptionTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;
export type AttemptRow = Selectable<WebhookAttemptTable>;
