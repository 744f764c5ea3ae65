import type { AppDatabase } from '../../db.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { newId } from '../../platform/ids.js';
import { dealReferences, isWebhookEvent, subscriptionMatches } from './webhook.policy.js';
import { activeSubscriptions, insertDeliveries, restrictedDealIds } from './webhook.repository.js';

/**
 * The EventBus consumer that turns each event into delivery rows, one per ACTIVE subscription of the
 * event's workspace whose `event_types` match. Subscribed as a durable handler: if the insert fails the
 * error reaches the relay, which keeps the outbox row and publishes it again, so no event is lost. The
 * relay publishes at least once; `ON CONFLICT (tenant_id, subscription_id, event_id) DO NOTHING` makes a
 * second publication insert nothing.
 *
 * Never queued: webhook.* events (loops), and events about restricted deals (R-CRM-009: the event's own
 * deal snapshot says restricted, or a deal it refers to is restricted now).
 */
export class WebhookFanout {
  constructor(
    private readonly db: AppDatabase,
    private readonly options: { maxAttempts: number; onQueued?: () => void },
  ) {}

  /** Returns how many deliveries were queued (0 for a duplicate or an event no one subscribed to). */
  readonly handle = async (event: EventEnvelope): Promise<number> => {
    if (isWebhookEvent(event.type) || !event.workspace_id) return 0;
    const refs = dealReferences(event);
    if (refs.restricted) return 0;
    const ws = event.workspace_id;
    const queued = await this.db.read(ws, async (db) => {
      const subs = (await activeSubscriptions(db, ws)).filter((s) =>
        subscriptionMatches(s.event_types, event.type),
      );
      if (subs.length === 0) return 0;
      if ((await restrictedDealIds(db, ws, refs.dealIds)).length > 0) return 0;
      return insertDeliveries(
        db,
        ws,
        event,
        subs.map((s) => ({ id: newId(), subscription_id: s.id, max_attempts: this.options.maxAttempts })),
      );
    });
    if (queued > 0) this.options.onQueued?.();
    return queued;
  };
}
