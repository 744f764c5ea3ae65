import { type Command, Option } from 'commander';
import {
  getCrmV1Accounts,
  getCrmV1AccountsById,
  postCrmV1Accounts,
  postCrmV1AccountsByIdValidateMst,
  postCrmV1VnMstValidate,
} from '../../shared/api-client/index.js';
import type { MstValidation, PostCrmV1AccountsData } from '../../shared/api-client/types.gen.js';
import { auditLine, CliError, call, EXIT, printJson, printTable, run, session, step } from './api.js';

/** `account create|list|get|validate-mst` over /crm/v1/accounts. */

const LEGAL_TYPES = ['sole_proprietor', 'llc', 'jsc', 'fdi', 'individual', 'other'] as const;
const LIFECYCLES = ['lead', 'prospect', 'customer', 'partner', 'former_customer', 'other'] as const;

const collect = (v: string, prev: string[] = []) => [...prev, v];

type Warning = { code: string; field: string; message: string };

/** The `[mst]` lines of an account's MST fields and warnings. */
function mstLines(
  account: { vn_mst: string | null; mst_status: string; name: string },
  warnings: Warning[],
  registry?: MstValidation['registry'],
) {
  if (!account.vn_mst) return;
  const status = account.mst_status;
  const what =
    status === 'valid'
      ? `✓ matches the GDT registry${registry?.name ? `: "${registry.name}"` : ''}`
      : status === 'unverified'
        ? 'digits valid; not checked against a registry (none configured)'
        : status === 'stale'
          ? 'digits valid; the registry could not be reached, to be checked again'
          : 'invalid';
  step('mst', `${account.vn_mst} ${what}`);
  for (const w of warnings) step('mst', `⚠ ${w.code}: ${w.message}`);
}

