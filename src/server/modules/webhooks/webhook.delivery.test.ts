import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activityFor } from '../../../../test/factories/activities.js';
import { dealFor } from '../../../../test/factories/deals.js';
import { auditOf, outboxOf } from '../../../../test/factories/pipelines.js';
import {
  deliveriesOf,
  makeDue,
  outboxDueNow,
  type ReceivedRequest,
  Receiver,
  type WebhookTestApp,
  webhookTestApp,
} from '../../../../test/factories/webhooks.js';
import { accountFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import type { AppDatabase } from '../../db.js';
import { InProcessBus } from '../../platform/events/bus.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { OutboxRelay } from '../../platform/events/relay.js';
import { WebhookFanout } from './webhook.fanout.js';
import type { DeliveryDetailJson, DeliveryJson, WebhookJson } from './webhook.presenter.js';
import { pruneFinished } from './webhook.repository.js';
import type { Page } from './webhook.service.js';
import { sealSecret, verifySignature } from './webhook.signature.js';

/**
 * Delivery end to end, on a database of its own (the relay and the dispatcher work across workspaces):
 * domain writes → outbox → relay → durable fan-out → delivery rows → dispatcher → a real HTTP receiver on
 * 127.0.0.1 that checks the signature. Retries with backoff, dead letters after WEBHOOK_MAX_ATTEMPTS (3
 * here), redelivery, timeouts, the test ping, auto-disable, restricted deals never delivered, the fan-out
 * idempotent under a second publication, and a failed fan-out insert retried by the relay.
 */

const BASE = '/crm/v1/webhooks';
const MAX_ATTEMPTS = 3;

let t: WebhookTestApp;
let receiver: Receiver;

beforeAll(async () => {
  t = await webhookTestApp({
    overrides: {
      WEBHOOK_MAX_ATTEMPTS: MAX_ATTEMPTS,
      WEBHOOK_DISABLE_AFTER_DEAD: 2,
      WEBHOOK_TIMEOUT_MS: 1000,
    },
  });
  receiver = await Receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
beforeEach(() => receiver.reset());

type WithSecret = WebhookJson & { secret: string };
let seq = 0;

/** A subscription whose URL has a path of its own, so a test reads only its own requests. */
async function subscribe(
  ws: TestWorkspace,
  eventTypes: string[] = ['*'],
): Promise<{ hook: WithSecret; path: string; requests: () => ReceivedRequest[] }> {
  const path = `/hooks/${++seq}`;
  const url = new URL(receiver.url);
  url.pathname = path;
  const res = await ws.admin.client.post<WithSecret>(BASE, { url: url.toString(), event_types: eventTypes });
  expect(res.status, res.raw).toBe(201);
  return { hook: res.body, path, requests: () => receiver.requests.filter((r) => r.url.startsWith(path)) };
}

/** Publishes what is in the outbox (relay → bus → fan-out), then sends what is due. */
async function flush(): Promise<void> {
  await t.relay.drain();
  await t.webhooks.drain();
}

const header = (r: ReceivedRequest, name: string): string => {
  const v = r.headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
};

function verified(r: ReceivedRequest, secret: string): boolean {
  return verifySignature({
    secret,
    header: header(r, 'webhook-signature'),
    timestamp: header(r, 'webhook-timestamp'),
    body: r.body,
  });
}

async function deliveries(ws: TestWorkspace, hookId: string, query = ''): Promise<DeliveryJson[]> {
  const res = await ws.admin.client.get<Page<DeliveryJson>>(`${BASE}/${hookId}/deliveries${query}`);
  expect(res.status, res.raw).toBe(200);
  return res.body.data;
}

async function detail(ws: TestWorkspace, hookId: string, deliveryId: string): Promise<DeliveryDetailJson> {
  const res = await ws.admin.client.get<DeliveryDetailJson>(`${BASE}/${hookId}/deliveries/${deliveryId}`);
  expect(res.status, res.raw).toBe(200);
  return res.body;
}

describe('delivery', () => {
  it('POSTs the event envelope, signed; the receiver verifies it; the attempt is recorded', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['deal.*']);
    const deal = await dealFor(t, ws.admin);
    await accountFor(t, ws.admin); // account.created: not subscribed
    await flush();

    const got = requests();
    expect(got).toHaveLength(1);
    const [req] = got;
    if (!req) throw new Error('no request');
    expect(req.method).toBe('POST');
    expect(header(req, 'content-type')).toBe('application/json');
    expect(header(req, 'user-agent')).toMatch(/^CyberOS-CRM-Webhooks\//);
    expect(verified(req, hook.secret)).toBe(true);
    expect(header(req, 'webhook-signature')).toMatch(/^v1=[0-9a-f]{64}$/);
    const body = JSON.parse(req.body) as EventEnvelope<{ deal: { id: string } }>;
    expect(Object.keys(body)).toEqual([
      'id',
      'type',
      'workspace_id',
      'occurred_at',
      'aggregate',
      'actor',
      'request_id',
      'data',
    ]);
    expect(body).toMatchObject({
      type: 'deal.created',
      workspace_id: ws.id,
      aggregate: { type: 'deal', id: deal.id },
    });
    expect(body.data.deal.id).toBe(deal.id);
    expect(header(req, 'webhook-id')).toBe(body.id);
    const [outbox] = await outboxOf(t, ws.id, deal.id);
    expect((outbox?.payload as { id?: string } | undefined)?.id).toBe(body.id);

    const list = await deliveries(ws, hook.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      event_id: body.id,
      event_type: 'deal.created',
      status: 'delivered',
      attempts: 1,
      max_attempts: MAX_ATTEMPTS,
      next_attempt_at: null,
      last_status_code: 200,
      last_error: null,
    });
    const d = await detail(ws, hook.id, list[0]?.id ?? '');
    expect(d.payload).toMatchObject({ id: body.id, type: 'deal.created' });
    expect(d.attempt_log).toEqual([
      expect.objectContaining({
        attempt: 1,
        ip: '127.0.0.1',
        status_code: 200,
        outcome: 'delivered',
        error: null,
        response_body: 'ok',
      }),
    ]);
    expect(d.attempt_log[0]?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('retries a failing receiver with exponential backoff, then delivers', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    receiver.respond = (r) =>
      r.url.startsWith('/hooks/') && requests().length <= 2
        ? { status: 503, body: 'busy, come back later' }
        : { status: 200, body: 'thanks' };
    await accountFor(t, ws.admin);
    await flush();
    let [row] = await deliveriesOf(t, ws.id, hook.id);
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: 503,
      last_error: 'HTTP 503 Service Unavailable',
    });
    // First retry 30 s later, ±20 % jitter.
    let wait = ((row?.next_attempt_at.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0)) / 1000;
    expect(wait).toBeGreaterThanOrEqual(23);
    expect(wait).toBeLessThanOrEqual(37);
    // Not due yet: nothing is sent.
    expect(await t.webhooks.runOnce()).toBe(0);
    expect(requests()).toHaveLength(1);

    await makeDue(t, ws.id, row?.id ?? '');
    await t.webhooks.drain();
    [row] = await deliveriesOf(t, ws.id, hook.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 2 });
    wait = ((row?.next_attempt_at.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0)) / 1000;
    expect(wait).toBeGreaterThanOrEqual(47);
    expect(wait).toBeLessThanOrEqual(73);

    await makeDue(t, ws.id, row?.id ?? '');
    await t.webhooks.drain();
    [row] = await deliveriesOf(t, ws.id, hook.id);
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200, last_error: null });
    expect(row?.delivered_at).not.toBeNull();
    const got = requests();
    expect(got).toHaveLength(3);
    // Every try carries the same event id (receivers deduplicate by it) and a valid signature.
    expect(new Set(got.map((r) => header(r, 'webhook-id'))).size).toBe(1);
    expect(got.every((r) => verified(r, hook.secret))).toBe(true);
    const d = await detail(ws, hook.id, row?.id ?? '');
    expect(d.attempt_log.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 503, 'failed'],
      [2, 503, 'failed'],
      [3, 200, 'delivered'],
    ]);
    expect(d.attempt_log[0]?.response_body).toBe('busy, come back later');
  });

  it("honours a receiver's Retry-After when it asks for longer", async () => {
    const ws = await createWorkspace(t);
    const { hook } = await subscribe(ws, ['account.created']);
    receiver.respond = () => ({ status: 429, body: 'slow down', headers: { 'retry-after': '600' } });
    await accountFor(t, ws.admin);
    await flush();
    const [row] = await deliveriesOf(t, ws.id, hook.id);
    expect(row?.status).toBe('failed');
    const wait = ((row?.next_attempt_at.getTime() ?? 0) - (row?.updated_at.getTime() ?? 0)) / 1000;
    expect(wait).toBeGreaterThanOrEqual(599);
    expect(wait).toBeLessThanOrEqual(601);

    // Redelivering a failed delivery makes it due now, within the budget it already had.
    receiver.reset();
    const re = await ws.admin.client.post<DeliveryJson>(`${BASE}/${hook.id}/deliveries/${row?.id}/redeliver`);
    expect(re.status, re.raw).toBe(200);
    expect(re.body).toMatchObject({ status: 'pending', attempts: 1, max_attempts: MAX_ATTEMPTS });
    expect(Date.parse(re.body.next_attempt_at ?? '')).toBeLessThanOrEqual(Date.parse(re.body.updated_at));
    await t.webhooks.drain();
    expect((await deliveriesOf(t, ws.id, hook.id))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS: a dead letter, listed by status, redeliverable by hand', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    receiver.respond = () => ({ status: 500, body: 'x'.repeat(10_000) });
    await accountFor(t, ws.admin);
    await flush();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      const [row] = await deliveriesOf(t, ws.id, hook.id);
      expect(row?.status).toBe('failed');
      await makeDue(t, ws.id, row?.id ?? '');
      await t.webhooks.drain();
    }
    const [dead] = await deliveries(ws, hook.id, '?status=dead');
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: MAX_ATTEMPTS,
      next_attempt_at: null,
      last_status_code: 500,
    });
    expect(await deliveries(ws, hook.id, '?status=failed')).toEqual([]);
    expect(requests()).toHaveLength(MAX_ATTEMPTS);
    const d = await detail(ws, hook.id, dead?.id ?? '');
    expect(d.attempt_log).toHaveLength(MAX_ATTEMPTS);
    expect(d.attempt_log[0]?.response_body).toHaveLength(4096);
    expect((await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`)).body.consecutive_dead).toBe(1);
    // A dead letter is not retried by itself.
    await makeDue(t, ws.id, dead?.id ?? '');
    expect(await t.webhooks.runOnce()).toBe(0);

    // Redeliver: due now, one more try on top of the attempts it used.
    receiver.reset();
    const re = await ws.admin.client.post<DeliveryJson>(
      `${BASE}/${hook.id}/deliveries/${dead?.id}/redeliver`,
    );
    expect(re.status, re.raw).toBe(200);
    expect(re.body).toMatchObject({
      status: 'pending',
      attempts: MAX_ATTEMPTS,
      max_attempts: MAX_ATTEMPTS + 1,
    });
    const again = await ws.admin.client.post(`${BASE}/${hook.id}/deliveries/${dead?.id}/redeliver`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('webhook_delivery_not_redeliverable');
    await t.webhooks.drain();
    const [done] = await deliveries(ws, hook.id);
    expect(done).toMatchObject({ id: dead?.id, status: 'delivered', attempts: MAX_ATTEMPTS + 1 });
    expect(requests()).toHaveLength(1);
    // The streak of dead letters ends with a delivered message.
    expect((await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`)).body.consecutive_dead).toBe(0);
    const audit = await auditOf(ws, hook.id);
    expect(audit.at(-1)).toMatchObject({
      action: 'webhook.delivery_requeued',
      diff: { status: { from: 'dead', to: 'pending' } },
    });
    const unknown = await ws.admin.client.post(
      `${BASE}/${hook.id}/deliveries/01900000-0000-7000-8000-000000000000/redeliver`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('webhook_delivery_not_found');
    const other = await createWorkspace(t);
    expect(
      (await other.admin.client.post(`${BASE}/${hook.id}/deliveries/${dead?.id}/redeliver`)).status,
    ).toBe(404);
  });

  it('a receiver that does not answer in time is a failed attempt (timeout), retried later', async () => {
    const ws = await createWorkspace(t);
    const { hook } = await subscribe(ws, ['account.created']);
    receiver.hang();
    await accountFor(t, ws.admin);
    await flush();
    const [row] = await deliveriesOf(t, ws.id, hook.id);
    expect(row).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: null,
      last_error: 'timed out after 1000 ms',
    });
  });

  it('an unreachable receiver is a failed attempt naming the error', async () => {
    const ws = await createWorkspace(t);
    // A port that was just listening and is closed now: connection refused.
    const gone = await Receiver.start();
    const url = new URL(gone.url);
    await gone.close();
    const res = await ws.admin.client.post<WithSecret>(BASE, {
      url: url.toString(),
      event_types: ['account.created'],
    });
    expect(res.status, res.raw).toBe(201);
    await accountFor(t, ws.admin);
    await flush();
    const [row] = await deliveriesOf(t, ws.id, res.body.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    expect(row?.last_error).toContain('ECONNREFUSED');
  });
});

