import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../../db.js';
import { jsonb } from '../../platform/db/sql.js';
import type { ActionResult } from './workflow.schema.js';
import type {
  NewWorkflowRow,
  RunStatus,
  WorkflowRow,
  WorkflowRowUpdate,
  WorkflowRunRow,
} from './workflow.table.js';

/** SQL for workflows and their runs, nothing else. Every function runs as crm_app under RLS. */

type Db = Kysely<DB> | Transaction<DB>;
const W = 'crm_core.crm_workflows' as const;
const R = 'crm_core.crm_workflow_runs' as const;

export async function findWorkflow(
  db: Db,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<WorkflowRow | undefined> {
  let q = db.selectFrom(W).selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function insertWorkflow(db: Db, row: NewWorkflowRow): Promise<WorkflowRow> {
  return db.insertInto(W).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateWorkflowRow(
  db: Db,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: WorkflowRowUpdate,
): Promise<WorkflowRow | undefined> {
  return db
    .updateTable(W)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

/** Live workflows, newest first; `after` = (created_at ISO, id) of the previous page's last row. */
export async function listWorkflowRows(
  db: Db,
  tenantId: string,
  after: readonly [string, string] | null,
  limit: number,
): Promise<WorkflowRow[]> {
  let q = db.selectFrom(W).selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export type LastRun = Pick<WorkflowRunRow, 'id' | 'workflow_id' | 'status' | 'error' | 'started_at'>;

/** The latest run of each of these workflows (one index probe each). */
export async function lastRuns(db: Db, tenantId: string, workflowIds: readonly string[]): Promise<LastRun[]> {
  if (workflowIds.length === 0) return [];
  const r = await sql<LastRun>`
    SELECT r.id, r.workflow_id, r.status, r.error, r.started_at
    FROM (VALUES ${sql.join(workflowIds.map((id) => sql`(${id}::uuid)`))}) AS w(id)
    CROSS JOIN LATERAL (
      SELECT id, workflow_id, status, error, started_at FROM crm_core.crm_workflow_runs
      WHERE tenant_id = ${tenantId} AND workflow_id = w.id
      ORDER BY created_at DESC, id DESC LIMIT 1
    ) r`.execute(db);
  return r.rows;
}

/** The enabled, live workflows of a workspace, oldest first (the consumer picks those of an event type). */
export async function enabledWorkflows(db: Db, tenantId: string): Promise<WorkflowRow[]> {
  return db
    .selectFrom(W)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface RunClaim {
  tenant_id: string;
  id: string;
  workflow_id: string;
  workflow_version: number;
  event_id: string;
  event_type: string;
}

/**
 * Takes the run of (workflow, event): a new `running` row, or an existing one that may be taken again
 * (failed and retryable with attempts left, or `running` whose lease ran out: its process died).
 * Undefined: the event was already handled (or is being handled) for this workflow.
 */
export async function claimRun(
  db: Db,
  run: RunClaim,
  options: { leaseSeconds: number; maxAttempts: number },
): Promise<WorkflowRunRow | undefined> {
  const lease = sql<Date>`now() + make_interval(secs => ${options.leaseSeconds})`;
  const inserted = await db
    .insertInto(R)
    .values({ ...run, status: 'running', locked_until: lease })
    .onConflict((oc) => oc.columns(['tenant_id', 'workflow_id', 'event_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return db
    .updateTable(R)
    .set({
      status: 'running',
      attempts: sql`attempts + 1`,
      locked_until: lease,
      retryable: false,
      workflow_version: run.workflow_version,
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', run.tenant_id)
    .where('workflow_id', '=', run.workflow_id)
    .where('event_id', '=', run.event_id)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('status', '=', 'failed'),
          eb('retryable', '=', true),
          eb('attempts', '<', options.maxAttempts),
        ]),
        eb.and([eb('status', '=', 'running'), eb('locked_until', '<', sql<Date>`now()`)]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}

/**
 * Records a run whose conditions do not hold as finished and skipped, in one statement (no claim, then
 * finish). False when the (workflow, event) already has a run: the caller takes the claim path then.
 */
export async function recordSkippedRun(db: Db, run: RunClaim): Promise<boolean> {
  const inserted = await db
    .insertInto(R)
    .values({ ...run, status: 'skipped', locked_until: null, finished_at: sql`now()` })
    .onConflict((oc) => oc.columns(['tenant_id', 'workflow_id', 'event_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Whether another delivery is running this workflow for this event right now (its lease still live). */
export async function runInFlight(
  db: Db,
  tenantId: string,
  workflowId: string,
  eventId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('crm_core.crm_workflow_runs')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('workflow_id', '=', workflowId)
    .where('event_id', '=', eventId)
    .where('status', '=', 'running')
    .where('locked_until', '>=', sql<Date>`now()`)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records a run's outcome (only while it is still ours: `running` with this attempt count). */
export async function finishRun(
  db: Db,
  tenantId: string,
  id: string,
  attempts: number,
  outcome: {
    status: Exclude<RunStatus, 'running'>;
    error: string | null;
    results: ActionResult[];
    retryable: boolean;
  },
): Promise<void> {
  await db
    .updateTable(R)
    .set({
      status: outcome.status,
      error: outcome.error === null ? null : outcome.error.slice(0, 2000),
      results: jsonb(outcome.results),
      retryable: outcome.retryable,
      locked_until: null,
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('attempts', '=', attempts)
    .execute();
}

/** A workflow's runs, newest first. */
export async function listRunRows(
  db: Db,
  tenantId: string,
  workflowId: string,
  after: readonly [string, string] | null,
  limit: number,
): Promise<WorkflowRunRow[]> {
  let q = db
    .selectFrom(R)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('workflow_id', '=', workflowId);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/**
 * Deletes finished runs (succeeded, skipped, failed for good) older than `retentionDays`, across
 * workspaces: run as crm_system. A failed run that may still be retried, and a running one, stay.
 */
export async function pruneFinishedRuns(db: Kysely<DB>, retentionDays: number): Promise<number> {
  const r = await sql`
    DELETE FROM crm_core.crm_workflow_runs
    WHERE status <> 'running' AND NOT retryable
      AND finished_at < now() - make_interval(days => ${retentionDays})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
