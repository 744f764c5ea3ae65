import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../db/database.js';
import { Poller } from '../jobs/poller.js';
import type { EventBus } from './bus.js';
import type { EventEnvelope } from './outbox.js';

/**
 * Moves committed outbox rows to the event bus, at least once.
 *
 * Claiming: `FOR UPDATE SKIP LOCKED` over pending rows whose lease is free, in a short transaction that
 * stamps a lease (`locked_until`) and commits before publishing. Several relays (processes) can run at
 * once without double-claiming; a relay killed after claiming leaves a lease that simply expires, and
 * the rows are claimed again. A relay killed after publishing but before marking re-publishes: that is
 * the "at least once" (consumers deduplicate by event id). Never "last id seen" polling, which skips
 * rows that commit out of order (DESIGN §10).
 */

export interface RelayOptions {
  batchSize?: number;
  pollMs?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
  /** Published rows older than this are deleted. */
  retainPublishedHours?: number;
  log?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'debug'>;
}

interface ClaimedRow {
  tenant_id: string;
  id: string;
  attempts: number;
  payload: EventEnvelope;
}

export class OutboxRelay<DB> {
  readonly #opts: Required<Omit<RelayOptions, 'log'>>;
  readonly #log: RelayOptions['log'];
  readonly #poller: Poller;
  #lastCleanup = 0;
  published = 0;

  constructor(
    private readonly db: Database<DB>,
    private readonly bus: EventBus,
    options: RelayOptions = {},
  ) {
    this.#opts = {
      batchSize: options.batchSize ?? 100,
      pollMs: options.pollMs ?? 250,
      leaseSeconds: options.leaseSeconds ?? 30,
      maxAttempts: options.maxAttempts ?? 25,
      retainPublishedHours: options.retainPublishedHours ?? 24 * 7,
    };
    this.#log = options.log;
    this.#poller = new Poller(() => this.runOnce(), {
      pollMs: this.#opts.pollMs,
      batchSize: this.#opts.batchSize,
      onError: (err) => this.#log?.error({ err }, 'outbox relay pass failed'),
    });
  }

  /** Claims one batch, publishes it, marks the outcome. Returns how many were published. */
  async runOnce(): Promise<number> {
    const claimed = await this.db.systemTransaction(async (trx) => {
      const r = await sql<ClaimedRow>`
        UPDATE crm_core.crm_outbox o
        SET attempts = o.attempts + 1, locked_until = now() + make_interval(secs => ${this.#opts.leaseSeconds})
        FROM (
          SELECT tenant_id, id FROM crm_core.crm_outbox
          WHERE status = 'pending' AND available_at <= now() AND (locked_until IS NULL OR locked_until < now())
          ORDER BY available_at, created_at, id
          LIMIT ${this.#opts.batchSize}
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE o.tenant_id = c.tenant_id AND o.id = c.id
        RETURNING o.tenant_id, o.id, o.attempts, o.payload`.execute(trx);
      return r.rows;
    });
    if (claimed.length === 0) return 0;
    // RETURNING has no order; UUIDv7 ids are time-ordered, so this publishes in creation order per batch.
    claimed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    const done: ClaimedRow[] = [];
    for (const row of claimed) {
      try {
        await this.bus.publish(row.payload);
        done.push(row);
      } catch (error) {
        await this.#fail(row, error);
      }
    }
    if (done.length > 0) {
      const keys = sql.join(done.map((r) => sql`(${r.tenant_id}::uuid, ${r.id}::uuid)`));
      await this.db.system((k) =>
        sql`UPDATE crm_core.crm_outbox SET status = 'published', published_at = now(), locked_until = NULL,
              last_error = NULL
            WHERE (tenant_id, id) IN (VALUES ${keys})`.execute(k),
      );
      this.published += done.length;
    }
    await this.#maybeCleanup();
    return done.length;
  }

  async #fail(row: ClaimedRow, error: unknown): Promise<void> {
    const dead = row.attempts >= this.#opts.maxAttempts;
    // Exponential backoff with jitter, capped at an hour.
    const delay = Math.min(3600, 2 ** Math.min(row.attempts, 12)) * (0.75 + Math.random() * 0.5);
    this.#log?.warn({ err: error, eventId: row.id, attempts: row.attempts, dead }, 'outbox publish failed');
    await this.db.system((k) =>
      sql`UPDATE crm_core.crm_outbox
          SET status = ${dead ? 'dead' : 'pending'}, locked_until = NULL,
              available_at = now() + make_interval(secs => ${delay}), last_error = ${String(error).slice(0, 1000)}
          WHERE tenant_id = ${row.tenant_id} AND id = ${row.id}
            -- Only while the claim is still ours: a publish that outlived its lease may have been reclaimed
            -- (each claim bumps attempts) and published by another relay; without this guard the stale
            -- failure turned a published row back into pending (re-published later) or dead.
            AND status = 'pending' AND attempts = ${row.attempts}`.execute(k),
    );
  }

  async #maybeCleanup(): Promise<void> {
    if (Date.now() - this.#lastCleanup < 10 * 60_000) return;
    this.#lastCleanup = Date.now();
    await this.db.system((k) =>
      sql`DELETE FROM crm_core.crm_outbox WHERE status = 'published'
          AND published_at < now() - make_interval(hours => ${this.#opts.retainPublishedHours})`.execute(k),
    );
  }

  /** Publishes until the outbox has nothing ready (used by tests and the worker's drain on shutdown). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n < this.#opts.batchSize) return total;
    }
  }

  start(): void {
    this.#poller.start();
  }

  /** Asks for an immediate pass (called after a local commit that wrote events: low latency). */
  wake(): void {
    this.#poller.wake();
  }

  async stop(): Promise<void> {
    await this.#poller.stop();
  }
}
