import { type Kysely, sql } from 'kysely';
import { BUYING_ROLE_CHECK, businessColumns, tenantRls } from './helpers.js';

/**
 * Deals, their contacts, their stage history, and the workspace's exchange rates.
 *
 * - Money is bigint minor units + ISO 4217 currency (VND has no minor unit, USD has cents).
 * - Per-deal ACL lives on the deal row (`acl_mode`, `acl_member_ids`, `acl_roles`) so one predicate
 *   decides visibility in every list, count, total and search without a join (ADR 0012).
 * - `crm_stage_transitions` is append-only (no UPDATE or DELETE granted): the history of every move.
 * - `crm_exchange_rates`: how many units of the workspace's base currency one unit of `currency` was
 *   worth from `effective_date` on; totals convert with the rate valid on the relevant date.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_deals (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    account_id uuid,
    primary_contact_id uuid,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 2000),
    amount_minor bigint CHECK (amount_minor >= 0),
    currency char(3) NOT NULL DEFAULT 'VND' CHECK (currency IN ('VND','USD')),
    pipeline_id uuid NOT NULL,
    stage_id uuid NOT NULL,
    probability integer NOT NULL CHECK (probability BETWEEN 0 AND 100),
    -- true when someone set the probability by hand; a stage move then keeps it (until reset).
    probability_overridden boolean NOT NULL DEFAULT false,
    expected_close_date date,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','won','lost','cancelled')),
    lost_reason text CHECK (length(lost_reason) BETWEEN 1 AND 1000),
    closed_at timestamptz(3),
    owner_id uuid,
    acl_mode text NOT NULL DEFAULT 'default' CHECK (acl_mode IN ('default','restricted')),
    acl_member_ids uuid[] NOT NULL DEFAULT '{}',
    acl_roles text[] NOT NULL DEFAULT '{}',
    tags text[] NOT NULL DEFAULT '{}',
    stage_entered_at timestamptz(3) NOT NULL DEFAULT now(),
    lead_source text,
    custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    name_fold text GENERATED ALWAYS AS (crm_core.fold_text(name)) STORED,
    ${businessColumns},
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES crm_core.crm_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, primary_contact_id) REFERENCES crm_core.crm_contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, pipeline_id) REFERENCES crm_core.crm_pipelines (tenant_id, id),
    FOREIGN KEY (tenant_id, stage_id) REFERENCES crm_core.crm_pipeline_stages (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES crm_core.crm_memberships (tenant_id, user_id),
    CHECK (status <> 'lost' OR lost_reason IS NOT NULL),
    CHECK ((status = 'open') = (closed_at IS NULL))
  );
  ${tenantRls('crm_deals')}
  -- The board: one pipeline's live deals by stage.
  CREATE INDEX crm_deals_board_idx ON crm_core.crm_deals (tenant_id, pipeline_id, stage_id, stage_entered_at)
    WHERE deleted_at IS NULL;
  CREATE INDEX crm_deals_name_idx ON crm_core.crm_deals (tenant_id, name_fold COLLATE "C", id);
  CREATE INDEX crm_deals_created_idx ON crm_core.crm_deals (tenant_id, created_at, id);
  CREATE INDEX crm_deals_updated_idx ON crm_core.crm_deals (tenant_id, updated_at, id);
  CREATE INDEX crm_deals_close_idx ON crm_core.crm_deals (tenant_id, expected_close_date, id);
  CREATE INDEX crm_deals_account_idx ON crm_core.crm_deals (tenant_id, account_id);
  CREATE INDEX crm_deals_contact_idx ON crm_core.crm_deals (tenant_id, primary_contact_id);
  CREATE INDEX crm_deals_owner_idx ON crm_core.crm_deals (tenant_id, owner_id);
  CREATE INDEX crm_deals_closed_idx ON crm_core.crm_deals (tenant_id, status, closed_at) WHERE status <> 'open';
  CREATE INDEX crm_deals_search_idx ON crm_core.crm_deals USING gin (tenant_id, name_fold gin_trgm_ops);

  CREATE TABLE crm_core.crm_deal_contacts (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    deal_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    role text CHECK (role ${BUYING_ROLE_CHECK}),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, deal_id, contact_id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES crm_core.crm_contacts (tenant_id, id)
  );
  ${tenantRls('crm_deal_contacts')}
  CREATE INDEX crm_deal_contacts_contact_idx ON crm_core.crm_deal_contacts (tenant_id, contact_id);

  CREATE TABLE crm_core.crm_stage_transitions (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    deal_id uuid NOT NULL,
    pipeline_id uuid NOT NULL,
    -- null on the first row (the deal's creation in its first stage).
    from_stage_id uuid,
    to_stage_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    probability integer NOT NULL,
    -- Milliseconds the deal spent in from_stage (for stage-velocity reports).
    ms_in_from_stage bigint,
    actor_type text NOT NULL CHECK (actor_type IN ('user','api_key','system')),
    actor_id uuid,
    occurred_at timestamptz(3) NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id),
    FOREIGN KEY (tenant_id, from_stage_id) REFERENCES crm_core.crm_pipeline_stages (tenant_id, id),
    FOREIGN KEY (tenant_id, to_stage_id) REFERENCES crm_core.crm_pipeline_stages (tenant_id, id)
  );
  ${tenantRls('crm_stage_transitions')}
  CREATE INDEX crm_stage_transitions_deal_idx ON crm_core.crm_stage_transitions (tenant_id, deal_id, occurred_at, id);

  CREATE TABLE crm_core.crm_exchange_rates (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    base_currency char(3) NOT NULL,
    currency char(3) NOT NULL,
    -- Units of base_currency per one unit of currency (major units: 1 USD = 25400 VND).
    rate numeric(24, 10) NOT NULL CHECK (rate > 0),
    effective_date date NOT NULL,
    source text CHECK (length(source) <= 200),
    ${businessColumns},
    PRIMARY KEY (tenant_id, id),
    CHECK (base_currency <> currency)
  );
  ${tenantRls('crm_exchange_rates')}
  CREATE UNIQUE INDEX crm_exchange_rates_day_idx ON crm_core.crm_exchange_rates
    (tenant_id, base_currency, currency, effective_date) WHERE deleted_at IS NULL;

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_deals, crm_core.crm_exchange_rates TO crm_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON crm_core.crm_deal_contacts TO crm_app;
  GRANT SELECT, INSERT ON crm_core.crm_stage_transitions TO crm_app;
  GRANT SELECT ON crm_core.crm_deals TO crm_search;

  -- Minor units per major unit of the currencies deals may use (ISO 4217 exponent).
  CREATE FUNCTION crm_core.currency_exponent(c text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT CASE c WHEN 'VND' THEN 0 WHEN 'USD' THEN 2 ELSE 2 END $$;
  GRANT EXECUTE ON FUNCTION crm_core.currency_exponent(text) TO crm_app, crm_system, crm_search;

  -- Every workspace starts with a plausible VND/USD rate (editable; an audited change writes a new row).
  INSERT INTO crm_core.crm_exchange_rates (tenant_id, id, base_currency, currency, rate, effective_date, source)
  SELECT w.id, crm_core.uuid_v7(), 'VND', 'USD', 25400, DATE '2026-01-01', 'seed'
  FROM crm_core.crm_workspaces w WHERE w.base_currency = 'VND';
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION crm_core.currency_exponent(text);
  DROP TABLE crm_core.crm_exchange_rates;
  DROP TABLE crm_core.crm_stage_transitions;
  DROP TABLE crm_core.crm_deal_contacts;
  DROP TABLE crm_core.crm_deals;
  `)
    .execute(db);
}
