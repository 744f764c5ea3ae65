import Fastify, { type FastifyInstance } from 'fastify';
import { UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type Actor, ALL_SCOPES } from '../auth/actor.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { type HubOptions, RealtimeHub, type RoomPublisher } from './hub.js';
import { CLOSE } from './protocol.js';
import { realtimeRoutes } from './routes.js';
import { TestSocket } from './testing.js';

/**
 * The hub alone, on a bare Fastify server with a fake authenticator and a `topic` room kind: the
 * protocol mechanics (auth, rooms, replay, limits, heartbeat, back-pressure) without a database. The
 * deal rooms on the real app are tested in modules/deals/deal.realtime.test.ts.
 */

const WS_A = newId();
const WS_B = newId();

function actorFor(token: string): Actor {
  // Tokens of the fake: "<workspace>|<user>" (or a JWT whose sub is the user, in WS_A).
  const [workspaceId, userId] = token.includes('|') ? token.split('|') : [WS_A, token.slice(0, 20)];
  return {
    type: 'user',
    id: userId ?? 'u',
    userId: userId ?? 'u',
    workspaceId: workspaceId ?? WS_A,
    role: 'sales_rep',
    scopes: ALL_SCOPES,
    label: 'test',
    via: 'session',
  };
}

interface Item {
  text: string;
  onlyFor?: string;
}

let app: FastifyInstance | null = null;

