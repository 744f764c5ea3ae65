import { Command, InvalidArgumentError } from 'commander';
import type { DB } from '../server/db.js';
import { ConfigError, devSecret, loadConfig } from '../server/platform/config.js';
import type { Database } from '../server/platform/db/database.js';
import { registerAccountCommands } from './commands/accounts.js';
import { registerContactCommands } from './commands/contacts.js';
import { registerDealCommands } from './commands/deals.js';
import { registerForecastCommand } from './commands/forecast.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerLoginCommands } from './commands/login.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerVietnamCommands } from './commands/vn.js';

/**
 * `cyberos-crm`: operator commands that use the server code directly (migrate, seed, serve, worker,
 * audit verify), and the API commands (login, account, contact, deal, forecast, keys, import, export in
 * `commands/`) that talk to the REST API through the generated client in `client/`. Exit codes: 0 ok,
 * 1 failure, 2 usage, 3 audit chain broken, 4 invalid input, 5 not found, 6 auth/scope, 7 conflict,
 * 8 rate limited, 78 config.
 */

async function withDb<T>(fn: (db: Database<DB>) => Promise<T>): Promise<T> {
  // Imported here, not at the top: API commands never load the database drivers (a faster start).
  const { createDatabase, databaseOptions } = await import('../server/platform/db/database.js');
  const config = loadConfig();
  const db = await createDatabase<DB>(databaseOptions(config));
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

const migrations = () => import('../server/platform/db/migrate.js');

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command()
  .name('cyberos-crm')
  .description('CyberOS CRM operator commands')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const migrate = program.command('migrate').description('database migrations (schema crm_core)');
migrate
  .command('up')
  .description('apply every pending migration')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const { migrateUp } = await migrations();
    const ran = await withDb((db) => migrateUp(db));
    if (opts.json) console.log(JSON.stringify({ applied: ran }));
    else
      console.log(ran.length ? ran.map((r) => `[migrate] ${r}`).join('\n') : '[migrate] already up to date');
  });
migrate
  .command('down')
  .description('revert the last migration(s)')
  .option('--steps <n>', 'how many to revert', positiveInt, 1)
  .option('--json', 'machine-readable output')
  .action(async (opts: { steps: number; json?: boolean }) => {
    const { migrateDown } = await migrations();
    const ran = await withDb((db) => migrateDown(db, opts.steps));
    if (opts.json) console.log(JSON.stringify({ reverted: ran }));
    else
      console.log(ran.length ? ran.map((r) => `[migrate] ${r}`).join('\n') : '[migrate] nothing to revert');
  });
migrate
  .command('status')
  .description('list migrations and whether they ran')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const { migrationStatus } = await migrations();
    const status = await withDb((db) => migrationStatus(db));
    if (opts.json) console.log(JSON.stringify(status));
    else
      for (const m of status)
        console.log(
          `${m.executedAt ? 'applied ' : 'pending '} ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}`,
        );
  });

program
  .command('seed')
  .description(
    'create the demo workspace (idempotent) and print how to sign in; with --accounts, add volume data to it',
  )
  .option('--json', 'machine-readable output')
  .option(
    '--accounts <n>',
    'top the demo workspace up to n accounts (with contacts, deals, activities)',
    (v) => positiveInt(v),
  )
  .option('--contacts-per-account <n>', 'contacts per account for --accounts', (v) => positiveInt(v))
  .action(async (opts: { json?: boolean; accounts?: number; contactsPerAccount?: number }) => {
    const config = loadConfig();
    const { buildApp } = await import('../server/app.js');
    const { generateDemoPassword, seedDemo, seedDemoStories } = await import('../server/seed/demo.js');
    const { migrateUp } = await migrations();
    const demo = await withDb(async (db) => {
      await migrateUp(db);
      const { app, platform } = await buildApp({ config: { ...config, LOG_LEVEL: 'warn' }, db });
      try {
        const seeded = await seedDemo(
          platform,
          devSecret(config.dataDir, 'demoPassword', generateDemoPassword).value,
        );
        await seedDemoStories(platform);
        if (opts.accounts === undefined) return seeded;
        const { seedVolume, DEFAULT_VOLUME } = await import('../server/seed/bulk.js');
        const { demoWorkspaceIds } = await import('../server/seed/demo.js');
        const ids = await demoWorkspaceIds(db);
        const volume = await seedVolume(
          db,
          ids.workspaceId,
          ids.adminUserId,
          {
            ...DEFAULT_VOLUME,
            accounts: opts.accounts,
            ...(opts.contactsPerAccount ? { contactsPerAccount: opts.contactsPerAccount } : {}),
          },
          opts.json ? () => {} : (line) => console.log(line),
        );
        return { ...seeded, volume };
      } finally {
        await app.close();
      }
    });
    if (opts.json) console.log(JSON.stringify(demo));
    else {
      if ('volume' in demo) {
        const v = demo.volume;
        console.log(
          `[seed] volume: ${v.accounts} accounts, ${v.contacts} contacts (${v.channels} channels), ${v.deals} deals, ${v.activities} activities in ${v.seconds.toFixed(1)} s`,
        );
      }
      console.log(
        `[seed] demo workspace ${demo.created ? 'created' : 'already present'}; sign in as ${demo.email} / ${demo.password}`,
      );
    }
  });

program
  .command('serve')
  .description('run the HTTP server (same as npm start)')
  .action(async () => {
    await import('../server/main.js');
  });

program
  .command('worker')
  .description('run the outbox relay and housekeeping (with OUTBOX_RELAY=off on the servers)')
  .action(async () => {
    await import('../server/worker.js');
  });

const audit = program.command('audit').description('audit log');
audit
  .command('verify')
  .description('recompute the per-workspace hash chains and report the first broken row')
  .option('--workspace <id>', 'only this workspace')
  .option('--json', 'machine-readable output')
  .action(async (opts: { workspace?: string; json?: boolean }) => {
    const { verifyAllAudit } = await import('../server/modules/audit/audit.service.js');
    const results = await withDb((db) => verifyAllAudit(db, opts.workspace));
    const broken = results.filter((r) => !r.ok);
    if (opts.json) {
      console.log(JSON.stringify({ ok: broken.length === 0, workspaces: results }));
    } else {
      for (const r of results) {
        console.log(
          r.ok
            ? `[audit] ${r.workspace_id}: ${r.rows} rows, chain ok`
            : `[audit] ${r.workspace_id}: BROKEN at seq ${r.broken_at?.seq} (${r.broken_at?.reason}) after ${r.rows} good rows`,
        );
      }
      console.log(`[audit] ${results.length} workspace(s) checked, ${broken.length} broken`);
    }
    if (broken.length > 0) process.exitCode = 3;
  });

registerVietnamCommands(program);
registerMcpCommand(program);
registerLoginCommands(program);
registerAccountCommands(program);
registerContactCommands(program);
registerDealCommands(program);
registerForecastCommand(program);
registerKeyCommands(program);
registerTransferCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78);
  }
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
