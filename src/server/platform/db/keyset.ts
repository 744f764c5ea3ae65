import { type RawBuilder, sql } from 'kysely';

/**
 * Keyset pagination over the "name / created / updated" orders every named-record list offers
 * (accounts, contacts): the sort column, the row comparison after the previous page's last row, and the
 * cursor value of a row. Names sort by `name_fold` in the "C" collation, as their indexes do, so both
 * engines agree on the order.
 */
export const NAMED_SORTS = [
  'name',
  '-name',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
] as const;
export type NamedSort = (typeof NAMED_SORTS)[number];

const COLUMN = { name: 'name_fold', created_at: 'created_at', updated_at: 'updated_at' } as const;

const columnOf = (sort: NamedSort) => COLUMN[sort.replace('-', '') as keyof typeof COLUMN];

export interface Keyset {
  /** Rows after the cursor's (value, id), in the sort's direction; null without a cursor. */
  after: RawBuilder<boolean> | null;
  order: RawBuilder<unknown>;
  dir: 'asc' | 'desc';
}

export function namedKeyset(sort: NamedSort, after: readonly [string, string] | null): Keyset {
  const col = columnOf(sort);
  const desc = sort.startsWith('-');
  const dir = desc ? 'desc' : 'asc';
  const sortExpr = col === 'name_fold' ? sql`name_fold collate "C"` : sql.ref(col);
  const value = after
    ? col === 'name_fold'
      ? sql`${after[0]} collate "C"`
      : sql`${after[0]}::timestamptz`
    : null;
  return {
    after:
      after && value
        ? sql<boolean>`(${sortExpr}, id) ${sql.raw(desc ? '<' : '>')} (${value}, ${after[1]}::uuid)`
        : null,
    order: sql`${sortExpr} ${sql.raw(dir)}`,
    dir,
  };
}

/** The cursor value of a row for a sort. */
export function namedSortKey(
  sort: NamedSort,
  row: { name_fold: string; created_at: Date; updated_at: Date },
): string {
  const v = row[columnOf(sort)];
  return v instanceof Date ? v.toISOString() : v;
}
