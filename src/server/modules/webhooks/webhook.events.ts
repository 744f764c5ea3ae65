import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { WebhookSnapshot } from './webhook.presenter.js';

/**
 * Events of webhook configuration (topics `webhook.*`): for the audit trail, the WebSocket and other
 * internal consumers. The fan-out never delivers them to webhooks (a receiver reacting to them could
 * loop), and they never carry the secret nor the URL's query string (`redactUrl`). `webhook.ping` is not
 * an outbox event: it is the body of `POST /webhooks/{id}/test`, sent to that one webhook.
 */
export const WEBHOOK_EVENTS = {
  created: 'webhook.created',
  updated: 'webhook.updated',
  deleted: 'webhook.deleted',
  secretRotated: 'webhook.secret_rotated',
  disabled: 'webhook.disabled',
  ping: 'webhook.ping',
} as const;

/**
 * A URL without its query string: receivers often take a token there, and these events reach internal
 * consumers (WebSocket, integrations) beyond the admins who may read the full URL (API, audit log).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.search ? '?…' : '';
    u.search = '';
    u.hash = '';
    return `${u.toString()}${hidden}`;
  } catch {
    return '(invalid URL)';
  }
}

const redacted = (w: WebhookSnapshot): WebhookSnapshot => ({ ...w, url: redactUrl(w.url) });

function redactChanges(changes: FieldDiff): FieldDiff {
  const url = changes.url;
  if (!url) return changes;
  const side = (v: unknown) => (typeof v === 'string' ? redactUrl(v) : v);
  return { ...changes, url: { from: side(url.from), to: side(url.to) } };
}

const ev = <T>(type: string, webhook: WebhookSnapshot, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'webhook',
  aggregateId: webhook.id,
  data,
});

export const webhookCreated = (w: WebhookSnapshot) => ev(WEBHOOK_EVENTS.created, w, { webhook: redacted(w) });
export const webhookUpdated = (w: WebhookSnapshot, changes: FieldDiff) =>
  ev(WEBHOOK_EVENTS.updated, w, { webhook: redacted(w), changes: redactChanges(changes) });
export const webhookDeleted = (w: WebhookSnapshot) => ev(WEBHOOK_EVENTS.deleted, w, { webhook: redacted(w) });
export const webhookSecretRotated = (w: WebhookSnapshot) =>
  ev(WEBHOOK_EVENTS.secretRotated, w, { webhook: redacted(w) });
/** The CRM switched the subscription off after too many dead letters in a row. */
export const webhookDisabled = (w: WebhookSnapshot, reason: string) =>
  ev(WEBHOOK_EVENTS.disabled, w, { webhook: redacted(w), reason });
