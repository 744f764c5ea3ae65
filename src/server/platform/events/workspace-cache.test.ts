import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { InProcessBus } from './bus.js';
import type { EventEnvelope } from './outbox.js';
import { WorkspaceCache } from './workspace-cache.js';

const event = (type: string, workspaceId: string): EventEnvelope => ({
  id: newId(),
  type,
  workspace_id: workspaceId,
  occurred_at: new Date().toISOString(),
  aggregate: { type: type.split('.')[0] ?? type, id: newId() },
  actor: { type: 'user', id: newId() },
  request_id: null,
  data: {},
});

/** A loader over a mutable "database": counts its reads, and can be held open mid-read. */
function source() {
  const rows = new Map<string, string[]>();
  let reads = 0;
  let hold: Promise<void> | null = null;
  return {
    rows,
    reads: () => reads,
    holdNext(): () => void {
      let release = () => {};
      hold = new Promise<void>((r) => {
        release = r;
      });
      return release;
    },
    load: async (ws: string) => {
      reads++;
      const snapshot = [...(rows.get(ws) ?? [])];
      const h = hold;
      hold = null;
      if (h) await h;
      return snapshot;
    },
  };
}

describe('WorkspaceCache', () => {
  it('reads a workspace once, then answers from memory; other workspaces are separate', async () => {
    const bus = new InProcessBus();
    const db = source();
    db.rows.set('a', ['s1']);
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'webhook.*', load: db.load });
    expect(await cache.get('a')).toEqual(['s1']);
    expect(await cache.get('a')).toEqual(['s1']);
    expect(await cache.get('b')).toEqual([]);
    expect(db.reads()).toBe(2);
  });

  it("drops a workspace's entry when a matching event of that workspace is published, and only that one", async () => {
    const bus = new InProcessBus();
    const db = source();
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'webhook.*', load: db.load });
    await cache.get('a');
    await cache.get('b');
    db.rows.set('a', ['s1']);
    db.rows.set('b', ['s2']);
    await bus.publish(event('deal.updated', 'a')); // not a configuration change: still cached
    expect(await cache.get('a')).toEqual([]);
    await bus.publish(event('webhook.created', 'a'));
    expect(await cache.get('a')).toEqual(['s1']);
    expect(await cache.get('b')).toEqual([]); // b's entry was not touched
    expect(db.reads()).toBe(3);
  });

  it('runs the invalidation before durable consumers of the same event (they see the change)', async () => {
    const bus = new InProcessBus();
    const db = source();
    const seen: string[][] = [];
    // The consumer subscribes first, as in the app; the bus still runs the cache's (non-durable) drop first.
    bus.subscribe('*', async (e) => void seen.push([...(await cache.get(e.workspace_id))]), {
      durable: true,
    });
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'workflow.*', load: db.load });
    await cache.get('a');
    db.rows.set('a', ['w1']);
    await bus.publish(event('workflow.created', 'a'));
    expect(seen).toEqual([['w1']]);
  });

  it('does not keep a value read while an invalidation happened (a stale read is not cached)', async () => {
    const bus = new InProcessBus();
    const db = source();
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'webhook.*', load: db.load });
    const release = db.holdNext();
    const inFlight = cache.get('a'); // reads [] and waits
    db.rows.set('a', ['s1']);
    await bus.publish(event('webhook.created', 'a'));
    release();
    expect(await inFlight).toEqual([]); // its caller gets what it read…
    expect(await cache.get('a')).toEqual(['s1']); // …but the next caller reads again
    expect(db.reads()).toBe(2);
  });

  it('expires entries after the TTL even without an event (a process that missed one)', async () => {
    const bus = new InProcessBus();
    const db = source();
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'webhook.*', load: db.load, ttlMs: 1 });
    await cache.get('a');
    db.rows.set('a', ['s1']);
    await new Promise((r) => setTimeout(r, 5));
    expect(await cache.get('a')).toEqual(['s1']);
  });

  it('stops listening when closed', async () => {
    const bus = new InProcessBus();
    const db = source();
    const cache = new WorkspaceCache(bus, { invalidatedBy: 'webhook.*', load: db.load });
    cache.close();
    expect(await cache.get('a')).toEqual([]);
    db.rows.set('a', ['s1']);
    await bus.publish(event('webhook.created', 'a'));
    expect(await cache.get('a')).toEqual([]); // the entry stayed: no one dropped it
    expect(db.reads()).toBe(1);
  });
});
