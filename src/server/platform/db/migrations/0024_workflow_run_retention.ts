import { type Kysely, sql } from 'kysely';

/**
 * Workflow runs are kept for WORKFLOW_RUN_RETENTION_DAYS, then deleted by the consumer across workspaces
 * as crm_system (like finished webhook deliveries): every event that triggers a workflow writes a run —
 * skipped ones included — so the table otherwise grows with the event stream. The partial index serves
 * that sweep (finished rows by age); running rows are never pruned.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE INDEX crm_workflow_runs_finished_idx ON crm_core.crm_workflow_runs (finished_at)
    WHERE status <> 'running' AND NOT retryable;
  GRANT SELECT, DELETE ON crm_core.crm_workflow_runs TO crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  REVOKE SELECT, DELETE ON crm_core.crm_workflow_runs FROM crm_system;
  DROP INDEX crm_core.crm_workflow_runs_finished_idx;
  `)
    .execute(db);
}
