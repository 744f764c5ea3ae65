import type { AppDatabase, AppPlatform } from '../../db.js';
import { type AuditRow, type ChainVerification, verifyAuditChain } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { listAuditRows, workspacesWithAudit } from './audit.repository.js';
import type { ListAuditQuery } from './audit.schema.js';

function presentAuditRow(r: AuditRow) {
  return {
    seq: Number(r.seq),
    id: r.id,
    occurred_at: new Date(r.occurred_at).toISOString(),
    actor: { type: r.actor_type as 'user' | 'api_key' | 'system', id: r.actor_id, label: r.actor_label },
    action: r.action,
    entity_type: r.entity_type,
    entity_id: r.entity_id,
    diff: r.diff,
    request_id: r.request_id,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

export async function listAudit(p: AppPlatform, ctx: RequestContext, q: ListAuditQuery) {
  requirePermission(ctx.actor, 'crm.audit.view');
  const ws = ctx.actor.workspaceId;
  const before = q.cursor ? (decodeCursor(q.cursor, 'seq', ['int'])[0] as number) : null;
  const rows = await p.db.read(ws, (db) => listAuditRows(db, ws, q, before, q.limit + 1));
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const next = rows.length > q.limit && last ? encodeCursor('seq', [Number(last.seq)]) : null;
  return {
    data: page.map(presentAuditRow),
    page: { limit: q.limit, next_cursor: next, has_more: next !== null },
  };
}

function presentVerification(v: ChainVerification) {
  return {
    workspace_id: v.workspaceId,
    rows: v.rows,
    ok: v.ok,
    ...(v.brokenAt ? { broken_at: v.brokenAt } : {}),
  };
}

/** Verifies the current workspace's chain (through RLS, as the workspace itself sees it). */
export async function verifyWorkspaceAudit(p: AppPlatform, ctx: RequestContext) {
  requirePermission(ctx.actor, 'crm.audit.view');
  const ws = ctx.actor.workspaceId;
  return presentVerification(await p.db.read(ws, (db) => verifyAuditChain(db, ws)));
}

/** Operator command: verifies every workspace's chain (or one), as crm_system. */
export async function verifyAllAudit(db: AppDatabase, workspaceId?: string) {
  const ids = workspaceId ? [workspaceId] : await db.system((k) => workspacesWithAudit(k));
  const results = [];
  for (const id of ids) results.push(presentVerification(await db.system((k) => verifyAuditChain(k, id))));
  return results;
}
