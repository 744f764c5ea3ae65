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
 *
 * Fast path (started relays only): the unit of work hands over the envelopes it has just committed
 * (`committed()`), and the relay claims exactly those rows by key in one autocommit statement (same
 * guard as a poll: pending, due, lease free; `SKIP LOCKED`, so it never waits for another claimer),
 * publishes what it got in id order and marks it, like a poll pass. That saves the poll pass's
 * transaction (BEGIN, claim, COMMIT) and its timer hop between a commit and the publish. Rows it could
 * not claim belong to whoever claimed them; everything else (crash recovery, other processes' rows,
 * retries after a failure) stays with the poller. See docs/decisions/0008-outbox-relay.md.
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

/** Keys per fast-path claim statement (commits that pile up while one runs share the next). */
const FAST_PATH_MAX_KEYS = 500;
/**
 * Envelopes waiting for the fast path beyond this are left to the poller (they are committed rows):
 * memory stays bounded when the database is slower than the writers.
 */
const FAST_PATH_MAX_QUEUED = 10_000;

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
  #started = false;
  /** Committed in this process, not yet taken by the fast path (in commit order). */
  #fastQueue: EventEnvelope[] = [];
  #fastRun: Promise<void> | null = null;
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
    const n = await this.#publishClaimed(claimed);
    await this.#maybeCleanup();
    return n;
  }

  /**
   * The fast path's entry: rows this process has just committed (the unit of work's envelopes). Returns
   * at once; publishing happens in the background, one claim at a time, in the order commits reported.
   * Does nothing unless the relay is started (then the poller or another process publishes them).
   */
  committed(envelopes: readonly EventEnvelope[]): void {
    if (!this.#started || envelopes.length === 0) return;
    if (this.#fastQueue.length + envelopes.length > FAST_PATH_MAX_QUEUED) {
      this.#poller.wake();
      return;
    }
    this.#fastQueue.push(...envelopes);
    this.#kickFastPath();
  }

  #kickFastPath(): void {
    if (this.#fastRun || !this.#started || this.#fastQueue.length === 0) return;
    // When a run ends (it catches its own errors), anything queued meanwhile gets a new run.
    const ended = () => {
      this.#fastRun = null;
      this.#kickFastPath();
    };
    this.#fastRun = this.#fastPath().then(ended, ended);
  }

  async #fastPath(): Promise<void> {
    while (this.#started && this.#fastQueue.length > 0) {
      const batch = this.#fastQueue.splice(0, FAST_PATH_MAX_KEYS);
      try {
        await this.#publishClaimed(await this.#claimCommitted(batch));
      } catch (error) {
        // The rows are committed: whatever this pass did not publish is the poller's (lease or not).
        this.#log?.error({ err: error }, 'outbox relay fast path failed');
        this.#poller.wake();
      }
    }
  }

  /**
   * Claims exactly the given rows, if still claimable: one autocommit statement (no BEGIN/COMMIT round
   * trips). The guard is the poll pass's (pending, due, lease free), so a row another relay holds, one
   * already published or marked dead is not returned; `SKIP LOCKED` skips rows in another claimer's open
   * transaction instead of waiting for it (it then holds them).
   */
  async #claimCommitted(batch: readonly EventEnvelope[]): Promise<ClaimedRow[]> {
    const keys = sql.join(batch.map((e) => sql`(${e.workspace_id}::uuid, ${e.id}::uuid)`));
    const r = await this.db.system((k) =>
      sql<ClaimedRow>`
        UPDATE crm_core.crm_outbox o
        SET attempts = o.attempts + 1, locked_until = now() + make_interval(secs => ${this.#opts.leaseSeconds})
        FROM (
          SELECT tenant_id, id FROM crm_core.crm_outbox
          WHERE (tenant_id, id) IN (VALUES ${keys})
            AND status = 'pending' AND available_at <= now() AND (locked_until IS NULL OR locked_until < now())
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE o.tenant_id = c.tenant_id AND o.id = c.id
        RETURNING o.tenant_id, o.id, o.attempts, o.payload`.execute(k),
    );
    return r.rows;
  }

  /** Publishes claimed rows in id order, marks the published ones, backs off the failed ones. */
  async #publishClaimed(claimed: ClaimedRow[]): Promise<number> {
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
    // A fast-path pass in flight holds leases a poll pass would skip: let it finish first.
    while (this.#fastRun) await this.#fastRun;
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n < this.#opts.batchSize) return total;
    }
  }

  start(): void {
    this.#started = true;
    this.#poller.start();
  }

  /** Asks for an immediate poll pass. */
  wake(): void {
    this.#poller.wake();
  }

  /** Stops polling and the fast path, after the passes in flight; queued envelopes stay for the poller. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#fastQueue = [];
    await this.#poller.stop();
    while (this.#fastRun) await this.#fastRun;
  }
}
