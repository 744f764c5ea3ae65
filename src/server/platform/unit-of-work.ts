import type { Transaction } from 'kysely';
import { type AuditEntry, appendAudit } from './audit/audit.js';
import type { Actor } from './auth/actor.js';
import type { Database } from './db/database.js';
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
