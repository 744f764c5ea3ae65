import { type Kysely, sql } from 'kysely';

/**
 * Global search (issue 3 §6): accounts, contacts by name, contacts by channel value, deals by name.
 *
 * Same design as account search (migrations 0002–0003, ADR 0005, DESIGN §10): LIKE and trigram
 * operators are not leakproof, so under RLS PostgreSQL will not use their indexes. Each function here
 * is SECURITY DEFINER, owned by `crm_search` (BYPASSRLS, not superuser, SELECT on the searched tables
 * only), takes the workspace from the session (`crm_core.current_tenant_id()`), never from an
 * argument, and returns only the ids and sort keys of one page; the caller loads those rows through
 * RLS as usual.
 *
 * Name search reads rank tiers one at a time, in name order, stopping as soon as the page is full:
 * 0 exact name, 1 name prefix (both a range of the (tenant_id, name_fold) btree), 2 word start,
 * 3 anywhere (every query token a substring). Tiers 2–3 first probe the next PROBE rows in name order
 * (a common term — "van", "thi" — fills the page there); when that comes up short, the tier's matches
 * come from the trigram index, capped at CAP rows before sorting so that a term which is dense but not
 * among the first names ("guyen": every Nguyễn) does not sort a third of the workspace. Above the cap,
 * the order inside that one tier is by name among the CAP rows found, not over all matches — a
 * type-ahead list needs relevance tiers, not an exact alphabetical order of thousands of hits.
 *
 * Few statements per call, because each EXECUTE is planned anew: tiers 0–1 are one range scan, and a
 * tier's probe runs once, its matches kept in arrays and returned as they are when they fill the page
 * (the first version counted, then ran the probe again). A probe stops as soon as it has a page, so a
 * common word start ("nguyen" in "Công ty … Nguyễn …") costs a few hundred index rows. Sizes measured
 * on the bench (100k accounts + 300k contacts in one workspace, mean of 30 warm calls): PROBE 5,000 /
 * CAP 1,000 cost a term matching nothing 4.7 ms (accounts) and 3.5 ms (contacts), most of it the full
 * probes; PROBE 1,000 missed a common given name whose bearers do not sort first ("linh" 0.5 → 4.3 ms
 * through the trigram fallback); PROBE 2,000 / CAP 200 gives 1.8 / 1.2 ms for a term matching nothing
 * and keeps common ones under 0.5 ms. One probe shared by tiers 2 and 3 was tried and dropped: it
 * cannot stop early.
 *
 * Accounts get their own function for global search, `crm_account_quick_search`: the tiers of
 * `crm_account_search` (migration 0003) without its filters and cursor, with the single probe and the cap.
 * The accounts list keeps its function (exact name order over every match, for its cursor pagination).
 *
 * Deals apply the per-deal ACL (deal.visibility.ts, DESIGN §6) inside the function: the caller passes
 * its own user id and role (the app's actor; the workspace still comes from the session).
 */

const PROBE = 2000;
const CAP = 200;

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
function tieredSearch(s: TierSpec, userArg: string, roleArg: string): string {
  const base = `a.tenant_id = $1 AND a.deleted_at IS NULL${s.acl ? ` AND ${s.acl}` : ''}`;
  // Only the columns the tier conditions read: for contacts the name index INCLUDEs them (index-only).
  const probeCols = s.text === 'name_fold' ? 'a.id, a.name_fold' : `a.id, a.name_fold, a.${s.text}`;
  return `
  CREATE FUNCTION crm_core.${s.fn}(p_query text${s.params}, p_limit int)
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
    i int;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    v_tokens := (regexp_split_to_array(v_q, ' '))[1:8];
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
      USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit, ${userArg}, ${roleArg};
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
        USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got, ${userArg}, ${roleArg};
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
          v_tier_cond, v_tier);
        RETURN QUERY EXECUTE v_sql
          USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got, ${userArg}, ${roleArg};
      END IF;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_got := v_got + v_n;
    END LOOP;
  END
  $fn$;`;
}

const ACCOUNT_SEARCH = 'crm_core.crm_account_quick_search(text, int)';
const CONTACT_SEARCH = 'crm_core.crm_contact_search(text, int)';
const DEAL_SEARCH = 'crm_core.crm_deal_search(text, uuid, text, int)';
const CHANNEL_SEARCH = 'crm_core.crm_contact_channel_search(text, boolean, text[], int)';

