import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { workflowAbilities } from './workflow.policy.js';
import type { LastRun } from './workflow.repository.js';
import type { runResponseSchema, workflowResponseSchema } from './workflow.schema.js';
import type { WorkflowRow, WorkflowRunRow } from './workflow.table.js';

export type WorkflowJson = z.infer<typeof workflowResponseSchema>;
/** Events and audit diffs: the definition without the reader's abilities and the run status. */
export type WorkflowSnapshot = Omit<WorkflowJson, 'abilities' | 'last_run'>;
export type RunJson = z.infer<typeof runResponseSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function workflowSnapshot(row: WorkflowRow): WorkflowSnapshot {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    enabled: row.enabled,
    trigger: row.trigger_event,
    conditions: row.conditions,
    actions: row.actions,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

export function presentWorkflow(row: WorkflowRow, last: LastRun | undefined, actor: Actor): WorkflowJson {
  return {
    ...workflowSnapshot(row),
    last_run: last
      ? { id: last.id, status: last.status, error: last.error, started_at: last.started_at.toISOString() }
      : null,
    abilities: workflowAbilities(actor),
  };
}

export function presentRun(row: WorkflowRunRow): RunJson {
  return {
    id: row.id,
    workflow_id: row.workflow_id,
    workflow_version: row.workflow_version,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    results: row.results,
    started_at: row.started_at.toISOString(),
    finished_at: iso(row.finished_at),
  };
}

export const workflowEtag = (version: number): string => `"${version}"`;
