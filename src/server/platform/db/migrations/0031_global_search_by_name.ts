import { type Kysely, sql } from 'kysely';

/**
 * Global search by name in a function whose statements keep their plans (docs/benchmarks.md, "Global
 * search"). The statement the app sent for a typed name (four searches joined back to their rows and
 * built into JSON, one UNION ALL) was planned anew on every request: ~0.8 ms of database CPU, as much
 * as the four searches of a common name together. `crm_global_search_by_name` runs the same four parts
 * as static statements of a SECURITY INVOKER function — as the app role, under RLS, exactly as before —
 * with `plan_cache_mode = force_generic_plan`, so each connection plans each part once. The parts are
 * fit for a generic plan: every search function's page is at most `p_n` rows, joined by primary key
 * (the workspace's partition of the accounts is chosen when the statement starts).
 *
 * Phones and emails keep the statement the app assembles (search.repository.ts): their parts differ
 * per query kind and cost a fraction of this.
 *
 * The join-back applies the per-deal ACL again (deal.visibility.ts holds the same rule for the app's
 * other queries; the search function applies it first), so a drift can only hide rows, never show one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE FUNCTION crm_core.crm_global_search_by_name(
      p_query text, p_user uuid, p_role text, p_n int, p_groups text[])
    RETURNS TABLE (grp text, pos bigint, data jsonb)
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
  AS $fn$
  DECLARE
    v_t uuid := crm_core.current_tenant_id();
  BEGIN
    IF v_t IS NULL THEN RETURN; END IF;
    IF 'accounts' = ANY (p_groups) THEN
      RETURN QUERY
        SELECT 'accounts'::text, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id),
          jsonb_build_object('id', a.id, 'name', a.name, 'vn_mst', a.vn_mst, 'legal_type', a.legal_type)
        FROM (SELECT * FROM crm_core.crm_account_quick_search(p_query, p_n) LIMIT p_n) h
        JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = h.id;
    END IF;
    IF 'contacts' = ANY (p_groups) THEN
      RETURN QUERY
        SELECT 'contacts'::text, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id),
          jsonb_build_object('id', c.id, 'display_name', c.display_name, 'title', c.title,
            'account_id', a.id, 'account_name', a.name,
            'channel_id', NULL, 'channel_kind', NULL, 'channel_value', NULL)
        FROM (SELECT * FROM crm_core.crm_contact_search(p_query, p_n) LIMIT p_n) h
        JOIN crm_core.crm_contacts c ON c.tenant_id = v_t AND c.id = h.id
        LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = c.account_id AND a.deleted_at IS NULL;
    END IF;
    IF 'deals' = ANY (p_groups) THEN
      RETURN QUERY
        SELECT 'deals'::text, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id),
          jsonb_build_object('id', d.id, 'name', d.name, 'amount_minor', d.amount_minor, 'currency', d.currency,
            'status', d.status, 'stage_id', s.id, 'stage_code', s.code, 'stage_name_vi', s.name_vi,
            'stage_name_en', s.name_en, 'account_id', a.id, 'account_name', a.name)
        FROM (SELECT * FROM crm_core.crm_deal_search(p_query, p_user, p_role, p_n) LIMIT p_n) h
        JOIN crm_core.crm_deals d ON d.tenant_id = v_t AND d.id = h.id
        JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = v_t AND s.id = d.stage_id
        LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = d.account_id AND a.deleted_at IS NULL
        WHERE p_role = 'admin' OR d.acl_mode = 'default' OR d.owner_id = p_user
          OR p_user = ANY (d.acl_member_ids) OR p_role = ANY (d.acl_roles);
    END IF;
    IF 'leads' = ANY (p_groups) THEN
      RETURN QUERY
        SELECT 'leads'::text, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id),
          jsonb_build_object('id', l.id, 'display_name', l.display_name, 'company_name', l.company_name,
            'email', l.email, 'phone', l.phone, 'status', l.status)
        FROM (SELECT * FROM crm_core.crm_lead_search(p_query, p_n) LIMIT p_n) h
        JOIN crm_core.crm_leads l ON l.tenant_id = v_t AND l.id = h.id;
    END IF;
  END
  $fn$;
  REVOKE ALL ON FUNCTION crm_core.crm_global_search_by_name(text, uuid, text, int, text[]) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION crm_core.crm_global_search_by_name(text, uuid, text, int, text[]) TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw('DROP FUNCTION crm_core.crm_global_search_by_name(text, uuid, text, int, text[]);')
    .execute(db);
}
