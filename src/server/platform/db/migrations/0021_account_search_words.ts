import { type Kysely, sql } from 'kysely';

/**
 * Account search, third version: a words index for the word-start tier (ADR 0024).
 *
 * Tier 2 (the query starts a word: "thanh cong" in "Công ty Thành Công Phát") fell back, for terms that
 * are sparse in name order, to the trigram index. pg_trgm pads each word on its own, so a phrase gives
 * only the trigrams of its syllables, and common Vietnamese syllables ("con", "anh", "ong", "thi") have
 * posting lists of tens of thousands of rows in a workspace: 33 ms for "thanh cong" although only 45
 * rows hold the phrase (docs/benchmarks.md). Vietnamese words are syllables, so a phrase is a run of
 * adjacent words: this migration indexes each account's words and adjacent word pairs ("thanh", "cong",
 * "thanh_cong", …) as tsvector lexemes (taken as they are, not parsed), and tier 2 asks for
 * `t1_t2 & … & t(n-1)_tn:*` (one word: `t1:*`): short posting lists, rechecked by the LIKE. Only queries
 * whose words are plain letters and digits use it (no tsquery syntax to escape); others keep the trigram
 * path. Tiers 0, 1 and 3 are unchanged.
 */

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  -- The words of a folded search text and its adjacent word pairs, as lexemes (array_to_tsvector takes
  -- them as they are and removes duplicates). IMMUTABLE: it reads only its argument, so it can be indexed.
  CREATE FUNCTION crm_core.account_search_words(p_text text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
      SELECT array_to_tsvector(coalesce(array_agg(x) FILTER (WHERE x <> ''), ARRAY[]::text[]))
      FROM (
        SELECT w[i] AS x FROM (SELECT regexp_split_to_array(p_text, '\\s+') AS w) s,
             generate_series(1, coalesce(array_length(w, 1), 0)) i
        UNION ALL
        SELECT w[i] || '_' || w[i + 1] FROM (SELECT regexp_split_to_array(p_text, '\\s+') AS w) s,
             generate_series(1, coalesce(array_length(w, 1), 0) - 1) i
      ) t
    $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.account_search_words(text) TO crm_app, crm_search;

  -- The tier-2 query for search tokens: one word → its prefix; several → every adjacent pair, the last
  -- one as a prefix. NULL when a token is not plain letters and digits (tier 2 then uses trigrams).
  CREATE FUNCTION crm_core.account_search_words_query(p_tokens text[]) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
  DECLARE
    n int := coalesce(array_length(p_tokens, 1), 0);
    q text := '';
    i int;
  BEGIN
    IF n = 0 THEN RETURN NULL; END IF;
    FOR i IN 1 .. n LOOP
      IF p_tokens[i] !~ '^[a-z0-9]+$' THEN RETURN NULL; END IF;
    END LOOP;
    IF n = 1 THEN RETURN (p_tokens[1] || ':*')::tsquery; END IF;
    FOR i IN 1 .. n - 1 LOOP
      q := q || CASE WHEN i > 1 THEN ' & ' ELSE '' END || p_tokens[i] || '_' || p_tokens[i + 1]
        || CASE WHEN i = n - 1 THEN ':*' ELSE '' END;
    END LOOP;
    RETURN q::tsquery;
  END
  $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.account_search_words_query(text[]) TO crm_app, crm_search;

  CREATE INDEX crm_accounts_words_idx ON crm_core.crm_accounts
    USING gin (tenant_id, crm_core.account_search_words(search_text));

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
    v_words tsquery;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    -- Workspace, deletion and filters; values of filters are bound ($2), never concatenated.
    v_base := crm_core.crm_account_search_where(ARRAY[]::text[], p_filters);
    v_prefix := crm_core.like_escape(v_q) || '%';
    v_word := '% ' || crm_core.like_escape(v_q) || '%';
    -- Upper bound of the name-prefix range in the "C" order: the query with its last character bumped.
    v_next := left(v_q, -1) || chr(ascii(right(v_q, 1)) + 1);
    v_last_tier := CASE WHEN length(v_q) < 3 THEN 2 ELSE 3 END;
    v_words := crm_core.account_search_words_query(v_tokens);

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
          p_after_name, p_after_id, v_limit - v_got, v_words;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_got := v_got + v_n;
        CONTINUE;
      END IF;

      -- Probe: the next 5000 rows of the workspace in name order, filtered here. If they hold a full
      -- page of this tier, that is the answer (counted first, then returned: both runs read the same
      -- few hundred cached rows).
      v_sql := format('SELECT a.id, %s, a.name_fold FROM (SELECT a.id, a.name_fold, a.search_text'
        || ' FROM crm_core.crm_accounts a WHERE %s%s ORDER BY a.name_fold COLLATE "C", a.id LIMIT 5000) a'
        || ' WHERE %s AND %s ORDER BY a.name_fold COLLATE "C", a.id LIMIT $9',
        v_tier, v_base, v_cursor, v_token_cond, v_tier_cond);
      EXECUTE 'SELECT count(*) FROM (' || v_sql || ') p' INTO v_n
        USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next, p_after_name, p_after_id, v_limit - v_got, v_words;
      IF v_n < v_limit - v_got THEN
        IF v_tier = 2 AND v_words IS NOT NULL THEN
          -- Word start (ADR 0024): the words index finds the rows whose words (or adjacent word pairs)
          -- begin as the query says; the LIKE rechecks them. It is written so that the trigram index
          -- cannot serve it: the planner would otherwise AND both indexes and still read the long trigram
          -- posting lists of common syllables.
          v_sql := format('WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a'
            || ' WHERE %s AND crm_core.account_search_words(a.search_text) @@ $10'
            || ' AND (a.search_text || '''') LIKE $5 AND NOT a.name_fold LIKE $4%s)'
            || ' SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $9',
            v_base, v_cursor, v_tier);
        ELSE
          -- The term is sparse here: take every match of the tier after the cursor through the trigram
          -- index (MATERIALIZED keeps the planner from walking the name index instead) and sort the few.
          v_sql := format('WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a'
            || ' WHERE %s AND %s AND %s%s)'
            || ' SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $9',
            v_base, v_token_cond, v_tier_cond, v_cursor, v_tier);
        END IF;
      END IF;
      RETURN QUERY EXECUTE v_sql USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next,
        p_after_name, p_after_id, v_limit - v_got, v_words;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_got := v_got + v_n;
    END LOOP;
  END
  $fn$;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Restores the second version's body (migration 0003).
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

      -- Probe: the next 5000 rows of the workspace in name order, filtered here. If they hold a full
      -- page of this tier, that is the answer (counted first, then returned: both runs read the same
      -- few hundred cached rows).
      v_sql := format('SELECT a.id, %s, a.name_fold FROM (SELECT a.id, a.name_fold, a.search_text'
        || ' FROM crm_core.crm_accounts a WHERE %s%s ORDER BY a.name_fold COLLATE "C", a.id LIMIT 5000) a'
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
  DROP INDEX crm_core.crm_accounts_words_idx;
  DROP FUNCTION crm_core.account_search_words_query(text[]);
  DROP FUNCTION crm_core.account_search_words(text);
  `)
    .execute(db);
}
