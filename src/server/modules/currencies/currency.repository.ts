import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../../db.js';
import type { ExchangeRateRow, ExchangeRateRowUpdate, NewExchangeRateRow } from './currency.table.js';

/**
 * SQL for exchange rates, nothing else. `rate` is read as text (numeric → string, never a float) and
 * `effective_date` as 'YYYY-MM-DD' text, the same on both engines.
 */

type Db = Kysely<DB> | Transaction<DB>;
const T = 'crm_core.crm_exchange_rates' as const;

const columns = [
  'tenant_id',
  'id',
  'base_currency',
  'currency',
  sql<string>`rate::text`.as('rate'),
  sql<string>`to_char(effective_date, 'YYYY-MM-DD')`.as('effective_date'),
  'source',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
  'version',
  'deleted_at',
] as const;

export async function findRate(
  db: Db,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ExchangeRateRow | undefined> {
  let q = db.selectFrom(T).select(columns).where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function insertRate(db: Db, row: NewExchangeRateRow): Promise<ExchangeRateRow> {
  return db.insertInto(T).values(row).returning(columns).executeTakeFirstOrThrow();
}

export async function updateRateRow(
  db: Db,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: ExchangeRateRowUpdate,
): Promise<ExchangeRateRow | undefined> {
  return db
    .updateTable(T)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returning(columns)
    .executeTakeFirst();
}

/** A live rate of the same pair and day (the unique index's question, asked first for a clear 409). */
export async function findSameDay(
  db: Db,
  tenantId: string,
  base: string,
  currency: string,
  effectiveDate: string,
): Promise<ExchangeRateRow | undefined> {
  return db
    .selectFrom(T)
    .select(columns)
    .where('tenant_id', '=', tenantId)
    .where('base_currency', '=', base)
    .where('currency', '=', currency)
    .where('effective_date', '=', effectiveDate)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Live rates, newest effective date first (then newest id); `after` = (date, id) of the previous page's last row. */
export async function listRateRows(
  db: Db,
  tenantId: string,
  filters: { currency?: string },
  after: readonly [string, string] | null,
  limit: number,
): Promise<ExchangeRateRow[]> {
  let q = db.selectFrom(T).select(columns).where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (filters.currency) q = q.where('currency', '=', filters.currency);
  if (after) {
    q = q.where(sql<boolean>`(effective_date, id) < (${after[0]}::date, ${after[1]}::uuid)`);
  }
  return q.orderBy('effective_date', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The workspace's base currency and time zone (rates convert into the one, "today" is read in the other). */
export async function workspaceMoneySettings(
  db: Db,
  tenantId: string,
): Promise<{ base_currency: string; timezone: string }> {
  const r = await db
    .selectFrom('crm_core.crm_workspaces')
    .select(['base_currency', 'timezone'])
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return { base_currency: r?.base_currency.trim() ?? 'VND', timezone: r?.timezone ?? 'Asia/Ho_Chi_Minh' };
}
