import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertWorkspaceRow } from '../../../../test/fixtures/platform-db.js';
import { ENGINE, testDb } from '../../../../test/helpers.js';
import type { DB } from '../../db.js';
import { FIND_ACCOUNT_SQL, findAccount } from '../../modules/accounts/account.repository.js';
import { newId } from '../ids.js';
import { createDatabase, type Database, withSessionSettings } from './database.js';

/**
 * ADR 0027: the app's PostgreSQL sessions plan each prepared statement once (generic plans, partitions
 * pruned at execution). The reason is the hash-partitioned accounts table: under PostgreSQL's default a
 * point lookup there is planned again on every execution.
 */

describe('session settings on the connection string', () => {
  it('adds the settings as startup options', () => {
    expect(withSessionSettings('postgres://u@h:5432/db', { plan_cache_mode: 'force_generic_plan' })).toEqual({
      connectionString: 'postgres://u@h:5432/db',
      options: '-c plan_cache_mode=force_generic_plan',
    });
  });

  it('keeps options given in the URL (node-postgres would let them replace ours) and the other parameters', () => {
    const r = withSessionSettings('postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Dx', {
      plan_cache_mode: 'auto',
    });
    expect(r.options).toBe('-c search_path=x -c plan_cache_mode=auto');
    const url = new URL(r.connectionString);
    expect(url.searchParams.get('options')).toBeNull();
    expect(url.searchParams.get('sslmode')).toBe('disable');
  });

  it('passes on a URL that WHATWG parsing refuses but libpq takes', () => {
    expect(withSessionSettings('postgres://u@/db', { plan_cache_mode: 'auto' })).toEqual({
      connectionString: 'postgres://u@/db',
      options: '-c plan_cache_mode=auto',
    });
  });
});

describe('search functions and the session plan mode', () => {
  it('every search function says how its statements are planned (migrations 0031-0033)', async () => {
    const db = await testDb();
    const r = await db.owner((k) =>
      sql<{ fn: string; config: string[] | null }>`
        SELECT p.oid::regprocedure::text AS fn, p.proconfig AS config FROM pg_proc p
        WHERE p.pronamespace = 'crm_core'::regnamespace AND p.proname LIKE 'crm\_%search%'
          AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
          -- The ones that read tables (SECURITY DEFINER under RLS, or invoker with settings of their
          -- own); the helpers that only assemble SQL text run no statement.
          AND (p.prosecdef OR p.proconfig IS NOT NULL)
        ORDER BY 1`.execute(k),
    );
    expect(r.rows.length).toBeGreaterThanOrEqual(10);
    const undeclared = r.rows.filter((f) => !(f.config ?? []).some((c) => c.startsWith('plan_cache_mode=')));
    // A function without its own setting inherits the app's generic plans (ADR 0027): decide it there.
    expect(undeclared.map((f) => f.fn)).toEqual([]);
  });
});

describe.skipIf(ENGINE !== 'postgres')('plan cache mode of the app sessions (PostgreSQL)', () => {
  let tenantId: string;
  let accountId: string;
  const open: Database<DB>[] = [];
  const single = async (planCacheMode?: 'auto'): Promise<Database<DB>> => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set');
    const db = await createDatabase<DB>({
      kind: 'postgres',
      url,
      poolMax: 1,
      ...(planCacheMode ? { planCacheMode } : {}),
    });
    open.push(db);
    return db;
  };

  beforeAll(async () => {
    const db = await testDb();
    tenantId = await insertWorkspaceRow(db);
    accountId = newId();
    await db.transaction(tenantId, (trx) =>
      sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${tenantId}, ${accountId}, 'Plan cache')`.execute(
        trx,
      ),
    );
  });
  afterAll(async () => {
    for (const db of open) await db.destroy();
  });

  /** Runs the account point lookup n times on the one connection and reads how it was planned. */
  async function lookups(db: Database<DB>, n: number) {
    for (let i = 0; i < n; i++) {
      const row = await db.read(tenantId, (k) => findAccount(k, tenantId, accountId));
      expect(row?.name).toBe('Plan cache');
    }
    return db.read(tenantId, async (k) => {
      const mode = await sql<{ plan_cache_mode: string }>`SHOW plan_cache_mode`.execute(k);
      const plans = await sql<{ generic_plans: number; custom_plans: number }>`
        SELECT generic_plans::int, custom_plans::int FROM pg_prepared_statements
        WHERE statement = ${FIND_ACCOUNT_SQL}`.execute(k);
      return { mode: mode.rows[0]?.plan_cache_mode, plans: plans.rows[0] };
    });
  }

  it('plans the account lookup once per connection: no custom plan however often it runs', async () => {
    const r = await lookups(await single(), 8);
    expect(r.mode).toBe('force_generic_plan');
    expect(r.plans?.custom_plans).toBe(0);
    expect(r.plans?.generic_plans).toBeGreaterThanOrEqual(8);
  });

  it("under PostgreSQL's default it is planned with the values at least five times, then as costs decide", async () => {
    // With a loaded accounts table the one-partition custom plan keeps looking cheaper than the generic
    // plan over all 16 partitions, so it is planned on every execution (the bench's 1M accounts, ADR 0027).
    const r = await lookups(await single('auto'), 8);
    expect(r.mode).toBe('auto');
    expect(r.plans?.custom_plans).toBeGreaterThanOrEqual(5);
  });
});
