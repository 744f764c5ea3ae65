import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';

/**
 * SQL of global search: every requested group in ONE statement (one round trip, one pooled connection
 * per request). Each group is a SECURITY DEFINER search function (migration 0009; the indexes stay
 * usable under RLS, DESIGN §10) returning the ids of one ranked page, joined back through RLS as the app
 * role — so a function can only ever point at rows the caller could read anyway. Rows come back as
 * (group, position, summary JSON), in the function's order (rank, folded name, id).
 *
 * Each function call is wrapped in `(SELECT … LIMIT n)`: the planner assumes a set-returning function
 * yields 1,000 rows and then hash-joined a sequential scan of the whole workspace's table (every one
 * of 300k contacts, per request); with the LIMIT it expects n rows and looks each one up by key.
 */

export interface AccountHitRow {
  id: string;
  name: string;
  vn_mst: string | null;
  legal_type: string;
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

export type ContactLookup =
  | { by: 'name'; q: string }
  /** Normalized channel value, exactly or as a prefix, among the given kinds. */
  | { by: 'channel'; value: string; prefix: boolean; kinds: readonly string[] };

export interface SearchPlan {
  /** Rows wanted per group (the page size + 1, for has_more). */
  n: number;
  /** By text (ranked search), or by exact tax codes (a number typed: phone-looking queries). */
  accounts?: { q: string } | { mst: string[] };
  contacts?: ContactLookup;
  deals?: { q: string };
}

export interface SearchRows {
  accounts: AccountHitRow[];
  contacts: ContactHitRow[];
  deals: DealHitRow[];
}

/**
 * A number typed into search is a phone, or a tax code: its accounts come from the (tenant_id, vn_mst)
 * btree by equality (leakproof, so indexed under RLS), not from a substring search that cannot match.
 */
function accountsByMstPart(t: RawBuilder<string>, mst: readonly string[], n: number) {
  return sql`
    SELECT 'accounts' AS grp, row_number() OVER (ORDER BY a.name_fold COLLATE "C", a.id) AS pos,
      jsonb_build_object('id', a.id, 'name', a.name, 'vn_mst', a.vn_mst, 'legal_type', a.legal_type) AS data
    FROM crm_core.crm_accounts a
    WHERE a.tenant_id = ${t} AND a.deleted_at IS NULL AND a.vn_mst = ANY(${sql.val([...mst])}::text[])
    ORDER BY a.name_fold COLLATE "C", a.id LIMIT ${n}::int`;
}

function accountsPart(t: RawBuilder<string>, q: string, n: number) {
  return sql`
    SELECT 'accounts' AS grp, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id) AS pos,
      jsonb_build_object('id', a.id, 'name', a.name, 'vn_mst', a.vn_mst, 'legal_type', a.legal_type) AS data
    FROM (SELECT * FROM crm_core.crm_account_quick_search(${q}, ${n}::int) LIMIT ${n}::int) h
    JOIN crm_core.crm_accounts a ON a.tenant_id = ${t} AND a.id = h.id`;
}

function contactsPart(t: RawBuilder<string>, lookup: ContactLookup, n: number) {
  const hits =
    lookup.by === 'name'
      ? sql`SELECT h.id, h.rank, h.name_fold AS sort, NULL::uuid AS channel_id, NULL::text AS kind,
              NULL::text AS value
            FROM crm_core.crm_contact_search(${lookup.q}, ${n}::int) h`
      : sql`SELECT h.contact_id AS id, h.rank, h.value AS sort, h.channel_id, h.kind, h.value
            FROM crm_core.crm_contact_channel_search(${lookup.value}, ${lookup.prefix},
              ${sql.val([...lookup.kinds])}::text[], ${n}::int) h`;
  return sql`
    SELECT 'contacts' AS grp, row_number() OVER (ORDER BY h.rank, h.sort COLLATE "C", h.id) AS pos,
      jsonb_build_object('id', c.id, 'display_name', c.display_name, 'title', c.title,
        'account_id', a.id, 'account_name', a.name,
        'channel_id', h.channel_id, 'channel_kind', h.kind, 'channel_value', h.value) AS data
    FROM (${hits} LIMIT ${n}::int) h
    JOIN crm_core.crm_contacts c ON c.tenant_id = ${t} AND c.id = h.id
    LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = ${t} AND a.id = c.account_id AND a.deleted_at IS NULL`;
}

/**
 * Deals: the function applies the per-deal ACL itself (it reads past RLS); the join applies it again
 * with the shared predicate, so a drift between the two can only hide rows, never show one.
 */
function dealsPart(t: RawBuilder<string>, actor: Actor, q: string, n: number) {
  return sql`
    SELECT 'deals' AS grp, row_number() OVER (ORDER BY h.rank, h.name_fold COLLATE "C", h.id) AS pos,
      jsonb_build_object('id', d.id, 'name', d.name, 'amount_minor', d.amount_minor, 'currency', d.currency,
        'status', d.status, 'stage_id', s.id, 'stage_code', s.code, 'stage_name_vi', s.name_vi,
        'stage_name_en', s.name_en, 'account_id', a.id, 'account_name', a.name) AS data
    FROM (SELECT * FROM crm_core.crm_deal_search(${q}, ${actor.userId}::uuid, ${actor.role}::text, ${n}::int)
          LIMIT ${n}::int) h
    JOIN crm_core.crm_deals d ON d.tenant_id = ${t} AND d.id = h.id
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = ${t} AND s.id = d.stage_id
    LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = ${t} AND a.id = d.account_id AND a.deleted_at IS NULL
    WHERE ${dealVisibleSql(actor, 'd')}`;
}

/** Runs the planned groups in one statement; groups not in the plan come back empty. */
export async function searchAll(db: Kysely<DB>, actor: Actor, plan: SearchPlan): Promise<SearchRows> {
  const t = sql<string>`${actor.workspaceId}::uuid`;
  const parts = [
    plan.accounts
      ? 'mst' in plan.accounts
        ? accountsByMstPart(t, plan.accounts.mst, plan.n)
        : accountsPart(t, plan.accounts.q, plan.n)
      : null,
    plan.contacts ? contactsPart(t, plan.contacts, plan.n) : null,
    plan.deals ? dealsPart(t, actor, plan.deals.q, plan.n) : null,
  ].filter((x) => x !== null);
  const out: SearchRows = { accounts: [], contacts: [], deals: [] };
  if (parts.length === 0) return out;
  const r = await sql<{ grp: keyof SearchRows; pos: number; data: unknown }>`
    SELECT grp, pos, data FROM (${sql.join(
      parts.map((p) => sql`(${p})`),
      sql` UNION ALL `,
    )}) x ORDER BY grp, pos`.execute(db);
  for (const row of r.rows) {
    // node-postgres parses jsonb; PGlite too — a string here would be a driver change.
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as never;
    out[row.grp].push(data);
  }
  return out;
}
