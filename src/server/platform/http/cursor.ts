import { AppError } from '../errors.js';
import { isUuid } from '../ids.js';

/**
 * Opaque keyset cursors: the sort they belong to and the key of the last row of the previous page,
 * base64url-encoded. A cursor from another sort, or a tampered one, is a 400, not a wrong page — and not a
 * 500 either: the key's values reach SQL casts (`::uuid`, `::timestamptz`, `::date`, `::int`), so each is
 * checked against the kind the list expects before it is used.
 */
export type CursorKey = ReadonlyArray<string | number>;

/**
 * - `text`: any string PostgreSQL text can hold (no U+0000); `uuid`; `instant`: an ISO timestamp with
 *   milliseconds as `Date.toISOString()` writes it; `date`: a real calendar date YYYY-MM-DD;
 *   `int`: a safe integer.
 */
export type CursorPart = 'text' | 'uuid' | 'instant' | 'date' | 'int';

const valid: Record<CursorPart, (v: unknown) => boolean> = {
  text: (v) => typeof v === 'string' && !v.includes('\u0000'),
  uuid: (v) => typeof v === 'string' && isUuid(v),
  instant: (v) => typeof v === 'string' && roundTrips(v, (d) => d.toISOString()),
  date: (v) =>
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(v) &&
    roundTrips(v, (d) => d.toISOString().slice(0, 10)),
  int: (v) => typeof v === 'number' && Number.isSafeInteger(v),
};

/** True when the string parses as a time and writes back identically (so 2026-02-30 is refused). */
function roundTrips(v: string, write: (d: Date) => string): boolean {
  const d = new Date(v);
  return !Number.isNaN(d.getTime()) && write(d) === v;
}

export function encodeCursor(sort: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ s: sort, k: key })).toString('base64url');
}

export function decodeCursor(cursor: string, sort: string, shape: readonly CursorPart[]): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const p = parsed as { s?: unknown; k?: unknown };
  if (p.s !== sort || !Array.isArray(p.k) || p.k.length !== shape.length) throw invalidCursor();
  const key = p.k as unknown[];
  if (!shape.every((part, i) => valid[part](key[i]))) throw invalidCursor();
  return key as CursorKey;
}

export const invalidCursor = (): AppError =>
  new AppError('invalid_cursor', 'The cursor is not valid for this list and sort; start again without it', {
    fields: [
      { field: 'cursor', pointer: '', in: 'query', code: 'invalid', message: 'not a cursor of this list' },
    ],
  });
