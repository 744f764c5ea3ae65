import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { FastifyBaseLogger } from 'fastify';
import { type EventBus, type EventHandler, matchesPattern, type SubscribeOptions } from './bus.js';
import type { EventEnvelope } from './outbox.js';

/**
 * The event bus across server processes: NATS JetStream (DESIGN §3, ADR 0018).
 *
 * - One stream (NATS_STREAM, created or updated at start), limits retention with a max age; subject per
 *   event `<root>.<workspace>.<type>` where the root derives from the stream name (`CRM_EVENTS` →
 *   `crm.events`, so the stream holds `crm.events.>`; another stream name gets its own subjects and
 *   never overlaps it). The message id is the event id: JetStream drops a re-publish within the
 *   duplicate window (the relay publishes at least once).
 * - `publish` resolves on the JetStream ack: the relay marks the outbox row published only once the
 *   broker has it.
 * - Durable subscribers share one durable pull consumer per name across all processes: each event is
 *   handled once; a failure naks with exponential backoff and the broker redelivers (to any process),
 *   up to `maxDeliver` times.
 * - Non-durable subscribers get a per-process ordered consumer starting after the stream's last
 *   message: every process sees every event (the WebSocket fan-out).
 */

export interface NatsBusOptions {
  url: string;
  stream: string;
  /** Events older than this leave the stream. */
  maxAgeMs?: number;
  /** Re-publishes of one event id within this window are dropped by JetStream. */
  duplicateWindowMs?: number;
  /** A durable handler that has not finished within this is presumed dead: redelivered. */
  ackWaitMs?: number;
  /** Deliveries of one event to a durable handler before it is given up (logged as an error). */
  maxDeliver?: number;
  /** First redelivery delay after a durable handler failed; doubles per attempt, capped at a minute. */
  retryBaseMs?: number;
  /** The connection's name, as the NATS server's monitoring shows it. */
  name?: string;
  log?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>;
  onHandlerError?: (error: unknown, event: EventEnvelope) => void;
}

const EVENT_TYPE_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const CONSUMER_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** `CRM_EVENTS` → `crm.events`: the subjects of a stream are named after it. */
export function subjectRoot(stream: string): string {
  return stream
    .toLowerCase()
    .split(/[_-]+/)
    .filter((t) => t.length > 0)
    .join('.');
}

/** `deal.*` → `<root>.*.deal.>`; `*` → `<root>.>`; `deal.won` → `<root>.*.deal.won`. */
export function filterSubject(root: string, pattern: string): string {
  if (pattern === '*') return `${root}.>`;
  if (pattern.endsWith('.*')) return `${root}.*.${pattern.slice(0, -2)}.>`;
  return `${root}.*.${pattern}`;
}

