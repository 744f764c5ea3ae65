import { type QueryExecutorProvider, sql } from 'kysely';
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

/** Writes events to the outbox. Must run inside the transaction that made the change. */
export async function enqueueEvents(
  trx: QueryExecutorProvider,
  actor: Actor,
  requestId: string | null,
  events: readonly DomainEvent[],
): Promise<EventEnvelope[]> {
  if (events.length === 0) return [];
  const occurredAt = new Date().toISOString();
  const envelopes = events.map(
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
  const values = sql.join(
    envelopes.map(
      (env) =>
        sql`(${env.workspace_id}, ${env.id}, ${env.type}, ${env.aggregate.type}, ${env.aggregate.id},
             ${jsonb(env)}, ${requestId})`,
    ),
  );
  await sql`
    INSERT INTO crm_core.crm_outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload, request_id)
    VALUES ${values}`.execute(trx);
  return envelopes;
}
