import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { type CursorPart, decodeCursor, encodeCursor } from './cursor.js';

/** Keys reach SQL casts: every value is checked against its kind, so a forged cursor is a 400. */
describe('keyset cursors', () => {
  const id = newId();
  const at = new Date('2026-11-21T10:00:00.123Z').toISOString();

  it('round-trips a key of every kind', () => {
    const shape: CursorPart[] = ['text', 'uuid', 'instant', 'date', 'int'];
    const key = ['Nguyễn', id, at, '2026-02-28', -1];
    expect(decodeCursor(encodeCursor('s', key), 's', shape)).toEqual(key);
  });

  const refused: Array<[string, CursorPart, unknown]> = [
    ['NUL in text', 'text', 'a\u0000b'],
    ['not a uuid', 'uuid', 'not-a-uuid'],
    ['instant without milliseconds', 'instant', '2026-11-21T10:00:00Z'],
    ['impossible instant', 'instant', '2026-13-01T00:00:00.000Z'],
    ['impossible date', 'date', '2026-02-30'],
    ['date with time', 'date', '2026-02-01T00:00:00Z'],
    ['fractional int', 'int', 1.5],
    ['int as string', 'int', '1'],
    ['text as number', 'text', 1],
  ];
  for (const [what, part, value] of refused) {
    it(`refuses ${what} with 400 invalid_cursor`, () => {
      const run = () => decodeCursor(encodeCursor('s', [value as string]), 's', [part]);
      expect(run).toThrow(AppError);
      try {
        run();
      } catch (e) {
        expect((e as AppError).code).toBe('invalid_cursor');
        expect((e as AppError).status).toBe(400);
      }
    });
  }

  it('refuses another sort, another length, and garbage', () => {
    const c = encodeCursor('a', [id]);
    expect(() => decodeCursor(c, 'b', ['uuid'])).toThrow(AppError);
    expect(() => decodeCursor(c, 'a', ['uuid', 'uuid'])).toThrow(AppError);
    expect(() => decodeCursor('%%%not-base64-json', 'a', ['uuid'])).toThrow(AppError);
  });
});