export async function up(db: Kysely<unknown>): Promise<void> {
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
  )}

  ${tieredSearch(
    {
      fn: 'crm_deal_search',
      table: 'crm_deals',
      text: 'name_fold',
      params: ', p_user uuid, p_role text',
      // The rule of deal.visibility.ts: default mode, admin, owner, allow-listed member or role.
      acl: `(a.acl_mode = ''default'' OR $8 = ''admin'' OR a.owner_id = $7 OR $7 = ANY(a.acl_member_ids) OR $8 = ANY(a.acl_roles))`,
      // The deal name index carries no ACL or deletion columns: each probed row is a heap visit.
      probe: 200,
    },
    'p_user',
    'p_role',
  )}

  -- Contacts by channel value: normalized values (E.164 phones, lower-cased emails) looked up exactly
  -- or by prefix on the (tenant_id, value COLLATE "C", kind) btree. One row per contact (its best
  -- matching channel: exact before prefix, then by value), live contacts only.
  CREATE FUNCTION crm_core.crm_contact_channel_search(p_value text, p_prefix boolean, p_kinds text[], p_limit int)
    RETURNS TABLE (contact_id uuid, channel_id uuid, kind text, value text, rank int)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    v_limit int := least(greatest(p_limit, 1), 1000);
    v_hi text;
  BEGIN
    IF v_tenant IS NULL OR p_value IS NULL OR p_value = '' THEN RETURN; END IF;
    -- Both lookups are one byte range of the index in the "C" order: a prefix is [value, value with its
    -- last character bumped); an exact value is [value, value || chr(1)), nothing sorting in between.
    v_hi := CASE WHEN p_prefix THEN left(p_value, -1) || chr(ascii(right(p_value, 1)) + 1)
                 ELSE p_value || chr(1) END;
    RETURN QUERY
      SELECT s.contact_id, s.channel_id, s.kind, s.value, s.rank FROM (
        SELECT DISTINCT ON (m.contact_id) m.contact_id, m.channel_id, m.kind, m.value, m.rank
        FROM (
          SELECT ch.contact_id, ch.id AS channel_id, ch.kind, ch.value,
                 CASE WHEN ch.value = p_value THEN 0 ELSE 1 END AS rank
          FROM crm_core.crm_contact_channels ch
          WHERE ch.tenant_id = v_tenant
            AND ch.value COLLATE "C" >= p_value COLLATE "C"
            AND ch.value COLLATE "C" < v_hi COLLATE "C"
            AND (p_kinds IS NULL OR ch.kind = ANY(p_kinds))
          ORDER BY ch.value COLLATE "C"
          -- A contact may hold several matching channels; enough rows for a page of distinct ones.
          LIMIT v_limit * 4
        ) m
        JOIN crm_core.crm_contacts c ON c.tenant_id = v_tenant AND c.id = m.contact_id
        WHERE c.deleted_at IS NULL
        ORDER BY m.contact_id, m.rank, m.value COLLATE "C"
      ) s
      ORDER BY s.rank, s.value COLLATE "C", s.contact_id
      LIMIT v_limit;
  END
  $fn$;

  ALTER FUNCTION ${ACCOUNT_SEARCH} OWNER TO crm_search;
  ALTER FUNCTION ${CONTACT_SEARCH} OWNER TO crm_search;
  ALTER FUNCTION ${DEAL_SEARCH} OWNER TO crm_search;
  ALTER FUNCTION ${CHANNEL_SEARCH} OWNER TO crm_search;
  REVOKE ALL ON FUNCTION ${ACCOUNT_SEARCH}, ${CONTACT_SEARCH}, ${DEAL_SEARCH}, ${CHANNEL_SEARCH} FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION ${ACCOUNT_SEARCH}, ${CONTACT_SEARCH}, ${DEAL_SEARCH}, ${CHANNEL_SEARCH} TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION ${CHANNEL_SEARCH};
  DROP FUNCTION ${DEAL_SEARCH};
  DROP FUNCTION ${CONTACT_SEARCH};
  DROP FUNCTION ${ACCOUNT_SEARCH};
  `)
    .execute(db);
}
