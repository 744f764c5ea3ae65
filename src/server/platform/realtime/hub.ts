import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { decodeJwt } from 'jose';
import type { RawData, WebSocket } from 'ws';
import type { Actor } from '../auth/actor.js';
import { AppError } from '../errors.js';
import { CLOSE, type ClientMessage, clientMessageSchema, ROOM_RE, type ServerFrame } from './protocol.js';

/**
 * The WebSocket hub: connections, authentication by first message, rooms, replay logs, heartbeat and
 * back-pressure. Generic: it knows nothing of deals. A module defines a room kind (`pipeline`) with an
 * authorization check and a per-viewer presenter, and publishes items to rooms from its bus subscriber;
 * the hub fans them out to the members each presenter lets see them and keeps a bounded log per room so
 * a client that reconnects with `since` gets what it missed (or `resync` when the log cannot tell).
 *
 * Cursors are `<hub instance>.<sequence>`: one increasing sequence per process, shared by all rooms.
 * A cursor from another process (or before a restart) cannot be honoured and answers `resync`; ADR 0018
 * says why that is enough and what would replace it.
 */

export type TokenAuthenticator = (token: string) => Promise<Actor>;

export interface RoomKind<T> {
  /** The part of `kind:id` before the colon. */
  readonly kind: string;
  /**
   * May `actor` join room `kind:id`? Throw an AppError to refuse: a 404-like code for an id of another
   * workspace or none (never reveal which), 403 for a missing permission.
   */
  authorize(actor: Actor, id: string): Promise<void>;
  /**
   * What this viewer receives for `item`: the `event` member of the frame, or null when it is not for
   * them. Return the same object for viewers who get the same thing: its JSON is computed once.
   */
  present(actor: Actor, item: T): unknown;
}

export interface RoomPublisher<T> {
  /** Sends `item` to the rooms `kind:<id>` of this workspace (one cursor for all of them) and logs it. */
  publish(workspaceId: string, ids: readonly string[], item: T): void;
}

export interface HubOptions {
  authenticate: TokenAuthenticator;
  /** Close with 4401 when no valid `auth` arrived within this time. */
  authTimeoutMs?: number;
  /** Protocol pings at this interval; a socket that did not answer the previous one is dropped. */
  heartbeatMs?: number;
  /** Bytes queued on a socket beyond which it is a slow consumer (closed with 4408; it resumes). */
  maxBufferedBytes?: number;
  maxRoomsPerConnection?: number;
  maxConnections?: number;
  /** Frames a client may send per second before it is closed with 4429. */
  maxMessagesPerSecond?: number;
  /** Per room, the replay log keeps at most this many items ... */
  logSize?: number;
  /** ... no older than this. */
  logMaxAgeMs?: number;
  /** Rooms whose logs are kept (least recently published dropped first). */
  maxRoomLogs?: number;
  /**
   * Every authenticated socket's credential is checked again at this interval (the same check as a
   * request's), so a logout, a revoked session or API key, or a removed member closes its sockets
   * within this time instead of when the token would have expired.
   */
  recheckMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn' | 'error' | 'debug'>;
}

interface LogEntry {
  seq: number;
  at: number;
  item: unknown;
}

interface RoomLog {
  entries: LogEntry[];
  /** Every item of the room with a sequence above this is in `entries`. */
  floor: number;
}

interface Room {
  kind: RoomKind<unknown>;
  members: Set<Connection>;
}

const DEFAULTS = {
  authTimeoutMs: 5000,
  heartbeatMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxRoomsPerConnection: 20,
  maxConnections: 10_000,
  maxMessagesPerSecond: 50,
  logSize: 500,
  logMaxAgeMs: 10 * 60_000,
  maxRoomLogs: 10_000,
  recheckMs: 60_000,
};

/** Close reasons are limited to 123 bytes by the protocol. */
const reason = (text: string) => Buffer.from(text).subarray(0, 123).toString();

class Connection {
  actor: Actor | null = null;
  readonly rooms = new Set<string>();
  alive = true;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  #authTimer: NodeJS.Timeout | null;
  #expiryTimer: NodeJS.Timeout | null = null;
  /** The credential the socket authenticated with, checked again periodically (recheck()). */
  #token: string | null = null;
  get credential(): string | null {
    return this.#token;
  }
  #windowStart = Date.now();
  #windowCount = 0;