describe('what is delivered', () => {
  it('events about restricted deals never leave the CRM (R-CRM-009), nor activities on them', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['*']);
    const secret = await dealFor(t, ws.admin, { acl_mode: 'restricted', name: 'Secret merger' });
    const open = await dealFor(t, ws.admin, { name: 'Open deal' });
    await activityFor(t, ws.admin, { subject: 'Board meeting', deal_id: secret.id });
    await activityFor(t, ws.admin, { subject: 'Call', deal_id: open.id });
    // A deal made restricted later: its earlier events may have gone out, nothing after.
    const later = await dealFor(t, ws.admin, { name: 'Later restricted' });
    const patched = await ws.admin.client.patch(`/crm/v1/deals/${later.id}`, {
      acl_mode: 'restricted',
      version: later.version,
    });
    expect(patched.status, patched.raw).toBe(200);
    await flush();

    const bodies = requests().map((r) => r.body);
    expect(bodies.some((b) => b.includes(open.id))).toBe(true);
    expect(bodies.some((b) => b.includes('Call'))).toBe(true);
    expect(bodies.some((b) => b.includes(secret.id))).toBe(false);
    expect(bodies.some((b) => b.includes('Secret merger'))).toBe(false);
    expect(bodies.some((b) => b.includes('Board meeting'))).toBe(false);
    const laterTypes = requests()
      .map((r) => JSON.parse(r.body) as EventEnvelope)
      .filter((e) => e.aggregate.id === later.id)
      .map((e) => e.type);
    expect(laterTypes).toEqual(['deal.created']);
    const rows = await deliveriesOf(t, ws.id, hook.id);
    expect(rows.every((r) => !JSON.stringify(r.payload).includes(secret.id))).toBe(true);
  });

  it('webhook.* events are never delivered, even to a * subscription', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['*']);
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { description: 'changed' });
    await ws.admin.client.post(`${BASE}/${hook.id}/rotate-secret`);
    await flush();
    expect(requests()).toEqual([]);
    expect(await deliveriesOf(t, ws.id, hook.id)).toEqual([]);
  });

  it('each workspace gets only its own events, and only matching active subscriptions get them', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const all = await subscribe(a, ['*']);
    const deals = await subscribe(a, ['deal.*']);
    const paused = await subscribe(a, ['*']);
    await a.admin.client.patch(`${BASE}/${paused.hook.id}`, { active: false });
    const theirs = await subscribe(b, ['*']);
    await accountFor(t, a.admin);
    await flush();
    expect(all.requests().map((r) => (JSON.parse(r.body) as EventEnvelope).type)).toEqual([
      'account.created',
    ]);
    expect(deals.requests()).toEqual([]);
    expect(paused.requests()).toEqual([]);
    expect(await deliveriesOf(t, a.id, paused.hook.id)).toEqual([]);
    expect(theirs.requests()).toEqual([]);
  });

  it('a paused subscription holds its queued deliveries until it is switched on again', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    await accountFor(t, ws.admin);
    await t.relay.drain(); // queued, not yet sent
    const paused = await ws.admin.client.patch<WebhookJson>(`${BASE}/${hook.id}`, { active: false });
    expect(paused.body.active).toBe(false);
    await t.webhooks.drain();
    expect(requests()).toEqual([]);
    // Parked: pending, with no time due while paused.
    const [held] = await deliveries(ws, hook.id);
    expect(held).toMatchObject({ status: 'pending', next_attempt_at: null });
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: true });
    const [released] = await deliveries(ws, hook.id);
    expect(released?.next_attempt_at).not.toBeNull();
    await t.webhooks.drain();
    expect(requests()).toHaveLength(1);
  });

  it('after a secret rotation messages carry both signatures; each secret verifies', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    const rotated = await ws.admin.client.post<WithSecret>(`${BASE}/${hook.id}/rotate-secret`);
    await accountFor(t, ws.admin);
    await flush();
    const [req] = requests();
    if (!req) throw new Error('no request');
    expect(header(req, 'webhook-signature').split(' ')).toHaveLength(2);
    expect(verified(req, rotated.body.secret)).toBe(true);
    expect(verified(req, hook.secret)).toBe(true);
  });
});

