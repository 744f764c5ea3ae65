import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { getCrmV1Me } from '../../shared/api-client/index.js';
import { configPath, normalizeUrl, removeConfigFile, writeConfigFile } from '../config.js';
import { apiClient, CliError, call, EXIT, printJson, run, session, step } from './api.js';

/** `login`, `logout`, `whoami`: the API key the other commands use. */

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export function registerLoginCommands(program: Command): void {
  program.addHelpText(
    'after',
    '\nAPI commands use the key stored by `login` (or CRM_URL and CRM_API_KEY).\n' +
      'Exit codes: 0 ok · 1 failure (server error, unreachable) · 2 usage · 3 audit chain broken · ' +
      '4 invalid input (the API refused a field, invalid MST, rejected import rows) · 5 not found · ' +
      '6 not signed in, bad key or missing scope · 7 conflict (stale version, closed deal) · 8 rate limited · ' +
      '78 bad configuration (local commands).',
  );
  program
    .command('login')
    .description(
      `verify an API key against the server and store it in ${configPath()} (mode 0600); ` +
        'asks for what is not given when run in a terminal',
    )
    .option('--url <url>', 'the server, e.g. https://crm.example.com (default: CRM_URL)')
    .option(
      '--api-key <key>',
      'an API key crm_sk_… (default: CRM_API_KEY); an admin creates one with `keys create`',
    )
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { url?: string; apiKey?: string; json?: boolean }) => {
        const interactive = Boolean(process.stdin.isTTY) && !opts.json;
        let url = opts.url ?? process.env.CRM_URL;
        let apiKey = opts.apiKey ?? process.env.CRM_API_KEY;
        if (!url && interactive) url = await ask('Server URL: ');
        if (!apiKey && interactive) apiKey = await ask('API key (crm_sk_…): ');
        if (!url) throw new CliError('--url is required (or CRM_URL)', EXIT.usage);
        if (!apiKey) throw new CliError('--api-key is required (or CRM_API_KEY)', EXIT.usage);
        let base: string;
        try {
          base = normalizeUrl(url);
        } catch (e) {
          throw new CliError(`--url: ${(e as Error).message}`, EXIT.usage);
        }
        const me = await call(getCrmV1Me({ client: apiClient(base, apiKey) }));
        const path = configPath();
        writeConfigFile(
          {
            url: base,
            api_key: apiKey,
            workspace: { id: me.workspace.id, slug: me.workspace.slug, name: me.workspace.name },
            saved_at: new Date().toISOString(),
          },
          path,
        );
        if (opts.json) {
          printJson({
            url: base,
            config: path,
            workspace: me.workspace,
            role: me.role,
            scopes: me.scopes,
          });
          return;
        }
        step('login', `${base} · workspace ${me.workspace.name} (${me.workspace.slug}) · role ${me.role}`);
        step('login', `scopes: ${me.scopes.join(', ')}`);
        step('config', `saved to ${path} (0600)`);
      }),
    );

  program
    .command('logout')
    .description('forget the stored API key (the key itself stays valid: revoke it with `keys revoke`)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { json?: boolean }) => {
        const path = configPath();
        const removed = removeConfigFile(path);
        if (opts.json) printJson({ removed, config: path });
        else step('logout', removed ? `removed ${path}` : `nothing stored at ${path}`);
      }),
    );

  program
    .command('whoami')
    .description('who the configured key acts as: workspace, role, scopes')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { json?: boolean }) => {
        const s = session();
        const me = await call(getCrmV1Me({ client: s.client }));
        if (opts.json) {
          printJson(me);
          return;
        }
        step('whoami', `${s.url} · workspace ${me.workspace.name} (${me.workspace.slug}) · role ${me.role}`);
        step('whoami', `via ${me.via} · scopes: ${me.scopes.join(', ')}`);
      }),
    );
}
