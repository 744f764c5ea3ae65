import Fastify from 'fastify';
import pg from 'pg';
import { requireEnv } from './app-config.js';
import { reportFailure, reportReady } from './protocol.js';

/**
 * Child process: the baseline the app is measured against (DESIGN §9). Bare Fastify and a `pg` Pool of
 * the same size as the app's, connected as the superuser: no auth, no row-level security, no framework
 * of ours. It runs the statement the app's get-by-id runs (`findAccount` in account.repository.ts).
 */
const SQL = 'select * from crm_core.crm_accounts where tenant_id = $1 and id = $2';

async function main(): Promise<void> {
  const tenantId = requireEnv('BENCH_TENANT_ID');
  const pool = new pg.Pool({
    connectionString: requireEnv('BENCH_BASELINE_DATABASE_URL'),
    max: Number(requireEnv('BENCH_POOL_MAX')),
    application_name: 'crm-bench-baseline',
  });
  pool.on('error', () => {});
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/accounts/:id', async (request, reply) => {
    const r = await pool.query(SQL, [tenantId, request.params.id]);
    if (r.rowCount === 0) return reply.code(404).send({ code: 'not_found' });
    return r.rows[0];
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  reportReady({ baseline: address.port }, async () => {
    await app.close();
    await pool.end();
  });
}

main().catch(reportFailure);
