import type { DB } from './db.js';
import { devSecret } from './platform/config.js';
import { createDatabase, databaseOptions } from './platform/db/database.js';
import { loadConfigOrExit, onShutdownSignal, runMain } from './platform/process.js';

/**
 * HTTP entry: configuration → database (PGlite in DATA_DIR unless DATABASE_URL) → migrations → demo
 * seed → listen. The outbox relay runs in-process unless OUTBOX_RELAY=off (then run `worker`).
 *
 * The application's modules are imported here, dynamically, while the database opens: a new PGlite
 * cluster (an empty ./data) runs initdb for seconds on this thread, and the modules are transpiled off it
 * (tsx's loader thread and esbuild), so the two overlap instead of adding up (DESIGN §9: the first
 * answer of `npm start` on an empty ./data within 15 s).
 */
const loadModules = () =>
  Promise.all([
    import('./app.js'),
    import('./platform/db/migrate.js'),
    import('./platform/http/web-build.js'),
    import('./platform/jobs/housekeeping.js'),
    import('./seed/demo.js'),
  ]);

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const started = Date.now();
  const options = databaseOptions(config);
  const [db, modules] = await Promise.all([createDatabase<DB>(options), loadModules()]);
  const [{ buildApp }, { migrateUp }, { buildWebApp, webBuildNeeded }, { Housekeeping }, demoSeed] = modules;
  const { generateDemoPassword, seedDemo, seedDemoStories } = demoSeed;
  const ran = await migrateUp(db);
  const { app, platform, relay, webhooks, wonFlow } = await buildApp({ config, db });
  const log = app.log;
  log.info(
    {
      engine: db.engine,
      where: options.kind === 'pglite' ? options.dataDir : 'DATABASE_URL',
      migrations: ran,
    },
    'database ready',
  );
  for (const [name, source] of Object.entries(config.secretSources)) {
    if (source !== 'env')
      log.warn(
        { secret: name, source, file: `${config.dataDir}/secrets.json` },
        'using a development secret stored under DATA_DIR; set it in the environment for production',
      );
  }

  if (!config.WEBHOOK_SECRET_KEY && config.NODE_ENV === 'production') {
    log.warn('WEBHOOK_SECRET_KEY is not set: webhook signing secrets are stored unencrypted in the database');
  }

  let demo: Awaited<ReturnType<typeof seedDemo>> | null = null;
  if (config.SEED_DEMO) {
    const password = devSecret(config.dataDir, 'demoPassword', generateDemoPassword).value;
    demo = await seedDemo(platform, password);
  }
  const housekeeping = new Housekeeping(db, 10 * 60_000, (err) => log.warn({ err }, 'housekeeping failed'));
  if (config.OUTBOX_RELAY === 'inline') {
    relay.start();
    webhooks.start();
    wonFlow.start();
    housekeeping.start();
  }

  await app.listen({ host: config.HOST, port: config.PORT });
  // The web app is (re)built when its sources changed, after the API answers: on 2 cores a parallel
  // build delayed the first answer by seconds. Until it is done its pages say "starting" and reload.
  if (config.WEB_BUILD === 'auto' && webBuildNeeded()) {
    const webStarted = Date.now();
    log.info('building the web app (its sources changed)');
    buildWebApp().then(
      () => log.info({ ms: Date.now() - webStarted }, 'web app built'),
      (err: unknown) => log.error({ err }, 'the web app could not be built; the API keeps running'),
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const base = config.PUBLIC_URL ?? `http://localhost:${port}`;
  const lines = [
    '',
    `  CyberOS CRM is running at ${base}  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  API reference: ${base}/docs    OpenAPI: ${base}/crm/v1/openapi.json`,
    `  Database: ${db.engine === 'pglite' ? `embedded PGlite in ${options.kind === 'pglite' ? options.dataDir : ''}` : 'PostgreSQL (DATABASE_URL)'}`,
  ];
  if (demo) {
    lines.push(
      `  Demo workspace${demo.created ? ' (just created)' : ''}: sign in with`,
      `      email:    ${demo.email}   (admin; ${demo.repEmail} is a sales rep, same password)`,
      `      password: ${demo.password}`,
      `      curl -s ${base}/crm/v1/auth/login -H 'content-type: application/json' \\`,
      `           -d '{"email":"${demo.email}","password":"${demo.password}"}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  if (demo) {
    seedDemoStories(platform).then(
      (r) => r.seeded && log.info('demo contacts, deals and timeline seeded'),
      (err: unknown) => log.warn({ err }, 'demo contacts and deals could not be seeded'),
    );
  }

  onShutdownSignal(async (signal) => {
    log.info({ signal }, 'shutting down');
    housekeeping.stop();
    await app.close();
    await db.destroy();
  });
}

runMain(main);
