import { type RawBuilder, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { jsonb } from '../db/sql.js';
import { newId } from '../ids.js';

/**
 * Domain events travel in this envelope: written to the outbox in the transaction that made the change,
 * published at least once by the relay. Consumers deduplicate by `id`.
 */
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  workspace_id: string;
  occurred_at: string;
  aggregate: { type: string; id: string };
  actor: { type: Actor['type']; id: string };
  request_id: string | null;
  data: T;
}

export interface DomainEvent<T = unknown> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  data: T;
}

/** The envelopes of events about to be written (ids and time fixed here). */
export function envelopesOf(
  actor: Actor,
  requestId: string | null,
  events: readonly DomainEvent[],
): EventEnvelope[] {
  const occurredAt = new Date().toISOString();
  return events.map(
    (e): EventEnvelope => ({
      id: newId(),
      type: e.type,
      workspace_id: actor.workspaceId,
      occurred_at: occurredAt,
      aggregate: { type: e.aggregateType, id: e.aggregateId },
      actor: { type: actor.type, id: actor.id },
      request_id: requestId,
      data: e.data,
    }),
  );
}

/**
 * The INSERT of envelopes into the outbox, not yet run: the unit of work folds it into the audit append's
 * statement (one round trip fewer per write), or runs it alone.
 */
export function outboxInsert(envelopes: readonly EventEnvelope[]): RawBuilder<unknown> {
  const values = sql.join(
    envelopes.map(
      (env) =>
        sql`(${env.workspace_id}, ${env.id}, ${env.type}, ${env.aggregate.type}, ${env.aggregate.id},
             ${jsonb(env)}, ${env.request_id})`,
    ),
  );
  return sql`
    INSERT INTO crm_core.crm_outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id)
    VALUES ${values}`;
}
