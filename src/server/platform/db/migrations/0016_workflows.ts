import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * Automation (ADR 0020): workflows as data (trigger event type → conditions → actions, validated by the
 * service against the catalogue) and one run row per (workflow, event).
 *
 * - `crm_workflows.conditions` / `actions` are jsonb arrays: the rule language is versioned with the
 *   code that interprets it (workflow.schema.ts), not with the table.
 * - `crm_workflow_runs` UNIQUE (tenant_id, workflow_id, event_id) is the idempotency key: the relay
 *   publishes at least once, and a second delivery of an event finds its run and does nothing (or
 *   resumes a failed one). `running` rows carry a lease (`locked_until`) so a crashed run is retried.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_workflows (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 1000),
    enabled boolean NOT NULL DEFAULT true,
    trigger_event text NOT NULL CHECK (length(trigger_event) BETWEEN 3 AND 100),
    conditions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(conditions) = 'array'),
    actions jsonb NOT NULL CHECK (jsonb_typeof(actions) = 'array'),
    ${businessColumns},
    PRIMARY KEY (tenant_id, id)
  );
  ${tenantRls('crm_workflows')}
  -- The consumer's lookup per event: the enabled workflows of one trigger.
  CREATE INDEX crm_workflows_trigger_idx ON crm_core.crm_workflows (tenant_id, trigger_event)
    WHERE enabled AND deleted_at IS NULL;
  CREATE INDEX crm_workflows_list_idx
    ON crm_core.crm_workflows (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

  CREATE TABLE crm_core.crm_workflow_runs (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    workflow_id uuid NOT NULL,
    workflow_version integer NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL CHECK (length(event_type) <= 100),
    status text NOT NULL CHECK (status IN ('running','succeeded','failed','skipped')),
    attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    -- A failed run the next delivery of its event may retry (a transient error, attempts left).
    retryable boolean NOT NULL DEFAULT false,
    locked_until timestamptz(3),
    error text CHECK (length(error) <= 2000),
    results jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(results) = 'array'),
    started_at timestamptz(3) NOT NULL DEFAULT now(),
    finished_at timestamptz(3),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, workflow_id, event_id),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES crm_core.crm_workflows (tenant_id, id)
  );
  ${tenantRls('crm_workflow_runs')}
  CREATE INDEX crm_workflow_runs_list_idx
    ON crm_core.crm_workflow_runs (tenant_id, workflow_id, created_at DESC, id DESC);

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_workflows, crm_core.crm_workflow_runs TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_workflow_runs;
  DROP TABLE crm_core.crm_workflows;
  `)
    .execute(db);
}
