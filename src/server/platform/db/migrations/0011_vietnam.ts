import { type Kysely, sql } from 'kysely';
import { businessColumns, tenantRls } from './helpers.js';

/**
 * The Vietnamese layer (ADR 0015): MST registry cache, the workspace's seller profile, VietQR receiving
 * accounts (allow-list, R-CRM-007) and generated codes, bank-directory edits, hóa đơn invoices with their
 * gapless numbering, deal line items, the deal-won flow's steps, and the contact fields the salutation
 * needs.
 *
 * - `crm_vn_mst_registry`: answers of the GDT registry, shared by every workspace (public data), read and
 *   written only as crm_system; RLS forced with no policy, so crm_app cannot see it at all.
 * - `crm_vn_invoices`: immutable (crm_app may SELECT and INSERT only); adjustments and replacements are
 *   new rows pointing at the original. `retain_until` = issue date + 10 years (Decree 123/2020).
 * - `crm_vn_invoice_sequences`: one row per (workspace, form, symbol); issuing takes the row lock with
 *   `UPDATE … RETURNING` inside the issuing transaction, so concurrent issuers queue and a rolled-back
 *   issue gives its number back: no gaps, no duplicates.
 * - `crm_deal_flow_steps`: the durable to-do list of a won deal, written in the closing transaction and
 *   worked off by the flow runner (claimed across workspaces as crm_system, executed as crm_app).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE TABLE crm_core.crm_vn_mst_registry (
    mst text PRIMARY KEY CHECK (mst ~ '^[0-9]{10}([0-9]{3})?$|^[0-9]{12}$'),
    found boolean NOT NULL,
    name text,
    address text,
    status text,
    source text NOT NULL,
    fetched_at timestamptz(3) NOT NULL,
    expires_at timestamptz(3) NOT NULL
  );
  ALTER TABLE crm_core.crm_vn_mst_registry ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.crm_vn_mst_registry FORCE ROW LEVEL SECURITY;
  CREATE INDEX crm_vn_mst_registry_expiry_idx ON crm_core.crm_vn_mst_registry (expires_at);
  GRANT SELECT, INSERT, UPDATE, DELETE ON crm_core.crm_vn_mst_registry TO crm_system;

  -- The workspace as a seller: what its invoices and QR codes say about it.
  CREATE TABLE crm_core.crm_vn_settings (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    legal_name text CHECK (length(legal_name) BETWEEN 1 AND 400),
    mst text CHECK (mst ~ '^[0-9]{10}(-[0-9]{3})?$'),
    address text CHECK (length(address) <= 400),
    phone text CHECK (length(phone) <= 32),
    email text CHECK (length(email) <= 254),
    bank_account text CHECK (length(bank_account) <= 40),
    bank_name text CHECK (length(bank_name) <= 200),
    -- KHHDon = C|K + 2-digit year + T + 2 letters; the year part is filled at issue time.
    invoice_with_code boolean NOT NULL DEFAULT true,
    invoice_series text NOT NULL DEFAULT 'TAA' CHECK (invoice_series ~ '^[TDLMNBGH][A-Z]{2}$'),
    provider_mst text CHECK (provider_mst ~ '^[0-9]{10}(-[0-9]{3})?$'),
    payment_method text NOT NULL DEFAULT 'TM/CK' CHECK (length(payment_method) <= 50),
    -- What the workspace sells, for the dated VAT rules (the 8% reduction excludes some sectors).
    vat_sector text CHECK (length(vat_sector) <= 40),
    -- Won-flow switches: a workspace without invoicing (or QR collection) turns the step off.
    won_flow_vietqr boolean NOT NULL DEFAULT true,
    won_flow_invoice boolean NOT NULL DEFAULT true,
    ${businessColumns},
    PRIMARY KEY (tenant_id)
  );
  ${tenantRls('crm_vn_settings')}

  CREATE TABLE crm_core.crm_vn_bank_overrides (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    bin text NOT NULL CHECK (bin ~ '^[0-9]{6}$'),
    code text CHECK (length(code) <= 40),
    short_name text CHECK (length(short_name) <= 100),
    name text CHECK (length(name) <= 300),
    disabled boolean NOT NULL DEFAULT false,
    ${businessColumns},
    PRIMARY KEY (tenant_id, bin)
  );
  ${tenantRls('crm_vn_bank_overrides')}

  -- R-CRM-007: money is collected only into accounts on this list, and the first use of each one needs
  -- a member's explicit confirmation (confirmed_at/by).
  CREATE TABLE crm_core.crm_vn_receiving_accounts (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    bank_bin text NOT NULL CHECK (bank_bin ~ '^[0-9]{6}$'),
    account_number text NOT NULL CHECK (account_number ~ '^[A-Za-z0-9]{1,19}$'),
    account_name text NOT NULL CHECK (length(account_name) BETWEEN 1 AND 200),
    service text NOT NULL DEFAULT 'QRIBFTTA' CHECK (service IN ('QRIBFTTA','QRIBFTTC')),
    is_default boolean NOT NULL DEFAULT false,
    confirmed_at timestamptz(3),
    confirmed_by uuid,
    ${businessColumns},
    PRIMARY KEY (tenant_id, id)
  );
  ${tenantRls('crm_vn_receiving_accounts')}
  CREATE UNIQUE INDEX crm_vn_receiving_accounts_number_idx
    ON crm_core.crm_vn_receiving_accounts (tenant_id, bank_bin, account_number) WHERE deleted_at IS NULL;
  CREATE UNIQUE INDEX crm_vn_receiving_accounts_default_idx
    ON crm_core.crm_vn_receiving_accounts (tenant_id) WHERE is_default AND deleted_at IS NULL;

  -- Seed table VIETQR: every code the CRM generated, with its payload, kept (what the customer scanned).
  CREATE TABLE crm_core.crm_vn_vietqr_codes (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    deal_id uuid,
    receiving_account_id uuid NOT NULL,
    bank_bin text NOT NULL,
    account_number text NOT NULL,
    amount_vnd bigint CHECK (amount_vnd > 0),
    purpose text CHECK (length(purpose) <= 25),
    reference text NOT NULL,
    payload text NOT NULL CHECK (length(payload) <= 512),
    origin text NOT NULL CHECK (origin IN ('manual','won_flow')),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id),
    FOREIGN KEY (tenant_id, receiving_account_id) REFERENCES crm_core.crm_vn_receiving_accounts (tenant_id, id)
  );
  ${tenantRls('crm_vn_vietqr_codes')}
  CREATE INDEX crm_vn_vietqr_codes_deal_idx ON crm_core.crm_vn_vietqr_codes (tenant_id, deal_id, created_at DESC);
  -- The won flow makes one collection code per deal, whatever the retries.
  CREATE UNIQUE INDEX crm_vn_vietqr_codes_won_idx ON crm_core.crm_vn_vietqr_codes (tenant_id, deal_id)
    WHERE origin = 'won_flow';

  -- What was sold: the invoice lines of a deal (one line for the deal when there are none).
  CREATE TABLE crm_core.crm_deal_line_items (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    deal_id uuid NOT NULL,
    position integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
    kind smallint NOT NULL DEFAULT 1 CHECK (kind BETWEEN 1 AND 4),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    unit text CHECK (length(unit) <= 50),
    -- Decimal strings kept exact (≤ 21 digits, ≤ 6 decimals, the e-invoice number format).
    quantity numeric(21,6) NOT NULL CHECK (quantity >= 0),
    unit_price numeric(21,6) NOT NULL CHECK (unit_price >= 0),
    vat_rate text NOT NULL CHECK (vat_rate IN ('0%','5%','8%','10%','KCT','KKKNT','auto')),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, deal_id, position),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id)
  );
  ${tenantRls('crm_deal_line_items')}

  CREATE TABLE crm_core.crm_vn_invoice_sequences (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    form text NOT NULL CHECK (form IN ('1','2')),
    symbol text NOT NULL CHECK (symbol ~ '^[CK][0-9]{2}[TDLMNBGH][A-Z]{2}$'),
    last_number integer NOT NULL DEFAULT 0 CHECK (last_number BETWEEN 0 AND 99999999),
    PRIMARY KEY (tenant_id, form, symbol)
  );
  ${tenantRls('crm_vn_invoice_sequences')}

  CREATE TABLE crm_core.crm_vn_invoices (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    deal_id uuid,
    account_id uuid,
    relation text NOT NULL DEFAULT 'original' CHECK (relation IN ('original','adjustment','replacement')),
    related_invoice_id uuid,
    form text NOT NULL,
    symbol text NOT NULL,
    number integer NOT NULL CHECK (number BETWEEN 1 AND 99999999),
    issue_date date NOT NULL,
    currency char(3) NOT NULL,
    exchange_rate numeric(21,6) NOT NULL,
    buyer_name text NOT NULL,
    buyer_mst text,
    total_before_vat numeric(21,6) NOT NULL,
    vat_total numeric(21,6) NOT NULL,
    grand_total numeric(21,6) NOT NULL,
    amount_in_words text NOT NULL,
    xml text NOT NULL,
    xml_sha256 text NOT NULL CHECK (xml_sha256 ~ '^[0-9a-f]{64}$'),
    xsd_version text NOT NULL,
    signer_subject text NOT NULL,
    signed_at timestamptz(3) NOT NULL,
    retain_until date NOT NULL,
    origin text NOT NULL CHECK (origin IN ('manual','won_flow')),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, form, symbol, number),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES crm_core.crm_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, related_invoice_id) REFERENCES crm_core.crm_vn_invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, form, symbol) REFERENCES crm_core.crm_vn_invoice_sequences (tenant_id, form, symbol),
    CHECK ((relation = 'original') = (related_invoice_id IS NULL))
  );
  ${tenantRls('crm_vn_invoices')}
  CREATE INDEX crm_vn_invoices_deal_idx ON crm_core.crm_vn_invoices (tenant_id, deal_id) WHERE deal_id IS NOT NULL;
  CREATE INDEX crm_vn_invoices_list_idx ON crm_core.crm_vn_invoices (tenant_id, created_at DESC, id DESC);
  -- One original invoice per deal: the won flow's retries and a manual issue cannot double-invoice.
  CREATE UNIQUE INDEX crm_vn_invoices_deal_original_idx ON crm_core.crm_vn_invoices (tenant_id, deal_id)
    WHERE relation = 'original' AND deal_id IS NOT NULL;
  -- An invoice is replaced at most once.
  CREATE UNIQUE INDEX crm_vn_invoices_replaced_idx ON crm_core.crm_vn_invoices (tenant_id, related_invoice_id)
    WHERE relation = 'replacement';

  CREATE TABLE crm_core.crm_deal_flow_steps (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    deal_id uuid NOT NULL,
    step text NOT NULL CHECK (step IN ('vietqr','invoice','engagement','brain','win_loss')),
    position smallint NOT NULL,
    status text NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending','done','waiting','failed','skipped')),
    attempts integer NOT NULL DEFAULT 0,
    available_at timestamptz(3) NOT NULL DEFAULT now(),
    locked_until timestamptz(3),
    last_error text CHECK (length(last_error) <= 2000),
    result jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(result) = 'object'),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    completed_at timestamptz(3),
    PRIMARY KEY (tenant_id, deal_id, step),
    FOREIGN KEY (tenant_id, deal_id) REFERENCES crm_core.crm_deals (tenant_id, id)
  );
  ${tenantRls('crm_deal_flow_steps')}
  CREATE INDEX crm_deal_flow_steps_due_idx ON crm_core.crm_deal_flow_steps (available_at)
    WHERE status = 'pending';

  -- Salutation inputs on the contact; 'anh_chi'/'ong_ba' are the neutral forms when gender is unknown.
  ALTER TABLE crm_core.crm_contacts
    ADD COLUMN gender text CHECK (gender IN ('male','female')),
    ADD COLUMN birth_year smallint CHECK (birth_year BETWEEN 1900 AND 2100),
    ADD COLUMN salutation_source text NOT NULL DEFAULT 'auto' CHECK (salutation_source IN ('auto','manual'));
  ALTER TABLE crm_core.crm_contacts DROP CONSTRAINT crm_contacts_salutation_check;
  ALTER TABLE crm_core.crm_contacts ADD CONSTRAINT crm_contacts_salutation_check
    CHECK (salutation IN ('anh','chi','em','ban','ong','ba','anh_chi','ong_ba'));

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_vn_settings, crm_core.crm_vn_receiving_accounts,
    crm_core.crm_vn_bank_overrides, crm_core.crm_vn_invoice_sequences, crm_core.crm_deal_flow_steps TO crm_app;
  GRANT DELETE ON crm_core.crm_vn_bank_overrides TO crm_app;
  GRANT SELECT, INSERT, DELETE ON crm_core.crm_deal_line_items TO crm_app;
  GRANT SELECT, INSERT ON crm_core.crm_vn_vietqr_codes, crm_core.crm_vn_invoices TO crm_app;
  -- The flow runner claims due steps across workspaces.
  GRANT SELECT, UPDATE ON crm_core.crm_deal_flow_steps TO crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_contacts DROP CONSTRAINT crm_contacts_salutation_check;
  -- NOT VALID: rows holding the neutral forms stay readable (FORCE RLS hides them from the owner, so
  -- they cannot be rewritten here); new writes obey the older rule.
  ALTER TABLE crm_core.crm_contacts ADD CONSTRAINT crm_contacts_salutation_check
    CHECK (salutation IN ('anh','chi','em','ban','ong','ba')) NOT VALID;
  ALTER TABLE crm_core.crm_contacts DROP COLUMN salutation_source, DROP COLUMN birth_year, DROP COLUMN gender;
  DROP TABLE crm_core.crm_deal_flow_steps;
  DROP TABLE crm_core.crm_vn_invoices;
  DROP TABLE crm_core.crm_vn_invoice_sequences;
  DROP TABLE crm_core.crm_deal_line_items;
  DROP TABLE crm_core.crm_vn_vietqr_codes;
  DROP TABLE crm_core.crm_vn_receiving_accounts;
  DROP TABLE crm_core.crm_vn_bank_overrides;
  DROP TABLE crm_core.crm_vn_settings;
  DROP TABLE crm_core.crm_vn_mst_registry;
  `)
    .execute(db);
}