  constructor(
    private readonly hub: RealtimeHub,
    readonly ws: WebSocket,
    private readonly opts: Required<Omit<HubOptions, 'log'>>,
  ) {
    this.#authTimer = setTimeout(
      () => this.close(CLOSE.unauthenticated, 'unauthenticated: send {"type":"auth","token":…} first'),
      opts.authTimeoutMs,
    );
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.#cleanup());
    ws.on('error', () => this.#cleanup());
  }

  /** Queues a frame unless the client is too slow to read what it was already sent. */
  sendRaw(data: string): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount + data.length > this.opts.maxBufferedBytes) {
      this.close(CLOSE.slowConsumer, 'slow consumer: send buffer full; reconnect and resume');
      return false;
    }
    this.ws.send(data);
    return true;
  }

  send(frame: ServerFrame): boolean {
    return this.sendRaw(JSON.stringify(frame));
  }

  error(code: AppError['code'], message: string, room?: string): void {
    this.send({ type: 'error', code, message, ...(room ? { room } : {}) });
  }

  close(code: number, why: string): void {
    if (this.closed) return;
    this.#cleanup();
    try {
      this.ws.close(code, reason(why));
    } catch {
      this.ws.terminate();
      return;
    }
    // A peer that never completes the closing handshake (or whose buffer is full) is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Drops a dead peer at once (no closing handshake to wait for). */
  terminate(): void {
    this.#cleanup();
    this.ws.terminate();
  }

  #cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#authTimer) clearTimeout(this.#authTimer);
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.hub.forget(this);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    const now = Date.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    if (++this.#windowCount > this.opts.maxMessagesPerSecond) {
      this.close(CLOSE.tooManyMessages, 'too many messages');
      return;
    }
    // One message at a time, in order: a subscribe awaiting its check must not be overtaken by the
    // unsubscribe the client sent after it.
    this.#queue = this.#queue
      .then(() => this.#handle(data, isBinary))
      .catch((err: unknown) => {
        this.hub.log?.error({ err }, 'websocket message handling failed');
        this.error('internal_error', 'The message could not be handled');
      });
  }

  async #handle(data: RawData, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    if (isBinary) return this.error('bad_request', 'Send JSON text frames');
    let json: unknown;
    try {
      json = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString() : data.toString());
    } catch {
      return this.error('malformed_body', 'The frame is not valid JSON');
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      if (!this.actor)
        return this.close(CLOSE.unauthenticated, 'unauthenticated: first message must be auth');
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return this.error('validation_failed', `${where}${issue?.message ?? 'invalid message'}`);
    }
    const msg: ClientMessage = parsed.data;
    if (msg.type === 'auth') return this.#auth(msg.token);
    if (!this.actor) return this.close(CLOSE.unauthenticated, 'unauthenticated: first message must be auth');
    switch (msg.type) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'subscribe':
        return this.hub.subscribe(this, this.actor, msg.room, msg.since);
      case 'unsubscribe':
        this.hub.unsubscribe(this, msg.room);
        return;
    }
  }

  async #auth(token: string): Promise<void> {
    let actor: Actor;
    try {
      actor = await this.hub.authenticate(token);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      // A refresh that failed on an authenticated socket leaves it as it was (its token still runs).
      if (this.actor) return this.error(e.code, e.message);
      return this.close(CLOSE.unauthenticated, `${e.code}: ${e.message}`);
    }
    if (this.closed) return;
    if (this.actor && (this.actor.workspaceId !== actor.workspaceId || this.actor.id !== actor.id)) {
      return this.error('forbidden', 'A socket keeps its member and workspace; open another one');
    }
    this.actor = actor;
    this.#token = token;
    if (this.#authTimer) clearTimeout(this.#authTimer);
    this.#authTimer = null;
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = null;
    const expiresAt = tokenExpiry(token);
    if (expiresAt !== null) {
      // Until the token expires; a client keeps the socket by sending `auth` with a refreshed token.
      const ms = Math.max(0, expiresAt - Date.now());
      this.#expiryTimer = setTimeout(
        () => this.close(CLOSE.unauthenticated, 'token_expired: refresh the token and reconnect'),
        Math.min(ms, 2 ** 31 - 1),
      );
      this.#expiryTimer.unref();
    }
    this.send({ type: 'ready', workspaceId: actor.workspaceId, userId: actor.userId });
  }
}

