import type { Kysely } from 'kysely';
import { editFunction, reverseEdits } from './helpers.js';

/**
 * The global search's account and contact functions run their sparse tier 2 — word starts found through
 * the words-and-pairs index (migration 0023) — as a static statement. Its text never depended on the
 * term (every value was a parameter), yet it went through `EXECUTE`, which plans on every call; static,
 * it is planned once per connection (the functions run with `force_generic_plan`, migration 0032). The
 * generic plan is the one the values gave: the words index, then the filters. Measured per call on the
 * bench data (1M accounts): 0.4–0.6 ms less for every term whose word starts are sparse in name order
 * ("linh", "khoa", "qwxz", "Tô Bảo Oanh"). Tier 3 (the trigram index) stays dynamic: its token
 * conditions vary in number, and a pattern without trigrams must be planned knowing it.
 *
 * Same rows, same order: the static statement is the dynamic one with variables for parameters.
 */

const FUNCTIONS = [
  { fn: 'crm_core.crm_account_quick_search(text, int)', table: 'crm_accounts' },
  { fn: 'crm_core.crm_contact_search(text, int)', table: 'crm_contacts' },
] as const;

function edits(table: string): Array<[string, string]> {
  return [
    [
      `
      ELSE
        -- Sparse here: the tier's matches through the trigram index (MATERIALIZED keeps the planner
        -- off the name index), at most 200 of them, then sorted.`,
      `
      ELSIF v_tier = 2 AND v_words IS NOT NULL THEN
        -- Sparse word starts through the words-and-pairs index: the same statement whatever the term,
        -- so static, planned once per connection (migration 0033).
        RETURN QUERY WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.${table} a
            WHERE a.tenant_id = v_tenant AND a.deleted_at IS NULL
              AND crm_core.account_search_words(a.search_text) @@ v_words
              AND (a.search_text || '') LIKE v_word AND NOT a.name_fold LIKE v_prefix LIMIT 200)
          SELECT m.id, 2, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT v_limit - v_got;
      ELSE
        -- Sparse here: the tier's matches through the trigram index (MATERIALIZED keeps the planner
        -- off the name index), at most 200 of them, then sorted.`,
    ],
    [
      `
          CASE WHEN v_tier = 2 AND v_words IS NOT NULL THEN 'crm_core.account_search_words(a.search_text) @@ $9'
            || ' AND (a.search_text || '''') LIKE $4 AND NOT a.name_fold LIKE $3' ELSE v_tier_cond END, v_tier);`,
      `
          v_tier_cond, v_tier);`,
    ],
  ];
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const { fn, table } of FUNCTIONS) await editFunction(db, fn, edits(table));
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const { fn, table } of FUNCTIONS) await editFunction(db, fn, reverseEdits(edits(table)));
}
