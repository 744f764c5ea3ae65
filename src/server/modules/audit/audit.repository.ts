import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { AuditRow } from '../../platform/audit/audit.js';
import type { ListAuditQuery } from './audit.schema.js';

/** Newest first; `beforeSeq` is the cursor (the seq of the last row of the previous page). */
export async function listAuditRows(
  db: Kysely<DB>,
  tenantId: string,
  q: ListAuditQuery,
  beforeSeq: number | null,
  limit: number,
): Promise<AuditRow[]> {
  const conds = [sql`tenant_id = ${tenantId}`];
  if (q.entity_type) conds.push(sql`entity_type = ${q.entity_type}`);
  if (q.entity_id) conds.push(sql`entity_id = ${q.entity_id}`);
  if (q.actor_id) conds.push(sql`actor_id = ${q.actor_id}`);
  if (q.action) conds.push(sql`action = ${q.action}`);
  if (q.from) conds.push(sql`occurred_at >= ${q.from}::timestamptz`);
  if (q.to) conds.push(sql`occurred_at < ${q.to}::timestamptz`);
  if (beforeSeq !== null) conds.push(sql`seq < ${beforeSeq}`);
  const r = await sql<AuditRow>`
    SELECT tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label, action, entity_type, entity_id, diff,
           request_id, prev_hash, hash, hash_format
    FROM crm_core.crm_audit_log WHERE ${sql.join(conds, sql` AND `)}
    ORDER BY seq DESC LIMIT ${limit}`.execute(db);
  return r.rows;
}

/** (system) Every workspace that has an audit chain. */
export async function workspacesWithAudit(db: Kysely<DB>): Promise<string[]> {
  const r = await sql<{
    tenant_id: string;
  }>`SELECT tenant_id FROM crm_core.crm_audit_heads ORDER BY tenant_id`.execute(db);
  return r.rows.map((x) => x.tenant_id);
}
