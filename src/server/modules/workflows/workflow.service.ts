import type { AppPlatform } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { ACTION_CATALOGUE, CONDITION_OPS, TRIGGERS, triggerOf } from './workflow.catalogue.js';
import { checkDefinition } from './workflow.engine.js';
import { WORKFLOW_EVENTS, workflowCreated, workflowDeleted, workflowUpdated } from './workflow.events.js';
import { WORKFLOW_MANAGE } from './workflow.policy.js';
import {
  presentRun,
  presentWorkflow,
  type RunJson,
  type WorkflowJson,
  workflowSnapshot,
} from './workflow.presenter.js';
import {
  findWorkflow,
  insertWorkflow,
  lastRuns,
  listRunRows,
  listWorkflowRows,
  updateWorkflowRow,
} from './workflow.repository.js';
import {
  ASSIGNEES,
  type CreateWorkflowInput,
  DUE_UNITS,
  type ListRunsQuery,
  type ListWorkflowsQuery,
  type UpdateWorkflowInput,
  type WorkflowAction,
  type WorkflowCondition,
} from './workflow.schema.js';
import type { WorkflowRow } from './workflow.table.js';

/**
 * Automation use cases: validate (zod at the edge; the catalogue here, on the merged definition) →
 * authorize (crm.settings.manage, reads included) → command (one transaction with audit and a
 * `workflow.*` event) → present. Execution is the consumer's (workflow.consumer.ts).
 */

const notFound = () => new AppError('workflow_not_found', 'Workflow not found');
const DIFF_IGNORE = ['updated_at', 'version', 'updated_by'];

export interface Page<T> {
  data: T[];
  page: { limit: number; next_cursor: string | null; has_more: boolean };
}

/** 422 naming each field of the definition its trigger does not support. */
function assertDefinition(trigger: string, conditions: WorkflowCondition[], actions: WorkflowAction[]): void {
  const entry = triggerOf(trigger);
  if (!entry) {
    throw new AppError('validation_failed', `Unknown trigger ${trigger}`, {
      fields: [
        {
          field: 'trigger',
          pointer: '/trigger',
          in: 'body',
          code: 'unknown_trigger',
          message: 'unknown trigger',
        },
      ],
    });
  }
  const issues = checkDefinition(entry, conditions, actions);
  if (issues.length === 0) return;
  throw new AppError('validation_failed', issues[0]?.message ?? 'Invalid workflow', {
    fields: issues.map((i) => ({
      field: i.path.join('.'),
      pointer: `/${i.path.join('/')}`,
      in: 'body' as const,
      code: i.code,
      message: i.message,
    })),
  });
}

/** `GET /workflows/catalogue`: triggers with their fields, the operators and the actions. */
export function workflowCatalogue(ctx: RequestContext) {
  requirePermission(ctx.actor, WORKFLOW_MANAGE);
  return {
    triggers: TRIGGERS.map((t) => ({
      ...t,
      fields: [...t.fields],
      open_prefixes: [...t.open_prefixes],
      actions: [...t.actions],
    })),
    ops: [...CONDITION_OPS],
    actions: ACTION_CATALOGUE.map((a) => ({ type: a.type, inputs: [...a.inputs] })),
    assignees: [...ASSIGNEES],
    due_units: [...DUE_UNITS],
  };
}

