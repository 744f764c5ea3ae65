import { type Kysely, sql } from 'kysely';

/**
 * Global search gets the words-and-pairs index of migration 0021 (ADR 0024) for its word-start tier:
 * contacts (their search text) and the global account search. Their tier 2 fell back, when sparse in
 * name order, to the trigram index, whose posting lists for common Vietnamese syllables are long
 * ("Tô Bảo Oanh", "thanh con"). The functions are those of migration 0009, re-created from a copy of its
 * generator (a migration never imports another's code) with one change: the sparse tier-2 query asks
 * the words index first when the query's tokens are plain words. `down` re-creates them as 0009 did.
 *
 * Not deals: every move rewrites the deal's row, and an expression GIN index on it made each move
 * compute and insert the name's words again (measured in the moves benchmark); deal names are short
 * and their search probes only 200 rows.
 */

const PROBE = 2000;
const CAP = 200;

/**
 * Tier 2 through the words-and-pairs index when the query's tokens are plain words ($9 not null): the
 * index finds the rows, the word-start LIKE (written so the trigram index cannot serve it) rechecks them.
 */
function wordsCond(s: TierSpec): string {
  return `CASE WHEN v_tier = 2 AND v_words IS NOT NULL THEN 'crm_core.account_search_words(a.${s.text}) @@ $9'
            || ' AND (a.${s.text} || '''') LIKE $4 AND NOT a.name_fold LIKE $3' ELSE v_tier_cond END`;
}

interface TierSpec {
  fn: string;
  table: string;
  /** The folded text matched by tiers 2–3 (contacts: name + title…; deals: the name). */
  text: string;
  /** Extra parameters of the function, with their SQL types. */
  params: string;
  /** Condition on alias `a` beyond tenant (`$1`) and deletion; may use $7 (user) and $8 (role). */
  acl: string;
  probe: number;
}

/**
 * The body shared by the name-search functions. Bound values ($n, never concatenated): $1 workspace,
 * $2 folded query, $3 name-prefix LIKE, $4 word-start LIKE, $5 upper bound of the prefix range,
 * $6 rows still wanted, $7 user, $8 role.
 */
