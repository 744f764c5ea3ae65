import { type Kysely, sql } from 'kysely';

/**
 * Accounts (customer companies) and their search.
 *
 * Search under RLS: LIKE and trigram operators are not leakproof, so PostgreSQL will not use their
 * index inside an RLS-filtered scan (DESIGN §10). `crm_account_search` is therefore a SECURITY DEFINER
 * function owned by `crm_search` (BYPASSRLS, not superuser, SELECT on this table only) that filters on
 * the caller's workspace itself — taken from the session setting, never from an argument, so a caller
 * cannot ask for another workspace. It returns only ids and sort keys of one page; the caller then loads
 * those rows through RLS as usual.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE FUNCTION crm_core.account_search_doc(name text, mst text, domains text[], website text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT crm_core.fold_text(concat_ws(' ', name, mst, website,
            array_to_string(domains, ' '))) $$;

  CREATE TABLE crm_core.crm_accounts (
    tenant_id uuid NOT NULL REFERENCES crm_core.crm_workspaces (id),
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    legal_type text NOT NULL DEFAULT 'other'
      CHECK (legal_type IN ('sole_proprietor','llc','jsc','fdi','individual','other')),
    vn_mst text,
    mst_status text NOT NULL DEFAULT 'unverified'
      CHECK (mst_status IN ('unverified','valid','invalid','stale')),
    mst_checked_at timestamptz(3),
    industry text,
    size text CHECK (size IN ('1-10','11-50','51-200','201-500','501-1000','1001-5000','5001+')),
    website text,
    domains text[] NOT NULL DEFAULT '{}',
    country char(2),
    phone text,
    email text,
    addresses jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(addresses) = 'array'),
    lifecycle text NOT NULL DEFAULT 'prospect'
      CHECK (lifecycle IN ('lead','prospect','customer','partner','former_customer','other')),
    lead_source text,
    description text,
    owner_id uuid,
    custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    name_fold text GENERATED ALWAYS AS (crm_core.fold_text(name)) STORED,
    search_text text GENERATED ALWAYS AS (crm_core.account_search_doc(name, vn_mst, domains, website)) STORED,
    -- Millisecond precision: keyset cursors carry these values through JavaScript Dates exactly.
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    updated_by uuid,
    version integer NOT NULL DEFAULT 1,
    deleted_at timestamptz(3),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES crm_core.crm_memberships (tenant_id, user_id)
  );
  ALTER TABLE crm_core.crm_accounts ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.crm_accounts FORCE ROW LEVEL SECURITY;
  CREATE POLICY crm_accounts_tenant_isolation ON crm_core.crm_accounts
    USING (tenant_id = crm_core.current_tenant_id())
    WITH CHECK (tenant_id = crm_core.current_tenant_id());

  -- Keyset pagination orders: (name_fold, id), (created_at, id), (updated_at, id). "C" collation makes
  -- the order identical on PGlite and PostgreSQL whatever the database's default collation.
  CREATE INDEX crm_accounts_name_idx ON crm_core.crm_accounts (tenant_id, name_fold COLLATE "C", id);
  CREATE INDEX crm_accounts_created_idx ON crm_core.crm_accounts (tenant_id, created_at, id);
  CREATE INDEX crm_accounts_updated_idx ON crm_core.crm_accounts (tenant_id, updated_at, id);
  CREATE INDEX crm_accounts_owner_idx ON crm_core.crm_accounts (tenant_id, owner_id);
  CREATE INDEX crm_accounts_mst_idx ON crm_core.crm_accounts (tenant_id, vn_mst) WHERE vn_mst IS NOT NULL;
  CREATE INDEX crm_accounts_domains_idx ON crm_core.crm_accounts USING gin (domains);
  -- (tenant_id, trigram) in one GIN index (btree_gin): a search touches only its workspace's postings.
  CREATE INDEX crm_accounts_search_idx ON crm_core.crm_accounts
    USING gin (tenant_id, search_text gin_trgm_ops);

  GRANT SELECT, INSERT, UPDATE ON crm_core.crm_accounts TO crm_app;
  GRANT SELECT ON crm_core.crm_accounts TO crm_search;
  GRANT EXECUTE ON FUNCTION crm_core.account_search_doc(text, text, text[], text) TO crm_app, crm_search;

  -- Builds the WHERE clause shared by the page and count functions. Tokens are AND-ed substrings of the
  -- folded text, each one a trigram-indexable LIKE; values are bound with USING, never concatenated.
  CREATE FUNCTION crm_core.crm_account_search_where(p_tokens text[], p_filters jsonb)
    RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
  DECLARE
    w text := 'a.tenant_id = $1';
    i int;
  BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tokens, 1), 0) LOOP
      w := w || format(' AND a.search_text LIKE %L', '%' || crm_core.like_escape(p_tokens[i]) || '%');
    END LOOP;
    CASE coalesce(p_filters->>'deleted', 'exclude')
      WHEN 'only' THEN w := w || ' AND a.deleted_at IS NOT NULL';
      WHEN 'include' THEN NULL;
      ELSE w := w || ' AND a.deleted_at IS NULL';
    END CASE;
    IF p_filters ? 'owner_id' THEN
      IF p_filters->>'owner_id' IS NULL THEN w := w || ' AND a.owner_id IS NULL';
      ELSE w := w || ' AND a.owner_id = ($2->>''owner_id'')::uuid'; END IF;
    END IF;
    IF p_filters ? 'lifecycle' THEN w := w || ' AND a.lifecycle = $2->>''lifecycle'''; END IF;
    IF p_filters ? 'legal_type' THEN w := w || ' AND a.legal_type = $2->>''legal_type'''; END IF;
    IF p_filters ? 'industry' THEN w := w || ' AND a.industry = $2->>''industry'''; END IF;
    IF p_filters ? 'country' THEN w := w || ' AND a.country = $2->>''country'''; END IF;
    RETURN w;
  END
  $fn$;

  CREATE FUNCTION crm_core.crm_account_search_tokens(p_query text) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $fn$
      SELECT (regexp_split_to_array(btrim(crm_core.fold_text(p_query)), '\\s+'))[1:8]
    $fn$;

  -- One page of matches, ranked: exact name, name prefix, word start, anywhere; then name, id.
  -- The cursor is the (rank, name_fold, id) of the last row of the previous page.
  CREATE FUNCTION crm_core.crm_account_search(
    p_query text, p_filters jsonb, p_after_rank int, p_after_name text, p_after_id uuid, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    v_q text := btrim(crm_core.fold_text(p_query));
    v_sql text;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    v_sql := 'SELECT * FROM (SELECT a.id, (CASE WHEN a.name_fold = $3 THEN 0 WHEN a.name_fold LIKE $4 THEN 1'
      || ' WHEN a.search_text LIKE $5 THEN 2 ELSE 3 END)::int AS rank, a.name_fold'
      || ' FROM crm_core.crm_accounts a WHERE '
      || crm_core.crm_account_search_where(crm_core.crm_account_search_tokens(p_query), p_filters)
      || ') s';
    IF p_after_id IS NOT NULL THEN
      v_sql := v_sql || ' WHERE (s.rank, s.name_fold COLLATE "C", s.id) > ($6, $7 COLLATE "C", $8)';
    END IF;
    v_sql := v_sql || ' ORDER BY s.rank, s.name_fold COLLATE "C", s.id LIMIT $9';
    RETURN QUERY EXECUTE v_sql USING v_tenant, p_filters, v_q,
      crm_core.like_escape(v_q) || '%', '% ' || crm_core.like_escape(v_q) || '%',
      p_after_rank, p_after_name, p_after_id, least(greatest(p_limit, 1), 1000);
  END
  $fn$;

  CREATE FUNCTION crm_core.crm_account_search_count(p_query text, p_filters jsonb)
    RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    v_q text := btrim(crm_core.fold_text(p_query));
    v_count bigint;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN 0; END IF;
    EXECUTE 'SELECT count(*) FROM crm_core.crm_accounts a WHERE '
      || crm_core.crm_account_search_where(crm_core.crm_account_search_tokens(p_query), p_filters)
      INTO v_count USING v_tenant, p_filters;
    RETURN v_count;
  END
  $fn$;

  ALTER FUNCTION crm_core.crm_account_search(text, jsonb, int, text, uuid, int) OWNER TO crm_search;
  ALTER FUNCTION crm_core.crm_account_search_count(text, jsonb) OWNER TO crm_search;
  REVOKE ALL ON FUNCTION crm_core.crm_account_search(text, jsonb, int, text, uuid, int),
    crm_core.crm_account_search_count(text, jsonb) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION crm_core.crm_account_search(text, jsonb, int, text, uuid, int),
    crm_core.crm_account_search_count(text, jsonb) TO crm_app;
  GRANT EXECUTE ON FUNCTION crm_core.crm_account_search_where(text[], jsonb),
    crm_core.crm_account_search_tokens(text) TO crm_search;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION crm_core.crm_account_search_count(text, jsonb);
  DROP FUNCTION crm_core.crm_account_search(text, jsonb, int, text, uuid, int);
  DROP FUNCTION crm_core.crm_account_search_tokens(text);
  DROP FUNCTION crm_core.crm_account_search_where(text[], jsonb);
  DROP TABLE crm_core.crm_accounts;
  DROP FUNCTION crm_core.account_search_doc(text, text, text[], text);
  `)
    .execute(db);
}
