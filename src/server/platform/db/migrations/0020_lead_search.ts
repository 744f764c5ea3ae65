import { type Kysely, sql } from 'kysely';

/**
 * Leads in the global search: by name or company (`crm_lead_search`), by phone and by email.
 *
 * Migration 0015 gave leads only a plain name index and none on the folded search text or the phone,
 * so at 100k+ leads a workspace a search would scan the workspace's rows (the leads list still does
 * for its `q` filter: it pages a whole result, not a type-ahead). Added here:
 *
 * - `crm_lead_search(p_query, p_limit)`: the tiers of migration 0009 (0 exact name, 1 name prefix,
 *   2 word start of name/company/email, 3 every token anywhere; probe in name order, then the trigram
 *   index capped at CAP), SECURITY DEFINER owned by `crm_search` for the same reason (LIKE and trigram
 *   operators are not leakproof, so under RLS their indexes would not be used), the workspace taken
 *   from the session. Open leads (new, contacted, qualified) come first: the tiers run once over the
 *   open ones and, only when the page is not full, over the closed ones (disqualified, converted),
 *   whose ranks are offset by 10. A converted lead is history; the person is now a contact.
 * - Two partial name indexes, one per status bucket, INCLUDE-ing the search text, so tiers 0–1 are a
 *   range and a probe is an index-only scan of that bucket (the function's bucket conditions are
 *   written exactly as the index predicates, so the planner proves them).
 * - A (tenant_id, trigram) GIN index on the search text (btree_gin, as contacts).
 * - (tenant_id, phone) and (tenant_id, email "C") btrees: phone and email lookups are an equality and a
 *   byte range, whose operators are leakproof, so the app role uses them under RLS directly (as the
 *   accounts' tax-code lookup does) and needs no definer function.
 */

