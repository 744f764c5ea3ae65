import { type Kysely, sql } from 'kysely';

/**
 * Account search, second version: rank tiers fetched one at a time, in name order (ADR 0005).
 *
 * The first version ranked every match with a CASE expression and sorted them all to return one page:
 * a common term ("nguyen", 15% of 100k accounts) fetched and sorted 15k rows per page, a two-letter one
 * (no trigrams) scanned the whole workspace (docs/benchmarks.md). Now each tier (0 exact name, 1 name
 * prefix, 2 word start, 3 anywhere) is read in (name_fold, id) order and the function stops as soon as
 * the page is full:
 * - tiers 0 and 1 are a range of the (tenant_id, name_fold) btree;
 * - tiers 2 and 3 first probe the next PROBE rows in name order (a common term fills the page within a
 *   few hundred rows), and only when that comes up short fall back to the trigram index over all
 *   matches — which is then cheap, because a term that sparse has few matches;
 * - queries shorter than three characters have no trigrams: they match name prefixes and word starts
 *   (tiers 0–2) but not arbitrary substrings.
 * The result contract (ids, rank, name_fold; cursor = last row's rank, name_fold, id) is unchanged.
 */

const PROBE = 5000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  -- The name index now carries search_text and deleted_at, so the probe of tiers 2-3 is an index-only
  -- scan (no heap visit for the rows it rejects). It still serves keyset pagination by name.
  DROP INDEX crm_core.crm_accounts_name_idx;
  CREATE INDEX crm_accounts_name_idx ON crm_core.crm_accounts (tenant_id, name_fold COLLATE "C", id)
    INCLUDE (search_text, deleted_at);

  -- AND of one substring LIKE per token, on the given alias (values are quoted literals).
  CREATE FUNCTION crm_core.crm_account_search_token_cond(p_tokens text[], p_alias text)
    RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
  DECLARE
    c text := 'true';
    i int;
  BEGIN
    FOR i IN 1 .. coalesce(array_length(p_tokens, 1), 0) LOOP
      c := c || format(' AND %I.search_text LIKE %L', p_alias, '%' || crm_core.like_escape(p_tokens[i]) || '%');
    END LOOP;
    RETURN c;
  END
  $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.crm_account_search_token_cond(text[], text) TO crm_search;

  CREATE OR REPLACE FUNCTION crm_core.crm_account_search(
    p_query text, p_filters jsonb, p_after_rank int, p_after_name text, p_after_id uuid, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    v_q text := btrim(crm_core.fold_text(p_query));
    v_tokens text[] := crm_core.crm_account_search_tokens(p_query);
    v_limit int := least(greatest(p_limit, 1), 1000);
    v_base text;
    v_prefix text;
    v_word text;
    v_next text;
    v_tier_cond text;
    v_token_cond text;
    v_cursor text;
    v_sql text;
    v_got int := 0;
    v_n int;
    v_tier int;
    v_last_tier int;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    -- Workspace, deletion and filters; values of filters are bound ($2), never concatenated.
    v_base := crm_core.crm_account_search_where(ARRAY[]::text[], p_filters);
    v_prefix := crm_core.like_escape(v_q) || '%';
    v_word := '% ' || crm_core.like_escape(v_q) || '%';
    -- Upper bound of the name-prefix range in the "C" order: the query with its last character bumped.
    v_next := left(v_q, -1) || chr(ascii(right(v_q, 1)) + 1);
    v_last_tier := CASE WHEN length(v_q) < 3 THEN 2 ELSE 3 END;

    FOR v_tier IN coalesce(p_after_rank, 0) .. v_last_tier LOOP
      EXIT WHEN v_got >= v_limit;
      v_tier_cond := CASE v_tier
        -- COLLATE "C" on both sides, or the planner cannot match the name index (built in "C").
        WHEN 0 THEN 'a.name_fold COLLATE "C" = $3 COLLATE "C"'
        WHEN 1 THEN 'a.name_fold COLLATE "C" > $3 COLLATE "C" AND a.name_fold COLLATE "C" < $6 COLLATE "C"'
                    || ' AND a.name_fold LIKE $4'
        WHEN 2 THEN 'a.search_text LIKE $5 AND NOT a.name_fold LIKE $4'
        ELSE 'NOT a.search_text LIKE $5 AND NOT a.name_fold LIKE $4'
      END;
      v_cursor := CASE WHEN p_after_id IS NOT NULL AND v_tier = p_after_rank
        THEN ' AND (a.name_fold COLLATE "C", a.id) > ($7 COLLATE "C", $8)' ELSE '' END;

      -- Tokens are substrings of the query, so a row whose name starts with the query (tiers 0-1) or
      -- where the query starts a word (tier 2) holds every token: only tier 3 tests them. Leaving the
      -- token LIKEs out of the other tiers also keeps the planner on the name index (their estimates
      -- are guesses that made it pick the trigram index, and a 2-letter token scans it whole).
      v_token_cond := CASE WHEN v_tier = 3 THEN crm_core.crm_account_search_token_cond(v_tokens, 'a') ELSE 'true' END;

      IF v_tier <= 1 THEN
        v_sql := format('SELECT a.id, %s, a.name_fold FROM crm_core.crm_accounts a WHERE %s AND %s%s'
          || ' ORDER BY a.name_fold COLLATE "C", a.id LIMIT $9',
          v_tier, v_base, v_tier_cond, v_cursor);
        RETURN QUERY EXECUTE v_sql USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next,
          p_after_name, p_after_id, v_limit - v_got;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_got := v_got + v_n;
        CONTINUE;
      END IF;

      -- Probe: the next ${PROBE} rows of the workspace in name order, filtered here. If they hold a full
      -- page of this tier, that is the answer (counted first, then returned: both runs read the same
      -- few hundred cached rows).
      v_sql := format('SELECT a.id, %s, a.name_fold FROM (SELECT a.id, a.name_fold, a.search_text'
        || ' FROM crm_core.crm_accounts a WHERE %s%s ORDER BY a.name_fold COLLATE "C", a.id LIMIT ${PROBE}) a'
        || ' WHERE %s AND %s ORDER BY a.name_fold COLLATE "C", a.id LIMIT $9',
        v_tier, v_base, v_cursor, v_token_cond, v_tier_cond);
      EXECUTE 'SELECT count(*) FROM (' || v_sql || ') p' INTO v_n
        USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next, p_after_name, p_after_id, v_limit - v_got;
      IF v_n < v_limit - v_got THEN
        -- The term is sparse here: take every match of the tier after the cursor through the trigram
        -- index (MATERIALIZED keeps the planner from walking the name index instead) and sort the few.
        v_sql := format('WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a'
          || ' WHERE %s AND %s AND %s%s)'
          || ' SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $9',
          v_base, v_token_cond, v_tier_cond, v_cursor, v_tier);
      END IF;
      RETURN QUERY EXECUTE v_sql USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next,
        p_after_name, p_after_id, v_limit - v_got;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_got := v_got + v_n;
    END LOOP;
  END
  $fn$;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Restores the first version's body (migration 0002).
  await sql
    .raw(`
  CREATE OR REPLACE FUNCTION crm_core.crm_account_search(
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
  DROP FUNCTION crm_core.crm_account_search_token_cond(text[], text);
  DROP INDEX crm_core.crm_accounts_name_idx;
  CREATE INDEX crm_accounts_name_idx ON crm_core.crm_accounts (tenant_id, name_fold COLLATE "C", id);
  `)
    .execute(db);
}
