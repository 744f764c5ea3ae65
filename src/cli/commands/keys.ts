import type { Command } from 'commander';
import { deleteCrmV1ApiKeysById, getCrmV1ApiKeys, postCrmV1ApiKeys } from '../../shared/api-client/index.js';
import type { PostCrmV1ApiKeysData } from '../../shared/api-client/types.gen.js';
import { auditLine, CliError, call, EXIT, printJson, printTable, run, session, step } from './api.js';

/** `keys create|list|revoke` over /crm/v1/api-keys (admins: `crm.apikeys.manage`, keys with `crm.admin`). */

type Scope = PostCrmV1ApiKeysData['body']['scopes'][number];
const SCOPES: readonly Scope[] = [
  'crm.read',
  'crm.write',
  'crm.close',
  'crm.payment',
  'crm.contact.merge',
  'crm.export',
  'crm.admin',
];

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('API keys of the workspace (admins)');

  keys
    .command('create')
    .description('create an API key; its token is shown once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "ERP sync"')
    .option('--scopes <list>', `comma-separated scopes (${SCOPES.join(', ')})`, 'crm.read')
    .option('--expires <date>', 'expiry, an ISO date or date-time (default: never)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { name: string; scopes: string; expires?: string; json?: boolean }) => {
        const scopes = opts.scopes
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const bad = scopes.filter((x) => !(SCOPES as readonly string[]).includes(x));
        if (bad.length || scopes.length === 0) {
          throw new CliError(
            `--scopes: unknown ${bad.join(', ') || '(none given)'}; one of ${SCOPES.join(', ')}`,
            EXIT.usage,
          );
        }
        let expires: string | undefined;
        if (opts.expires) {
          const d = new Date(opts.expires);
          if (Number.isNaN(d.getTime())) throw new CliError('--expires: not a date', EXIT.usage);
          expires = d.toISOString();
        }
        const s = session();
        const created = await call(
          postCrmV1ApiKeys({
            client: s.client,
            body: { name: opts.name, scopes: scopes as Scope[], ...(expires ? { expires_at: expires } : {}) },
          }),
        );
        if (opts.json) {
          printJson(created);
          return;
        }
        step(
          'key',
          `created ${created.api_key.id} "${created.api_key.name}" · scopes ${created.api_key.scopes.join(', ')}`,
        );
        step('key', `token (shown once, store it now): ${created.token}`);
        await auditLine(s, 'api_key', created.api_key.id);
      }),
    );

  keys
    .command('list')
    .description('the workspace’s API keys (tokens are never shown again, only their prefix)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { json?: boolean }) => {
        const s = session();
        const { data } = await call(getCrmV1ApiKeys({ client: s.client }));
        if (opts.json) {
          printJson({ data });
          return;
        }
        printTable(
          ['id', 'name', 'prefix', 'scopes', 'last_used', 'expires', 'revoked'],
          data.map((k) => [
            k.id,
            k.name,
            k.token_prefix,
            k.scopes.join(','),
            k.last_used_at?.slice(0, 16) ?? '',
            k.expires_at?.slice(0, 10) ?? '',
            k.revoked_at ? k.revoked_at.slice(0, 16) : '',
          ]),
        );
      }),
    );

  keys
    .command('revoke')
    .description('revoke an API key at once (requests with it answer 401 from now on)')
    .requiredOption('--id <id>', 'the key id (from `keys list`)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { id: string; json?: boolean }) => {
        const s = session();
        const k = await call(deleteCrmV1ApiKeysById({ client: s.client, path: { id: opts.id } }));
        if (opts.json) {
          printJson(k);
          return;
        }
        step('key', `revoked ${k.id} "${k.name}" at ${k.revoked_at ?? ''}`);
        await auditLine(s, 'api_key', k.id);
      }),
    );
}