function tieredSearch(s: TierSpec, userArg: string, roleArg: string, words: boolean): string {
  const base = `a.tenant_id = $1 AND a.deleted_at IS NULL${s.acl ? ` AND ${s.acl}` : ''}`;
  // Only the columns the tier conditions read: for contacts the name index INCLUDEs them (index-only).
  const probeCols = s.text === 'name_fold' ? 'a.id, a.name_fold' : `a.id, a.name_fold, a.${s.text}`;
  return `
  CREATE OR REPLACE FUNCTION crm_core.${s.fn}(p_query text${s.params}, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    -- Folded, with runs of white space collapsed so "nguyen   van" is the phrase "nguyen van".
    v_q text := btrim(regexp_replace(crm_core.fold_text(p_query), '\\s+', ' ', 'g'));
    v_tokens text[];
    v_limit int := least(greatest(p_limit, 1), 1000);
    v_prefix text;
    v_word text;
    v_next text;
    v_tier_cond text;
    v_token_cond text;
    v_sql text;
    v_ids uuid[];
    v_names text[];
    v_got int := 0;
    v_n int;
    v_tier int;
    v_last_tier int;
    i int;${words ? '\n    v_words tsquery;' : ''}
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    v_tokens := (regexp_split_to_array(v_q, ' '))[1:8];${words ? '\n    v_words := crm_core.account_search_words_query(v_tokens);' : ''}
    v_prefix := crm_core.like_escape(v_q) || '%';
    v_word := '% ' || crm_core.like_escape(v_q) || '%';
    v_next := left(v_q, -1) || chr(ascii(right(v_q, 1)) + 1);
    -- Under three characters there are no trigrams: prefix and word start only.
    v_last_tier := CASE WHEN length(v_q) < 3 THEN 2 ELSE 3 END;
    v_token_cond := 'true';
    FOR i IN 1 .. coalesce(array_length(v_tokens, 1), 0) LOOP
      v_token_cond := v_token_cond
        || format(' AND a.${s.text} LIKE %L', '%' || crm_core.like_escape(v_tokens[i]) || '%');
    END LOOP;

    -- Tiers 0-1 in one range of the name index: the exact name sorts first among the names it prefixes.
    -- COLLATE "C" on both sides, or the planner cannot match the name index (built in "C").
    v_sql := 'SELECT a.id, CASE WHEN a.name_fold = $2 THEN 0 ELSE 1 END, a.name_fold'
      || ' FROM crm_core.${s.table} a WHERE ${base}'
      || ' AND a.name_fold COLLATE "C" >= $2 COLLATE "C" AND a.name_fold COLLATE "C" < $5 COLLATE "C"'
      || ' AND a.name_fold LIKE $3 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6';
    RETURN QUERY EXECUTE v_sql
      USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit, ${userArg}, ${roleArg}${words ? ', v_words' : ''};
    GET DIAGNOSTICS v_got = ROW_COUNT;
    IF v_got >= v_limit THEN RETURN; END IF;

    FOR v_tier IN 2 .. v_last_tier LOOP
      EXIT WHEN v_got >= v_limit;
      v_tier_cond := CASE v_tier
        WHEN 2 THEN 'a.${s.text} LIKE $4 AND NOT a.name_fold LIKE $3'
        -- Tokens are substrings of the query, so rows of tiers 0-2 hold every token: only tier 3 tests them.
        ELSE 'NOT a.${s.text} LIKE $4 AND NOT a.name_fold LIKE $3 AND ' || v_token_cond
      END;
      -- Probe: the first ${s.probe} rows in name order (an index scan), filtered, stopping at a page;
      -- kept in arrays and returned as they are when they fill it (one execution, no count-then-rerun).
      v_sql := format('SELECT array_agg(p.id ORDER BY p.name_fold COLLATE "C", p.id),'
        || ' array_agg(p.name_fold ORDER BY p.name_fold COLLATE "C", p.id) FROM (SELECT a.id, a.name_fold'
        || ' FROM (SELECT ${probeCols} FROM crm_core.${s.table} a WHERE ${base}'
        || ' ORDER BY a.name_fold COLLATE "C", a.id LIMIT ${s.probe}) a'
        || ' WHERE %s ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6) p', v_tier_cond);
      EXECUTE v_sql INTO v_ids, v_names
        USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got, ${userArg}, ${roleArg}${words ? ', v_words' : ''};
      IF coalesce(cardinality(v_ids), 0) >= v_limit - v_got THEN
        RETURN QUERY SELECT u.i, v_tier, u.n
          FROM unnest(v_ids[1:v_limit - v_got], v_names[1:v_limit - v_got]) WITH ORDINALITY AS u(i, n, o)
          ORDER BY u.o;
      ELSE
        -- Sparse here: the tier's matches through the trigram index (MATERIALIZED keeps the planner
        -- off the name index), at most ${CAP} of them, then sorted.
        v_sql := format('WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.${s.table} a'
          || ' WHERE ${base} AND %s LIMIT ${CAP})'
          || ' SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
          ${words ? wordsCond(s) : 'v_tier_cond'}, v_tier);
        RETURN QUERY EXECUTE v_sql
          USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got, ${userArg}, ${roleArg}${words ? ', v_words' : ''};
      END IF;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_got := v_got + v_n;
    END LOOP;
  END
  $fn$;`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE INDEX crm_contacts_words_idx ON crm_core.crm_contacts
    USING gin (tenant_id, crm_core.account_search_words(search_text));
  ${tieredSearch(
    {
      fn: 'crm_contact_search',
      table: 'crm_contacts',
      text: 'search_text',
      params: '',
      acl: '',
      probe: PROBE,
    },
    'NULL::uuid',
    'NULL::text',
    true,
  )}

  ${tieredSearch(
    {
      fn: 'crm_account_quick_search',
      table: 'crm_accounts',
      text: 'search_text',
      params: '',
      acl: '',
      probe: PROBE,
    },
    'NULL::uuid',
    'NULL::text',
    true,
  )}


  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ${tieredSearch(
    {
      fn: 'crm_contact_search',
      table: 'crm_contacts',
      text: 'search_text',
      params: '',
      acl: '',
      probe: PROBE,
    },
    'NULL::uuid',
    'NULL::text',
    false,
  )}

  ${tieredSearch(
    {
      fn: 'crm_account_quick_search',
      table: 'crm_accounts',
      text: 'search_text',
      params: '',
      acl: '',
      probe: PROBE,
    },
    'NULL::uuid',
    'NULL::text',
    false,
  )}


  DROP INDEX crm_core.crm_contacts_words_idx;
  `)
    .execute(db);
}
