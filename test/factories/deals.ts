import { sql } from 'kysely';
import { expect } from 'vitest';
import type { DealJson } from '../../src/server/modules/deals/deal.presenter.js';
import { type CreateDealInput, createDealSchema } from '../../src/server/modules/deals/deal.schema.js';
import { createDeal } from '../../src/server/modules/deals/deal.service.js';
import type { FieldDiff } from '../../src/server/platform/audit/audit.js';
import { newId } from '../../src/server/platform/ids.js';
import type { TestMember, TestWorkspace } from '../factories.js';
import type { TestApp } from '../helpers.js';

/**
 * A deal created through the service as `member` (so audit, outbox, stage history and the timeline are
 * written as in production). Defaults: the workspace's default pipeline and its first open stage, the
 * member as owner, VND (the base currency). `overrides` takes the POST /deals body fields.
 */
export async function dealFor(
  t: TestApp,
  member: TestMember,
  overrides: Partial<CreateDealInput> = {},
): Promise<DealJson> {
  const input = createDealSchema.parse({ name: `Deal ${newId().slice(-12)}`, ...overrides });
  return createDeal(t.platform, { actor: member.actor, requestId: 'factory' }, input);
}

/** Helpers shared by the deals test files (direct reads of the rows a write must leave behind). */

export const BASE = '/crm/v1/deals';
export const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

export interface AuditEntryJson {
  action: string;
  entity_id: string;
  diff: FieldDiff;
  actor: { type: string; id: string | null };
}

export interface OutboxRow {
  topic: string;
  aggregate_id: string;
  payload: { data: { deal: Record<string, unknown>; change?: Record<string, unknown>; changes?: FieldDiff } };
}

/**
 * A contact inserted directly (the contacts module is built alongside; its factory may not exist yet).
 */
export async function contactFor(
  t: TestApp,
  ws: TestWorkspace | string,
  opts: { name?: string; accountId?: string | null } = {},
): Promise<string> {
  const tenantId = typeof ws === 'string' ? ws : ws.id;
  const id = newId();
  await t.db.transaction(tenantId, (trx) =>
    sql`INSERT INTO crm_core.crm_contacts (tenant_id, id, display_name, account_id)
        VALUES (${tenantId}, ${id}, ${opts.name ?? `Contact ${id.slice(-6)}`}, ${opts.accountId ?? null})`.execute(
      trx,
    ),
  );
  return id;
}

export type StageCode =
  | 'qualifying'
  | 'discovery'
  | 'proposal'
  | 'negotiation'
  | 'closed_won'
  | 'closed_lost'
  | 'cancelled';

/** The stage ids of the workspace's default pipeline, by code. */
export async function stagesOf(t: TestApp, ws: TestWorkspace): Promise<Record<StageCode, string>> {
  const r = await t.db.read(ws.id, (k) =>
    sql<{ id: string; code: string }>`
      SELECT s.id, s.code FROM crm_core.crm_pipeline_stages s
      JOIN crm_core.crm_pipelines p ON p.tenant_id = s.tenant_id AND p.id = s.pipeline_id
      WHERE s.tenant_id = ${ws.id} AND p.is_default`.execute(k),
  );
  return Object.fromEntries(r.rows.map((s) => [s.code, s.id])) as Record<StageCode, string>;
}

export async function defaultPipelineId(t: TestApp, ws: TestWorkspace): Promise<string> {
  const r = await t.db.read(ws.id, (k) =>
    sql<{
      id: string;
    }>`SELECT id FROM crm_core.crm_pipelines WHERE tenant_id = ${ws.id} AND is_default`.execute(k),
  );
  const id = r.rows[0]?.id;
  if (!id) throw new Error('no default pipeline');
  return id;
}

/** The audit rows of one entity, oldest first. */
export async function auditOf(_t: TestApp, ws: TestWorkspace, entityId: string): Promise<AuditEntryJson[]> {
  const res = await ws.admin.client.get<{ data: AuditEntryJson[] }>(
    `/crm/v1/audit?entity_id=${entityId}&limit=100`,
  );
  expect(res.status).toBe(200);
  return [...res.body.data].reverse();
}

export async function outboxOf(t: TestApp, workspaceId: string, aggregateId: string): Promise<OutboxRow[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<OutboxRow>`
      SELECT topic, aggregate_id, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${aggregateId}
      ORDER BY created_at, id`.execute(k),
  );
  return r.rows;
}

export async function writeCounts(
  t: TestApp,
  workspaceId: string,
): Promise<{ audit: number; outbox: number; transitions: number; activities: number }> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ audit: number; outbox: number; transitions: number; activities: number }>`
      SELECT (SELECT count(*)::int FROM crm_core.crm_audit_log WHERE tenant_id = ${workspaceId}) AS audit,
             (SELECT count(*)::int FROM crm_core.crm_outbox WHERE tenant_id = ${workspaceId}) AS outbox,
             (SELECT count(*)::int FROM crm_core.crm_stage_transitions WHERE tenant_id = ${workspaceId}) AS transitions,
             (SELECT count(*)::int FROM crm_core.crm_activities WHERE tenant_id = ${workspaceId}) AS activities`.execute(
      k,
    ),
  );
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return {
    audit: Number(row.audit),
    outbox: Number(row.outbox),
    transitions: Number(row.transitions),
    activities: Number(row.activities),
  };
}

export interface ActivityRow {
  kind: string;
  subject: string;
  account_id: string | null;
  deal_id: string | null;
  source: string;
  metadata: Record<string, unknown>;
}

export async function activitiesOf(t: TestApp, workspaceId: string, dealId: string): Promise<ActivityRow[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<ActivityRow>`
      SELECT kind, subject, account_id, deal_id, source, metadata FROM crm_core.crm_activities
      WHERE tenant_id = ${workspaceId} AND deal_id = ${dealId} ORDER BY occurred_at, id`.execute(k),
  );
  return r.rows;
}

export const fieldsOf = (p: { errors?: Array<{ field: string }> }): string[] =>
  (p.errors ?? []).map((e) => e.field).sort();