describe('the fan-out', () => {
  it('is idempotent: the same event published twice queues one delivery per subscription', async () => {
    const ws = await createWorkspace(t);
    const one = await subscribe(ws, ['account.*']);
    const two = await subscribe(ws, ['*']);
    const account = await accountFor(t, ws.admin);
    const [row] = await outboxOf(t, ws.id, account.id);
    const event = row?.payload as unknown as EventEnvelope;
    await t.platform.bus.publish(event);
    await t.platform.bus.publish(event);
    await flush(); // the relay publishes it a third time
    for (const s of [one, two]) {
      const rows = await deliveriesOf(t, ws.id, s.hook.id);
      expect(rows.map((r) => r.event_id)).toEqual([event.id]);
      expect(s.requests()).toHaveLength(1);
    }
  });

  it('a webhook created, paused, resumed or deleted applies to the very next event (the cache is dropped)', async () => {
    const ws = await createWorkspace(t);
    await accountFor(t, ws.admin);
    await flush(); // the fan-out has now cached "no subscriptions" for this workspace
    const { hook, requests } = await subscribe(ws, ['account.created']);
    await accountFor(t, ws.admin);
    await flush();
    expect(requests()).toHaveLength(1);
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: false });
    await accountFor(t, ws.admin);
    await flush();
    expect(await deliveriesOf(t, ws.id, hook.id)).toHaveLength(1);
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: true });
    await accountFor(t, ws.admin);
    await flush();
    expect(requests()).toHaveLength(2);
    expect((await ws.admin.client.delete(`${BASE}/${hook.id}`)).status).toBe(200);
    await accountFor(t, ws.admin);
    await flush();
    expect(await deliveriesOf(t, ws.id, hook.id)).toHaveLength(2);
  });

  it('a subscription switched off after the fan-out read it gets nothing queued (checked at insert)', async () => {
    const ws = await createWorkspace(t);
    const { hook } = await subscribe(ws, ['account.created']);
    await t.relay.drain();
    // A stale view of the configuration, as a cache in another process might still hold.
    const stale = [{ id: hook.id, event_types: ['account.created'] }];
    const fanout = new WebhookFanout(t.db, { maxAttempts: MAX_ATTEMPTS, subscriptions: async () => stale });
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: false });
    const account = await accountFor(t, ws.admin);
    const [row] = await outboxOf(t, ws.id, account.id);
    expect(await fanout.handle(row?.payload as unknown as EventEnvelope)).toBe(0);
    expect(await deliveriesOf(t, ws.id, hook.id)).toEqual([]);
  });

  it('a failed insert fails the publish, so the relay keeps the event and publishes it again', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    // Publish this workspace's earlier events first, so the relay below sees only the new one.
    await t.relay.drain();
    let failures = 1;
    const flaky: AppDatabase = {
      ...t.db,
      read: (tenantId, fn) => {
        if (failures-- > 0) return Promise.reject(new Error('connection reset while queueing deliveries'));
        return t.db.read(tenantId, fn);
      },
    };
    const bus = new InProcessBus();
    const fanout = new WebhookFanout(flaky, { maxAttempts: MAX_ATTEMPTS });
    bus.subscribe(
      '*',
      async (e) => {
        await fanout.handle(e);
      },
      { durable: true },
    );
    const relay = new OutboxRelay(t.db, bus);
    const account = await accountFor(t, ws.admin);

    expect(await relay.runOnce()).toBe(0);
    const outboxRow = async () =>
      (
        await t.db.system((k) =>
          sql<{ status: string; attempts: number; last_error: string | null }>`
            SELECT status, attempts, last_error FROM crm_core.crm_outbox
            WHERE tenant_id = ${ws.id} AND aggregate_id = ${account.id}`.execute(k),
        )
      ).rows[0];
    expect(await outboxRow()).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await outboxRow())?.last_error).toContain('connection reset while queueing deliveries');
    expect(await deliveriesOf(t, ws.id, hook.id)).toEqual([]);

    await outboxDueNow(t);
    expect(await relay.runOnce()).toBe(1);
    expect(await outboxRow()).toMatchObject({ status: 'published', attempts: 2, last_error: null });
    expect((await deliveriesOf(t, ws.id, hook.id)).map((d) => d.event_type)).toEqual(['account.created']);
    await t.webhooks.drain();
    expect(requests()).toHaveLength(1);
  });

  it('a durable handler rejects publish after the others ran; a best-effort one does not', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe('*', () => {
      seen.push('first');
    });
    bus.subscribe('*', () => {
      throw new Error('best effort failed');
    });
    const event = { id: 'e1', type: 'x.y' } as EventEnvelope;
    await expect(bus.publish(event)).resolves.toBeUndefined();
    bus.subscribe(
      'x.*',
      () => {
        throw new Error('durable failed');
      },
      { durable: true },
    );
    bus.subscribe('*', () => {
      seen.push('last');
    });
    await expect(bus.publish(event)).rejects.toThrow('durable failed');
    expect(seen).toEqual(['first', 'first', 'last']);
    await expect(bus.publish({ ...event, type: 'other.z' })).resolves.toBeUndefined();
  });
});

