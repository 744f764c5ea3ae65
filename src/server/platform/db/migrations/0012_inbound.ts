import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * Activity auto-log (issue 6 §5, seed flow 4): which domains are tracked for which account, the
 * workspace's own domains (mail direction), and the append-only record of every item the EMAIL, CHAT and
 * Calendar feeds delivered, logged or skipped with a reason (the hourly reconciliation reads it).
 *
 * - `crm_inbound_tracked_domains`: UNIQUE (tenant_id, domain): a domain belongs to one account per
 *   workspace. Personal mail domains are refused by the service (R-CRM-003); rows are deleted outright
 *   (the audit log keeps the history).
 * - `crm_inbound_items`: one row per received unit (a message, a calendar event, a chat note), written in
 *   the same transaction as its timeline entry, never updated (crm_app has no UPDATE grant).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_inbound_settings (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    own_domains text[] NOT NULL DEFAULT '{}' CHECK (cardinality(own_domains) <= 50),
    ${businessColumns},
    PRIMARY KEY (tenant_id)
  );
  ${tenantRls('crm_inbound_settings')}

  CREATE TABLE crm_core.crm_inbound_tracked_domains (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    account_id uuid NOT NULL,
    domain text NOT NULL CHECK (length(domain) BETWEEN 3 AND 253 AND domain = lower(domain)),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, domain),
    FOREIGN KEY (tenant_id, account_id) REFERENCES crm_core.crm_accounts (tenant_id, id)
  );
  ${tenantRls('crm_inbound_tracked_domains')}
  CREATE INDEX crm_inbound_tracked_domains_account_idx
    ON crm_core.crm_inbound_tracked_domains (tenant_id, account_id, domain);

  CREATE TABLE crm_core.crm_inbound_items (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email','calendar','chat')),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1000),
    received_at timestamptz(3) NOT NULL DEFAULT now(),
    occurred_at timestamptz(3),
    outcome text NOT NULL CHECK (outcome IN ('logged','skipped')),
    reason text CHECK (reason IN ('no_tracked_domain','personal_domain','duplicate','cancelled','no_participants')),
    direction text CHECK (direction IN ('in','out')),
    activity_id uuid,
    account_id uuid,
    contact_id uuid,
    deal_id uuid,
    detail jsonb NOT NULL DEFAULT '{}',
    actor_type text NOT NULL CHECK (actor_type IN ('user','api_key','system')),
    created_by uuid,
    PRIMARY KEY (tenant_id, id),
    CHECK ((outcome = 'logged') = (reason IS NULL)),
    CHECK ((outcome = 'logged') = (activity_id IS NOT NULL))
  );
  ${tenantRls('crm_inbound_items')}
  CREATE INDEX crm_inbound_items_received_idx ON crm_core.crm_inbound_items (tenant_id, received_at);
  CREATE INDEX crm_inbound_items_external_idx ON crm_core.crm_inbound_items (tenant_id, channel, external_id);
  -- A timeline entry is counted as logged by one item only, also when two deliveries of a message race.
  CREATE UNIQUE INDEX crm_inbound_items_logged_idx ON crm_core.crm_inbound_items (tenant_id, activity_id)
    WHERE outcome = 'logged';

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_inbound_settings TO crm_app;
  GRANT SELECT, INSERT, DELETE ON crm_core.crm_inbound_tracked_domains TO crm_app;
  GRANT SELECT, INSERT ON crm_core.crm_inbound_items TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_inbound_items;
  DROP TABLE crm_core.crm_inbound_tracked_domains;
  DROP TABLE crm_core.crm_inbound_settings;
  `)
    .execute(db);
}
