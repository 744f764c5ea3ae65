import { FULL_SIZES, PGLITE_QUICK_SIZES, PGLITE_SIZES, QUICK_SIZES, type SeedSizes } from './dataset.js';

/** Flags and environment variables of `npm run bench` (documented in docs/benchmarks.md). */

export interface BenchOptions {
  engine: 'postgres' | 'pglite';
  quick: boolean;
  reseed: boolean;
  /** PostgreSQL only. */
  databaseUrl: string;
  sizes: SeedSizes;
  connections: number;
  poolMax: number;
  searchWarmupSeconds: number;
  searchMixSeconds: number;
  searchTermAloneSeconds: number;
  getByIdWarmupSeconds: number;
  rounds: number;
  roundSeconds: number;
  idPool: number;
}

export const USAGE = `Usage: npm run bench [-- --quick] [-- --reseed]

  --quick    smoke run: 10k accounts in the measured workspace (+ 9 × 10k), short rounds
  --reseed   reload the accounts even when the counts already match

Environment:
  BENCH_DATABASE_URL    PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/crm_bench,
                        crm_bench_quick with --quick); created when missing; must be a superuser login
  BENCH_ENGINE          postgres (default) | pglite (embedded, 100k accounts, indicative only)
  BENCH_CONNECTIONS     concurrent client connections (default 10)
  BENCH_POOL_MAX        database pool size of the app and of the baseline (default 10)
  BENCH_ROUNDS          get-by-id rounds per side (default 5, quick 2)
  BENCH_ROUND_SECONDS   seconds per get-by-id round (default 10, quick 3)
  BENCH_SEARCH_SECONDS  seconds of the mixed search run (default 30, quick 5)
  BENCH_PLAN_CACHE_MODE the app's DATABASE_PLAN_CACHE_MODE (default: the app's default, force_generic_plan)
  NATS_URL              NATS with JetStream for the two-process real-time run (default nats://127.0.0.1:4222;
                        skipped when it does not answer)

Scenarios that also run alone and rewrite only their own section of docs/benchmarks.md:
  node --import tsx bench/realtime.ts [--quick]   BENCH_REALTIME_DATABASE_URL (PostgreSQL for two processes)
  node --import tsx bench/web.ts [--quick]        BENCH_WEB_DATABASE_URL (default: a temporary PGlite); needs Chromium
`;

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}]`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const known = new Set(['--quick', '--reseed', '--help', '-h']);
  for (const a of argv) if (!known.has(a)) throw new Error(`unknown argument ${a}\n\n${USAGE}`);
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const quick = argv.includes('--quick');
  const engineRaw = process.env.BENCH_ENGINE || 'postgres';
  if (engineRaw !== 'postgres' && engineRaw !== 'pglite')
    throw new Error('BENCH_ENGINE must be postgres or pglite');
  const engine = engineRaw;
  const defaultUrl = `postgres://postgres@127.0.0.1:5432/${quick ? 'crm_bench_quick' : 'crm_bench'}`;
  const sizes =
    engine === 'pglite' ? (quick ? PGLITE_QUICK_SIZES : PGLITE_SIZES) : quick ? QUICK_SIZES : FULL_SIZES;
  return {
    engine,
    quick,
    reseed: argv.includes('--reseed'),
    databaseUrl: process.env.BENCH_DATABASE_URL || defaultUrl,
    sizes,
    connections: intEnv('BENCH_CONNECTIONS', 10, 1, 1000),
    poolMax: intEnv('BENCH_POOL_MAX', 10, 1, 200),
    searchWarmupSeconds: quick ? 2 : 5,
    searchMixSeconds: intEnv('BENCH_SEARCH_SECONDS', quick ? 5 : 30, 1, 3600),
    searchTermAloneSeconds: quick ? 2 : 5,
    getByIdWarmupSeconds: quick ? 2 : 5,
    rounds: intEnv('BENCH_ROUNDS', quick ? 2 : 5, 1, 100),
    roundSeconds: intEnv('BENCH_ROUND_SECONDS', quick ? 3 : 10, 1, 3600),
    idPool: quick ? 2_000 : 10_000,
  };
}
