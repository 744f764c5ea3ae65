import { type Command, Option } from 'commander';
import {
  getCrmV1Contacts,
  postCrmV1Contacts,
  postCrmV1ContactsByIdMerge,
} from '../../shared/api-client/index.js';
import type { GetCrmV1ContactsResponse, PostCrmV1ContactsData } from '../../shared/api-client/types.gen.js';
import { auditLine, call, printJson, printTable, run, session, step } from './api.js';

/** `contact list|create|merge` over /crm/v1/contacts. */

type ContactJson = GetCrmV1ContactsResponse['data'][number];

/** The contact's primary (else first) channel of a kind. */
export function channel(c: Pick<ContactJson, 'channels'>, kind: 'email' | 'phone'): string {
  const of = c.channels.filter((ch) => ch.kind === kind);
  return (of.find((ch) => ch.is_primary) ?? of[0])?.value ?? '';
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerContactCommands(program: Command): void {
  const contact = program.command('contact').description('people (contacts)');

  contact
    .command('list')
    .description('list contacts, e.g. those at an account')
    .option('--account <id>', 'only contacts at this account')
    .option('-q, --query <text>', 'a name prefix')
    .option('--channel <value>', 'find by phone (any spelling), email, Zalo number or handle')
    .option('--tag <tag>', 'only contacts with this tag (repeatable: every one)', collect)
    .option('--limit <n>', 'page size (max 100)', '25')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          account?: string;
          query?: string;
          channel?: string;
          tag?: string[];
          limit: string;
          cursor?: string;
          json?: boolean;
        }) => {
          const s = session();
          const page = await call(
            getCrmV1Contacts({
              client: s.client,
              query: {
                ...(opts.account ? { account_id: opts.account } : {}),
                ...(opts.query ? { q: opts.query } : {}),
                ...(opts.channel ? { channel: opts.channel } : {}),
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
            ['display_name', 'email', 'phone', 'salutation', 'primary', 'id'],
            page.data.map((c) => [
              c.display_name,
              channel(c, 'email'),
              channel(c, 'phone'),
              c.salutation_display,
              c.is_primary ? 'yes' : 'no',
              c.id,
            ]),
          );
          if (page.page.next_cursor) process.stdout.write(`next page: --cursor ${page.page.next_cursor}\n`);
        },
      ),
    );

  contact
    .command('create')
    .description('create a contact; the salutation (Anh, Chị, Ông, Bà…) is worked out unless given')
    .option('--first-name <name>', 'given name, e.g. Lan')
    .option('--last-name <name>', 'family (and middle) name, e.g. Nguyễn Thị')
    .option('--name <full-name>', 'the full name as written, e.g. "Nguyễn Thị Lan"')
    .option('--account <id>', 'the account the contact works at')
    .option('--email <email>', 'email address')
    .option('--phone <phone>', 'phone number (any spelling: 0903 123 456, +84903123456)')
    .option('--title <title>', 'job title')
    .addOption(new Option('--gender <gender>', 'gender, when known').choices(['male', 'female']))
    .option('--birth-year <year>', 'birth year (refines the salutation)')
    .option('--primary', 'the primary contact of the account')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          firstName?: string;
          lastName?: string;
          name?: string;
          account?: string;
          email?: string;
          phone?: string;
          title?: string;
          gender?: 'male' | 'female';
          birthYear?: string;
          primary?: boolean;
          json?: boolean;
        }) => {
          const s = session();
          const channels: NonNullable<PostCrmV1ContactsData['body']['channels']> = [];
          if (opts.email) channels.push({ kind: 'email', value: opts.email, is_primary: true });
          if (opts.phone) channels.push({ kind: 'phone', value: opts.phone, is_primary: true });
          const body: PostCrmV1ContactsData['body'] = {
            ...(opts.firstName ? { first_name: opts.firstName } : {}),
            ...(opts.lastName ? { last_name: opts.lastName } : {}),
            ...(opts.name ? { display_name: opts.name } : {}),
            ...(opts.account ? { account_id: opts.account } : {}),
            ...(opts.title ? { title: opts.title } : {}),
            ...(opts.gender ? { gender: opts.gender } : {}),
            ...(opts.birthYear ? { birth_year: Number(opts.birthYear) } : {}),
            ...(opts.primary ? { is_primary: true } : {}),
            ...(channels.length ? { channels } : {}),
          };
          const c = await call(postCrmV1Contacts({ client: s.client, body }));
          if (opts.json) {
            printJson(c);
            return;
          }
          step('create', `contact_id: ${c.id} · ${c.display_name}`);
          step('salutation', `${c.salutation_display} (${c.salutation_source})`);
          await auditLine(s, 'contact', c.id);
        },
      ),
    );

  contact
    .command('merge')
    .description(
      'merge a duplicate into the contact kept: its channels, deal roles and timeline move over, then it is deleted',
    )
    .argument('<keep-id>', 'the contact kept')
    .argument('<duplicate-id>', 'the duplicate (deleted afterwards; needs the crm.contact.merge scope)')
    .option('--json', 'machine-readable output')
    .action(
      run(async (keepId: string, duplicateId: string, opts: { json?: boolean }) => {
        const s = session();
        const r = await call(
          postCrmV1ContactsByIdMerge({
            client: s.client,
            path: { id: keepId },
            body: { merge_id: duplicateId },
          }),
        );
        if (opts.json) {
          printJson(r);
          return;
        }
        step('merge', `${r.merged.id} → ${r.contact.id} · ${r.contact.display_name}`);
        step(
          'moved',
          `${r.merged.channels_moved} channel(s), ${r.merged.deals_moved.length} deal(s)` +
            (r.merged.fields_filled.length ? `; filled ${r.merged.fields_filled.join(', ')}` : ''),
        );
        await auditLine(s, 'contact', r.contact.id);
      }),
    );
}
