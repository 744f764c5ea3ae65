import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import { namedKeyset, namedSortKey } from '../../platform/db/keyset.js';
import type { LeadSort, LeadSource, LeadStatus } from './lead.schema.js';
import type { LeadRow, LeadRowUpdate, NewLeadRow } from './lead.table.js';

/** SQL for leads, nothing else. Every query names its workspace (RLS is the second wall). */

const T = 'crm_core.crm_leads' as const;

export interface LeadFilters {
  /** undefined: any owner; null: unowned. */
  ownerId?: string | null;
  status?: LeadStatus;
  source?: LeadSource;
  scoreMin?: number;
  scoreMax?: number;
  /** Substring of the folded name, company and email ("nguyen" finds "Nguyễn"). */
  q?: string;
  deleted: 'exclude' | 'include' | 'only';
}

type RawRow = Omit<LeadRow, 'estimated_amount_minor'> & { estimated_amount_minor: unknown };

// bigint comes back as a string from pg and as a number from PGlite: one shape for the module.
const toRow = (r: RawRow): LeadRow => ({
  ...r,
  estimated_amount_minor:
    r.estimated_amount_minor === null || r.estimated_amount_minor === undefined
      ? null
      : Number(r.estimated_amount_minor),
});

export async function insertLead(db: Kysely<DB>, row: NewLeadRow): Promise<LeadRow> {
  return toRow(await db.insertInto(T).values(row).returningAll().executeTakeFirstOrThrow());
}

export async function findLead(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow | undefined> {
  let q = db.selectFrom(T).selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  return r ? toRow(r) : undefined;
}

/** Applies a change if the row is still at `expectedVersion`; returns undefined when it is not. */
export async function updateLeadRow(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: LeadRowUpdate,
): Promise<LeadRow | undefined> {
  const r = await db
    .updateTable(T)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
  return r ? toRow(r) : undefined;
}

function applyFilters<O>(
  q: SelectQueryBuilder<DB, typeof T, O>,
  tenantId: string,
  f: LeadFilters,
): SelectQueryBuilder<DB, typeof T, O> {
  let out = q.where('tenant_id', '=', tenantId);
  if (f.deleted === 'exclude') out = out.where('deleted_at', 'is', null);
  if (f.deleted === 'only') out = out.where('deleted_at', 'is not', null);
  if (f.ownerId === null) out = out.where('owner_id', 'is', null);
  else if (f.ownerId !== undefined) out = out.where('owner_id', '=', f.ownerId);
  if (f.status) out = out.where('status', '=', f.status);
  if (f.source) out = out.where('source', '=', f.source);
  if (f.scoreMin !== undefined) out = out.where('score', '>=', f.scoreMin);
  if (f.scoreMax !== undefined) out = out.where('score', '<=', f.scoreMax);
  // strpos, not LIKE: the term needs no escaping of % and _. Leads per workspace are few enough that the
  // workspace's rows are scanned (DESIGN §10: under RLS a trigram index would not be used anyway).
  if (f.q) out = out.where(sql<boolean>`strpos(search_text, crm_core.fold_text(${f.q})) > 0`);
  return out;
}

const isScoreSort = (sort: LeadSort): sort is 'score' | '-score' => sort === 'score' || sort === '-score';

/** The cursor value of a row for a sort option. */
export function sortKeyOf(sort: LeadSort, row: LeadRow): string | number {
  if (isScoreSort(sort)) return row.score;
  return namedSortKey(sort, row);
}

/** One page; `after` is the (sort value, id) of the previous page's last row. */
export async function listLeadRows(
  db: Kysely<DB>,
  tenantId: string,
  filters: LeadFilters,
  sort: LeadSort,
  after: readonly [string | number, string] | null,
  limit: number,
): Promise<LeadRow[]> {
  let q = applyFilters(db.selectFrom(T).selectAll(), tenantId, filters);
  if (isScoreSort(sort)) {
    const desc = sort === '-score';
    if (after) {
      q = q.where(
        sql<boolean>`(score, id) ${sql.raw(desc ? '<' : '>')} (${Number(after[0])}::int, ${after[1]}::uuid)`,
      );
    }
    const dir = desc ? 'desc' : 'asc';
    const rows = await q.orderBy('score', dir).orderBy('id', dir).limit(limit).execute();
    return rows.map(toRow);
  }
  const k = namedKeyset(sort, after ? [String(after[0]), after[1]] : null);
  if (k.after) q = q.where(k.after);
  const rows = await q.orderBy(k.order).orderBy('id', k.dir).limit(limit).execute();
  return rows.map(toRow);
}

export async function countLeadRows(db: Kysely<DB>, tenantId: string, filters: LeadFilters): Promise<number> {
  const r = await applyFilters(db.selectFrom(T), tenantId, filters)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Whether the workspace has this live account; locks it (no key update) so it cannot be deleted meanwhile. */
export async function liveAccount(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('crm_core.crm_accounts')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forNoKeyUpdate()
    .executeTakeFirst();
}

/** Whether the workspace has this live contact (locked like liveAccount). */
export async function liveContact(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
): Promise<{ id: string; account_id: string | null } | undefined> {
  return db
    .selectFrom('crm_core.crm_contacts')
    .select(['id', 'account_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forNoKeyUpdate()
    .executeTakeFirst();
}

/** The workspace's base currency (a lead's currency defaults to it, like a deal's). */
export async function workspaceBaseCurrency(db: Kysely<DB>, tenantId: string): Promise<string> {
  const r = await db
    .selectFrom('crm_core.crm_workspaces')
    .select('base_currency')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return r?.base_currency ?? 'VND';
}
