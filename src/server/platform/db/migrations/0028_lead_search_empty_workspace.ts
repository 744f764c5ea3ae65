import { type Kysely, sql } from 'kysely';

/**
 * Global search asks for leads on every request, and many workspaces have none. `crm_lead_search` then
 * still planned its ten dynamic statements (two status buckets × the tiers, EXECUTE plans each one):
 * about 3 ms of database CPU per global search for an empty answer (docs/benchmarks.md). The tiers
 * move to `crm_lead_search_tiers` unchanged; `crm_lead_search` checks first, with one static (plan-
 * cached) statement, that the workspace has a live lead at all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER FUNCTION crm_core.crm_lead_search(text, int) RENAME TO crm_lead_search_tiers;
  REVOKE EXECUTE ON FUNCTION crm_core.crm_lead_search_tiers(text, int) FROM crm_app;

  CREATE FUNCTION crm_core.crm_lead_search(p_query text, p_limit int)
    RETURNS TABLE (id uuid, rank int, name_fold text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
  AS $fn$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM crm_core.crm_leads a
                   WHERE a.tenant_id = crm_core.current_tenant_id() AND a.deleted_at IS NULL) THEN
      RETURN;
    END IF;
    RETURN QUERY SELECT t.id, t.rank, t.name_fold FROM crm_core.crm_lead_search_tiers(p_query, p_limit) t;
  END
  $fn$;
  ALTER FUNCTION crm_core.crm_lead_search(text, int) OWNER TO crm_search;
  REVOKE ALL ON FUNCTION crm_core.crm_lead_search(text, int) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION crm_core.crm_lead_search(text, int) TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP FUNCTION crm_core.crm_lead_search(text, int);
  ALTER FUNCTION crm_core.crm_lead_search_tiers(text, int) RENAME TO crm_lead_search;
  GRANT EXECUTE ON FUNCTION crm_core.crm_lead_search(text, int) TO crm_app;
  `)
    .execute(db);
}
