import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * Leads (seed 002 §2.3, seed 004 §2): a person and/or company captured before anyone has qualified them.
 * A lead is qualified or disqualified (with a reason), and converting it creates or links an account, a
 * contact and optionally a deal in one transaction; the links are kept here (`converted_*`), and a
 * converted lead is frozen.
 *
 * `email` and `phone` hold the normalized forms (lower-cased address, E.164) so duplicate checks and
 * lookups agree with contact channels; `phone_raw` keeps what was typed. Money is bigint minor units plus
 * the deal currencies, as on deals. The status invariants are CHECK constraints, so no code path can
 * store a disqualified lead without a reason or a converted one without its account.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE FUNCTION crm_core.lead_search_doc(display_name text, company_name text, email text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT crm_core.fold_text(concat_ws(' ', display_name, company_name, email)) $$;
  GRANT EXECUTE ON FUNCTION crm_core.lead_search_doc(text, text, text) TO crm_app, crm_search, crm_system;

  CREATE TABLE crm_core.crm_leads (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    first_name text CHECK (length(first_name) <= 100),
    last_name text CHECK (length(last_name) <= 100),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    title text CHECK (length(title) <= 200),
    company_name text CHECK (length(company_name) <= 200),
    email text CHECK (length(email) <= 320),
    phone text CHECK (length(phone) <= 32),
    phone_raw text CHECK (length(phone_raw) <= 64),
    vn_mst text CHECK (length(vn_mst) <= 20),
    country char(2),
    source text NOT NULL DEFAULT 'other' CHECK (source IN ('website','referral','event','cold_call',
      'partner','social','email_campaign','inbound_email','other')),
    source_detail text CHECK (length(source_detail) <= 200),
    status text NOT NULL DEFAULT 'new'
      CHECK (status IN ('new','contacted','qualified','disqualified','converted')),
    qualified_at timestamptz(3),
    disqualified_at timestamptz(3),
    disqualified_reason text CHECK (length(disqualified_reason) <= 1000),
    score integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    estimated_amount_minor bigint CHECK (estimated_amount_minor >= 0),
    currency char(3) NOT NULL DEFAULT 'VND' CHECK (currency IN ('VND','USD')),
    description text CHECK (length(description) <= 10000),
    owner_id uuid,
    converted_account_id uuid,
    converted_contact_id uuid,
    converted_deal_id uuid,
    converted_at timestamptz(3),
    name_fold text GENERATED ALWAYS AS (crm_core.fold_text(display_name)) STORED,
    search_text text GENERATED ALWAYS AS (crm_core.lead_search_doc(display_name, company_name, email)) STORED,
    ${businessColumns},
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT crm_leads_disqualified_state_check
      CHECK (status <> 'disqualified' OR (disqualified_reason IS NOT NULL AND disqualified_at IS NOT NULL)),
    CONSTRAINT crm_leads_converted_state_check
      CHECK (status <> 'converted' OR (converted_account_id IS NOT NULL AND converted_contact_id IS NOT NULL
        AND converted_at IS NOT NULL)),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES crm_core.crm_memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, converted_account_id) REFERENCES crm_core.crm_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, converted_contact_id) REFERENCES crm_core.crm_contacts (tenant_id, id),
    FOREIGN KEY (tenant_id, converted_deal_id) REFERENCES crm_core.crm_deals (tenant_id, id)
  );
  ${tenantRls('crm_leads')}
  CREATE INDEX crm_leads_name_idx ON crm_core.crm_leads (tenant_id, name_fold COLLATE "C", id);
  CREATE INDEX crm_leads_created_idx ON crm_core.crm_leads (tenant_id, created_at, id);
  CREATE INDEX crm_leads_updated_idx ON crm_core.crm_leads (tenant_id, updated_at, id);
  CREATE INDEX crm_leads_status_idx ON crm_core.crm_leads (tenant_id, status, created_at, id);
  CREATE INDEX crm_leads_owner_idx ON crm_core.crm_leads (tenant_id, owner_id);
  CREATE INDEX crm_leads_score_idx ON crm_core.crm_leads (tenant_id, score);
  CREATE INDEX crm_leads_email_idx ON crm_core.crm_leads (tenant_id, email);

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_leads TO crm_app;
  GRANT SELECT ON crm_core.crm_leads TO crm_search;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_leads;
  DROP FUNCTION crm_core.lead_search_doc(text, text, text);
  `)
    .execute(db);
}
