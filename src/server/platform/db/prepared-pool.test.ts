import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE } from '../../../../test/helpers.js';
import { preparingPool } from './prepared-pool.js';

/**
 * The prepared-statement pool on a real PostgreSQL connection: answers stay right, statements are
 * reused, and a connection never holds more than its bound (the oldest are deallocated, and preparing
 * one of them again works).
 */
describe.skipIf(ENGINE !== 'postgres')('prepared statements per connection', () => {
  let pool: pg.Pool;
  let db: Kysely<unknown>;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 });
    db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: preparingPool(pool, { maxPerConnection: 3 }) }),
    });
  });
  afterAll(async () => {
    await db.destroy();
  });

  const prepared = async (): Promise<string[]> => {
    const r = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(db);
    // The query above is itself parameterless, so it is never prepared.
    return r.rows.map((x) => x.name);
  };

  it('names parameterized statements, reuses them and keeps at most the bound', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6; i++) {
        const r = await sql<{ v: number }>`SELECT ${i}::int + ${sql.raw(String(i))} AS v`.execute(db);
        expect(r.rows).toEqual([{ v: 2 * i }]);
      }
    }
    const names = await prepared();
    expect(names.length).toBeLessThanOrEqual(3);
    expect(names.every((n) => n.startsWith('k_'))).toBe(true);
    // Evicted statements prepare again on their next use.
    const again = await sql<{ v: number }>`SELECT ${0}::int + 0 AS v`.execute(db);
    expect(again.rows).toEqual([{ v: 0 }]);
  });

  it('leaves parameterless statements unnamed', async () => {
    const before = await prepared();
    await sql`SELECT 42`.execute(db);
    expect(await prepared()).toEqual(before);
  });
});
