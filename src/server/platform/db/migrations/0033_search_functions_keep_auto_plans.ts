import { type Kysely, sql } from 'kysely';

/**
 * The app's sessions plan every prepared statement once (ADR 0027), and a function without a setting of
 * its own inherits that for its static statements. A generic plan is made for an average workspace; in a
 * database of many small workspaces that can turn a search's index lookup into a walk of a big
 * workspace's rows (seen in CI: a static words-index statement planned as a scan of the name index with
 * a filter). So the search functions whose static statements depend on the term or the workspace keep
 * planning as they always did here, with PostgreSQL's `auto`. The two global-search functions that chose
 * generic plans for their bounded statements (migration 0032) and `crm_global_search_by_name` (0031) keep
 * their own setting.
 */

const FUNCTIONS = [
  'crm_core.crm_account_search(text, jsonb, int, text, uuid, int)',
  'crm_core.crm_account_search_count(text, jsonb)',
  'crm_core.crm_deal_search(text, uuid, text, int)',
  'crm_core.crm_deal_search_tiers(text, uuid, text, int)',
  'crm_core.crm_lead_search(text, int)',
  'crm_core.crm_lead_search_tiers(text, int)',
  'crm_core.crm_contact_channel_search(text, boolean, text[], int)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) await sql.raw(`ALTER FUNCTION ${fn} SET plan_cache_mode = auto`).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of FUNCTIONS) await sql.raw(`ALTER FUNCTION ${fn} RESET plan_cache_mode`).execute(db);
}
