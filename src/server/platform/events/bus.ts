import type { EventEnvelope } from './outbox.js';

/**
 * Where published events go. In-process now; a NATS JetStream implementation plugs in behind the same
 * interface when NATS_URL is set (see the real-time issue).
 */
export interface EventBus {
  /** Resolves once the bus has accepted the event (for a broker: acknowledged it). */
  publish(event: EventEnvelope): Promise<void>;
  /**
   * `pattern` is an event type, a prefix ending in `.*` (e.g. `account.*`) or `*`. A `durable` handler's
   * failure rejects `publish`, so the relay keeps the event and publishes it again later (every
   * subscriber then sees it again: consumers deduplicate by event id). Use it for consumers that must not
   * lose an event (webhook fan-out); best-effort consumers (WebSocket) stay non-durable.
   */
  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions): () => void;
  close(): Promise<void>;
}

export type EventHandler = (event: EventEnvelope) => void | Promise<void>;

export interface SubscribeOptions {
  durable?: boolean;
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
    for (const sub of [...this.#subs]) {
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
