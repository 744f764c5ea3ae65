import Fastify from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../../src/server/app.js';
import type { DB } from '../../src/server/db.js';
import { createDatabase } from '../../src/server/platform/db/database.js';
import { benchAppConfig, requireEnv } from './app-config.js';
import { reportFailure, reportReady } from './protocol.js';

/**
 * Child process for BENCH_ENGINE=pglite: PGlite is an in-process, single-connection database, so the app
 * and its baseline share one process and one PGlite handle. The baseline is a bare Fastify route running
 * the get-by-id statement as the owner (the superuser: no RLS) through the same handle. Indicative only:
 * both sides queue on the one connection, and the WASM engine shares the event loop with the server.
 */
async function main(): Promise<void> {
  const dataDir = requireEnv('BENCH_PGLITE_DIR');
  const tenantId = requireEnv('BENCH_TENANT_ID');
  const config = benchAppConfig({
    databaseUrl: undefined,
    poolMax: 1,
    jwtSecret: requireEnv('BENCH_JWT_SECRET'),
    dataDir: requireEnv('BENCH_DATA_DIR'),
  });
  const db = await createDatabase<DB>({ kind: 'pglite', dataDir });
  const { app } = await buildApp({ config, db });
  await app.listen({ host: '127.0.0.1', port: 0 });

  const bare = Fastify({ logger: false });
  bare.get<{ Params: { id: string } }>('/accounts/:id', async (request, reply) => {
    const r = await db.owner((k) =>
      sql`select * from crm_core.crm_accounts where tenant_id = ${tenantId} and id = ${request.params.id}`.execute(
        k,
      ),
    );
    if (r.rows.length === 0) return reply.code(404).send({ code: 'not_found' });
    return r.rows[0];
  });
  await bare.listen({ host: '127.0.0.1', port: 0 });

  const appAddress = app.server.address();
  const bareAddress = bare.server.address();
  if (!appAddress || typeof appAddress === 'string' || !bareAddress || typeof bareAddress === 'string') {
    throw new Error('no TCP address');
  }
  reportReady({ app: appAddress.port, baseline: bareAddress.port }, async () => {
    await bare.close();
    await app.close();
    await db.destroy();
  });
}

main().catch(reportFailure);