/** The URL without credentials, for messages and logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

interface Subscription {
  ready: Promise<void>;
  messages: ConsumerMessages | null;
  stopped: boolean;
}

export class NatsJetStreamBus implements EventBus {
  readonly #subs = new Set<Subscription>();
  readonly root: string;
  readonly #opts: Required<Omit<NatsBusOptions, 'log' | 'onHandlerError' | 'name'>>;
  #closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsBusOptions,
  ) {
    this.root = subjectRoot(options.stream);
    this.#opts = {
      url: options.url,
      stream: options.stream,
      maxAgeMs: options.maxAgeMs ?? 7 * 24 * 3600_000,
      duplicateWindowMs: options.duplicateWindowMs ?? 2 * 60_000,
      ackWaitMs: options.ackWaitMs ?? 60_000,
      maxDeliver: options.maxDeliver ?? 25,
      retryBaseMs: options.retryBaseMs ?? 1000,
    };
  }

  /**
   * Connects and makes sure the stream exists with our settings. NATS_URL was asked for explicitly, so
   * an unreachable server (or one without JetStream) fails here, with a message naming NATS_URL,
   * instead of silently running a single-process bus. Later disconnects are the client's to retry.
   */
  static async connect(options: NatsBusOptions): Promise<NatsJetStreamBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.url,
        name: options.name ?? 'cyberos-crm',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        timeout: 5000,
      });
    } catch (err) {
      throw new Error(
        `NATS_URL is set (${redact(options.url)}) but NATS could not be reached: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      const jsm = await jetstreamManager(nc);
      const bus = new NatsJetStreamBus(nc, jetstream(nc), jsm, options);
      await bus.#ensureStream();
      bus.#watchStatus();
      return bus;
    } catch (err) {
      await nc.close().catch(() => {});
      throw new Error(
        `NATS_URL is set (${redact(options.url)}) but JetStream is not usable there: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async #ensureStream(): Promise<void> {
    const config = {
      subjects: [`${this.root}.>`],
      max_age: nanos(this.#opts.maxAgeMs),
      duplicate_window: nanos(this.#opts.duplicateWindowMs),
    };
    try {
      await this.jsm.streams.info(this.#opts.stream);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
      await this.jsm.streams.add({
        name: this.#opts.stream,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        ...config,
      });
      return;
    }
    await this.jsm.streams.update(this.#opts.stream, config);
  }

  #watchStatus(): void {
    const log = this.options.log;
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' || s.type === 'error')
          log?.warn({ nats: s.type }, 'NATS connection trouble');
        else if (s.type === 'reconnect') log?.info({ nats: s.type }, 'NATS reconnected');
      }
    })().catch(() => {});
  }

  subjectOf(event: EventEnvelope): string {
    if (!EVENT_TYPE_RE.test(event.type))
      throw new Error(`event type ${JSON.stringify(event.type)} is not a subject`);
    return `${this.root}.${event.workspace_id}.${event.type}`;
  }

  async publish(event: EventEnvelope): Promise<void> {
    await this.js.publish(this.subjectOf(event), JSON.stringify(event), { msgID: event.id });
  }

  subscribe(pattern: string, handler: EventHandler, options: SubscribeOptions = {}): () => void {
    const sub: Subscription = { ready: Promise.resolve(), messages: null, stopped: false };
    const subject = filterSubject(this.root, pattern);
    const start = async (): Promise<ConsumerMessages> => {
      if (options.durable) {
        const name = options.name;
        if (!name || !CONSUMER_NAME_RE.test(name)) {
          throw new Error('a durable subscription on NATS needs a stable name ([A-Za-z0-9_-]{1,64})');
        }
        await this.#ensureDurable(name, subject);
        return (await this.js.consumers.get(this.#opts.stream, name)).consume({ max_messages: 100 });
      }
      // Start after what the stream holds now: a process sees the events published from its start on.
      const info = await this.jsm.streams.info(this.#opts.stream);
      const consumer = await this.js.consumers.get(this.#opts.stream, {
        filter_subjects: subject,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: info.state.last_seq + 1,
        inactive_threshold: 60_000,
      });
      return consumer.consume({ max_messages: 256 });
    };
    sub.ready = start().then((messages) => {
      sub.messages = messages;
      if (sub.stopped) {
        void messages.close();
        return;
      }
      void this.#loop(sub, messages, pattern, handler, options.durable === true);
    });
    // The failure is reported through ready() (buildApp awaits it before serving).
    sub.ready.catch(() => {});
    this.#subs.add(sub);
    return () => {
      sub.stopped = true;
      this.#subs.delete(sub);
      void sub.messages?.close();
    };
  }

  /** Resolves once every subscription so far has its consumer (rejects with the first failure). */
  async ready(): Promise<void> {
    await Promise.all([...this.#subs].map((s) => s.ready));
  }

  async #ensureDurable(name: string, subject: string): Promise<void> {
    try {
      const existing = await this.jsm.consumers.info(this.#opts.stream, name);
      if (existing.config.filter_subject !== subject) {
        this.options.log?.warn(
          { consumer: name, has: existing.config.filter_subject, wants: subject },
          'durable NATS consumer exists with another filter; delete it to change it',
        );
      }
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    await this.jsm.consumers.add(this.#opts.stream, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      // A new consumer starts at new events: older ones were handled by whatever ran before it.
      deliver_policy: DeliverPolicy.New,
      filter_subject: subject,
      ack_wait: nanos(this.#opts.ackWaitMs),
      max_deliver: this.#opts.maxDeliver,
      max_ack_pending: 1000,
    });
  }

  async #loop(
    sub: Subscription,
    messages: ConsumerMessages,
    pattern: string,
    handler: EventHandler,
    durable: boolean,
  ): Promise<void> {
    try {
      for await (const msg of messages) {
        if (sub.stopped) break;
        await this.#deliver(msg, pattern, handler, durable);
      }
    } catch (err) {
      if (!this.#closed && !sub.stopped) this.options.log?.error({ err }, 'NATS consumer stopped');
    }
  }

  async #deliver(msg: JsMsg, pattern: string, handler: EventHandler, durable: boolean): Promise<void> {
    let event: EventEnvelope;
    try {
      event = msg.json<EventEnvelope>();
    } catch (err) {
      this.options.log?.error({ err, seq: msg.seq }, 'NATS message is not an event envelope; dropped');
      if (durable) msg.term('not an event envelope');
      return;
    }
    // The subject filter is coarser than the pattern for exotic types; the pattern decides.
    if (!matchesPattern(pattern, event.type)) {
      if (durable) msg.ack();
      return;
    }
    try {
      await handler(event);
      if (durable) msg.ack();
    } catch (error) {
      this.options.onHandlerError?.(error, event);
      if (!durable) return;
      const attempt = msg.info.deliveryCount;
      if (attempt >= this.#opts.maxDeliver) {
        this.options.log?.error(
          { err: error, eventId: event.id, attempts: attempt },
          'durable event handler failed for the last time; event given up',
        );
        msg.term('handler kept failing');
        return;
      }
      msg.nak(Math.min(60_000, this.#opts.retryBaseMs * 2 ** (attempt - 1)));
    }
  }

  /** Stops the consumers and drains the connection (in-flight publishes and acks complete). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subs) {
      sub.stopped = true;
      await sub.messages?.close();
    }
    this.#subs.clear();
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** For tests and operators: removes the stream (and its consumers). */
  async deleteStream(): Promise<void> {
    await this.jsm.streams.delete(this.#opts.stream);
  }
}
