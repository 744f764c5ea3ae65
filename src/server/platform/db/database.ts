import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { PlanCacheMode } from '../config.js';
import { PGliteDialect } from './pglite-dialect.js';
import { preparingPool } from './prepared-pool.js';
import { type DbScope, runInScope, ScopedDialect } from './scoped-dialect.js';

/**
 * The database handle every module uses. There is no unscoped way in: tenant work goes through
 * `read`/`transaction` with a workspace id, platform work (outbox relay, login lookups) through
 * `system`, and migrations through `owner`. Row-level security does the rest.
 */
export interface Database<DB> {
  readonly engine: 'pglite' | 'postgres';
  /** Runs fn with the workspace set, without a transaction: for reads and single statements. */
  read<T>(tenantId: string, fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Runs fn in one transaction with the workspace set. Everything a use case writes goes here. */
  transaction<T>(tenantId: string, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Cross-workspace platform work as `crm_system` (bypasses RLS; only platform tables are granted). */
  system<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  systemTransaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** As the schema owner (the login role): migrations and schema checks only. */
  owner<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Runs fn with no scope at all: what a forgotten scope would get. For isolation tests. */
  unscoped<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  poolStats(): { total: number; idle: number; waiting: number };
  /** How many times a connection had to change role/workspace (each costs one round trip). */
  scopeSwitches(): number;
  /** PGlite only: the data directory as a tarball (tests start workers from a migrated template). */
  dumpDataDir(): Promise<Blob>;
  destroy(): Promise<void>;
}

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolMax: number;
      applicationName?: string;
      /**
       * How PostgreSQL plans the app's prepared statements (ADR 0027); default `force_generic_plan`:
       * once per connection, partitions pruned at execution. Under PostgreSQL's `auto` a point lookup on
       * the hash-partitioned accounts table was planned on every execution (the cost model does not
       * credit pruning at execution), and planning was most of the database's work per read.
       */
      planCacheMode?: PlanCacheMode;
    }
  | { kind: 'pglite'; dataDir: string | undefined; loadDataDir?: Blob | File };

const INT8_OID = 20;
const DATE_OID = 1082;

/** bigint columns hold money in minor units and sequence numbers: exact integers, refused if unsafe. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds the safe integer range`);
  return n;
}

/** `date` columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the server's time zone. */
const parseDate = (value: string): string => value;

export async function openPGlite(dataDir: string | undefined, loadDataDir?: Blob | File): Promise<PGlite> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    ...(loadDataDir ? { loadDataDir } : {}),
    extensions: { pg_trgm, unaccent, btree_gin },
    parsers: { [INT8_OID]: parseInt8, [DATE_OID]: parseDate },
  });
}

export async function createDatabase<DB>(options: DatabaseOptions): Promise<Database<DB>> {
  if (options.kind === 'postgres') {
    const pool = new pg.Pool({
      ...withSessionSettings(options.url, { plan_cache_mode: options.planCacheMode ?? 'force_generic_plan' }),
      max: options.poolMax,
      application_name: options.applicationName ?? 'cyberos-crm',
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (oid === INT8_OID) return parseInt8;
          if (oid === DATE_OID) return parseDate;
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const dialect = new ScopedDialect(new PostgresDialect({ pool: preparingPool(pool) }), {
      multiStatement: true,
    });
    const kysely = new Kysely<DB>({ dialect });
    return wrap(kysely, dialect, 'postgres', {
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      dumpDataDir: async () => {
        throw new Error('dumpDataDir is a PGlite feature');
      },
    });
  }
  const pglite = await openPGlite(options.dataDir, options.loadDataDir);
  const dialect = new ScopedDialect(new PGliteDialect(pglite));
  const kysely = new Kysely<DB>({ dialect });
  return wrap(kysely, dialect, 'pglite', {
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    dumpDataDir: () => pglite.dumpDataDir('gzip'),
    onDestroy: async () => {
      await pglite.close();
    },
  });
}

/**
 * The connection string and startup `options` that set session defaults on every new connection (no
 * extra round trip, and a bad value fails the connection instead of being ignored). node-postgres lets
 * an `options` parameter in the URL replace the config's, so one given there is moved over and kept.
 */
export function withSessionSettings(
  url: string,
  settings: Record<string, string>,
): { connectionString: string; options: string } {
  const ours = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // A form WHATWG URLs refuse but libpq takes (`postgres://user@/db`): passed on as it is.
    return { connectionString: url, options: ours.join(' ') };
  }
  const given = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options: [given, ...ours].filter(Boolean).join(' ') };
}

function wrap<DB>(
  kysely: Kysely<DB>,
  dialect: ScopedDialect,
  engine: Database<DB>['engine'],
  extra: Pick<Database<DB>, 'poolStats' | 'dumpDataDir'> & { onDestroy?: () => Promise<void> },
): Database<DB> {
  const inScope =
    (scopeOf: (tenantId: string) => DbScope) =>
    <T>(tenantId: string, fn: () => Promise<T>): Promise<T> =>
      runInScope(scopeOf(tenantId), fn);
  const tenant = inScope((tenantId) => {
    if (!tenantId) throw new Error('workspace id is required for tenant database work');
    return { role: 'crm_app', tenantId };
  });
  const system: DbScope = { role: 'crm_system', tenantId: null };
  return {
    engine,
    read: (tenantId, fn) => tenant(tenantId, () => fn(kysely)),
    transaction: (tenantId, fn) => tenant(tenantId, () => kysely.transaction().execute(fn)),
    system: (fn) => runInScope(system, () => fn(kysely)),
    systemTransaction: (fn) => runInScope(system, () => kysely.transaction().execute(fn)),
    owner: (fn) => runInScope({ role: 'owner', tenantId: null }, () => fn(kysely)),
    unscoped: (fn) => runInScope({ role: 'crm_app', tenantId: null }, () => fn(kysely)),
    poolStats: extra.poolStats,
    dumpDataDir: extra.dumpDataDir,
    scopeSwitches: () => dialect.switches(),
    destroy: async () => {
      await kysely.destroy();
      await extra.onDestroy?.();
    },
  };
}

/** The database named by the configuration: PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR. */
export function databaseOptions(config: {
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_MAX: number;
  DATABASE_PLAN_CACHE_MODE: PlanCacheMode;
  dataDir: string;
}): DatabaseOptions {
  return config.DATABASE_URL
    ? {
        kind: 'postgres',
        url: config.DATABASE_URL,
        poolMax: config.DATABASE_POOL_MAX,
        planCacheMode: config.DATABASE_PLAN_CACHE_MODE,
      }
    : { kind: 'pglite', dataDir: path.join(config.dataDir, 'pglite') };
}
