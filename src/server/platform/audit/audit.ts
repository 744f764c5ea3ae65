import { createHash } from 'node:crypto';
import { type QueryExecutorProvider, type RawBuilder, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { jsonb } from '../db/sql.js';
import { newId } from '../ids.js';
import { canonicalJson } from '../json.js';

/**
 * The audit log: one row per mutation, written in the mutation's transaction, chained per workspace
 * (each row stores the previous row's hash, so editing or deleting a row breaks every later hash).
 *
 * Concurrency: the chain head is one row per workspace, locked by the writer until commit. Writes of one
 * workspace serialize on it (a chain is a sequence); writes of different workspaces never wait on each
 * other. The append runs last in the transaction to hold that lock as briefly as possible.
 */

export const GENESIS_HASH = '0'.repeat(64);

export type FieldDiff = Record<string, { from: unknown; to: unknown }>;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  diff: FieldDiff;
}

export interface AuditRow {
  tenant_id: string;
  seq: number;
  id: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_label: string;
  action: string;
  entity_type: string;
  entity_id: string;
  diff: FieldDiff;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const SECRET_FIELD = /(password|secret|token|hash|api_?key|credential)/i;
export const REDACTED = '[redacted]';

/** Field-level diff of two snapshots (null = did not exist). Secret-looking fields are redacted. */
export function diffRecords(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  ignore: readonly string[] = ['updated_at', 'version', 'name_fold', 'search_text'],
): FieldDiff {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const diff: FieldDiff = {};
  for (const key of keys) {
    if (ignore.includes(key)) continue;
    const from = before ? (before[key] ?? null) : null;
    const to = after ? (after[key] ?? null) : null;
    if (canonicalJson(from) === canonicalJson(to)) continue;
    diff[key] = SECRET_FIELD.test(key)
      ? { from: from === null ? null : REDACTED, to: to === null ? null : REDACTED }
      : { from: jsonSafe(from), to: jsonSafe(to) };
  }
  return diff;
}

const jsonSafe = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v);

/** The hash of a row: SHA-256 over the canonical JSON of every field except the hash itself. */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        tenant_id: row.tenant_id,
        seq: Number(row.seq),
        id: row.id,
        occurred_at: new Date(row.occurred_at).toISOString(),
        actor_type: row.actor_type,
        actor_id: row.actor_id,
        actor_label: row.actor_label,
        action: row.action,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        diff: row.diff,
        request_id: row.request_id,
        prev_hash: row.prev_hash,
      }),
    )
    .digest('hex');
}

/** Appends entries to the workspace's chain. Must run inside the transaction that made the change. */
export async function appendAudit(
  trx: QueryExecutorProvider,
  actor: Actor,
  requestId: string | null,
  entries: readonly AuditEntry[],
  options: { alongside?: RawBuilder<unknown> } = {},
): Promise<void> {
  if (entries.length === 0) {
    if (options.alongside) await options.alongside.execute(trx);
    return;
  }
  const tenantId = actor.workspaceId;
  // `alongside` (the outbox insert) rides in the same statement as a data-modifying CTE: one round trip.
  const before = options.alongside ? sql`WITH alongside AS (${options.alongside}) ` : sql``;
  // Creates the head on first use, otherwise locks it (ON CONFLICT DO UPDATE takes the row lock).
  const head = await sql<{ seq: number; hash: string }>`
    ${before}INSERT INTO crm_core.crm_audit_heads (tenant_id, seq, hash) VALUES (${tenantId}, 0, ${GENESIS_HASH})
    ON CONFLICT (tenant_id) DO UPDATE SET seq = crm_audit_heads.seq
    RETURNING seq, hash`.execute(trx);
  let { seq, hash: prev } = head.rows[0] as { seq: number; hash: string };
  const occurredAt = new Date();
  const rows: AuditRow[] = entries.map((e) => {
    seq = Number(seq) + 1;
    const row: Omit<AuditRow, 'hash'> = {
      tenant_id: tenantId,
      seq,
      id: newId(),
      occurred_at: occurredAt,
      actor_type: actor.type,
      actor_id: actor.type === 'system' ? null : actor.id,
      actor_label: actor.label,
      action: e.action,
      entity_type: e.entityType,
      entity_id: e.entityId,
      diff: JSON.parse(canonicalJson(e.diff)) as FieldDiff,
      request_id: requestId,
      prev_hash: prev,
    };
    prev = hashAuditRow(row);
    return { ...row, hash: prev };
  });
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.tenant_id}, ${r.seq}, ${r.id}, ${r.occurred_at}, ${r.actor_type}, ${r.actor_id}, ${r.actor_label},
             ${r.action}, ${r.entity_type}, ${r.entity_id}, ${jsonb(r.diff)}, ${r.request_id},
             ${r.prev_hash}, ${r.hash})`,
    ),
  );
  await sql`
    WITH ins AS (
      INSERT INTO crm_core.crm_audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
        action, entity_type, entity_id, diff, request_id, prev_hash, hash)
      VALUES ${values}
    )
    UPDATE crm_core.crm_audit_heads SET seq = ${seq}, hash = ${prev} WHERE tenant_id = ${tenantId}`.execute(
    trx,
  );
}

export interface ChainVerification {
  workspaceId: string;
  rows: number;
  ok: boolean;
  /** First row that does not verify, with the reason. */
  brokenAt?: {
    seq: number;
    reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' | 'head_mismatch';
  };
}

/**
 * Recomputes a workspace's chain from the first row, in pages, and reports the first broken row. Works
 * with any executor that can read the workspace's audit rows (the tenant scope, or crm_system).
 */
export async function verifyAuditChain(
  db: QueryExecutorProvider,
  workspaceId: string,
  pageSize = 1000,
): Promise<ChainVerification> {
  let expectedSeq = 1;
  let prev = GENESIS_HASH;
  let rows = 0;
  for (;;) {
    const page = await sql<AuditRow>`
      SELECT tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label, action, entity_type, entity_id,
             diff, request_id, prev_hash, hash
      FROM crm_core.crm_audit_log WHERE tenant_id = ${workspaceId} AND seq >= ${expectedSeq}
      ORDER BY seq LIMIT ${pageSize}`.execute(db);
    for (const row of page.rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq)
        return { workspaceId, rows, ok: false, brokenAt: { seq, reason: 'sequence_gap' } };
      if (row.prev_hash !== prev) {
        return { workspaceId, rows, ok: false, brokenAt: { seq, reason: 'prev_hash_mismatch' } };
      }
      const { hash, ...rest } = row;
      if (hashAuditRow(rest) !== hash)
        return { workspaceId, rows, ok: false, brokenAt: { seq, reason: 'hash_mismatch' } };
      prev = hash;
      expectedSeq++;
      rows++;
    }
    if (page.rows.length < pageSize) break;
  }
  const head = await sql<{ seq: number; hash: string }>`
    SELECT seq, hash FROM crm_core.crm_audit_heads WHERE tenant_id = ${workspaceId}`.execute(db);
  const h = head.rows[0];
  // Rows deleted from the end leave the head pointing past them: detect truncation too.
  if (h && (Number(h.seq) !== rows || h.hash !== prev)) {
    return { workspaceId, rows, ok: false, brokenAt: { seq: rows + 1, reason: 'head_mismatch' } };
  }
  return { workspaceId, rows, ok: true };
}
