import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { natsAnswers } from '../realtime/testing.js';
import { filterSubject, type NatsBusOptions, NatsJetStreamBus, subjectRoot } from './nats-bus.js';
import type { EventEnvelope } from './outbox.js';

/**
 * The NATS JetStream bus against a real server (NATS_TEST_URL, default nats://127.0.0.1:4222). Without
 * one these tests are skipped (npm test needs no server); each run uses a stream of its own, deleted
 * after.
 */

const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';

const reachable = await natsAnswers(NATS_URL);
if (!reachable) console.warn(`nats-bus tests skipped: no NATS server answers at ${NATS_URL} (NATS_TEST_URL)`);

const event = (type: string, over: Partial<EventEnvelope> = {}): EventEnvelope => ({
  id: newId(),
  type,
  workspace_id: newId(),
  occurred_at: new Date().toISOString(),
  aggregate: { type: type.split('.')[0] ?? 'x', id: newId() },
  actor: { type: 'system', id: 'sys' },
  request_id: null,
  data: { n: 1 },
  ...over,
});

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('subjects', () => {
  it('names the subjects after the stream and maps bus patterns to filters', () => {
    expect(subjectRoot('CRM_EVENTS')).toBe('crm.events');
    expect(subjectRoot('crm-rt_Test')).toBe('crm.rt.test');
    expect(filterSubject('crm.events', '*')).toBe('crm.events.>');
    expect(filterSubject('crm.events', 'deal.*')).toBe('crm.events.*.deal.>');
    expect(filterSubject('crm.events', 'deal.won')).toBe('crm.events.*.deal.won');
  });

  it('fails start-up with a message naming NATS_URL when NATS is unreachable', async () => {
    await expect(
      NatsJetStreamBus.connect({ url: 'nats://user:secret@127.0.0.1:1', stream: 'CRM_NOPE' }),
    ).rejects.toThrow(/NATS_URL is set \(nats:\/\/\*\*\*@127\.0\.0\.1:1\) but NATS could not be reached/);
  });
});

describe.skipIf(!reachable)('NatsJetStreamBus (real NATS)', () => {
  const stream = `CRM_TEST_${randomBytes(4).toString('hex')}`;
  const buses: NatsJetStreamBus[] = [];
  const errors: unknown[] = [];
  const open = async (over: Partial<NatsBusOptions> = {}) => {
    const bus = await NatsJetStreamBus.connect({
      url: NATS_URL,
      stream,
      retryBaseMs: 50,
      onHandlerError: (e) => errors.push(e),
      ...over,
    });
    buses.push(bus);
    return bus;
  };
  let a: NatsJetStreamBus;
  let b: NatsJetStreamBus;

  beforeAll(async () => {
    a = await open();
    b = await open();
  });
  afterAll(async () => {
    await a?.deleteStream().catch(() => {});
    for (const bus of buses) await bus.close();
  });

  it('creates the stream on its own subjects and publishes with the event id as message id', async () => {
    expect(a.root).toBe(subjectRoot(stream));
    const e = event('deal.created');
    expect(a.subjectOf(e)).toBe(`${a.root}.${e.workspace_id}.deal.created`);
    await a.publish(e);
    await expect(a.publish(event('bad type!'))).rejects.toThrow(/not a subject/);
  });

  it('non-durable: every instance sees every event of its pattern, once (re-publish de-duplicated)', async () => {
    const seenA: string[] = [];
    const seenB: string[] = [];
    const offA = a.subscribe('deal.*', (e) => {
      seenA.push(e.type);
    });
    const offB = b.subscribe('*', (e) => {
      seenB.push(e.type);
    });
    await Promise.all([a.ready(), b.ready()]);
    const moved = event('deal.stage_changed');
    await b.publish(moved);
    await b.publish(moved); // the relay's at-least-once re-publish
    await a.publish(event('account.created'));
    await until('both instances to see the events', () => seenA.length >= 1 && seenB.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(seenA).toEqual(['deal.stage_changed']);
    expect(seenB).toEqual(['deal.stage_changed', 'account.created']);
    offA();
    offB();
  });

  it('durable: one shared consumer handles each event once across instances', async () => {
    const handled = new Map<string, number>();
    const by = { a: 0, b: 0 };
    const handler = (who: 'a' | 'b') => async (e: EventEnvelope) => {
      handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
      by[who]++;
    };
    const offA = a.subscribe('account.*', handler('a'), { durable: true, name: 'test-once' });
    const offB = b.subscribe('account.*', handler('b'), { durable: true, name: 'test-once' });
    await Promise.all([a.ready(), b.ready()]);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const e = event('account.updated');
      ids.push(e.id);
      await (i % 2 ? a : b).publish(e);
    }
    await until('40 events handled', () => handled.size === 40);
    await new Promise((r) => setTimeout(r, 300));
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    expect([...handled.values()].every((n) => n === 1)).toBe(true);
    expect(by.a + by.b).toBe(40);
    offA();
    offB();
  });

  it('durable: a failed handling is redelivered with backoff until it succeeds', async () => {
    const attempts = new Map<string, number>();
    const done: string[] = [];
    const off = a.subscribe(
      'contact.*',
      async (e) => {
        const n = (attempts.get(e.id) ?? 0) + 1;
        attempts.set(e.id, n);
        if (n < 3) throw new Error(`transient failure ${n}`);
        done.push(e.id);
      },
      { durable: true, name: 'test-retry' },
    );
    await a.ready();
    const before = errors.length;
    const e = event('contact.created');
    await b.publish(e);
    await until('the third delivery to succeed', () => done.length === 1);
    expect(attempts.get(e.id)).toBe(3);
    expect(errors.length - before).toBe(2);
    off();
  });

  it('refuses a durable subscription without a name', async () => {
    a.subscribe('x.*', () => {}, { durable: true });
    await expect(a.ready()).rejects.toThrow(/needs a stable name/);
  });
});
