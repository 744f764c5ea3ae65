import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, dealFor, defaultPipelineId, stagesOf } from '../../../../test/factories/deals.js';
import { pipelineFor } from '../../../../test/factories/pipelines.js';
import {
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { NatsJetStreamBus } from '../../platform/events/nats-bus.js';
import { CLOSE } from '../../platform/realtime/protocol.js';
import { natsAnswers, TestSocket } from '../../platform/realtime/testing.js';
import type { DealJson } from './deal.presenter.js';

/**
 * Live boards on the real app: a real `ws` client against `app.listen({ port: 0 })`, events driven by
 * the outbox relay (`relay.drain()`), never by the writing request.
 */

let t: TestApp;
let url: string;
const open: TestSocket[] = [];

beforeAll(async () => {
  t = await testApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/crm/v1/ws`;
});
afterAll(async () => {
  for (const s of open) s.close();
  await t.close();
});

async function socketOf(member: TestMember | { token: string }): Promise<TestSocket> {
  const s = await TestSocket.authed(url, member.token);
  open.push(s);
  return s;
}

async function joined(member: TestMember, pipelineId: string, since?: string): Promise<TestSocket> {
  const s = await socketOf(member);
  s.send({ type: 'subscribe', room: `pipeline:${pipelineId}`, ...(since ? { since } : {}) });
  await s.next('subscribed');
  return s;
}

const move = (member: TestMember, deal: { id: string }, stageId: string, version: number) =>
  member.client.post<DealJson>(`${BASE}/${deal.id}/move`, { stage_id: stageId, version });

const ofType = (type: string) => (f: { type: string; event?: unknown }) =>
  f.type === 'event' && (f.event as { type: string }).type === type;

describe('WebSocket /crm/v1/ws: pipeline rooms', () => {
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let rep: TestMember;
  let pipelineId: string;
  let stages: Awaited<ReturnType<typeof stagesOf>>;

  beforeAll(async () => {
    ws = await createWorkspace(t);
    other = await createWorkspace(t);
    rep = await addMember(t, ws, 'sales_rep');
    pipelineId = await defaultPipelineId(t, ws);
    stages = await stagesOf(t, ws);
  });

  it('a move reaches another member of the workspace after the relay publishes it, and nobody else', async () => {
    const deal = await dealFor(t, ws.admin);
    await t.relay.drain();
    const watcher = await joined(rep, pipelineId);
    const outsider = await joined(other.admin, await defaultPipelineId(t, other));
    const idle = await socketOf(rep); // same member, not subscribed

    const res = await move(ws.admin, deal, stages.discovery, 1);
    expect(res.status, res.raw).toBe(200);
    // The writing request does not push: the event leaves with the relay.
    await watcher.settle();
    expect(watcher.events()).toEqual([]);

    await t.relay.drain();
    const frame = await watcher.next('event');
    expect(frame).toMatchObject({
      type: 'event',
      room: `pipeline:${pipelineId}`,
      cursor: expect.stringMatching(/^[\w-]+\.\d+$/),
      event: {
        id: expect.any(String),
        type: 'deal.stage_changed',
        occurredAt: expect.any(String),
        dealId: deal.id,
        pipelineId,
        stageId: stages.discovery,
        version: 2,
        actor: { type: 'user', id: ws.admin.userId },
        data: {
          deal: { id: deal.id, stage_id: stages.discovery, version: 2 },
          change: { from_stage_id: stages.qualifying, to_stage_id: stages.discovery },
        },
      },
    });
    for (const s of [watcher, outsider, idle]) await s.settle();
    expect(watcher.events()).toHaveLength(1);
    expect(outsider.events()).toEqual([]);
    expect(idle.events()).toEqual([]);
  });

  it("refuses another workspace's pipeline like an unknown one (pipeline_not_found)", async () => {
    const s = await socketOf(other.admin);
    for (const room of [
      `pipeline:${pipelineId}`,
      'pipeline:01900000-0000-7000-8000-000000000000',
      'pipeline:x',
    ]) {
      s.send({ type: 'subscribe', room });
      expect(await s.next('error')).toMatchObject({ code: 'pipeline_not_found', room });
    }
  });

  it('authenticates API keys too; a key without crm.read may not join', async () => {
    const reader = await apiKeyFor(t, ws.admin, ['crm.read']);
    const s = await socketOf(reader);
    s.send({ type: 'subscribe', room: `pipeline:${pipelineId}` });
    await s.next('subscribed');
    const writer = await apiKeyFor(t, ws.admin, ['crm.write']);
    const w = await socketOf(writer);
    w.send({ type: 'subscribe', room: `pipeline:${pipelineId}` });
    expect(await w.next('error')).toMatchObject({ code: 'insufficient_scope' });
  });

  it('closes with 4401 for a revoked or invalid token', async () => {
    const s = await TestSocket.open(url);
    open.push(s);
    s.send({ type: 'auth', token: 'crm_sk_nope' });
    expect((await s.waitClosed()).code).toBe(CLOSE.unauthenticated);
    const j = await TestSocket.open(url);
    open.push(j);
    j.send({ type: 'auth', token: `${ws.admin.token}x` });
    expect((await j.waitClosed()).code).toBe(CLOSE.unauthenticated);
  });

  it('restricted deals reach only their owner, allowed members and admins; losing access hides the card', async () => {
    const owner = await addMember(t, ws, 'sales_rep');
    const allowed = await addMember(t, ws, 'sales_rep');
    const stranger = await addMember(t, ws, 'sales_rep');
    const manager = await addMember(t, ws, 'manager');
    const [o, a, s, m, admin] = await Promise.all(
      [owner, allowed, stranger, manager, ws.admin].map((x) => joined(x, pipelineId)),
    );
    const deal = await dealFor(t, ws.admin, {
      owner_id: owner.userId,
      acl_mode: 'restricted',
      acl_member_ids: [allowed.userId],
    });
    await t.relay.drain();
    for (const sock of [o, a, admin] as TestSocket[]) {
      expect(await sock.next(ofType('deal.created'))).toMatchObject({ event: { dealId: deal.id } });
    }

    // The allowed member is taken off the list: they get a hidden stub, the stranger still nothing.
    const res = await ws.admin.client.patch<DealJson>(
      `${BASE}/${deal.id}`,
      { acl_member_ids: [] },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    await t.relay.drain();
    expect(await (a as TestSocket).next(ofType('deal.updated'))).toMatchObject({
      event: { dealId: deal.id, data: { hidden: true } },
    });
    expect(await (o as TestSocket).next(ofType('deal.updated'))).toMatchObject({
      event: { data: { deal: { acl_member_ids: [] } } },
    });
    for (const sock of [s, m] as TestSocket[]) {
      await sock.settle();
      expect(sock.events().filter((f) => f.event.dealId === deal.id)).toEqual([]);
    }
    const hidden = (a as TestSocket).events().find((f) => f.event.type === 'deal.updated');
    expect(hidden?.event).not.toHaveProperty('data.deal');
  });

  it('a move into another pipeline reaches both rooms', async () => {
    const second = await pipelineFor(t, ws.admin);
    const deal = await dealFor(t, ws.admin);
    await t.relay.drain();
    const fromRoom = await joined(rep, pipelineId);
    const toRoom = await joined(rep, second.id);
    const target = second.stages[0];
    if (!target) throw new Error('pipeline without stages');
    // The service moves deals within their pipeline today; the event a cross-pipeline move will emit
    // (the deal in its new pipeline, the change naming the old one) goes through the outbox here.
    await t.platform.write({ actor: ws.admin.actor, requestId: null }, async (uow) => {
      uow.emit({
        type: 'deal.stage_changed',
        aggregateType: 'deal',
        aggregateId: deal.id,
        data: {
          deal: { ...deal, pipeline_id: second.id, stage_id: target.id, version: 2 },
          change: { from_pipeline_id: pipelineId, from_stage_id: deal.stage_id, to_stage_id: target.id },
        },
      });
    });
    await t.relay.drain();
    const a = await fromRoom.next(ofType('deal.stage_changed'));
    const b = await toRoom.next(ofType('deal.stage_changed'));
    expect(a).toMatchObject({
      room: `pipeline:${pipelineId}`,
      event: { dealId: deal.id, pipelineId: second.id },
    });
    expect(b).toMatchObject({
      room: `pipeline:${second.id}`,
      event: { dealId: deal.id, pipelineId: second.id },
    });
    expect(a.cursor).toBe(b.cursor);
  });

  it('resumes after a short disconnect: the moves it missed are replayed before subscribed', async () => {
    const deal = await dealFor(t, ws.admin);
    await t.relay.drain();
    const first = await joined(rep, pipelineId);
    expect((await move(ws.admin, deal, stages.discovery, 1)).status).toBe(200);
    await t.relay.drain();
    const seen = await first.next(ofType('deal.stage_changed'));
    first.close();
    await first.waitClosed();

    expect((await move(ws.admin, deal, stages.qualifying, 2)).status).toBe(200);
    expect((await move(ws.admin, deal, stages.discovery, 3)).status).toBe(200);
    await t.relay.drain();

    const again = await socketOf(rep);
    again.send({ type: 'subscribe', room: `pipeline:${pipelineId}`, since: seen.cursor });
    const subscribed = await again.next('subscribed');
    const replayed = again.events().filter((f) => f.event.dealId === deal.id);
    expect(replayed.map((f) => [f.event.type, f.event.version])).toEqual([
      ['deal.stage_changed', 3],
      ['deal.stage_changed', 4],
    ]);
    expect(again.frames.indexOf(subscribed)).toBeGreaterThan(again.frames.indexOf(replayed[1] as never));

    // A cursor this process cannot honour (another process's, or from before a restart): resync.
    again.send({ type: 'subscribe', room: `pipeline:${pipelineId}`, since: 'elsewhere.12' });
    expect(await again.next('resync')).toEqual({ type: 'resync', room: `pipeline:${pipelineId}` });
    await again.next('subscribed');
  });
});

const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
const natsUp = await natsAnswers(NATS_URL);

describe('buildApp with NATS_URL', () => {
  it('fails start-up naming NATS_URL when NATS is unreachable', async () => {
    await expect(testApp({ NATS_URL: 'nats://127.0.0.1:1' })).rejects.toThrow(/NATS_URL is set/);
  });

  describe.skipIf(!natsUp)('two apps on one NATS stream (NATS_TEST_URL)', () => {
    const stream = `CRM_RT_APPS_${randomBytes(4).toString('hex')}`;
    let writer: TestApp;
    let reader: TestApp;
    let readerUrl: string;

    beforeAll(async () => {
      writer = await testApp({ NATS_URL, NATS_STREAM: stream });
      reader = await testApp({ NATS_URL, NATS_STREAM: stream });
      await reader.app.listen({ port: 0, host: '127.0.0.1' });
      const address = reader.app.server.address();
      readerUrl = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/crm/v1/ws`;
    });
    afterAll(async () => {
      await reader?.close();
      await writer?.close();
      const bus = await NatsJetStreamBus.connect({ url: NATS_URL, stream });
      await bus.deleteStream().catch(() => {});
      await bus.close();
    });

    it("a move published by one app's relay reaches the other app's socket", async () => {
      const ws = await createWorkspace(writer);
      const pipelineId = await defaultPipelineId(writer, ws);
      const stages = await stagesOf(writer, ws);
      const deal = await dealFor(writer, ws.admin);
      await writer.relay.drain();
      const s = await TestSocket.authed(readerUrl, ws.admin.token);
      open.push(s);
      s.send({ type: 'subscribe', room: `pipeline:${pipelineId}` });
      await s.next('subscribed');
      expect((await move(ws.admin, deal, stages.discovery, 1)).status).toBe(200);
      await writer.relay.drain();
      expect(await s.next(ofType('deal.stage_changed'))).toMatchObject({
        room: `pipeline:${pipelineId}`,
        event: { dealId: deal.id, stageId: stages.discovery, version: 2 },
      });
    });
  });
});
