import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import type { LeadStatus } from '../leads/lead.schema.js';

/**
 * SQL of global search: every requested group in ONE statement (one round trip, one pooled connection
 * per request). Each group is a SECURITY DEFINER search function (migration 0009; the indexes stay
 * usable under RLS, DESIGN §10) returning the ids of one ranked page, joined back through RLS as the app
 * role — so a function can only ever point at rows the caller could read anyway. Rows come back as
 * (group, position, summary JSON), in the function's order (rank, folded name, id).
 *
 * A typed name goes to `crm_global_search_by_name` (migration 0031), whose statements keep their plans
 * per connection: planning them on every request cost as much as a common name's four searches. A phone,
 * an email or a tax code is looked up by a statement assembled here.
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

export type SearchGroupName = 'accounts' | 'contacts' | 'deals' | 'leads';

/** The normalized channel value, exactly or as a prefix, among the given kinds. */
export interface ChannelLookup {
  value: string;
  prefix: boolean;
  kinds: readonly string[];
}

export type LeadLookup =
  /** E.164, exactly. */
  | { by: 'phone'; value: string }
  /** Lower-cased address, exactly or as its beginning. */
  | { by: 'email'; value: string };

export type SearchPlan =
  /** The typed text, ranked by name in each group (deals under the per-deal ACL). */
  | { kind: 'name'; n: number; q: string; groups: readonly SearchGroupName[] }
  /** A phone or an email: accounts by exact tax codes, contacts by channel, leads by phone or email. */
  | {
      kind: 'lookup';
      /** Rows wanted per group (the page size + 1, for has_more). */
      n: number;
      accounts?: { mst: string[] };
      contacts?: ChannelLookup;
      leads?: LeadLookup;
    };

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

function contactsPart(t: RawBuilder<string>, lookup: ChannelLookup, n: number) {
  const hits = sql`SELECT h.contact_id AS id, h.rank, h.value AS sort, h.channel_id, h.kind, h.value
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

/** Open leads sort before closed ones (disqualified, converted): the offset the search function uses. */
const leadBucket = sql`CASE WHEN l.status IN ('new', 'contacted', 'qualified') THEN 0 ELSE 10 END`;

/**
 * Email matches read at most this many index entries in address order before ranking: an address
 * prefix ("info@") can be shared by many leads, and a palette shows five.
 */
const LEAD_EMAIL_CAP = 200;

/**
 * Leads by phone or email (by name: `crm_lead_search`, migration 0020, through the by-name function). A
 * phone is an equality and an email a byte range on the (tenant_id, phone) and (tenant_id, email "C")
 * btrees — leakproof operators, so those run as the app role under RLS with their indexes, no definer
 * function.
 */
function leadsPart(t: RawBuilder<string>, lookup: LeadLookup, n: number) {
  let hits: RawBuilder<unknown>;
  if (lookup.by === 'phone') {
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
  const out: SearchRows = { accounts: [], contacts: [], deals: [], leads: [] };
  if (plan.kind === 'name') {
    if (plan.groups.length === 0) return out;
    const r = await sql<{ grp: keyof SearchRows; data: unknown }>`
      SELECT grp, data FROM crm_core.crm_global_search_by_name(${plan.q}, ${actor.userId}::uuid,
        ${actor.role}::text, ${plan.n}::int, ${sql.val([...plan.groups])}::text[]) ORDER BY grp, pos`.execute(
      db,
    );
    return collect(r.rows, out);
  }
  const t = sql<string>`${actor.workspaceId}::uuid`;
  const parts = [
    plan.accounts ? accountsByMstPart(t, plan.accounts.mst, plan.n) : null,
    plan.contacts ? contactsPart(t, plan.contacts, plan.n) : null,
    plan.leads ? leadsPart(t, plan.leads, plan.n) : null,
  ].filter((x) => x !== null);
  if (parts.length === 0) return out;
  const r = await sql<{ grp: keyof SearchRows; data: unknown }>`
    SELECT grp, data FROM (${sql.join(
      parts.map((p) => sql`(${p})`),
      sql` UNION ALL `,
    )}) x ORDER BY grp, pos`.execute(db);
  return collect(r.rows, out);
}

function collect(rows: ReadonlyArray<{ grp: keyof SearchRows; data: unknown }>, out: SearchRows): SearchRows {
  for (const row of rows) {
    // node-postgres parses jsonb; PGlite too — a string here would be a driver change.
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as never;
    out[row.grp].push(data);
  }
  return out;
}
