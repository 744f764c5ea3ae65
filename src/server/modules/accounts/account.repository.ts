import { CompiledQuery, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import { namedKeyset, namedSortKey } from '../../platform/db/keyset.js';
import type { AccountLifecycle, AccountSort, LegalType } from './account.schema.js';
import type { AccountRow, AccountRowUpdate, NewAccountRow } from './account.table.js';

/** SQL for accounts, nothing else. Every query names its workspace (RLS is the second wall). */

const T = 'crm_core.crm_accounts' as const;

export interface AccountFilters {
  /** undefined: any owner; null: unowned. */
  ownerId?: string | null;
  lifecycle?: AccountLifecycle;
  legalType?: LegalType;
  industry?: string;
  country?: string;
  /** Every one of these tags. */
  tags?: readonly string[];
  deleted: 'exclude' | 'include' | 'only';
}

export async function insertAccount(db: Kysely<DB>, row: NewAccountRow): Promise<AccountRow> {
  return db.insertInto(T).values(row).returningAll().executeTakeFirstOrThrow();
}

// The hottest read (get by id) skips the query builder: the statement never varies, so it is compiled
// once here instead of on every request (docs/benchmarks.md).
export const FIND_ACCOUNT_SQL = 'select * from crm_core.crm_accounts where tenant_id = $1 and id = $2';

export async function findAccount(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<AccountRow | undefined> {
  if (options.forUpdate) {
    return db
      .selectFrom(T)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }
  const r = await db.executeQuery<AccountRow>(CompiledQuery.raw(FIND_ACCOUNT_SQL, [tenantId, id]));
  return r.rows[0];
}

/** Applies a change if the row is still at `expectedVersion`; returns undefined when it is not. */
export async function updateAccountRow(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: AccountRowUpdate,
): Promise<AccountRow | undefined> {
  return db
    .updateTable(T)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

function applyFilters<O>(
  q: SelectQueryBuilder<DB, typeof T, O>,
  tenantId: string,
  f: AccountFilters,
): SelectQueryBuilder<DB, typeof T, O> {
  let out = q.where('tenant_id', '=', tenantId);
  if (f.deleted === 'exclude') out = out.where('deleted_at', 'is', null);
  if (f.deleted === 'only') out = out.where('deleted_at', 'is not', null);
  if (f.ownerId === null) out = out.where('owner_id', 'is', null);
  else if (f.ownerId !== undefined) out = out.where('owner_id', '=', f.ownerId);
  if (f.lifecycle) out = out.where('lifecycle', '=', f.lifecycle);
  if (f.legalType) out = out.where('legal_type', '=', f.legalType);
  if (f.industry) out = out.where('industry', '=', f.industry);
  if (f.country) out = out.where('country', '=', f.country);
  if (f.tags && f.tags.length > 0) out = out.where(sql<boolean>`tags @> ${sql.val([...f.tags])}::text[]`);
  return out;
}

/** The cursor value of a row for a sort option. */
export function sortKeyOf(sort: AccountSort, row: AccountRow): string {
  return namedSortKey(sort, row);
}

/** One page in a plain (non-search) order; `after` is the (sort value, id) of the previous page's last row. */
export async function listAccountRows(
  db: Kysely<DB>,
  tenantId: string,
  filters: AccountFilters,
  sort: AccountSort,
  after: readonly [string, string] | null,
  limit: number,
): Promise<AccountRow[]> {
  const k = namedKeyset(sort, after);
  let q = applyFilters(db.selectFrom(T).selectAll(), tenantId, filters);
  if (k.after) q = q.where(k.after);
  return q.orderBy(k.order).orderBy('id', k.dir).limit(limit).execute();
}

export async function countAccountRows(
  db: Kysely<DB>,
  tenantId: string,
  filters: AccountFilters,
): Promise<number> {
  const r = await applyFilters(db.selectFrom(T), tenantId, filters)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function filtersJson(f: AccountFilters): string {
  const out: Record<string, unknown> = { deleted: f.deleted };
  if (f.ownerId !== undefined) out.owner_id = f.ownerId;
  if (f.lifecycle) out.lifecycle = f.lifecycle;
  if (f.legalType) out.legal_type = f.legalType;
  if (f.industry) out.industry = f.industry;
  if (f.country) out.country = f.country;
  if (f.tags && f.tags.length > 0) out.tags = f.tags;
  return JSON.stringify(out);
}

/** An account of a search page, with its relevance tier (for the cursor: tier, folded name, id). */
export type SearchHitRow = AccountRow & { search_rank: number };

/**
 * One page of search results: the SECURITY DEFINER function (which keeps the trigram and words indexes
 * usable under RLS and filters on the session's workspace itself) ranks the ids, and the same statement
 * joins them back to their rows through RLS, in the function's order — one round trip. The function is
 * wrapped in a LIMIT so the planner expects a page, not its default 1,000 rows, and looks each one up
 * by key instead of hashing the workspace's partition.
 */
export async function searchAccountRows(
  db: Kysely<DB>,
  tenantId: string,
  query: string,
  filters: AccountFilters,
  after: readonly [number, string, string] | null,
  limit: number,
): Promise<SearchHitRow[]> {
  const r = await sql<SearchHitRow>`
    SELECT a.*, h.rank AS search_rank
    FROM (SELECT * FROM crm_core.crm_account_search(
            ${query}, ${filtersJson(filters)}::text::jsonb, ${after?.[0] ?? null}::int, ${after?.[1] ?? null}::text,
            ${after?.[2] ?? null}::uuid, ${limit}::int) WITH ORDINALITY AS f(id, rank, name_fold, pos)
          LIMIT ${limit}::int) h
    JOIN crm_core.crm_accounts a ON a.tenant_id = ${tenantId}::uuid AND a.id = h.id
    ORDER BY h.pos`.execute(db);
  return r.rows;
}

export async function countSearchHits(
  db: Kysely<DB>,
  query: string,
  filters: AccountFilters,
): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT crm_core.crm_account_search_count(${query}, ${filtersJson(filters)}::text::jsonb) AS n`.execute(
    db,
  );
  return Number(r.rows[0]?.n ?? 0);
}

export async function accountsByIds(
  db: Kysely<DB>,
  tenantId: string,
  ids: readonly string[],
): Promise<AccountRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom(T)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .execute();
}