/** Closes the socket when its credential no longer authenticates (logout, revocation, removal). */
async function recheck(conn: Connection, token: string, authenticate: TokenAuthenticator): Promise<void> {
  try {
    await authenticate(token);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    conn.close(CLOSE.unauthenticated, `${e.code}: the session ended; sign in again`);
  }
}

/** `exp` of a JWT (ms), or null for an API key (valid until revoked or expired: checked at auth). */
function tokenExpiry(token: string): number | null {
  if (!token.includes('.')) return null;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

export class RealtimeHub {
  readonly instanceId = randomBytes(6).toString('base64url');
  readonly log: HubOptions['log'];
  readonly #opts: Required<Omit<HubOptions, 'log'>>;
  readonly #kinds = new Map<string, RoomKind<unknown>>();
  readonly #connections = new Set<Connection>();
  /** Room key (`<workspace>/<room>`) → its members. */
  readonly #rooms = new Map<string, Room>();
  /** Room key → replay log; Map order is least recently published first. */
  readonly #logs = new Map<string, RoomLog>();
  #seq = 0;
  /** Floor for a log created now: raised when a log is dropped (its room's items are forgotten). */
  #newLogFloor = 0;
  #heartbeat: NodeJS.Timeout;
  #recheck: NodeJS.Timeout;
  #closing = false;

  constructor(options: HubOptions) {
    const { log, ...rest } = options;
    this.log = log;
    this.#opts = { ...DEFAULTS, ...rest };
    this.#heartbeat = setInterval(() => this.#beat(), this.#opts.heartbeatMs);
    this.#heartbeat.unref();
    this.#recheck = setInterval(() => this.#recheckAll(), this.#opts.recheckMs);
    this.#recheck.unref();
  }

  #recheckAll(): void {
    for (const conn of this.#connections) {
      const token = conn.credential;
      if (!token || conn.closed) continue;
      recheck(conn, token, this.#opts.authenticate).catch((err: unknown) =>
        this.log?.warn({ err }, 'websocket credential re-check failed'),
      );
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  authenticate(token: string): Promise<Actor> {
    return this.#opts.authenticate(token);
  }

  /** Takes over a freshly upgraded socket. */
  accept(ws: WebSocket): void {
    if (this.#closing) {
      ws.close(CLOSE.goingAway, 'server shutting down');
      return;
    }
    if (this.#connections.size >= this.#opts.maxConnections) {
      ws.close(1013, 'too many connections; try again later');
      return;
    }
    this.#connections.add(new Connection(this, ws, this.#opts));
  }

  defineRoom<T>(kind: RoomKind<T>): RoomPublisher<T> {
    if (this.#kinds.has(kind.kind)) throw new Error(`room kind ${kind.kind} defined twice`);
    this.#kinds.set(kind.kind, kind as RoomKind<unknown>);
    return {
      publish: (workspaceId, ids, item) => this.#publish(kind as RoomKind<unknown>, workspaceId, ids, item),
    };
  }

  /** Called by a connection: checks, replays what the client missed (or asks it to resync), joins. */
  async subscribe(conn: Connection, actor: Actor, room: string, since: string | undefined): Promise<void> {
    const m = ROOM_RE.exec(room);
    const kind = m?.[1] ? this.#kinds.get(m[1]) : undefined;
    if (!m?.[2] || !kind) return conn.error('not_found', `No such room: ${room}`, room);
    if (!conn.rooms.has(room) && conn.rooms.size >= this.#opts.maxRoomsPerConnection) {
      return conn.error(
        'rate_limited',
        `At most ${this.#opts.maxRoomsPerConnection} rooms per connection; unsubscribe from one first`,
        room,
      );
    }
    try {
      await kind.authorize(actor, m[2]);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return conn.error(e.code, e.message, room);
    }
    if (conn.closed) return;
    // From here on synchronous: no published item can fall between the replay and joining the room.
    const key = `${actor.workspaceId}/${room}`;
    if (since !== undefined) {
      const missed = this.#missedSince(key, since);
      if (missed === null) {
        conn.send({ type: 'resync', room });
      } else {
        for (const entry of missed) {
          const event = kind.present(actor, entry.item);
          if (event === null || event === undefined) continue;
          conn.send({ type: 'event', room, cursor: this.#cursor(entry.seq), event });
        }
      }
    }
    let r = this.#rooms.get(key);
    if (!r) {
      r = { kind, members: new Set() };
      this.#rooms.set(key, r);
    }
    r.members.add(conn);
    conn.rooms.add(room);
    conn.send({ type: 'subscribed', room, cursor: this.#cursor(this.#seq) });
  }

  unsubscribe(conn: Connection, room: string): void {
    if (!conn.rooms.delete(room) || !conn.actor) return;
    this.#leave(conn, `${conn.actor.workspaceId}/${room}`);
  }

  /** A closed connection leaves everything. */
  forget(conn: Connection): void {
    this.#connections.delete(conn);
    if (conn.actor) for (const room of conn.rooms) this.#leave(conn, `${conn.actor.workspaceId}/${room}`);
    conn.rooms.clear();
  }

  /** Closes every socket (1001: clients reconnect elsewhere and resume) and stops the heartbeat. */
  close(): void {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#recheck);
    for (const conn of [...this.#connections]) conn.close(CLOSE.goingAway, 'server shutting down');
  }

  #leave(conn: Connection, key: string): void {
    const r = this.#rooms.get(key);
    if (!r) return;
    r.members.delete(conn);
    if (r.members.size === 0) this.#rooms.delete(key);
  }

  #cursor(seq: number): string {
    return `${this.instanceId}.${seq}`;
  }

  #publish(kind: RoomKind<unknown>, workspaceId: string, ids: readonly string[], item: unknown): void {
    const seq = ++this.#seq;
    const at = Date.now();
    const cursor = this.#cursor(seq);
    for (const id of new Set(ids)) {
      const room = `${kind.kind}:${id}`;
      const key = `${workspaceId}/${room}`;
      this.#append(key, { seq, at, item });
      const r = this.#rooms.get(key);
      if (!r) continue;
      // Viewers who get the same event object share one serialization.
      const frames = new Map<unknown, string>();
      for (const conn of r.members) {
        if (!conn.actor) continue;
        const event = kind.present(conn.actor, item);
        if (event === null || event === undefined) continue;
        let frame = frames.get(event);
        if (frame === undefined) {
          frame = JSON.stringify({ type: 'event', room, cursor, event } satisfies ServerFrame);
          frames.set(event, frame);
        }
        conn.sendRaw(frame);
      }
    }
  }

  #append(key: string, entry: LogEntry): void {
    let log = this.#logs.get(key);
    if (log) {
      this.#logs.delete(key); // re-inserted below: most recently published last
    } else {
      log = { entries: [], floor: this.#newLogFloor };
    }
    this.#logs.set(key, log);
    log.entries.push(entry);
    this.#trim(log, entry.at);
    while (this.#logs.size > this.#opts.maxRoomLogs) {
      const [oldestKey, oldest] = this.#logs.entries().next().value as [string, RoomLog];
      this.#logs.delete(oldestKey);
      const last = oldest.entries.at(-1)?.seq ?? oldest.floor;
      this.#newLogFloor = Math.max(this.#newLogFloor, last);
    }
  }

  #trim(log: RoomLog, now: number): void {
    while (
      log.entries.length > this.#opts.logSize ||
      (log.entries.length > 0 && (log.entries[0]?.at ?? now) < now - this.#opts.logMaxAgeMs)
    ) {
      const dropped = log.entries.shift();
      if (dropped) log.floor = dropped.seq;
    }
  }

  /** The items after `since` in this room, or null when that is not known (then the client resyncs). */
  #missedSince(key: string, since: string): LogEntry[] | null {
    const dot = since.lastIndexOf('.');
    if (dot < 0 || since.slice(0, dot) !== this.instanceId) return null;
    const tail = since.slice(dot + 1);
    if (!/^\d{1,15}$/.test(tail)) return null;
    const seq = Number(tail);
    if (seq > this.#seq) return null;
    const log = this.#logs.get(key);
    if (!log) return seq >= this.#newLogFloor ? [] : null;
    this.#trim(log, Date.now());
    if (seq < log.floor) return null;
    return log.entries.filter((e) => e.seq > seq);
  }

  #beat(): void {
    for (const conn of this.#connections) {
      if (!conn.alive) {
        this.log?.debug('websocket dropped: no pong');
        conn.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        // The close handler cleans up.
      }
    }
  }
}

export type { Connection };
