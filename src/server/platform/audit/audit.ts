import { createHash } from 'node:crypto';
import { type QueryExecutorProvider, type RawBuilder, sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { newId } from '../ids.js';
import { canonicalJson } from '../json.js';

/**
 * The audit log: one row per mutation, written in the mutation's transaction, chained per workspace
 * (each row stores the previous row's hash, so editing or deleting a row breaks every later hash).
 *
 * Concurrency: the chain head is one row per workspace, locked by the writer until commit. Writes of one
 * workspace serialize on it (a chain is a sequence); writes of different workspaces never wait on each
 * other. The append runs last in the transaction, as ONE statement (the database links the rows: hash
 * format 2, migration 0026), to hold that lock as briefly as possible.
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
  /** 1: canonical JSON of every field, hashed in Node (before migration 0026); 2: linked by the database. */
  hash_format: number;
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

/** The fields every hash covers besides the link (prev_hash, seq). */
function bodyFields(row: Omit<AuditRow, 'hash' | 'seq' | 'prev_hash' | 'hash_format'>) {
  return {
    tenant_id: row.tenant_id,
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
  };
}

/** The body a format-2 hash covers, as canonical JSON (sorted keys). */
function bodyOf(row: Omit<AuditRow, 'hash' | 'seq' | 'prev_hash' | 'hash_format'>): string {
  return canonicalJson(bodyFields(row));
}

/**
 * The hash of a row by its format. 1: SHA-256 over the canonical JSON of every field except the hash
 * (the body with the link inside it; canonical JSON sorts keys, so where they are added is irrelevant).
 * 2: SHA-256 of `prev_hash \n seq \n body` (what `crm_core.audit_chain` computes).
 */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  const text =
    Number(row.hash_format) === 2
      ? `${row.prev_hash}\n${Number(row.seq)}\n${bodyOf(row)}`
      : canonicalJson({ ...bodyFields(row), seq: Number(row.seq), prev_hash: row.prev_hash });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The audit append as CTEs (`audit_head`, `audit_chain`, `audit_rows`), to be part of one statement: the
 * head is taken (created on first use; ON CONFLICT DO UPDATE locks it) and moved past the batch, and the
 * rows are inserted linked from where it was — `crm_core.audit_chain` computes the links from the bodies
 * made here. With `gate` (the name of an earlier CTE), the head is touched only if that CTE returned a
 * row, and only after it ran: a one-statement write takes its record's row lock before the chain head.
 */
export function auditCtes(
  actor: Actor,
  requestId: string | null,
  entries: readonly AuditEntry[],
  gate?: string,
): RawBuilder<unknown> {
  const tenantId = actor.workspaceId;
  const occurredAt = new Date();
  const actorId = actor.type === 'system' ? null : actor.id;
  const rows = entries.map((e) => {
    const diff = JSON.parse(canonicalJson(e.diff)) as FieldDiff;
    const row = {
      tenant_id: tenantId,
      id: newId(),
      occurred_at: occurredAt,
      actor_type: actor.type,
      actor_id: actorId,
      actor_label: actor.label,
      action: e.action,
      entity_type: e.entityType,
      entity_id: e.entityId,
      diff,
      request_id: requestId,
    };
    return { ...row, body: bodyOf(row), diffJson: canonicalJson(diff) };
  });
  const n = rows.length;
  const bodies = sql`${sql.val(rows.map((r) => r.body))}::text[]`;
  const from = gate ? sql` FROM (SELECT 1 FROM ${sql.table(gate)} LIMIT 1) gate` : sql``;
  return sql`audit_head AS (
      INSERT INTO crm_core.crm_audit_heads AS h (tenant_id, seq, hash, batch_prev_hash)
      SELECT ${tenantId}::uuid, ${n}::bigint, (crm_core.audit_chain(${GENESIS_HASH}, 0, ${bodies}))[${n}::int],
             ${GENESIS_HASH}${from}
      ON CONFLICT (tenant_id) DO UPDATE
        SET seq = h.seq + ${n}::bigint,
            hash = (crm_core.audit_chain(h.hash, h.seq, ${bodies}))[${n}::int],
            batch_prev_hash = h.hash
      RETURNING h.seq - ${n}::bigint AS base_seq, h.batch_prev_hash AS prev
    ),
    audit_chain AS (
      SELECT base_seq, prev, crm_core.audit_chain(prev, base_seq, ${bodies}) AS links FROM audit_head),
    audit_rows AS (
      INSERT INTO crm_core.crm_audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
        action, entity_type, entity_id, diff, request_id, prev_hash, hash, hash_format)
      SELECT ${tenantId}, c.base_seq + e.i, e.id, ${occurredAt}, ${actor.type}, ${actorId}, ${actor.label},
        e.action, e.entity_type, e.entity_id, e.diff, ${requestId},
        CASE WHEN e.i = 1 THEN c.prev ELSE c.links[e.i - 1] END, c.links[e.i], 2
      FROM audit_chain c,
        unnest(${sql.val(rows.map((r) => r.id))}::uuid[], ${sql.val(rows.map((r) => r.action))}::text[],
               ${sql.val(rows.map((r) => r.entity_type))}::text[], ${sql.val(rows.map((r) => r.entity_id))}::text[],
               ${sql.val(rows.map((r) => r.diffJson))}::jsonb[])
          WITH ORDINALITY AS e(id, action, entity_type, entity_id, diff, i))`;
}

/**
 * Appends entries to the workspace's chain, in one statement (`auditCtes`). Must run inside the
 * transaction that made the change. `alongside` (the outbox insert) rides as another CTE.
 */
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
  const before = options.alongside ? sql`alongside AS (${options.alongside}), ` : sql``;
  await sql`WITH ${before}${auditCtes(actor, requestId, entries)} SELECT 1`.execute(trx);
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
             diff, request_id, prev_hash, hash, hash_format
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
