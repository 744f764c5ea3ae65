import { type Kysely, sql } from 'kysely';

/**
 * Deal search in a workspace of few deals reads them all once (docs/benchmarks.md, "Global search").
 * The tiered function of migration 0009 plans up to five dynamic statements per call (EXECUTE plans each
 * one: ~0.2–0.3 ms apiece) and probes the trigram index shared by every workspace's deals: 1.4–2.6 ms of
 * database time per global search in a workspace of 600 deals. Most workspaces hold a few hundred deals,
 * so `crm_deal_search` now counts the workspace's deals first (at most SMALL + 1 index entries) and,
 * when there are at most SMALL, ranks them all in ONE static statement (plan-cached for the connection):
 * the same tiers, in the same order — exact name, name prefix, word start, every token anywhere (from
 * three characters) — by (rank, folded name in "C" order, id), under the same per-deal ACL. Larger
 * workspaces go on to the tiers, moved unchanged to `crm_deal_search_tiers`.
 *
 * The one pass is exact where the tiers cap a sparse tier at 200 matches; below that cap both give the
 * same rows in the same order (search.deals-small.test.ts compares them).
 */

/** At most this many deals (live or deleted) in the workspace: one pass instead of the tiers. */
const SMALL = 2000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER FUNCTION crm_core.crm_deal_search(text, uuid, text, int) RENAME TO crm_deal_search_tiers;
  REVOKE EXECUTE ON FUNCTION crm_core.crm_deal_search_tiers(text, uuid, text, int) FROM crm_app;

  CREATE FUNCTION crm_core.crm_deal_search(p_query text, p_user uuid, p_role text, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  DECLARE
    v_tenant uuid := crm_core.current_tenant_id();
    -- As the tiers fold it: runs of white space collapsed, so "nguyen   van" is the phrase "nguyen van".
    v_q text := btrim(regexp_replace(crm_core.fold_text(p_query), '\\s+', ' ', 'g'));
    v_limit int := least(greatest(p_limit, 1), 1000);
    v_prefix text;
    v_word text;
    v_tokens text[];
    v_deals int;
  BEGIN
    IF v_tenant IS NULL OR v_q IS NULL OR v_q = '' THEN RETURN; END IF;
    SELECT count(*) INTO v_deals
      FROM (SELECT 1 FROM crm_core.crm_deals a WHERE a.tenant_id = v_tenant LIMIT ${SMALL + 1}) s;
    IF v_deals > ${SMALL} THEN
      RETURN QUERY SELECT t.id, t.rank, t.name_fold
        FROM crm_core.crm_deal_search_tiers(p_query, p_user, p_role, p_limit) t;
      RETURN;
    END IF;
    v_prefix := crm_core.like_escape(v_q) || '%';
    v_word := '% ' || crm_core.like_escape(v_q) || '%';
    -- Tier 3 tests every token (the first eight) anywhere; under three characters there is no tier 3.
    v_tokens := CASE WHEN length(v_q) < 3 THEN NULL ELSE
      ARRAY(SELECT '%' || crm_core.like_escape(t) || '%'
            FROM unnest((regexp_split_to_array(v_q, ' '))[1:8]) t) END;
    RETURN QUERY
      SELECT m.id, m.rank, m.name_fold FROM (
        SELECT a.id, a.name_fold, CASE
            WHEN a.name_fold = v_q THEN 0
            WHEN a.name_fold LIKE v_prefix THEN 1
            WHEN a.name_fold LIKE v_word THEN 2
            WHEN v_tokens IS NOT NULL AND a.name_fold LIKE ALL (v_tokens) THEN 3
          END AS rank
        FROM crm_core.crm_deals a
        WHERE a.tenant_id = v_tenant AND a.deleted_at IS NULL
          AND (a.acl_mode = 'default' OR p_role = 'admin' OR a.owner_id = p_user
               OR p_user = ANY(a.acl_member_ids) OR p_role = ANY(a.acl_roles))) m
      WHERE m.rank IS NOT NULL
      ORDER BY m.rank, m.name_fold COLLATE "C", m.id
      LIMIT v_limit;
  END
  $fn$;
  ALTER FUNCTION crm_core.crm_deal_search(text, uuid, text, int) OWNER TO crm_search;
  REVOKE ALL ON FUNCTION crm_core.crm_deal_search(text, uuid, text, int) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION crm_core.crm_deal_search(text, uuid, text, int) TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION crm_core.crm_deal_search(text, uuid, text, int);
  ALTER FUNCTION crm_core.crm_deal_search_tiers(text, uuid, text, int) RENAME TO crm_deal_search;
  GRANT EXECUTE ON FUNCTION crm_core.crm_deal_search(text, uuid, text, int) TO crm_app;
  `)
    .execute(db);
}
