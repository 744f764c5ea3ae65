import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { WebhookSnapshot } from './webhook.presenter.js';

/**
 * Events of webhook configuration (topics `webhook.*`): for the audit trail, the WebSocket and other
 * internal consumers. The fan-out never delivers them to webhooks (a receiver reacting to them could
 * loop), and they never carry the secret. `webhook.ping` is not an outbox event: it is the body of
 * `POST /webhooks/{id}/test`, sent to that one webhook.
 */
export const WEBHOOK_EVENTS = {
  created: 'webhook.created',
  updated: 'webhook.updated',
  deleted: 'webhook.deleted',
  secretRotated: 'webhook.secret_rotated',
  disabled: 'webhook.disabled',
  ping: 'webhook.ping',
} as const;

const ev = <T>(type: string, webhook: WebhookSnapshot, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'webhook',
  aggregateId: webhook.id,
  data,
});

export const webhookCreated = (w: WebhookSnapshot) => ev(WEBHOOK_EVENTS.created, w, { webhook: w });
export const webhookUpdated = (w: WebhookSnapshot, changes: FieldDiff) =>
  ev(WEBHOOK_EVENTS.updated, w, { webhook: w, changes });
export const webhookDeleted = (w: WebhookSnapshot) => ev(WEBHOOK_EVENTS.deleted, w, { webhook: w });
export const webhookSecretRotated = (w: WebhookSnapshot) =>
  ev(WEBHOOK_EVENTS.secretRotated, w, { webhook: w });
/** The CRM switched the subscription off after too many dead letters in a row. */
export const webhookDisabled = (w: WebhookSnapshot, reason: string) =>
  ev(WEBHOOK_EVENTS.disabled, w, { webhook: w, reason });
