import { buildApp } from './app.js';
import type { DB } from './db.js';
import { createDatabase, databaseOptions } from './platform/db/database.js';
import { migrationsCurrent } from './platform/db/migrate.js';
import { Housekeeping } from './platform/jobs/housekeeping.js';
import { loadConfigOrExit, onShutdownSignal, runMain } from './platform/process.js';

/**
 * Background entry: the outbox relay, its consumers (webhook fan-out and dispatcher, ADR 0014; the won
 * flow's step writer and runner, ADR 0015) and housekeeping, apart from the HTTP servers (run those with
 * OUTBOX_RELAY=off). Several workers may run at once (every claim uses SKIP LOCKED with a lease).
 *
 * It builds the same application as the server (so consumers are wired exactly alike) but never listens.
 * PGlite is single-process: on PGlite use the inline relay of `npm start` instead.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.DATABASE_URL) {
    console.error(
      'the worker needs DATABASE_URL (PostgreSQL); with embedded PGlite the server runs the relay in-process',
    );
    process.exit(78);
  }
  const db = await createDatabase<DB>(databaseOptions(config));
  if (!(await migrationsCurrent(db))) {
    console.error('migrations are not current; run `npm run migrate` first');
    process.exit(1);
  }
  const { app, relay, webhooks, wonFlow } = await buildApp({ config, db });
  const log = app.log;
  const housekeeping = new Housekeeping(db, 10 * 60_000, (err) => log.warn({ err }, 'housekeeping failed'));
  relay.start();
  webhooks.start();
  wonFlow.start();
  housekeeping.start();
  log.info(
    { pollMs: config.OUTBOX_POLL_MS },
    'worker started: outbox relay, webhook dispatcher, won-flow runner, housekeeping',
  );

  onShutdownSignal(async (signal) => {
    log.info({ signal, published: relay.published, steps: wonFlow.executed }, 'worker stopping');
    housekeeping.stop();
    await app.close(); // stops the runner, the dispatcher and the relay (onClose hook)
    await db.destroy();
  });
}

runMain(main);
