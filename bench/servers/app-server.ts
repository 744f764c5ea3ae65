import { buildApp } from '../../src/server/app.js';
import type { DB } from '../../src/server/db.js';
import { createDatabase } from '../../src/server/platform/db/database.js';
import { benchAppConfig, requireEnv } from './app-config.js';
import { reportFailure, reportReady } from './protocol.js';

/**
 * Child process: the real application (buildApp, every platform plugin, auth, RLS) on PostgreSQL,
 * listening on a free port. Migrations and data are the parent's job.
 */
async function main(): Promise<void> {
  const config = benchAppConfig({
    databaseUrl: requireEnv('BENCH_APP_DATABASE_URL'),
    poolMax: Number(requireEnv('BENCH_POOL_MAX')),
    jwtSecret: requireEnv('BENCH_JWT_SECRET'),
    dataDir: requireEnv('BENCH_DATA_DIR'),
  });
  const db = await createDatabase<DB>({
    kind: 'postgres',
    url: requireEnv('BENCH_APP_DATABASE_URL'),
    poolMax: config.DATABASE_POOL_MAX,
    planCacheMode: config.DATABASE_PLAN_CACHE_MODE,
    applicationName: 'crm-bench-app',
  });
  const { app } = await buildApp({ config, db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  reportReady({ app: address.port }, async () => {
    await app.close();
    await db.destroy();
  });
}

main().catch(reportFailure);
