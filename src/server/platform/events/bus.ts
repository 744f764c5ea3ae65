import type { EventEnvelope } from './outbox.js';

/**
 * Where published events go: in-process by default; NATS JetStream (`nats-bus.ts`) when NATS_URL is set.
 */
export interface EventBus {
  /** Resolves once the bus has accepted the event (for a broker: acknowledged it). */
  publish(event: EventEnvelope): Promise<void>;
  /**
   * `pattern` is an event type, a prefix ending in `.*` (e.g. `account.*`) or `*`. A `durable` handler's
   * failure rejects `publish`, so the relay keeps the event and publishes it again later (every
   * subscriber then sees it again: consumers deduplicate by event id). Use it for consumers that must not
   * lose an event (webhook fan-out); best-effort consumers (WebSocket) stay non-durable. On NATS
   * JetStream, `publish` resolves on the broker's ack and the broker redelivers to a failed durable
   * handler instead; non-durable handlers run in every process, durable ones once across processes.
   */
  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions): () => void;
  close(): Promise<void>;
}

export type EventHandler = (event: EventEnvelope) => void | Promise<void>;

export interface SubscribeOptions {
  durable?: boolean;
  /**
   * A stable name for a durable subscriber: with a broker, every process subscribing under the same
   * name shares one consumer, so each event is handled once across processes (required there).
   */
  name?: string;
}

export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

export class InProcessBus implements EventBus {
  readonly #subs = new Set<{ pattern: string; handler: EventHandler; durable: boolean }>();

  constructor(private readonly onHandlerError: (error: unknown, event: EventEnvelope) => void = () => {}) {}

  async publish(event: EventEnvelope): Promise<void> {
    let durableFailure: { error: unknown } | null = null;
    // Best-effort consumers first: they are in-memory fan-outs (WebSocket boards) that must not wait
    // behind a durable consumer's database work (the webhook fan-out reads subscriptions per event).
    const subs = [...this.#subs];
    for (const sub of [...subs.filter((s) => !s.durable), ...subs.filter((s) => s.durable)]) {
      if (!matchesPattern(sub.pattern, event.type)) continue;
      try {
        await sub.handler(event);
      } catch (error) {
        // A failing best-effort consumer must not make the relay re-publish to everyone; a durable one
        // must (it has no other copy of the event), after the others have had their turn.
        this.onHandlerError(error, event);
        if (sub.durable) durableFailure ??= { error };
      }
    }
    if (durableFailure) throw durableFailure.error;
  }

  subscribe(pattern: string, handler: EventHandler, options: SubscribeOptions = {}): () => void {
    const sub = { pattern, handler, durable: options.durable === true };
    this.#subs.add(sub);
    return () => this.#subs.delete(sub);
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}