const PROBE = 2000;
const CAP = 200;
const OPEN = `a.status IN (''new'', ''contacted'', ''qualified'')`;
const CLOSED = `a.status IN (''disqualified'', ''converted'')`;
const LEAD_SEARCH = 'crm_core.crm_lead_search(text, int)';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE INDEX crm_leads_open_name_idx ON crm_core.crm_leads (tenant_id, name_fold COLLATE "C", id)
    INCLUDE (search_text)
    WHERE deleted_at IS NULL AND status IN ('new', 'contacted', 'qualified');
  CREATE INDEX crm_leads_closed_name_idx ON crm_core.crm_leads (tenant_id, name_fold COLLATE "C", id)
    INCLUDE (search_text)
    WHERE deleted_at IS NULL AND status IN ('disqualified', 'converted');
  CREATE INDEX crm_leads_search_idx ON crm_core.crm_leads USING gin (tenant_id, search_text gin_trgm_ops);
  CREATE INDEX crm_leads_phone_idx ON crm_core.crm_leads (tenant_id, phone) WHERE phone IS NOT NULL;
  CREATE INDEX crm_leads_email_value_idx ON crm_core.crm_leads (tenant_id, email COLLATE "C")
    WHERE email IS NOT NULL;

  -- Bound values ($n, never concatenated): $1 workspace, $2 folded query, $3 name-prefix LIKE,
  -- $4 word-start LIKE, $5 upper bound of the prefix range, $6 rows still wanted.
  CREATE FUNCTION crm_core.crm_lead_search(p_query text, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    v_q text := btrim(regexp_replace(crm_core.fold_text(p_query), '\\s+', ' ', 'g'));
    v_buckets text[] := ARRAY['${OPEN}', '${CLOSED}'];
    v_tokens text[];
    v_limit int := least(greatest(p_limit, 1), 1000);
    v_prefix text;
    v_word text;
    v_next text;
    v_base text;
    v_offset int;
    v_tier_cond text;
    v_token_cond text;
    v_sql text;
    v_ids uuid[];
    v_names text[];
    v_got int := 0;
    v_n int;
    v_b int;
    v_tier int;
    v_last_tier int;
    i int;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    v_tokens := (regexp_split_to_array(v_q, ' '))[1:8];
    v_prefix := crm_core.like_escape(v_q) || '%';
    v_word := '% ' || crm_core.like_escape(v_q) || '%';
    v_next := left(v_q, -1) || chr(ascii(right(v_q, 1)) + 1);
    v_last_tier := CASE WHEN length(v_q) < 3 THEN 2 ELSE 3 END;
    v_token_cond := 'true';
    FOR i IN 1 .. coalesce(array_length(v_tokens, 1), 0) LOOP
      v_token_cond := v_token_cond
        || format(' AND a.search_text LIKE %L', '%' || crm_core.like_escape(v_tokens[i]) || '%');
    END LOOP;

    FOR v_b IN 1 .. 2 LOOP
      EXIT WHEN v_got >= v_limit;
      v_base := 'a.tenant_id = $1 AND a.deleted_at IS NULL AND ' || v_buckets[v_b];
      v_offset := (v_b - 1) * 10;

      -- Tiers 0-1: one range of the bucket's name index ("C" on both sides, as the index).
      v_sql := format('SELECT a.id, %s + CASE WHEN a.name_fold = $2 THEN 0 ELSE 1 END, a.name_fold'
        || ' FROM crm_core.crm_leads a WHERE %s'
        || ' AND a.name_fold COLLATE "C" >= $2 COLLATE "C" AND a.name_fold COLLATE "C" < $5 COLLATE "C"'
        || ' AND a.name_fold LIKE $3 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6', v_offset, v_base);
      RETURN QUERY EXECUTE v_sql USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_got := v_got + v_n;

      FOR v_tier IN 2 .. v_last_tier LOOP
        EXIT WHEN v_got >= v_limit;
        v_tier_cond := CASE v_tier
          WHEN 2 THEN 'a.search_text LIKE $4 AND NOT a.name_fold LIKE $3'
          ELSE 'NOT a.search_text LIKE $4 AND NOT a.name_fold LIKE $3 AND ' || v_token_cond
        END;
        -- Probe: the bucket's first ${PROBE} names (index-only), filtered, stopping at a page.
        v_sql := format('SELECT array_agg(p.id ORDER BY p.name_fold COLLATE "C", p.id),'
          || ' array_agg(p.name_fold ORDER BY p.name_fold COLLATE "C", p.id) FROM (SELECT a.id, a.name_fold'
          || ' FROM (SELECT a.id, a.name_fold, a.search_text FROM crm_core.crm_leads a WHERE %s'
          || ' ORDER BY a.name_fold COLLATE "C", a.id LIMIT ${PROBE}) a'
          || ' WHERE %s ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6) p', v_base, v_tier_cond);
        EXECUTE v_sql INTO v_ids, v_names
          USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got;
        IF coalesce(cardinality(v_ids), 0) >= v_limit - v_got THEN
          RETURN QUERY SELECT u.i, v_offset + v_tier, u.n
            FROM unnest(v_ids[1:v_limit - v_got], v_names[1:v_limit - v_got]) WITH ORDINALITY AS u(i, n, o)
            ORDER BY u.o;
        ELSE
          -- Sparse: the tier's matches through the trigram index, at most ${CAP}, then sorted.
          v_sql := format('WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_leads a'
            || ' WHERE %s AND %s LIMIT ${CAP})'
            || ' SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
            v_base, v_tier_cond, v_offset + v_tier);
          RETURN QUERY EXECUTE v_sql USING v_tenant, v_q, v_prefix, v_word, v_next, v_limit - v_got;
        END IF;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_got := v_got + v_n;
      END LOOP;
    END LOOP;
  END
  $fn$;

  ALTER FUNCTION ${LEAD_SEARCH} OWNER TO crm_search;
  REVOKE ALL ON FUNCTION ${LEAD_SEARCH} FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION ${LEAD_SEARCH} TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION ${LEAD_SEARCH};
  DROP INDEX crm_core.crm_leads_email_value_idx;
  DROP INDEX crm_core.crm_leads_phone_idx;
  DROP INDEX crm_core.crm_leads_search_idx;
  DROP INDEX crm_core.crm_leads_closed_name_idx;
  DROP INDEX crm_core.crm_leads_open_name_idx;
  `)
    .execute(db);
}
