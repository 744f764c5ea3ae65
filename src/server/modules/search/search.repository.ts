import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';
import type { LeadStatus } from '../leads/lead.schema.js';

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

export interface LeadHitRow {
  id: string;
  display_name: string;
  company_name: string | null;
  email: string | null;
  phone: string | null;
  /** CHECK-constrained to the lead statuses (migration 0015). */
  status: LeadStatus;
}

export type ContactLookup =
  | { by: 'name'; q: string }
  /** Normalized channel value, exactly or as a prefix, among the given kinds. */
  | { by: 'channel'; value: string; prefix: boolean; kinds: readonly string[] };

export type LeadLookup =
  | { by: 'name'; q: string }
  /** E.164, exactly. */
  | { by: 'phone'; value: string }
  /** Lower-cased address, exactly or as its beginning. */
  | { by: 'email'; value: string };

export interface SearchPlan {
  /** Rows wanted per group (the page size + 1, for has_more). */
  n: number;
  /** By text (ranked search), or by exact tax codes (a number typed: phone-looking queries). */
  accounts?: { q: string } | { mst: string[] };
  contacts?: ContactLookup;
  deals?: { q: string };
  leads?: LeadLookup;
}

export interface SearchRows {
  accounts: AccountHitRow[];
  contacts: ContactHitRow[];
  deals: DealHitRow[];
  leads: LeadHitRow[];
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

/** Open leads sort before closed ones (disqualified, converted): the offset the search function uses. */
const leadBucket = sql`CASE WHEN l.status IN ('new', 'contacted', 'qualified') THEN 0 ELSE 10 END`;

/**
 * Email matches read at most this many index entries in address order before ranking: an address
 * prefix ("info@") can be shared by many leads, and a palette shows five.
 */
const LEAD_EMAIL_CAP = 200;

/**
 * Leads by name/company go through `crm_lead_search` (migration 0020; open leads first). A phone is an
 * equality and an email a byte range on the (tenant_id, phone) and (tenant_id, email "C") btrees —
 * leakproof operators, so those run as the app role under RLS with their indexes, no definer function.
 */
function leadsPart(t: RawBuilder<string>, lookup: LeadLookup, n: number) {
  let hits: RawBuilder<unknown>;
  if (lookup.by === 'name') {
    hits = sql`SELECT h.id, h.rank, h.name_fold AS sort
      FROM (SELECT * FROM crm_core.crm_lead_search(${lookup.q}, ${n}::int) LIMIT ${n}::int) h`;
  } else if (lookup.by === 'phone') {
    hits = sql`SELECT l.id, ${leadBucket} AS rank, l.name_fold AS sort
      FROM crm_core.crm_leads l
      WHERE l.tenant_id = ${t} AND l.phone = ${lookup.value} AND l.deleted_at IS NULL
      ORDER BY rank, l.name_fold COLLATE "C", l.id LIMIT ${n}::int`;
  } else {
    // [value, value with its last character bumped) in the "C" order is exactly the prefix.
    hits = sql`SELECT m.id, m.rank, m.sort FROM (
        SELECT l.id, ${leadBucket} + CASE WHEN l.email = ${lookup.value} THEN 0 ELSE 1 END AS rank,
          l.email AS sort
        FROM crm_core.crm_leads l
        WHERE l.tenant_id = ${t} AND l.deleted_at IS NULL
          AND l.email COLLATE "C" >= ${lookup.value} COLLATE "C"
          AND l.email COLLATE "C" < (left(${lookup.value}, -1) || chr(ascii(right(${lookup.value}, 1)) + 1)) COLLATE "C"
        ORDER BY l.email COLLATE "C" LIMIT ${LEAD_EMAIL_CAP}::int
      ) m ORDER BY m.rank, m.sort COLLATE "C", m.id LIMIT ${n}::int`;
  }
  return sql`
    SELECT 'leads' AS grp, row_number() OVER (ORDER BY h.rank, h.sort COLLATE "C", h.id) AS pos,
      jsonb_build_object('id', l.id, 'display_name', l.display_name, 'company_name', l.company_name,
        'email', l.email, 'phone', l.phone, 'status', l.status) AS data
    FROM (${hits}) h
    JOIN crm_core.crm_leads l ON l.tenant_id = ${t} AND l.id = h.id`;
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
    plan.leads ? leadsPart(t, plan.leads, plan.n) : null,
  ].filter((x) => x !== null);
  const out: SearchRows = { accounts: [], contacts: [], deals: [], leads: [] };
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
