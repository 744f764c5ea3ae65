import type { EventEnvelope } from './outbox.js';

/**
 * Where published events go. In-process now; a NATS JetStream implementation plugs in behind the same
 * interface when NATS_URL is set (see the real-time issue).
 */
export interface EventBus {
  /** Resolves once the bus has accepted the event (for a broker: acknowledged it). */
  publish(event: EventEnvelope): Promise<void>;
  /** `pattern` is an event type, a prefix ending in `.*` (e.g. `account.*`) or `*`. */
  subscribe(pattern: string, handler: EventHandler): () => void;
  close(): Promise<void>;
}

export type EventHandler = (event: EventEnvelope) => void | Promise<void>;

export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}

export class InProcessBus implements EventBus {
  readonly #subs = new Set<{ pattern: string; handler: EventHandler }>();

  constructor(private readonly onHandlerError: (error: unknown, event: EventEnvelope) => void = () => {}) {}

  async publish(event: EventEnvelope): Promise<void> {
    for (const sub of [...this.#subs]) {
      if (!matchesPattern(sub.pattern, event.type)) continue;
      try {
        await sub.handler(event);
      } catch (error) {
        // A failing consumer must not make the relay re-publish to everyone; consumers own their retries.
        this.onHandlerError(error, event);
      }
    }
  }

  subscribe(pattern: string, handler: EventHandler): () => void {
    const sub = { pattern, handler };
    this.#subs.add(sub);
    return () => this.#subs.delete(sub);
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}
