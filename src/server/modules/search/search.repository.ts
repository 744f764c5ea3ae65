import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';

/**
 * SQL of global search. Each group is one statement: a SECURITY DEFINER search function (migrations
 * 0003 and 0009; the index stays usable under RLS, DESIGN §10) returns the ids of one ranked page, and
 * the rows are joined back through RLS as the app role — so the function can only ever point at rows
 * the caller could read anyway. Results keep the function's order (rank, folded name, id).
 *
 * Each function call is wrapped in `(SELECT … LIMIT n)`: the planner assumes a set-returning function
 * yields 1,000 rows and then hash-joins the whole workspace's table (a sequential scan of 300k
 * contacts per request); with the LIMIT it expects n rows and looks each one up by primary key.
 */

export interface AccountHitRow {
  id: string;
  name: string;
  vn_mst: string | null;
  legal_type: string;
}

export async function searchAccounts(
  db: Kysely<DB>,
  tenantId: string,
  q: string,
  limit: number,
): Promise<AccountHitRow[]> {
  const r = await sql<AccountHitRow>`
    SELECT a.id, a.name, a.vn_mst, a.legal_type
    FROM (SELECT * FROM crm_core.crm_account_search(${q}, '{}'::jsonb, NULL, NULL, NULL, ${limit}::int)
      LIMIT ${limit}::int) h
    JOIN crm_core.crm_accounts a ON a.tenant_id = ${tenantId}::uuid AND a.id = h.id
    ORDER BY h.rank, h.name_fold COLLATE "C", h.id`.execute(db);
  return r.rows;
}

export interface ContactHitRow {
  id: string;
  display_name: string;
  title: string | null;
  account_id: string | null;
  account_name: string | null;
  channel_id: string | null;
  channel_kind: string | null;
  channel_value: string | null;
}

/** Live contacts whose name (or title, call name…) matches, ranked like account search. */
export async function searchContactsByName(
  db: Kysely<DB>,
  tenantId: string,
  q: string,
  limit: number,
): Promise<ContactHitRow[]> {
  const r = await sql<ContactHitRow>`
    SELECT c.id, c.display_name, c.title, a.id AS account_id, a.name AS account_name,
           NULL::uuid AS channel_id, NULL::text AS channel_kind, NULL::text AS channel_value
    FROM (SELECT * FROM crm_core.crm_contact_search(${q}, ${limit}::int) LIMIT ${limit}::int) h
    JOIN crm_core.crm_contacts c ON c.tenant_id = ${tenantId}::uuid AND c.id = h.id
    LEFT JOIN crm_core.crm_accounts a
      ON a.tenant_id = ${tenantId}::uuid AND a.id = c.account_id AND a.deleted_at IS NULL
    ORDER BY h.rank, h.name_fold COLLATE "C", h.id`.execute(db);
  return r.rows;
}

/**
 * Live contacts holding a channel whose normalized value equals `value` (or starts with it when
 * `prefix`), among the given kinds; exact matches first, then by value.
 */
export async function searchContactsByChannel(
  db: Kysely<DB>,
  tenantId: string,
  value: string,
  opts: { prefix: boolean; kinds: readonly string[] },
  limit: number,
): Promise<ContactHitRow[]> {
  const r = await sql<ContactHitRow>`
    SELECT c.id, c.display_name, c.title, a.id AS account_id, a.name AS account_name,
           h.channel_id, h.kind AS channel_kind, h.value AS channel_value
    FROM (SELECT * FROM crm_core.crm_contact_channel_search(${value}, ${opts.prefix},
      ${sql.val([...opts.kinds])}::text[], ${limit}::int) LIMIT ${limit}::int) h
    JOIN crm_core.crm_contacts c ON c.tenant_id = ${tenantId}::uuid AND c.id = h.contact_id
    LEFT JOIN crm_core.crm_accounts a
      ON a.tenant_id = ${tenantId}::uuid AND a.id = c.account_id AND a.deleted_at IS NULL
    ORDER BY h.rank, h.value COLLATE "C", h.contact_id`.execute(db);
  return r.rows;
}

export interface DealHitRow {
  id: string;
  name: string;
  amount_minor: string | number | null;
  currency: string;
  status: string;
  stage_id: string;
  stage_code: string;
  stage_name_vi: string;
  stage_name_en: string;
  account_id: string | null;
  account_name: string | null;
}

/**
 * Live deals whose name matches and that the actor may see. The function applies the per-deal ACL
 * itself (it reads past RLS); the join applies it again with the shared predicate, so a drift between
 * the two can only hide rows, never show one.
 */
export async function searchDeals(
  db: Kysely<DB>,
  actor: Actor,
  q: string,
  limit: number,
): Promise<DealHitRow[]> {
  const tenantId = actor.workspaceId;
  const r = await sql<DealHitRow>`
    SELECT d.id, d.name, d.amount_minor, d.currency, d.status,
           s.id AS stage_id, s.code AS stage_code, s.name_vi AS stage_name_vi, s.name_en AS stage_name_en,
           a.id AS account_id, a.name AS account_name
    FROM (SELECT * FROM crm_core.crm_deal_search(${q}, ${actor.userId}::uuid, ${actor.role}::text, ${limit}::int)
      LIMIT ${limit}::int) h
    JOIN crm_core.crm_deals d ON d.tenant_id = ${tenantId}::uuid AND d.id = h.id
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = ${tenantId}::uuid AND s.id = d.stage_id
    LEFT JOIN crm_core.crm_accounts a
      ON a.tenant_id = ${tenantId}::uuid AND a.id = d.account_id AND a.deleted_at IS NULL
    WHERE ${dealVisibleSql(actor, 'd')}
    ORDER BY h.rank, h.name_fold COLLATE "C", h.id`.execute(db);
  return r.rows;
}
