import { sql } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * Periodic clean-up of platform tables: expired idempotency keys (kept IDEMPOTENCY_TTL_SECONDS) are
 * deleted. Runs in the worker (or in-process with the inline relay); safe to run from several processes.
 */
export async function purgeExpiredIdempotencyKeys<DB>(db: Database<DB>, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await db.system((k) =>
      sql`DELETE FROM crm_core.crm_idempotency_keys
          WHERE (tenant_id, principal_id, key) IN (
            SELECT tenant_id, principal_id, key FROM crm_core.crm_idempotency_keys
            WHERE expires_at < now() LIMIT ${batch})`.execute(k),
    );
    const n = Number(r.numAffectedRows ?? 0);
    total += n;
    if (n < batch) return total;
  }
}

/**
 * PGlite has no autovacuum, and the planner ignores a GIN index whose statistics (refreshed by VACUUM)
 * still describe it as empty: without this, embedded deployments would never use the search index.
 * PostgreSQL's autovacuum does the same on its own.
 */
export async function vacuumAnalyze<DB>(db: Database<DB>): Promise<void> {
  if (db.engine !== 'pglite') return;
  await db.owner((k) => sql`VACUUM ANALYZE crm_core.crm_accounts`.execute(k));
}

export class Housekeeping<DB> {
  #timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly db: Database<DB>,
    private readonly everyMs = 10 * 60_000,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}
  start(): void {
    if (this.#timer) return;
    const run = () =>
      void purgeExpiredIdempotencyKeys(this.db)
        .then(() => vacuumAnalyze(this.db))
        .catch(this.onError);
    run();
    this.#timer = setInterval(run, this.everyMs);
    this.#timer.unref();
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
