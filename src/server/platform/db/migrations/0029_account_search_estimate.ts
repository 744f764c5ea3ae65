import { type Kysely, sql } from 'kysely';

/**
 * Account search asks the planner before it probes (ADR 0024, amended 2026-11-22). The word-start tier
 * (2) ran a name-order probe over the first 5,000 names before the words index, so that a frequent word
 * fills its page in name order cheaply; a sparse word paid the probe for nothing (docs/benchmarks.md).
 * Now, for tier 2 with plain words, the function first asks the planner how many rows the words
 * condition matches (EXPLAIN, from the statistics of the words expression: ~0.3 ms): at most SPARSE
 * rows → the words index answers at once; more → the probe first, as before. The results are the same
 * either way, because this function's words path sorts every match (a wrong estimate costs time, never
 * order). EXPLAIN is refused inside a STABLE function, so the function is VOLATILE now (its statements
 * take their own snapshots; it only reads).
 *
 * Not the global search's functions (migration 0023): their sparse path keeps at most 200 matches before
 * sorting, so a low estimate for a frequent pair ("xay dung": the planner's statistics miss it) changed
 * which five came first — measured, so they keep the probe.
 *
 * The function is migration 0021's, re-created from a copy (a migration never imports another's code)
 * with that one change; `down` re-creates it as 0021 left it.
 */

/** At most this many rows expected for the words condition: the words index answers, no probe. */
const SPARSE = 200;

const ACCOUNT_SEARCH_0021 = `
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
`;

/**
 * Migration 0021's function with the estimate before the probe: the same text with three changes, each
 * required to be found exactly once (so a mistaken copy fails loudly instead of creating another body).
 */
function withEstimate(body: string): string {
  const edits: Array<[string, string]> = [
    ['LANGUAGE plpgsql STABLE SECURITY DEFINER', 'LANGUAGE plpgsql VOLATILE SECURITY DEFINER'],
    [OLD_DECL, NEW_DECL],
    [OLD_PROBE, NEW_PROBE],
  ];
  return edits.reduce((text, [from, to]) => {
    if (text.split(from).length !== 2) throw new Error(`0029: expected exactly one ${from.slice(0, 40)}`);
    return text.replace(from, to);
  }, body);
}

const OLD_DECL = `    v_words tsquery;
`;
const NEW_DECL = `    v_words tsquery;
    v_plan json;
`;
const OLD_PROBE = `
      EXECUTE 'SELECT count(*) FROM (' || v_sql || ') p' INTO v_n
        USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next, p_after_name, p_after_id, v_limit - v_got, v_words;
`;
const NEW_PROBE = `
      -- A word the planner expects in few rows (ADR 0024, amended): no probe, the words index answers.
      v_n := -1;
      IF v_tier = 2 AND v_words IS NOT NULL THEN
        EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM crm_core.crm_accounts a WHERE %s%s'
          || ' AND crm_core.account_search_words(a.search_text) @@ $10', v_base, v_cursor) INTO v_plan
          USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next, p_after_name, p_after_id, v_limit - v_got, v_words;
        IF (v_plan->0->'Plan'->>'Plan Rows')::numeric <= ${SPARSE} THEN v_n := 0; END IF;
      END IF;
      IF v_n < 0 THEN
        EXECUTE 'SELECT count(*) FROM (' || v_sql || ') p' INTO v_n
          USING v_tenant, p_filters, v_q, v_prefix, v_word, v_next, p_after_name, p_after_id, v_limit - v_got, v_words;
      END IF;
`;

const ACCOUNT_SEARCH_ESTIMATED = withEstimate(ACCOUNT_SEARCH_0021);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(ACCOUNT_SEARCH_ESTIMATED).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(ACCOUNT_SEARCH_0021).execute(db);
}
