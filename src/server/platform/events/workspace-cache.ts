import { LRUCache } from 'lru-cache';
import type { EventBus } from './bus.js';

export interface WorkspaceCacheOptions<V> {
  /** Event-type pattern (bus syntax) of the changes that make a workspace's entry stale. */
  invalidatedBy: string;
  /** Reads the workspace's value from the database. */
  load: (workspaceId: string) => Promise<V>;
  /** Upper bound on how long a value is served, for a process that misses an invalidating event. */
  ttlMs?: number;
  /** Workspaces kept (least recently used beyond this are dropped). */
  max?: number;
}

/**
 * A per-process cache of a small per-workspace configuration that event consumers read for EVERY event
 * (ADR 0022): the webhook fan-out's active subscriptions, the enabled workflows. Without it each event
 * costs each consumer a workspace-scoped read, although the answer is almost always "nothing
 * subscribed" and changes a few times a month.
 *
 * An entry is dropped when an event matching `invalidatedBy` of its workspace is published on the bus
 * (a non-durable subscription, so it runs in every process, and in-process before the durable
 * consumers of the same event), and after `ttlMs` at the latest. A load that overlaps an invalidation is
 * returned to its caller but not kept, so a change is never hidden longer than that one read.
 */
export class WorkspaceCache<V extends object> {
  readonly #cache: LRUCache<string, V>;
  readonly #load: (workspaceId: string) => Promise<V>;
  /** Bumped by every invalidation: a load that saw a bump while in flight is not stored. */
  #generation = 0;
  readonly #unsubscribe: () => void;

  constructor(bus: EventBus, options: WorkspaceCacheOptions<V>) {
    this.#load = options.load;
    this.#cache = new LRUCache<string, V>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 5_000 });
    this.#unsubscribe = bus.subscribe(options.invalidatedBy, (event) => {
      this.invalidate(event.workspace_id);
    });
  }

  async get(workspaceId: string): Promise<V> {
    const hit = this.#cache.get(workspaceId);
    if (hit !== undefined) return hit;
    const generation = this.#generation;
    const value = await this.#load(workspaceId);
    if (generation === this.#generation) this.#cache.set(workspaceId, value);
    return value;
  }

  invalidate(workspaceId: string | null | undefined): void {
    this.#generation++;
    if (workspaceId) this.#cache.delete(workspaceId);
    else this.#cache.clear();
  }

  close(): void {
    this.#unsubscribe();
    this.#cache.clear();
  }
}