export async function listWorkflows(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListWorkflowsQuery,
): Promise<Page<WorkflowJson>> {
  const { actor } = ctx;
  requirePermission(actor, WORKFLOW_MANAGE);
  const after = query.cursor
    ? (decodeCursor(query.cursor, 'workflows', ['instant', 'uuid']) as [string, string])
    : null;
  const ws = actor.workspaceId;
  const { rows, runs } = await p.db.read(ws, async (db) => {
    const rows = await listWorkflowRows(db, ws, after, query.limit + 1);
    const runs = await lastRuns(
      db,
      ws,
      rows.slice(0, query.limit).map((r) => r.id),
    );
    return { rows, runs };
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last
      ? encodeCursor('workflows', [last.created_at.toISOString(), last.id])
      : null;
  return {
    data: page.map((r) =>
      presentWorkflow(
        r,
        runs.find((x) => x.workflow_id === r.id),
        actor,
      ),
    ),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}

async function loadLive(p: AppPlatform, ctx: RequestContext, id: string) {
  const ws = ctx.actor.workspaceId;
  return p.db.read(ws, async (db) => {
    const row = await findWorkflow(db, ws, id);
    if (!row || row.deleted_at) throw notFound();
    const [last] = await lastRuns(db, ws, [id]);
    return { row, last };
  });
}

export async function getWorkflow(p: AppPlatform, ctx: RequestContext, id: string): Promise<WorkflowJson> {
  requirePermission(ctx.actor, WORKFLOW_MANAGE);
  const { row, last } = await loadLive(p, ctx, id);
  return presentWorkflow(row, last, ctx.actor);
}

export async function createWorkflow(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateWorkflowInput,
): Promise<WorkflowJson> {
  const { actor } = ctx;
  requirePermission(actor, WORKFLOW_MANAGE);
  assertDefinition(input.trigger, input.conditions, input.actions);
  const row = await p.write(ctx, async (uow) => {
    const created = await insertWorkflow(uow.trx, {
      tenant_id: actor.workspaceId,
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled,
      trigger_event: input.trigger,
      conditions: jsonb(input.conditions),
      actions: jsonb(input.actions),
      created_by: actor.userId,
      updated_by: actor.userId,
      deleted_at: null,
    });
    const snap = workflowSnapshot(created);
    uow.audit({
      action: WORKFLOW_EVENTS.created,
      entityType: 'workflow',
      entityId: created.id,
      diff: diffRecords(null, snap, DIFF_IGNORE),
    });
    uow.emit(workflowCreated(snap));
    return created;
  });
  return presentWorkflow(row, undefined, actor);
}

async function lockForWrite(
  trx: Parameters<typeof findWorkflow>[0],
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<WorkflowRow> {
  const row = await findWorkflow(trx, ctx.actor.workspaceId, id, { forUpdate: true });
  if (!row || row.deleted_at) throw notFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The workflow changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: presentWorkflow(row, undefined, ctx.actor) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

const conflict = () => new AppError('version_conflict', 'The workflow was changed concurrently; retry');

/** PATCH: the merged definition is validated as a whole (a new trigger must fit the kept conditions). */
export async function updateWorkflow(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateWorkflowInput,
  ifMatchVersion: number | undefined,
): Promise<WorkflowJson> {
  const { actor } = ctx;
  requirePermission(actor, WORKFLOW_MANAGE);
  const { version: bodyVersion, ...patch } = input;
  const expected = ifMatchVersion ?? bodyVersion;
  const row = await p.write(ctx, async (uow) => {
    const current = await lockForWrite(uow.trx, ctx, id, expected);
    const trigger = patch.trigger ?? current.trigger_event;
    const conditions = patch.conditions ?? current.conditions;
    const actions = patch.actions ?? current.actions;
    assertDefinition(trigger, conditions, actions);
    const before = workflowSnapshot(current);
    const updated = await updateWorkflowRow(uow.trx, actor.workspaceId, id, current.version, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.trigger !== undefined ? { trigger_event: patch.trigger } : {}),
      ...(patch.conditions !== undefined ? { conditions: jsonb(patch.conditions) } : {}),
      ...(patch.actions !== undefined ? { actions: jsonb(patch.actions) } : {}),
      updated_by: actor.userId,
    });
    if (!updated) throw conflict();
    const after = workflowSnapshot(updated);
    const diff = diffRecords(before, after, DIFF_IGNORE);
    uow.audit({ action: WORKFLOW_EVENTS.updated, entityType: 'workflow', entityId: id, diff });
    uow.emit(workflowUpdated(after, diff));
    return updated;
  });
  const [last] = await p.db.read(actor.workspaceId, (db) => lastRuns(db, actor.workspaceId, [id]));
  return presentWorkflow(row, last, actor);
}

/** Soft delete: it stops running at once; its runs stay readable in the audit trail's terms. */
export async function deleteWorkflow(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<WorkflowJson> {
  const { actor } = ctx;
  requirePermission(actor, WORKFLOW_MANAGE);
  const row = await p.write(ctx, async (uow) => {
    const current = await lockForWrite(uow.trx, ctx, id, ifMatchVersion);
    const deleted = await updateWorkflowRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: new Date(),
      enabled: false,
      updated_by: actor.userId,
    });
    if (!deleted) throw conflict();
    const snap = workflowSnapshot(deleted);
    uow.audit({
      action: WORKFLOW_EVENTS.deleted,
      entityType: 'workflow',
      entityId: id,
      diff: diffRecords(workflowSnapshot(current), snap, DIFF_IGNORE),
    });
    uow.emit(workflowDeleted(snap));
    return deleted;
  });
  return presentWorkflow(row, undefined, actor);
}

/** A workflow's runs, newest first (404 for an unknown or deleted workflow). */
export async function listRuns(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  query: ListRunsQuery,
): Promise<Page<RunJson>> {
  const { actor } = ctx;
  requirePermission(actor, WORKFLOW_MANAGE);
  const ws = actor.workspaceId;
  const after = query.cursor
    ? (decodeCursor(query.cursor, 'workflow_runs', ['instant', 'uuid']) as [string, string])
    : null;
  const rows = await p.db.read(ws, async (db) => {
    const wf = await findWorkflow(db, ws, id);
    if (!wf || wf.deleted_at) throw notFound();
    return listRunRows(db, ws, id, after, query.limit + 1);
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last
      ? encodeCursor('workflow_runs', [last.created_at.toISOString(), last.id])
      : null;
  return {
    data: page.map(presentRun),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}
