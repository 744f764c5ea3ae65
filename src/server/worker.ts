import pino from 'pino';
import type { DB } from './db.js';
import { wireWebhooks } from './modules/webhooks/webhook.dispatcher.js';
import { createDatabase, databaseOptions } from './platform/db/database.js';
import { migrationsCurrent } from './platform/db/migrate.js';
import { InProcessBus } from './platform/events/bus.js';
import { OutboxRelay } from './platform/events/relay.js';
import { Housekeeping } from './platform/jobs/housekeeping.js';
import { loadConfigOrExit, onShutdownSignal, runMain } from './platform/process.js';
import { writeTransaction } from './platform/unit-of-work.js';

/**
 * Background entry: the outbox relay and housekeeping, separate from the HTTP server. Run it with
 * OUTBOX_RELAY=off on the servers. Several workers may run at once (claims use SKIP LOCKED).
 *
 * With the in-process bus the consumers live here: the webhook fan-out and dispatcher (ADR 0014); the
 * WebSocket fan-out arrives with the NATS bus.
 * PGlite is single-process: on PGlite use the inline relay of `npm start` instead.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = pino({ level: config.LOG_LEVEL });
  if (!config.DATABASE_URL) {
    log.error(
      'the worker needs DATABASE_URL (PostgreSQL); with embedded PGlite the server runs the relay in-process',
    );
    process.exit(78);
  }
  const db = await createDatabase<DB>(databaseOptions(config));
  if (!(await migrationsCurrent(db))) {
    log.error('migrations are not current; run `npm run migrate` first');
    process.exit(1);
  }
  const bus = new InProcessBus((err, event) => log.error({ err, eventId: event.id }, 'event handler failed'));
  const relay = new OutboxRelay(db, bus, { pollMs: config.OUTBOX_POLL_MS, log });
  // The webhook fan-out subscribes to every event (durable: a failed insert makes the relay retry it),
  // and the dispatcher sends what it queued.
  const webhooks = wireWebhooks(
    { db, config, log, write: (ctx, fn) => writeTransaction(db, ctx, fn, () => relay.wake()) },
    bus,
  );
  const housekeeping = new Housekeeping(db, 10 * 60_000, (err) => log.warn({ err }, 'housekeeping failed'));
  relay.start();
  webhooks.dispatcher.start();
  housekeeping.start();
  log.info({ pollMs: config.OUTBOX_POLL_MS }, 'worker started: outbox relay and housekeeping');

  onShutdownSignal(async (signal) => {
    log.info({ signal, published: relay.published }, 'worker stopping');
    housekeeping.stop();
    await relay.stop();
    await webhooks.dispatcher.stop();
    await db.destroy();
  });
}

runMain(main);