export function registerAccountCommands(program: Command): void {
  const account = program.command('account').description('companies (accounts)');

  account
    .command('create')
    .description('create an account; a Vietnamese tax code (--mst) is checked (digits, then the registry)')
    .requiredOption('--name <name>', 'the company name')
    .addOption(new Option('--type <legal-type>', 'legal type').choices(LEGAL_TYPES))
    .option('--mst <code>', 'Vietnamese tax code (MST), e.g. 0314556677 or 0100109106-001')
    .option('--country <iso2>', 'country code, e.g. VN')
    .option('--domain <domain>', 'a web domain of the company (repeatable)', collect)
    .option('--website <url>', 'web site')
    .option('--phone <phone>', 'main phone')
    .option('--email <email>', 'main email')
    .option('--industry <industry>', 'industry')
    .addOption(new Option('--lifecycle <stage>', 'lifecycle').choices(LIFECYCLES))
    .option('--owner <user-id>', 'owner (a member id; default: the key’s user)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          name: string;
          type?: (typeof LEGAL_TYPES)[number];
          mst?: string;
          country?: string;
          domain?: string[];
          website?: string;
          phone?: string;
          email?: string;
          industry?: string;
          lifecycle?: (typeof LIFECYCLES)[number];
          owner?: string;
          json?: boolean;
        }) => {
          const s = session();
          const body: PostCrmV1AccountsData['body'] = {
            name: opts.name,
            ...(opts.type ? { legal_type: opts.type } : {}),
            ...(opts.mst ? { vn_mst: opts.mst } : {}),
            ...(opts.country ? { country: opts.country } : opts.mst ? { country: 'VN' } : {}),
            ...(opts.domain ? { domains: opts.domain } : {}),
            ...(opts.website ? { website: opts.website } : {}),
            ...(opts.phone ? { phone: opts.phone } : {}),
            ...(opts.email ? { email: opts.email } : {}),
            ...(opts.industry ? { industry: opts.industry } : {}),
            ...(opts.lifecycle ? { lifecycle: opts.lifecycle } : {}),
            ...(opts.owner ? { owner_id: opts.owner } : {}),
          };
          const created = await call(postCrmV1Accounts({ client: s.client, body }));
          if (opts.json) {
            printJson(created);
            return;
          }
          mstLines(created, created.warnings ?? []);
          for (const w of (created.warnings ?? []).filter(
            (x) => !x.code.startsWith('mst_') && x.code !== 'name_normalized',
          ))
            step('warn', `${w.field}: ${w.message}`);
          step('create', `account_id: ${created.id} · "${created.name}"`);
          await auditLine(s, 'account', created.id);
        },
      ),
    );

  account
    .command('list')
    .description('list accounts (one page; --cursor for the next)')
    .option('-q, --query <text>', 'search names (accent- and case-insensitive)')
    .addOption(new Option('--lifecycle <stage>', 'only this lifecycle').choices(LIFECYCLES))
    .option('--owner <user-id|me|none>', 'only this owner')
    .option('--tag <tag>', 'only accounts with this tag (repeatable: every one)', collect)
    .option('--limit <n>', 'page size (max 100)', '25')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          query?: string;
          lifecycle?: (typeof LIFECYCLES)[number];
          owner?: string;
          tag?: string[];
          limit: string;
          cursor?: string;
          json?: boolean;
        }) => {
          const s = session();
          const page = await call(
            getCrmV1Accounts({
              client: s.client,
              query: {
                ...(opts.query ? { q: opts.query } : {}),
                ...(opts.lifecycle ? { lifecycle: opts.lifecycle } : {}),
                ...(opts.owner ? { owner_id: opts.owner } : {}),
                ...(opts.tag ? { tag: opts.tag } : {}),
                ...(opts.cursor ? { cursor: opts.cursor } : {}),
                limit: Number(opts.limit),
              },
            }),
          );
          if (opts.json) {
            printJson(page);
            return;
          }
          printTable(
            ['id', 'name', 'mst', 'mst_status', 'lifecycle', 'country'],
            page.data.map((a) => [
              a.id,
              a.name,
              a.vn_mst,
              a.vn_mst ? a.mst_status : '',
              a.lifecycle,
              a.country,
            ]),
          );
          if (page.page.next_cursor) process.stdout.write(`next page: --cursor ${page.page.next_cursor}\n`);
        },
      ),
    );

  account
    .command('get')
    .description('one account, with its contacts and open deals')
    .requiredOption('--id <id>', 'the account id')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { id: string; json?: boolean }) => {
        const s = session();
        const a = await call(
          getCrmV1AccountsById({
            client: s.client,
            path: { id: opts.id },
            query: { include: 'contacts,deals,stats' },
          }),
        );
        if (opts.json) {
          printJson(a);
          return;
        }
        printTable(
          ['field', 'value'],
          [
            ['id', a.id],
            ['name', a.name],
            ['legal_type', a.legal_type],
            ['mst', a.vn_mst ? `${a.vn_mst} (${a.mst_status})` : ''],
            ['lifecycle', a.lifecycle],
            ['country', a.country],
            ['domains', a.domains.join(', ')],
            ['website', a.website],
            ['phone', a.phone],
            ['email', a.email],
            ['owner_id', a.owner_id],
            ['version', a.version],
          ],
        );
        if (a.contacts?.length) {
          process.stdout.write('\ncontacts:\n');
          printTable(
            ['display_name', 'email', 'phone', 'title', 'primary'],
            a.contacts.map((c) => [c.display_name, c.email, c.phone, c.title, c.is_primary ? 'yes' : 'no']),
          );
        }
        if (a.deals?.length) {
          process.stdout.write('\ndeals:\n');
          printTable(
            ['id', 'name', 'stage', 'amount', 'probability', 'status'],
            a.deals.map((d) => [
              d.id,
              d.name,
              d.stage.code,
              d.amount_minor === null ? '' : `${d.amount_minor.toLocaleString('en-US')} ${d.currency}`,
              `${d.probability}%`,
              d.status,
            ]),
          );
        }
      }),
    );

  account
    .command('validate-mst')
    .description(
      'check a tax code against the registry: the stored MST of an account (--id, updates its status) ' +
        'or any code (--mst); exits 4 when the code is invalid',
    )
    .option('--id <id>', 'an account whose stored MST to check again')
    .option('--mst <code>', 'a tax code to check without an account')
    .option('--name <name>', 'with --mst: a company name to compare with the registry’s')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { id?: string; mst?: string; name?: string; json?: boolean }) => {
        if (Boolean(opts.id) === Boolean(opts.mst))
          throw new CliError('give exactly one of --id or --mst', EXIT.usage);
        const s = session();
        let mst: MstValidation;
        if (opts.id) {
          const a = await call(postCrmV1AccountsByIdValidateMst({ client: s.client, path: { id: opts.id } }));
          mst = a.mst;
          if (opts.json) printJson(a);
          else {
            mstLines(a, a.warnings ?? [], a.mst.registry);
            await auditLine(s, 'account', a.id);
          }
        } else {
          mst = await call(
            postCrmV1VnMstValidate({
              client: s.client,
              body: { mst: opts.mst ?? '', ...(opts.name ? { name: opts.name } : {}) },
            }),
          );
          if (opts.json) printJson(mst);
          else if (!mst.valid)
            step('mst', `${mst.normalized || opts.mst}: invalid (${mst.reason}) ${mst.message ?? ''}`);
          else {
            mstLines(
              { vn_mst: mst.display ?? mst.normalized, mst_status: mst.status, name: opts.name ?? '' },
              mst.warnings,
              mst.registry,
            );
            if (mst.registry?.address) step('mst', `address: ${mst.registry.address}`);
          }
        }
        if (!mst.valid || mst.status === 'invalid') process.exitCode = EXIT.invalid;
      }),
    );
}
