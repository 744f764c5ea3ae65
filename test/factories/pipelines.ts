import { sql } from 'kysely';
import type { z } from 'zod';
import type { PipelineJson } from '../../src/server/modules/pipelines/pipeline.presenter.js';
import { createPipelineSchema } from '../../src/server/modules/pipelines/pipeline.schema.js';
import { createPipeline } from '../../src/server/modules/pipelines/pipeline.service.js';
import type { FieldDiff } from '../../src/server/platform/audit/audit.js';
import { jsonb } from '../../src/server/platform/db/sql.js';
import type { EventEnvelope } from '../../src/server/platform/events/outbox.js';
import { newId } from '../../src/server/platform/ids.js';
import type { TestMember, TestWorkspace } from '../factories.js';
import type { TestApp } from '../helpers.js';

/** A pipeline created through the service as `member` (an admin); default: a `custom` template. */
export async function pipelineFor(
  t: TestApp,
  member: TestMember,
  input: Partial<z.input<typeof createPipelineSchema>> = {},
): Promise<PipelineJson> {
  const parsed = createPipelineSchema.parse({ name: `Pipeline ${newId().slice(-12)}`, ...input });
  return createPipeline(t.platform, { actor: member.actor, requestId: 'factory' }, parsed);
}

export interface RawDeal {
  id: string;
  stage_id: string;
  status: 'open' | 'won' | 'lost' | 'cancelled';
  probability: number;
}

/**
 * A deal row written straight into the table (no deals service): what a pipeline test needs is a deal
 * sitting in a stage, with the status and close time that stage implies.
 */
export async function insertDealRow(
  t: TestApp,
  ws: TestWorkspace,
  pipelineId: string,
  stage: { id: string; outcome: string | null; default_probability: number },
  over: {
    probability?: number;
    probability_overridden?: boolean;
    lost_reason?: string | null;
    acl_mode?: 'default' | 'restricted';
    owner_id?: string | null;
    deleted?: boolean;
    stage_entered_at?: Date;
  } = {},
): Promise<RawDeal> {
  const id = newId();
  const status = (stage.outcome ?? 'open') as RawDeal['status'];
  const probability = over.probability ?? stage.default_probability;
  await t.platform.write({ actor: ws.admin.actor, requestId: 'factory' }, async (uow) => {
    await uow.trx
      .insertInto('crm_core.crm_deals')
      .values({
        tenant_id: ws.id,
        id,
        account_id: null,
        primary_contact_id: null,
        name: `Deal ${id.slice(-6)}`,
        description: null,
        amount_minor: 1_000_000,
        pipeline_id: pipelineId,
        stage_id: stage.id,
        probability,
        probability_overridden: over.probability_overridden ?? false,
        expected_close_date: null,
        status,
        lost_reason: over.lost_reason ?? (status === 'lost' ? 'Giá cao' : null),
        closed_at: status === 'open' ? null : new Date(),
        owner_id: over.owner_id === undefined ? ws.admin.userId : over.owner_id,
        acl_mode: over.acl_mode ?? 'default',
        lead_source: null,
        custom_fields: jsonb({}),
        stage_entered_at: over.stage_entered_at ?? new Date(Date.now() - 60_000),
        created_by: ws.admin.userId,
        updated_by: ws.admin.userId,
        deleted_at: over.deleted ? new Date() : null,
      })
      .execute();
  });
  return { id, stage_id: stage.id, status, probability };
}

export interface AuditEntryJson {
  seq: number;
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null; label: string };
  action: string;
  entity_type: string;
  entity_id: string;
  diff: FieldDiff;
}

/** The audit rows of one entity, oldest first (the endpoint lists newest first). */
export async function auditOf(ws: TestWorkspace, entityId: string): Promise<AuditEntryJson[]> {
  const res = await ws.admin.client.get<{ data: AuditEntryJson[] }>(
    `/crm/v1/audit?entity_id=${entityId}&limit=100`,
  );
  if (res.status !== 200) throw new Error(`audit: ${res.status} ${res.raw}`);
  return [...res.body.data].reverse();
}

export interface OutboxRow<T = Record<string, unknown>> {
  topic: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: EventEnvelope<T>;
}

/** The outbox rows of one aggregate, in write order. */
export async function outboxOf<T = Record<string, unknown>>(
  t: TestApp,
  workspaceId: string,
  aggregateId: string,
): Promise<Array<OutboxRow<T>>> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<OutboxRow<T>>`
      SELECT topic, aggregate_type, aggregate_id, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${aggregateId}
      ORDER BY created_at, id`.execute(k),
  );
  return r.rows;
}

/** Every audit and outbox row of a workspace (to prove a failed request wrote nothing). */
export async function writeCounts(
  t: TestApp,
  workspaceId: string,
): Promise<{ audit: number; outbox: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log WHERE tenant_id = ${workspaceId}) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox WHERE tenant_id = ${workspaceId}) AS outbox`.execute(
      k,
    ),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return { audit: Number(row.audit), outbox: Number(row.outbox) };
}
