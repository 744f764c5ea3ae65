import { type Kysely, type OperationNodeSource, sql, type Transaction } from 'kysely';
import { type AuditEntry, appendAudit, auditCtes } from './audit/audit.js';
import type { Actor } from './auth/actor.js';
import type { Database } from './db/database.js';
import { sqlState } from './db/errors.js';
import { type DomainEvent, type EventEnvelope, envelopesOf, outboxInsert } from './events/outbox.js';

/**
 * What a use case gets when it writes: the transaction, and two collectors. Audit entries and events are
 * written by the platform at the end of the same transaction (DESIGN rule 7), so a use case cannot
 * commit a change without its audit row and events, and cannot emit an event for a change that rolled
 * back.
 */
export interface UnitOfWork<DB> {
  trx: Transaction<DB>;
  actor: Actor;
  requestId: string | null;
  audit(entry: AuditEntry): void;
  emit(event: DomainEvent): void;
}

export interface RequestContext {
  actor: Actor;
  requestId: string | null;
}

/**
 * Told after a commit that wrote events, with their envelopes (the rows are committed by then): the
 * outbox relay's fast path publishes them without waiting for a poll (`OutboxRelay.committed`).
 */
export type CommitListener = (committed: readonly EventEnvelope[]) => void;

/**
 * Runs fn in one transaction of the actor's workspace; then writes the collected events and audit
 * entries (audit last: it locks the workspace's chain head until commit) before committing.
 */
export async function writeTransaction<DB, T>(
  db: Database<DB>,
  ctx: RequestContext,
  fn: (uow: UnitOfWork<DB>) => Promise<T>,
  onCommitWithEvents?: CommitListener,
): Promise<T> {
  let emitted: EventEnvelope[] = [];
  const result = await db.transaction(ctx.actor.workspaceId, async (trx) => {
    const audits: AuditEntry[] = [];
    const events: DomainEvent[] = [];
    const value = await fn({
      trx,
      actor: ctx.actor,
      requestId: ctx.requestId,
      audit: (e) => audits.push(e),
      emit: (e) => events.push(e),
    });
    // Events and audit entries are written last (audit very last: it locks the workspace's chain head
    // until commit), the outbox insert folded into the audit statement.
    const envelopes = envelopesOf(ctx.actor, ctx.requestId, events);
    await appendAudit(trx, ctx.actor, ctx.requestId, audits, {
      ...(envelopes.length > 0 ? { alongside: outboxInsert(envelopes) } : {}),
    });
    emitted = envelopes;
    return value;
  });
  if (emitted.length > 0) onCommitWithEvents?.(emitted);
  return result;
}

/** The SQLSTATE `crm_core.write_applied` raises when a one-statement write's change matched no row. */
const NOT_APPLIED = 'CR409';

export interface OneStatementWrite {
  /** The change: a data-modifying statement that returns a row when it applies (UPDATE … RETURNING). */
  change: OperationNodeSource;
  /** Rows written with it (history, timeline), as data-modifying statements; undone if it does not apply. */
  alongside?: readonly OperationNodeSource[];
  audits: readonly AuditEntry[];
  events: readonly DomainEvent[];
}

/**
 * A write that is ONE statement, run without BEGIN/COMMIT (a statement is atomic): the change, the rows
 * written with it, the outbox events and the audit rows, as data-modifying CTEs. Two round trips fewer
 * than a transaction, and the workspace's chain head is held only while the statement commits. For a
 * use case that could decide everything from what it read before (an optimistic change guarded by the
 * record's version): when the change matches no row (the record changed meanwhile), the statement raises
 * and nothing of it stays; the answer is then false. The audit head is taken only after the change ran
 * (gated on it), so concurrent writes of one record lock the record first, then the head: no deadlock.
 * Same guarantees as `writeTransaction` (DESIGN rule 7): no change without its audit rows and events.
 */
export async function writeOneStatement<DB>(
  db: Database<DB>,
  ctx: RequestContext,
  build: (k: Kysely<DB>) => OneStatementWrite,
  onCommitWithEvents?: CommitListener,
): Promise<boolean> {
  const envelopes = await db.read(ctx.actor.workspaceId, async (k) => {
    const w = build(k);
    const envelopes = envelopesOf(ctx.actor, ctx.requestId, w.events);
    const ctes = [
      sql`change AS (${w.change})`,
      ...(w.alongside ?? []).map((st, i) => sql`${sql.raw(`side${i}`)} AS (${st})`),
      ...(envelopes.length > 0 ? [sql`outbox AS (${outboxInsert(envelopes)})`] : []),
      ...(w.audits.length > 0 ? [auditCtes(ctx.actor, ctx.requestId, w.audits, 'change')] : []),
    ];
    try {
      await sql`WITH ${sql.join(ctes)}
        SELECT crm_core.write_applied((SELECT count(*) FROM change)) AS applied`.execute(k);
    } catch (error) {
      if (sqlState(error) === NOT_APPLIED) return null;
      throw error;
    }
    return envelopes;
  });
  if (envelopes === null) return false;
  if (envelopes.length > 0) onCommitWithEvents?.(envelopes);
  return true;
}
