import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import { namedKeyset, namedSortKey } from '../../platform/db/keyset.js';
import type { ContactSort } from './contact.schema.js';
import type {
  BuyingRole,
  ContactChannelRow,
  ContactRow,
  ContactRowUpdate,
  NewContactChannelRow,
  NewContactRow,
} from './contact.table.js';

/** SQL for contacts and their channels, nothing else. Every query names its workspace (RLS is the second wall). */

const T = 'crm_core.crm_contacts' as const;
const CH = 'crm_core.crm_contact_channels' as const;

export interface ContactFilters {
  /** undefined: any owner; null: unowned. */
  ownerId?: string | null;
  accountId?: string;
  buyingRole?: BuyingRole;
  isPrimary?: boolean;
  /** Name prefix, folded by the database (diacritic- and case-insensitive). */
  namePrefix?: string;
  /** Normalized channel values; a contact matches when one of its channels has one of them. */
  channelValues?: readonly string[];
  /** Every one of these tags. */
  tags?: readonly string[];
  deleted: 'exclude' | 'include' | 'only';
}

export async function insertContact(db: Kysely<DB>, row: NewContactRow): Promise<ContactRow> {
  return db.insertInto(T).values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findContact(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ContactRow | undefined> {
  let q = db.selectFrom(T).selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Applies a change if the row is still at `expectedVersion`; returns undefined when it is not. */
export async function updateContactRow(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: ContactRowUpdate,
): Promise<ContactRow | undefined> {
  return db
    .updateTable(T)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Unsets `is_primary` on the account's other live contacts (at most one primary per account); returns
 * the rows changed, so the caller can audit them. The caller holds the account's row lock.
 */
export async function unsetOtherPrimaries(
  db: Kysely<DB>,
  tenantId: string,
  accountId: string,
  keepId: string,
  actorId: string | null,
): Promise<{ before: ContactRow; after: ContactRow }[]> {
  const others = await db
    .selectFrom(T)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .where('is_primary', '=', true)
    .where('id', '!=', keepId)
    .forUpdate()
    .execute();
  const out: { before: ContactRow; after: ContactRow }[] = [];
  for (const before of others) {
    const after = await db
      .updateTable(T)
      .set({ is_primary: false, updated_by: actorId, version: sql`version + 1`, updated_at: sql`now()` })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    out.push({ before, after });
  }
  return out;
}

/**
 * Whether the account exists (and is not deleted) in the workspace. With `lock`, the account row is
 * locked so two transactions making different contacts primary take turns (else both would keep theirs).
 */
export async function liveAccountExists(
  db: Kysely<DB>,
  tenantId: string,
  accountId: string,
  lock: boolean,
): Promise<boolean> {
  let q = db
    .selectFrom('crm_core.crm_accounts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', accountId)
    .where('deleted_at', 'is', null);
  // NO KEY UPDATE: serializes primaries without blocking contacts that merely reference the account.
  if (lock) q = q.forNoKeyUpdate();
  return (await q.executeTakeFirst()) !== undefined;
}

export async function channelsOf(
  db: Kysely<DB>,
  tenantId: string,
  contactIds: readonly string[],
): Promise<Map<string, ContactChannelRow[]>> {
  const out = new Map<string, ContactChannelRow[]>();
  if (contactIds.length === 0) return out;
  const rows = await db
    .selectFrom(CH)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('contact_id', 'in', [...contactIds])
    .orderBy('contact_id')
    .orderBy('position')
    .execute();
  for (const r of rows) {
    const list = out.get(r.contact_id);
    if (list) list.push(r);
    else out.set(r.contact_id, [r]);
  }
  return out;
}

/** Replaces a contact's channel set (delete + insert: positions and primaries are the new list's). */
export async function replaceChannels(
  db: Kysely<DB>,
  tenantId: string,
  contactId: string,
  rows: readonly NewContactChannelRow[],
): Promise<ContactChannelRow[]> {
  await db.deleteFrom(CH).where('tenant_id', '=', tenantId).where('contact_id', '=', contactId).execute();
  if (rows.length === 0) return [];
  return db
    .insertInto(CH)
    .values([...rows])
    .returningAll()
    .execute();
}

function applyFilters<O>(
  q: SelectQueryBuilder<DB, typeof T, O>,
  tenantId: string,
  f: ContactFilters,
): SelectQueryBuilder<DB, typeof T, O> {
  let out = q.where('tenant_id', '=', tenantId);
  if (f.deleted === 'exclude') out = out.where('deleted_at', 'is', null);
  if (f.deleted === 'only') out = out.where('deleted_at', 'is not', null);
  if (f.ownerId === null) out = out.where('owner_id', 'is', null);
  else if (f.ownerId !== undefined) out = out.where('owner_id', '=', f.ownerId);
  if (f.accountId) out = out.where('account_id', '=', f.accountId);
  if (f.buyingRole) out = out.where('buying_role', '=', f.buyingRole);
  if (f.isPrimary !== undefined) out = out.where('is_primary', '=', f.isPrimary);
  if (f.tags && f.tags.length > 0) out = out.where(sql<boolean>`tags @> ${sql.val([...f.tags])}::text[]`);
  if (f.namePrefix !== undefined) {
    // A byte range on the "C"-collated name_fold index: fold_text is immutable, so the bounds are
    // constants at plan time, and text comparisons are leakproof, so the range stays an index condition
    // under RLS (a LIKE would not). U+10FFFF is the largest code point: every name with the prefix sorts
    // below prefix || U+10FFFF.
    const folded = sql`crm_core.fold_text(${f.namePrefix})`;
    out = out
      .where(sql<boolean>`name_fold collate "C" >= ${folded} collate "C"`)
      .where(sql<boolean>`name_fold collate "C" < (${folded} || chr(1114111)) collate "C"`);
  }
  if (f.channelValues) {
    const values = [...f.channelValues];
    out = out.where('id', 'in', (eb) =>
      eb
        .selectFrom(CH)
        .select('contact_id')
        .where('tenant_id', '=', tenantId)
        .where(sql<boolean>`value collate "C" in (${sql.join(values.map((v) => sql`${v} collate "C"`))})`),
    );
  }
  return out;
}

/** The cursor value of a row for a sort option. */
export function sortKeyOf(sort: ContactSort, row: ContactRow): string {
  return namedSortKey(sort, row);
}

/** One page in a plain (non-search) order; `after` is the (sort value, id) of the previous page's last row. */
export async function listContactRows(
  db: Kysely<DB>,
  tenantId: string,
  filters: ContactFilters,
  sort: ContactSort,
  after: readonly [string, string] | null,
  limit: number,
): Promise<ContactRow[]> {
  const k = namedKeyset(sort, after);
  let q = applyFilters(db.selectFrom(T).selectAll(), tenantId, filters);
  if (k.after) q = q.where(k.after);
  return q.orderBy(k.order).orderBy('id', k.dir).limit(limit).execute();
}

export async function countContactRows(
  db: Kysely<DB>,
  tenantId: string,
  filters: ContactFilters,
): Promise<number> {
  const r = await applyFilters(db.selectFrom(T), tenantId, filters)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function contactsByIds(
  db: Kysely<DB>,
  tenantId: string,
  ids: readonly string[],
): Promise<ContactRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom(T)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .execute();
}
