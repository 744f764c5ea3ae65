import type { Kysely } from 'kysely';
import { editFunction, reverseEdits } from './helpers.js';

/**
 * `crm_global_search_by_name` (migration 0031) joins each group's few hits back to their rows. Its
 * statements run with generic plans, made for an average workspace; in a database of many small
 * workspaces the planner chose to hash-join the hits against every contact of the workspace (estimated at
 * a few hundred, 298,557 in the big one): 113 ms instead of 0.1. Each join-back is now a LATERAL lookup by
 * key behind `OFFSET 0` (which keeps the planner from flattening it back into a join it may hash), so it
 * is a primary-key probe per hit whatever the workspace's size. Same rows, same order.
 */

const FN = 'crm_core.crm_global_search_by_name(text, uuid, text, int, text[])';

const lookup = (table: string, alias: string, where: string) =>
  `(SELECT * FROM crm_core.${table} ${alias} WHERE ${where} OFFSET 0) ${alias}`;

const EDITS: Array<[string, string]> = [
  [
    `
        JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = h.id;`,
    `
        CROSS JOIN LATERAL ${lookup('crm_accounts', 'a', 'a.tenant_id = v_t AND a.id = h.id')};`,
  ],
  [
    `
        JOIN crm_core.crm_contacts c ON c.tenant_id = v_t AND c.id = h.id
        LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = c.account_id AND a.deleted_at IS NULL;`,
    `
        CROSS JOIN LATERAL ${lookup('crm_contacts', 'c', 'c.tenant_id = v_t AND c.id = h.id')}
        LEFT JOIN LATERAL ${lookup('crm_accounts', 'a', 'a.tenant_id = v_t AND a.id = c.account_id AND a.deleted_at IS NULL')} ON true;`,
  ],
  [
    `
        JOIN crm_core.crm_deals d ON d.tenant_id = v_t AND d.id = h.id
        JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = v_t AND s.id = d.stage_id
        LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = v_t AND a.id = d.account_id AND a.deleted_at IS NULL`,
    `
        CROSS JOIN LATERAL ${lookup('crm_deals', 'd', 'd.tenant_id = v_t AND d.id = h.id')}
        CROSS JOIN LATERAL ${lookup('crm_pipeline_stages', 's', 's.tenant_id = v_t AND s.id = d.stage_id')}
        LEFT JOIN LATERAL ${lookup('crm_accounts', 'a', 'a.tenant_id = v_t AND a.id = d.account_id AND a.deleted_at IS NULL')} ON true`,
  ],
  [
    `
        JOIN crm_core.crm_leads l ON l.tenant_id = v_t AND l.id = h.id;`,
    `
        CROSS JOIN LATERAL ${lookup('crm_leads', 'l', 'l.tenant_id = v_t AND l.id = h.id')};`,
  ],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await editFunction(db, FN, EDITS);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await editFunction(db, FN, reverseEdits(EDITS));
}
