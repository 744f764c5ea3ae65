import type { AppDatabase } from '../../db.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { newId } from '../../platform/ids.js';
import { dealReferences, isWebhookEvent, subscriptionMatches } from './webhook.policy.js';
import { activeSubscriptions, insertDeliveries, restrictedDealIds } from './webhook.repository.js';
import type { WebhookRow } from './webhook.table.js';

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
export type ActiveSubscription = Pick<WebhookRow, 'id' | 'event_types'>;

export interface WebhookFanoutOptions {
  maxAttempts: number;
  onQueued?: () => void;
  /**
   * The workspace's active subscriptions; by default read per event. The app passes a `WorkspaceCache`
   * (ADR 0022): most events of most workspaces have no subscriber, and this saves each a read.
   */
  subscriptions?: (workspaceId: string) => Promise<readonly ActiveSubscription[]>;
}

export class WebhookFanout {
  readonly #subscriptions: (workspaceId: string) => Promise<readonly ActiveSubscription[]>;

  constructor(
    private readonly db: AppDatabase,
    private readonly options: WebhookFanoutOptions,
  ) {
    this.#subscriptions =
      options.subscriptions ?? ((ws) => db.read(ws, (scoped) => activeSubscriptions(scoped, ws)));
  }

  /** Returns how many deliveries were queued (0 for a duplicate or an event no one subscribed to). */
  readonly handle = async (event: EventEnvelope): Promise<number> => {
    if (isWebhookEvent(event.type) || !event.workspace_id) return 0;
    const refs = dealReferences(event);
    if (refs.restricted) return 0;
    const ws = event.workspace_id;
    const subs = (await this.#subscriptions(ws)).filter((s) =>
      subscriptionMatches(s.event_types, event.type),
    );
    if (subs.length === 0) return 0;
    const queued = await this.db.read(ws, async (db) => {
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
