import { type Kysely, sql } from 'kysely';
import { BUYING_ROLE_CHECK, businessColumns, tenantRls } from './helpers.js';

/**
 * Contacts (people, optionally at an account) and their channels (seed 003: a person has several ways
 * to be reached). A channel's `value` is its normalized form — E.164 for phones and Zalo numbers,
 * lower-cased addresses for email, canonical URLs for LinkedIn, handles without "@" for Telegram — and is
 * what lookups and duplicate detection use; `raw_value` keeps what the user typed.
 *
 * Names are searched like accounts (folded text, trigram index) through a SECURITY DEFINER function
 * (DESIGN §10); channel values through the (tenant_id, kind, value) btree, which exact-match and prefix
 * lookups can use under RLS because equality and range comparisons on text are leakproof.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE FUNCTION crm_core.contact_search_doc(display_name text, first_name text, last_name text,
      call_name text, title text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT crm_core.fold_text(concat_ws(' ', display_name, first_name, last_name, call_name, title)) $$;
  GRANT EXECUTE ON FUNCTION crm_core.contact_search_doc(text, text, text, text, text)
    TO crm_app, crm_search, crm_system;

  CREATE TABLE crm_core.crm_contacts (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    account_id uuid,
    first_name text CHECK (length(first_name) <= 100),
    last_name text CHECK (length(last_name) <= 100),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- What colleagues call the person ("Lan" for Nguyễn Thị Lan); editable.
    call_name text CHECK (length(call_name) <= 100),
    -- Vietnamese form of address (anh, chi, em, ban, ong, ba), filled by the Vietnamese layer.
    salutation text CHECK (salutation IN ('anh','chi','em','ban','ong','ba')),
    title text CHECK (length(title) <= 200),
    buying_role text CHECK (buying_role ${BUYING_ROLE_CHECK}),
    is_primary boolean NOT NULL DEFAULT false,
    -- Owner and claimed-by are one thing (seed 003): the member who claimed the contact.
    owner_id uuid,
    claimed_at timestamptz(3),
    email_opt_in boolean NOT NULL DEFAULT false,
    do_not_call boolean NOT NULL DEFAULT false,
    lead_source text,
    description text CHECK (length(description) <= 10000),
    custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    name_fold text GENERATED ALWAYS AS (crm_core.fold_text(display_name)) STORED,
    search_text text GENERATED ALWAYS AS
      (crm_core.contact_search_doc(display_name, first_name, last_name, call_name, title)) STORED,
    ${businessColumns},
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES crm_core.crm_accounts (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES crm_core.crm_memberships (tenant_id, user_id)
  );
  ${tenantRls('crm_contacts')}
  CREATE INDEX crm_contacts_name_idx ON crm_core.crm_contacts (tenant_id, name_fold COLLATE "C", id)
    INCLUDE (search_text, deleted_at);
  CREATE INDEX crm_contacts_created_idx ON crm_core.crm_contacts (tenant_id, created_at, id);
  CREATE INDEX crm_contacts_updated_idx ON crm_core.crm_contacts (tenant_id, updated_at, id);
  CREATE INDEX crm_contacts_account_idx ON crm_core.crm_contacts (tenant_id, account_id, name_fold COLLATE "C", id);
  CREATE INDEX crm_contacts_owner_idx ON crm_core.crm_contacts (tenant_id, owner_id);
  CREATE INDEX crm_contacts_search_idx ON crm_core.crm_contacts
    USING gin (tenant_id, search_text gin_trgm_ops);

  CREATE TABLE crm_core.crm_contact_channels (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    contact_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email','phone','linkedin','telegram','zalo')),
    value text NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
    raw_value text NOT NULL CHECK (length(raw_value) BETWEEN 1 AND 320),
    label text CHECK (length(label) <= 50),
    is_primary boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    -- Email only: result of the MX lookup (never blocks a write).
    mx_status text CHECK (mx_status IN ('unchecked','valid','no_mx','unresolvable')),
    mx_checked_at timestamptz(3),
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, contact_id, kind, value),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES crm_core.crm_contacts (tenant_id, id) ON DELETE CASCADE
  );
  ${tenantRls('crm_contact_channels')}
  -- Lookup by value ("who has +84912345678?") and prefix search; "C" order so ranges are byte ranges.
  CREATE INDEX crm_contact_channels_value_idx ON crm_core.crm_contact_channels
    (tenant_id, value COLLATE "C", kind) INCLUDE (contact_id);
  CREATE INDEX crm_contact_channels_contact_idx ON crm_core.crm_contact_channels (tenant_id, contact_id, position);

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_contacts TO crm_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON crm_core.crm_contact_channels TO crm_app;
  GRANT SELECT ON crm_core.crm_contacts, crm_core.crm_contact_channels TO crm_search;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_contact_channels;
  DROP TABLE crm_core.crm_contacts;
  DROP FUNCTION crm_core.contact_search_doc(text, text, text, text, text);
  `)
    .execute(db);
}