describe('POST /webhooks/{id}/test', () => {
  it('sends a signed webhook.ping now and answers with the attempt, paused webhooks included', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['deal.won']);
    await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: false });
    const res = await ws.admin.client.post<DeliveryDetailJson>(`${BASE}/${hook.id}/test`);
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({
      event_type: 'webhook.ping',
      status: 'delivered',
      attempts: 1,
      max_attempts: 1,
    });
    expect(res.body.attempt_log).toEqual([
      expect.objectContaining({ status_code: 200, outcome: 'delivered' }),
    ]);
    const [req] = requests();
    if (!req) throw new Error('no ping');
    expect(verified(req, hook.secret)).toBe(true);
    expect(JSON.parse(req.body)).toMatchObject({
      type: 'webhook.ping',
      workspace_id: ws.id,
      aggregate: { type: 'webhook', id: hook.id },
      actor: { type: 'user', id: ws.admin.userId },
    });
  });

  it('a failing ping is a 200 with the error; one try, and it does not count as a dead-letter streak', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['deal.won']);
    receiver.respond = () => ({ status: 404, body: 'no such hook' });
    const res = await ws.admin.client.post<DeliveryDetailJson>(`${BASE}/${hook.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'dead',
      last_status_code: 404,
      last_error: 'HTTP 404 Not Found',
    });
    expect(res.body.attempt_log[0]?.response_body).toBe('no such hook');
    await makeDue(t, ws.id, res.body.id);
    await t.webhooks.drain();
    expect(requests()).toHaveLength(1);
    expect((await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`)).body.consecutive_dead).toBe(0);
  });
});

