import { type Kysely, sql } from 'kysely';
import { tenantRls } from './helpers.js';

/**
 * The activity timeline: append-only (crm_app may SELECT and INSERT, nothing else — corrections are new
 * entries, so there is no updated_at, version or deleted_at, a deliberate exception to DESIGN §5).
 *
 * An entry links to any of account, contact and deal. `account_id` is also filled from the linked deal
 * or contact when not given, so an account's timeline (its own, its contacts' and its deals' entries)
 * is one index range. A task is an entry with `due_at`; completing it is another entry whose
 * `related_activity_id` points at the task.
 *
 * `source_event_id` makes feeds idempotent: unique per workspace + source, so a repeated EMAIL/CHAT/
 * Calendar event returns the existing row instead of a duplicate.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_activities (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{1,39}$'),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body_markdown text CHECK (length(body_markdown) <= 100000),
    occurred_at timestamptz(3) NOT NULL,
    due_at timestamptz(3),
    related_activity_id uuid,
    account_id uuid,
    contact_id uuid,
    deal_id uuid,
    source text NOT NULL DEFAULT 'manual'
      CHECK (source IN ('manual','email','chat','calendar','mcp','system')),
    source_event_id text CHECK (length(source_event_id) BETWEEN 1 AND 300),
    -- Kind-specific facts (call duration, stage from/to, tag…), shown but not searched.
    metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    owner_id uuid,
    actor_type text NOT NULL CHECK (actor_type IN ('user','api_key','system')),
    created_by uuid,
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES crm_core.crm_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES crm_core.crm_contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id),
    FOREIGN KEY (tenant_id, related_activity_id) REFERENCES crm_core.crm_activities (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES crm_core.crm_memberships (tenant_id, user_id)
  );
  ${tenantRls('crm_activities')}
  CREATE UNIQUE INDEX crm_activities_source_event_idx ON crm_core.crm_activities (tenant_id, source, source_event_id)
    WHERE source_event_id IS NOT NULL;
  -- Timelines, newest first.
  CREATE INDEX crm_activities_account_idx ON crm_core.crm_activities (tenant_id, account_id, occurred_at DESC, id DESC)
    WHERE account_id IS NOT NULL;
  CREATE INDEX crm_activities_contact_idx ON crm_core.crm_activities (tenant_id, contact_id, occurred_at DESC, id DESC)
    WHERE contact_id IS NOT NULL;
  CREATE INDEX crm_activities_deal_idx ON crm_core.crm_activities (tenant_id, deal_id, occurred_at DESC, id DESC)
    WHERE deal_id IS NOT NULL;
  CREATE INDEX crm_activities_occurred_idx ON crm_core.crm_activities (tenant_id, occurred_at DESC, id DESC);
  -- Open tasks by due date (dashboard: due and overdue).
  CREATE INDEX crm_activities_due_idx ON crm_core.crm_activities (tenant_id, due_at) WHERE due_at IS NOT NULL;
  CREATE INDEX crm_activities_related_idx ON crm_core.crm_activities (tenant_id, related_activity_id)
    WHERE related_activity_id IS NOT NULL;

  GRANT SELECT, INSERT ON crm_core.crm_activities TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE crm_core.crm_activities;').execute(db);
}
