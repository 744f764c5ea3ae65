import { AppError } from '../errors.js';

/**
 * Opaque keyset cursors: the sort they belong to and the key of the last row of the previous page,
 * base64url-encoded. A cursor from another sort (or a tampered one) is a 400, not a wrong page.
 */
export type CursorKey = ReadonlyArray<string | number>;

export function encodeCursor(sort: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ s: sort, k: key })).toString('base64url');
}

export function decodeCursor(
  cursor: string,
  sort: string,
  shape: ReadonlyArray<'string' | 'number'>,
): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const p = parsed as { s?: unknown; k?: unknown };
  if (p.s !== sort || !Array.isArray(p.k) || p.k.length !== shape.length) throw invalid();
  const key = p.k as unknown[];
  if (!shape.every((t, i) => typeof key[i] === t)) throw invalid();
  return key as CursorKey;
}

const invalid = () =>
  new AppError('invalid_cursor', 'The cursor is not valid for this list and sort; start again without it', {
    fields: [
      { field: 'cursor', pointer: '', in: 'query', code: 'invalid', message: 'not a cursor of this list' },
    ],
  });
