import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from 'kysely';
import type { ActionResult, WorkflowAction, WorkflowCondition } from './workflow.schema.js';

/** jsonb: read as T, written through `jsonb()`. */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

/** Kysely row types of the workflows module (migration 0016). jsonb columns are written through `jsonb()`. */

export interface WorkflowTable {
  tenant_id: string;
  id: string;
  name: string;
  description: string | null;
  enabled: Generated<boolean>;
  trigger_event: string;
  conditions: Json<WorkflowCondition[]>;
  actions: Json<WorkflowAction[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface WorkflowRunTable {
  tenant_id: string;
  id: string;
  workflow_id: string;
  workflow_version: number;
  event_id: string;
  event_type: string;
  status: RunStatus;
  attempts: Generated<number>;
  retryable: Generated<boolean>;
  locked_until: Date | null;
  error: string | null;
  results: ColumnType<ActionResult[], RawBuilder<string> | undefined, RawBuilder<string>>;
  started_at: Generated<Date>;
  finished_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WorkflowTables {
  'crm_core.crm_workflows': WorkflowTable;
  'crm_core.crm_workflow_runs': WorkflowRunTable;
}

export type WorkflowRow = Selectable<WorkflowTable>;
export type NewWorkflowRow = Insertable<WorkflowTable>;
export type WorkflowRowUpdate = Updateable<WorkflowTable>;
export type WorkflowRunRow = Selectable<WorkflowRunTable>;