describe('auto-disable', () => {
  it('after WEBHOOK_DISABLE_AFTER_DEAD dead letters in a row the CRM switches the webhook off (audited)', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    receiver.respond = () => ({ status: 410, body: 'gone' });
    await accountFor(t, ws.admin);
    await accountFor(t, ws.admin);
    await flush();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      for (const row of await deliveriesOf(t, ws.id, hook.id)) await makeDue(t, ws.id, row.id);
      await t.webhooks.drain();
    }
    expect((await deliveriesOf(t, ws.id, hook.id)).map((d) => d.status)).toEqual(['dead', 'dead']);
    expect(requests()).toHaveLength(2 * MAX_ATTEMPTS);
    const off = (await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`)).body;
    expect(off).toMatchObject({ active: false, consecutive_dead: 2 });
    expect(off.disabled_reason).toContain('2 deliveries in a row');
    expect(off.disabled_at).not.toBeNull();
    const audit = await auditOf(ws, hook.id);
    expect(audit.at(-1)).toMatchObject({ action: 'webhook.disabled', actor: { type: 'system' } });
    expect((await outboxOf(t, ws.id, hook.id)).at(-1)?.topic).toBe('webhook.disabled');

    // New events are not queued for it; switching it on clears the reason and the streak.
    await accountFor(t, ws.admin);
    await t.relay.drain();
    expect(await deliveriesOf(t, ws.id, hook.id)).toHaveLength(2);
    const on = await ws.admin.client.patch<WebhookJson>(`${BASE}/${hook.id}`, { active: true });
    expect(on.body).toMatchObject({
      active: true,
      disabled_reason: null,
      disabled_at: null,
      consecutive_dead: 0,
    });
  });
});

describe('housekeeping and misconfiguration', () => {
  it('finished deliveries and their attempts are pruned after WEBHOOK_RETENTION_DAYS; open ones stay', async () => {
    const ws = await createWorkspace(t);
    const { hook } = await subscribe(ws, ['account.created']);
    await accountFor(t, ws.admin);
    await accountFor(t, ws.admin);
    await flush();
    const [old, recent] = await deliveriesOf(t, ws.id, hook.id);
    expect([old?.status, recent?.status]).toEqual(['delivered', 'delivered']);
    await t.db.transaction(ws.id, (trx) =>
      sql`UPDATE crm_core.crm_webhook_deliveries SET updated_at = now() - interval '31 days'
          WHERE tenant_id = ${ws.id} AND id = ${old?.id ?? ''}`.execute(trx),
    );
    const pruned = await t.db.system((k) => pruneFinished(k, t.config.WEBHOOK_RETENTION_DAYS));
    expect(pruned).toBeGreaterThanOrEqual(1);
    expect((await deliveriesOf(t, ws.id, hook.id)).map((d) => d.id)).toEqual([recent?.id]);
    const attempts = await t.db.read(ws.id, (db) =>
      db
        .selectFrom('crm_core.crm_webhook_attempts')
        .select('delivery_id')
        .where('tenant_id', '=', ws.id)
        .execute(),
    );
    expect(attempts.map((a) => a.delivery_id)).toEqual([recent?.id]);
  });

  it('a secret sealed under a key this server lacks fails the attempt with a clear error, nothing is sent', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    await t.db.transaction(ws.id, (trx) =>
      trx
        .updateTable('crm_core.crm_webhook_subscriptions')
        .set({ secret: sealSecret(hook.secret, 'another-deployments-key-0123456789') })
        .where('tenant_id', '=', ws.id)
        .where('id', '=', hook.id)
        .execute(),
    );
    const res = await ws.admin.client.post<DeliveryDetailJson>(`${BASE}/${hook.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('dead');
    expect(res.body.last_error).toContain('WEBHOOK_SECRET_KEY is not set');
    expect(requests()).toEqual([]);
    const shown = await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`);
    expect(shown.body).toMatchObject({ secret_storage: 'encrypted', secret_hint: 'whsec_…' });
  });
});

describe('the running dispatcher', () => {
  it('started, it sends what the fan-out queues without being asked (woken by the fan-out); stopped, it rests', async () => {
    const ws = await createWorkspace(t);
    const { hook, requests } = await subscribe(ws, ['account.created']);
    t.webhooks.start();
    try {
      await accountFor(t, ws.admin);
      await t.relay.drain(); // the fan-out queues, and wakes the dispatcher
      const until = Date.now() + 15_000;
      while (requests().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      expect(requests()).toHaveLength(1);
      expect(verified(requests()[0] as ReceivedRequest, hook.secret)).toBe(true);
    } finally {
      await t.webhooks.stop();
    }
    // Stopped: a newly queued delivery waits for the next start (or an explicit pass).
    await accountFor(t, ws.admin);
    await t.relay.drain();
    expect((await deliveriesOf(t, ws.id, hook.id)).map((d) => d.status)).toEqual(['delivered', 'pending']);
    await t.webhooks.drain();
    expect(requests()).toHaveLength(2);
  });
});
