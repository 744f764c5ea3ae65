import { type Config, loadConfig } from '../../src/server/platform/config.js';

/**
 * The app's configuration under the benchmark: production mode, as `npm start` would run it, with the
 * knobs the benchmark must turn: no logs (their cost is the deployment's choice, not the app's), a rate
 * limit that load cannot hit, the outbox relay off (nothing is written), a fixed pool size, and access
 * tokens that outlive the run.
 */
export function benchAppConfig(options: {
  databaseUrl: string | undefined;
  poolMax: number;
  jwtSecret: string;
  dataDir: string;
}): Config {
  return loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: options.dataDir,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    DATABASE_POOL_MAX: String(options.poolMax),
    // The app's default unless the run asks otherwise (to measure ADR 0027's choice against PostgreSQL's).
    ...(process.env.BENCH_PLAN_CACHE_MODE
      ? { DATABASE_PLAN_CACHE_MODE: process.env.BENCH_PLAN_CACHE_MODE }
      : {}),
    LOG_LEVEL: 'silent',
    JWT_SECRET: options.jwtSecret,
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    RATE_LIMIT_MAX: '1000000',
    OUTBOX_RELAY: 'off',
    SEED_DEMO: 'false',
  });
}

/** Reads a required environment variable of a bench child process. */
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}
