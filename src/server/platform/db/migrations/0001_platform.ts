import { type Kysely, sql } from 'kysely';

/**
 * Platform and identity: roles, the tenancy helpers, workspaces, users, memberships, invitations,
 * sessions (refresh tokens), API keys, the audit log with its per-workspace chain heads, the outbox and
 * idempotency keys.
 *
 * Roles are cluster-wide objects shared by every database on the server, so they are created if missing
 * and never dropped by `down` (another database may use them). Extensions likewise.
 */

const ROLE_CHECK = `role IN ('admin','manager','sales_rep','support','marketing','viewer')`;

/** Enables and forces RLS with the standard workspace policy. */
const tenantRls = (table: string, column = 'tenant_id') => `
  ALTER TABLE crm_core.${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_tenant_isolation ON crm_core.${table}
    USING (${column} = crm_core.current_tenant_id())
    WITH CHECK (${column} = crm_core.current_tenant_id());
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE EXTENSION IF NOT EXISTS unaccent;
  CREATE EXTENSION IF NOT EXISTS btree_gin;

  DO $roles$
  DECLARE r text;
  BEGIN
    FOREACH r IN ARRAY ARRAY['crm_app','crm_system','crm_search'] LOOP
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
          EXECUTE format('CREATE ROLE %I NOLOGIN %s', r,
                         CASE WHEN r = 'crm_app' THEN 'NOBYPASSRLS' ELSE 'BYPASSRLS' END);
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently by another database's migration
      END;
    END LOOP;
    -- Roles may be pre-provisioned by a DBA; whatever their origin, the app role must not bypass RLS.
    IF (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'crm_app') THEN
      RAISE EXCEPTION 'role crm_app must not be superuser or BYPASSRLS';
    END IF;
    -- A non-superuser login role must be a member to SET ROLE and to hand function ownership over.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
      EXECUTE format('GRANT crm_app, crm_system, crm_search TO %I', current_user);
    END IF;
  END
  $roles$;

  GRANT USAGE ON SCHEMA crm_core TO crm_app, crm_system, crm_search;

  -- The workspace of the current transaction/session; NULL when unset, so policies match no row.
  CREATE FUNCTION crm_core.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

  -- Diacritic- and case-folded text for search and sorting: NFC first (macOS sends NFD), then unaccent
  -- (folds đ/Đ too), then lower. unaccent() is only STABLE; this wrapper pins the dictionary so it can
  -- be declared IMMUTABLE and used in generated columns and indexes (DESIGN §10).
  CREATE FUNCTION crm_core.fold_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, normalize(t, NFC))) $$;

  -- Escapes LIKE wildcards in user input.
  CREATE FUNCTION crm_core.like_escape(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT replace(replace(replace(t, '\\', '\\\\'), '%', '\\%'), '_', '\\_') $$;

  GRANT EXECUTE ON FUNCTION crm_core.current_tenant_id(), crm_core.fold_text(text), crm_core.like_escape(text)
    TO crm_app, crm_system, crm_search;

  CREATE TABLE crm_core.crm_workspaces (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,47}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    base_currency char(3) NOT NULL DEFAULT 'VND',
    locale text NOT NULL DEFAULT 'vi',
    timezone text NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    version integer NOT NULL DEFAULT 1,
    deleted_at timestamptz
  );
  ${tenantRls('crm_workspaces', 'id')}

  -- Users are people, global across workspaces (one login, several workspaces).
  CREATE TABLE crm_core.crm_users (
    id uuid PRIMARY KEY,
    email text NOT NULL CHECK (email = lower(email)),
    display_name text NOT NULL,
    password_hash text,
    locale text NOT NULL DEFAULT 'vi',
    external_issuer text,
    external_subject text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    disabled_at timestamptz
  );
  CREATE UNIQUE INDEX crm_users_email_key ON crm_core.crm_users (email);
  CREATE UNIQUE INDEX crm_users_external_key ON crm_core.crm_users (external_issuer, external_subject)
    WHERE external_subject IS NOT NULL;

  CREATE TABLE crm_core.crm_memberships (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES crm_core.crm_users (id),
    role text NOT NULL CHECK (${ROLE_CHECK}),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id)
  );
  CREATE INDEX crm_memberships_user_idx ON crm_core.crm_memberships (user_id);
  ${tenantRls('crm_memberships')}

  -- A workspace sees the users who are its members, nobody else.
  ALTER TABLE crm_core.crm_users ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.crm_users FORCE ROW LEVEL SECURITY;
  CREATE POLICY crm_users_member_of_tenant ON crm_core.crm_users FOR SELECT
    USING (EXISTS (SELECT 1 FROM crm_core.crm_memberships m
                   WHERE m.user_id = crm_users.id AND m.tenant_id = crm_core.current_tenant_id()));
  -- Only inside a workspace's transaction (sign-up, invitation, OIDC provisioning): never scope-less.
  CREATE POLICY crm_users_insert ON crm_core.crm_users FOR INSERT
    WITH CHECK (crm_core.current_tenant_id() IS NOT NULL);

  CREATE TABLE crm_core.crm_invitations (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    email text NOT NULL CHECK (email = lower(email)),
    role text NOT NULL CHECK (${ROLE_CHECK}),
    token_hash text NOT NULL UNIQUE,
    invited_by uuid,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_user_id uuid,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
  );
  ${tenantRls('crm_invitations')}

  -- Refresh tokens: rotating, grouped in families; reuse of a rotated token revokes the family.
  CREATE TABLE crm_core.crm_refresh_tokens (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES crm_core.crm_users (id),
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz,
    revoked_at timestamptz,
    revoked_reason text,
    user_agent text,
    ip text,
    PRIMARY KEY (tenant_id, id)
  );
  CREATE INDEX crm_refresh_tokens_family_idx ON crm_core.crm_refresh_tokens (family_id);
  ${tenantRls('crm_refresh_tokens')}

  CREATE TABLE crm_core.crm_api_keys (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    name text NOT NULL,
    token_prefix text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    scopes text[] NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES crm_core.crm_memberships (tenant_id, user_id)
  );
  ${tenantRls('crm_api_keys')}

  -- Append-only audit log with a per-workspace hash chain (each row stores the previous row's hash).
  CREATE TABLE crm_core.crm_audit_log (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    seq bigint NOT NULL,
    id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
    actor_id uuid,
    actor_label text NOT NULL,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    diff jsonb NOT NULL DEFAULT '{}',
    request_id text,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
  );
  CREATE INDEX crm_audit_log_entity_idx ON crm_core.crm_audit_log (tenant_id, entity_type, entity_id, seq);
  CREATE INDEX crm_audit_log_time_idx ON crm_core.crm_audit_log (tenant_id, occurred_at);
  ${tenantRls('crm_audit_log')}

  -- One row per workspace: the chain head. Locking it serializes audit writes of one workspace only.
  CREATE TABLE crm_core.crm_audit_heads (
    tenant_id uuid PRIMARY KEY REFERENCES crm_core.crm_workspaces (id),
    seq bigint NOT NULL,
    hash text NOT NULL
  );
  ${tenantRls('crm_audit_heads')}

  CREATE TABLE crm_core.crm_outbox (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    topic text NOT NULL,
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    last_error text,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    PRIMARY KEY (tenant_id, id)
  );
  CREATE INDEX crm_outbox_pending_idx ON crm_core.crm_outbox (available_at, created_at) WHERE status = 'pending';
  CREATE INDEX crm_outbox_published_idx ON crm_core.crm_outbox (published_at) WHERE status = 'published';
  ${tenantRls('crm_outbox')}

  CREATE TABLE crm_core.crm_idempotency_keys (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    principal_id uuid NOT NULL,
    key text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    request_hash text NOT NULL,
    status text NOT NULL CHECK (status IN ('in_progress', 'completed')),
    response_status integer,
    response_body text,
    response_headers jsonb,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, principal_id, key)
  );
  CREATE INDEX crm_idempotency_keys_expiry_idx ON crm_core.crm_idempotency_keys (expires_at);
  ${tenantRls('crm_idempotency_keys')}

  -- Privileges. crm_app works inside one workspace (RLS); crm_system does platform work across them.
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_workspaces TO crm_app;
  GRANT SELECT (id, email, display_name, locale, created_at, updated_at, version, disabled_at)
    ON crm_core.crm_users TO crm_app;
  -- Sign-up and invitation acceptance create the user inside the workspace's transaction (atomic with
  -- the membership and its audit row). Reading users back stays limited to members (policy above).
  GRANT INSERT ON crm_core.crm_users TO crm_app;
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_memberships, crm_core.crm_invitations, crm_core.crm_api_keys
    TO crm_app;
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_refresh_tokens TO crm_app;
  GRANT SELECT, INSERT ON crm_core.crm_audit_log TO crm_app;             -- append-only: no UPDATE/DELETE
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_audit_heads TO crm_app;
  GRANT INSERT, SELECT ON crm_core.crm_outbox TO crm_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON crm_core.crm_idempotency_keys TO crm_app;

  GRANT SELECT ON crm_core.crm_workspaces, crm_core.crm_memberships, crm_core.crm_invitations,
    crm_core.crm_api_keys, crm_core.crm_audit_log, crm_core.crm_audit_heads TO crm_system;
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_users TO crm_system;
  GRANT UPDATE (last_used_at) ON crm_core.crm_api_keys TO crm_system;
  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_refresh_tokens TO crm_system;
  GRANT SELECT, UPDATE, DELETE ON crm_core.crm_outbox TO crm_system;
  GRANT SELECT, DELETE ON crm_core.crm_idempotency_keys TO crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP TABLE crm_core.crm_idempotency_keys;
  DROP TABLE crm_core.crm_outbox;
  DROP TABLE crm_core.crm_audit_heads;
  DROP TABLE crm_core.crm_audit_log;
  DROP TABLE crm_core.crm_api_keys;
  DROP TABLE crm_core.crm_refresh_tokens;
  DROP TABLE crm_core.crm_invitations;
  DROP POLICY crm_users_insert ON crm_core.crm_users;
  DROP POLICY crm_users_member_of_tenant ON crm_core.crm_users;
  DROP TABLE crm_core.crm_memberships;
  DROP TABLE crm_core.crm_users;
  DROP TABLE crm_core.crm_workspaces;
  DROP FUNCTION crm_core.like_escape(text);
  DROP FUNCTION crm_core.fold_text(text);
  DROP FUNCTION crm_core.current_tenant_id();
  REVOKE USAGE ON SCHEMA crm_core FROM crm_app, crm_system, crm_search;
  `)
    .execute(db);
}