async function start(options: Partial<HubOptions> = {}) {
  const hub = new RealtimeHub({
    authenticate: async (token) => {
      if (token === 'bad') throw new AppError('token_invalid', 'bad token');
      return actorFor(token);
    },
    ...options,
  });
  const topics: RoomPublisher<Item> = hub.defineRoom<Item>({
    kind: 'topic',
    async authorize(_actor, id) {
      if (id === 'secret') throw new AppError('not_found', 'No such topic');
    },
    present: (actor, item) => (item.onlyFor && item.onlyFor !== actor.userId ? null : { text: item.text }),
  });
  const a = Fastify();
  await a.register(realtimeRoutes(hub, '/ws'));
  await a.listen({ port: 0, host: '127.0.0.1' });
  app = a;
  const address = a.server.address();
  const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/ws`;
  return { hub, topics, url };
}

afterEach(async () => {
  await app?.close();
  app = null;
});

describe('realtime hub: authentication', () => {
  it('answers auth with ready', async () => {
    const { url } = await start();
    const s = await TestSocket.open(url);
    s.send({ type: 'auth', token: `${WS_A}|alice` });
    expect(await s.next('ready')).toEqual({ type: 'ready', workspaceId: WS_A, userId: 'alice' });
    s.close();
  });

  it('closes with 4401 when no auth arrives in time', async () => {
    const { url } = await start({ authTimeoutMs: 150 });
    const s = await TestSocket.open(url);
    const closed = await s.waitClosed();
    expect(closed.code).toBe(CLOSE.unauthenticated);
  });

  it('closes with 4401 on an invalid token, naming the error code', async () => {
    const { url } = await start();
    const s = await TestSocket.open(url);
    s.send({ type: 'auth', token: 'bad' });
    const closed = await s.waitClosed();
    expect(closed).toEqual({ code: CLOSE.unauthenticated, reason: 'token_invalid: bad token' });
  });

  it('closes with 4401 when the first message is not auth', async () => {
    const { url } = await start();
    for (const first of [{ type: 'subscribe', room: 'topic:x' }, { type: 'nope' }]) {
      const s = await TestSocket.open(url);
      s.send(first);
      expect((await s.waitClosed()).code).toBe(CLOSE.unauthenticated);
    }
  });

  it('closes with 4401 when the JWT expires; a refreshed auth keeps the socket', async () => {
    const { url } = await start();
    const jwt = (expSeconds: number) =>
      new UnsecuredJWT({ sub: 'bob' }).setExpirationTime(expSeconds).encode();
    // Both sockets start with the same expiry, at least two seconds away: `exp` has whole-second precision,
    // so a "one second" token can have a few milliseconds left, and on a loaded CI machine the kept
    // socket's refresh then arrived after its first token had already expired.
    const soon = Math.floor(Date.now() / 1000) + 3;
    const kept = await TestSocket.authed(url, jwt(soon));
    kept.send({ type: 'auth', token: jwt(soon + 60) });
    await kept.next('ready');
    const expiring = await TestSocket.authed(url, jwt(soon));
    const closed = await expiring.waitClosed(8000);
    expect(closed.code).toBe(CLOSE.unauthenticated);
    expect(closed.reason).toContain('token_expired');
    expect(kept.closed).toBeNull();
    await kept.settle();
    kept.close();
  });

  it('refuses a re-auth as someone else, keeping the socket as it was', async () => {
    const { url } = await start();
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    s.send({ type: 'auth', token: `${WS_B}|alice` });
    expect(await s.next('error')).toMatchObject({ code: 'forbidden' });
    s.send({ type: 'auth', token: 'bad' });
    expect(await s.next('error')).toMatchObject({ code: 'token_invalid' });
    await s.settle();
    s.close();
  });
});

describe('realtime hub: credentials checked again', () => {
  it('closes a socket whose session ended (logout, revocation) at the next re-check, keeps the others', async () => {
    const revoked = new Set<string>();
    const { url } = await start({
      recheckMs: 100,
      authenticate: async (token) => {
        if (revoked.has(token)) throw new AppError('token_invalid', 'session revoked');
        return actorFor(token);
      },
    });
    const leaving = await TestSocket.authed(url, `${WS_A}|alice`);
    const staying = await TestSocket.authed(url, `${WS_A}|bob`);
    revoked.add(`${WS_A}|alice`);
    const closed = await leaving.waitClosed(3000);
    expect(closed.code).toBe(CLOSE.unauthenticated);
    expect(closed.reason).toContain('token_invalid');
    await staying.settle();
    expect(staying.closed).toBeNull();
    staying.close();
  });
});

describe('realtime hub: frames', () => {
  it('answers malformed frames with error frames and keeps going', async () => {
    const { url } = await start();
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    s.send('{not json');
    expect(await s.next('error')).toMatchObject({ code: 'malformed_body' });
    s.send({ type: 'dance' });
    expect(await s.next('error')).toMatchObject({ code: 'validation_failed' });
    s.send({ type: 'subscribe' });
    expect(await s.next('error')).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('room'),
    });
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.next('error')).toMatchObject({ code: 'bad_request' });
    s.send({ type: 'subscribe', room: 'weather:today' });
    expect(await s.next('error')).toMatchObject({ code: 'not_found', room: 'weather:today' });
    s.send({ type: 'subscribe', room: 'no colon' });
    expect(await s.next('error')).toMatchObject({ code: 'not_found' });
    s.send({ type: 'ping', extra: 'ignored' });
    expect(await s.next('pong')).toEqual({ type: 'pong' });
    s.close();
  });

  it('closes a client that floods it with 4429', async () => {
    const { url } = await start({ maxMessagesPerSecond: 5 });
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    for (let i = 0; i < 10; i++) s.send({ type: 'ping' });
    expect((await s.waitClosed()).code).toBe(CLOSE.tooManyMessages);
  });

  it('closes the sockets with 1001 when the server closes', async () => {
    const { url } = await start();
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    await app?.close();
    app = null;
    expect((await s.waitClosed()).code).toBe(CLOSE.goingAway);
  });
});

describe('realtime hub: rooms', () => {
  it('delivers to members of the room in the workspace, filtered by the presenter', async () => {
    const { url, topics } = await start();
    const alice = await TestSocket.authed(url, `${WS_A}|alice`);
    const bob = await TestSocket.authed(url, `${WS_A}|bob`);
    const other = await TestSocket.authed(url, `${WS_B}|carol`);
    const idle = await TestSocket.authed(url, `${WS_A}|dave`);
    for (const s of [alice, bob, other]) {
      s.send({ type: 'subscribe', room: 'topic:news' });
      expect(await s.next('subscribed')).toMatchObject({ room: 'topic:news', cursor: expect.any(String) });
    }
    topics.publish(WS_A, ['news'], { text: 'hello' });
    topics.publish(WS_A, ['news'], { text: 'for alice', onlyFor: 'alice' });
    topics.publish(WS_A, ['sport'], { text: 'elsewhere' });
    expect(await alice.next('event')).toMatchObject({ room: 'topic:news', event: { text: 'hello' } });
    expect(await alice.next('event')).toMatchObject({ event: { text: 'for alice' } });
    expect(await bob.next('event')).toMatchObject({ event: { text: 'hello' } });
    for (const s of [alice, bob, other, idle]) await s.settle();
    expect(bob.events()).toHaveLength(1);
    expect(other.events()).toHaveLength(0);
    expect(idle.events()).toHaveLength(0);

    bob.send({ type: 'unsubscribe', room: 'topic:news' });
    await bob.settle();
    topics.publish(WS_A, ['news'], { text: 'after' });
    await alice.next((f) => f.type === 'event' && (f.event as Item).text === 'after');
    await bob.settle();
    expect(bob.events()).toHaveLength(1);
    for (const s of [alice, bob, other, idle]) s.close();
  });

  it('refuses rooms the kind does not authorize, and more rooms than the limit', async () => {
    const { url } = await start({ maxRoomsPerConnection: 2 });
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    s.send({ type: 'subscribe', room: 'topic:secret' });
    expect(await s.next('error')).toMatchObject({ code: 'not_found', room: 'topic:secret' });
    for (const r of ['a', 'b', 'a']) {
      s.send({ type: 'subscribe', room: `topic:${r}` });
      await s.next('subscribed');
    }
    s.send({ type: 'subscribe', room: 'topic:c' });
    expect(await s.next('error')).toMatchObject({ code: 'rate_limited', room: 'topic:c' });
    s.send({ type: 'unsubscribe', room: 'topic:a' });
    s.send({ type: 'subscribe', room: 'topic:c' });
    expect(await s.next('subscribed')).toMatchObject({ room: 'topic:c' });
    s.close();
  });

  it('replays what a client missed after its cursor, filtered; resyncs when it cannot', async () => {
    const { url, topics, hub } = await start({ logSize: 3 });
    const first = await TestSocket.authed(url, `${WS_A}|alice`);
    first.send({ type: 'subscribe', room: 'topic:news' });
    const cursor = String((await first.next('subscribed')).cursor);
    topics.publish(WS_A, ['news'], { text: 'one' });
    const seen = { cursor: String((await first.next('event')).cursor) };
    first.close();
    await first.waitClosed();

    topics.publish(WS_A, ['news'], { text: 'two' });
    topics.publish(WS_A, ['news'], { text: 'not yours', onlyFor: 'bob' });
    topics.publish(WS_A, ['news'], { text: 'three' });

    const again = await TestSocket.authed(url, `${WS_A}|alice`);
    again.send({ type: 'subscribe', room: 'topic:news', since: seen.cursor });
    const replayed = [await again.next('event'), await again.next('event')];
    expect(replayed.map((f) => (f.event as Item).text)).toEqual(['two', 'three']);
    const sub = { cursor: String((await again.next('subscribed')).cursor) };
    expect(again.frames.findIndex((f) => f.type === 'subscribed')).toBeGreaterThan(
      again.frames.findIndex((f) => f.type === 'event'),
    );
    // Nothing new since: nothing replayed.
    again.send({ type: 'subscribe', room: 'topic:calm', since: sub.cursor });
    await again.next('subscribed');
    // The log holds 3 items: the first cursor (before "one") has fallen out of it.
    again.send({ type: 'subscribe', room: 'topic:news', since: cursor });
    expect(await again.next('resync')).toEqual({ type: 'resync', room: 'topic:news' });
    await again.next('subscribed');
    // Cursors of another process, garbage, or from the future.
    for (const since of [`other.${1}`, 'garbage', `${hub.instanceId}.999999`]) {
      again.send({ type: 'subscribe', room: 'topic:news', since });
      expect(await again.next('resync')).toEqual({ type: 'resync', room: 'topic:news' });
    }
    await again.settle();
    expect(again.events()).toHaveLength(2);
    again.close();
  });

  it('drops a slow consumer with 4408 instead of buffering without bound', async () => {
    const { url, topics } = await start({ maxBufferedBytes: 200 });
    const s = await TestSocket.authed(url, `${WS_A}|alice`);
    s.send({ type: 'subscribe', room: 'topic:news' });
    await s.next('subscribed');
    topics.publish(WS_A, ['news'], { text: 'x'.repeat(500) });
    expect((await s.waitClosed()).code).toBe(CLOSE.slowConsumer);
  });
});

describe('realtime hub: heartbeat', () => {
  it('drops a socket that stops answering pings and keeps one that answers', async () => {
    const { url, hub } = await start({ heartbeatMs: 300 }); // wide enough that a GC pause cannot make the live socket miss a pong
    const live = await TestSocket.authed(url, `${WS_A}|alice`);
    const dead = await TestSocket.open(url, { autoPong: false });
    dead.send({ type: 'auth', token: `${WS_A}|bob` });
    await dead.next('ready');
    expect(hub.connectionCount).toBe(2);
    const closed = await dead.waitClosed(5000);
    expect(closed.code).toBe(1006); // terminated: no closing handshake
    expect(hub.connectionCount).toBe(1);
    await live.settle();
    expect(live.closed).toBeNull();
    live.close();
  });
});
