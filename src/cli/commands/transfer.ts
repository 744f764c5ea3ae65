import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import {
  getCrmV1Accounts,
  getCrmV1Contacts,
  getCrmV1Deals,
  postCrmV1Accounts,
  postCrmV1Contacts,
} from '../../shared/api-client/index.js';
import type { PostCrmV1AccountsData, PostCrmV1ContactsData } from '../../shared/api-client/types.gen.js';
import {
  CliError,
  call,
  EXIT,
  exitCodeForStatus,
  networkError,
  type Problem,
  pages,
  printJson,
  problemSummary,
  run,
  type Session,
  session,
  step,
} from './api.js';
import { channel } from './contacts.js';

/**
 * `import accounts|contacts <file.csv>` and `export accounts|contacts|deals`.
 *
 * Import sends each row through the API (the same validation, authorization and audit as any create),
 * with a progress bar on a terminal, and writes the rows the API refused to `<file>.rejected.csv` with the
 * API's error beside each. Every row carries an Idempotency-Key made of the file's hash and the row
 * number, so running the same file again within 24 h replays instead of creating twice. Export streams
 * every page as CSV in the columns import reads, so an export imports back.
 */

type Row = Record<string, string>;

// ---- columns ----

/** Columns export writes that import ignores (the server assigns them). */
const READ_ONLY = new Set(['id', 'mst_status', 'created_at', 'updated_at', 'version']);

const ACCOUNT_COLUMNS = [
  'id',
  'name',
  'legal_type',
  'vn_mst',
  'mst_status',
  'industry',
  'size',
  'website',
  'domains',
  'country',
  'phone',
  'email',
  'lifecycle',
  'lead_source',
  'description',
  'owner_id',
  'street',
  'ward',
  'district',
  'province',
  'created_at',
] as const;

const CONTACT_COLUMNS = [
  'id',
  'first_name',
  'last_name',
  'display_name',
  'account_id',
  'email',
  'phone',
  'title',
  'gender',
  'birth_year',
  'buying_role',
  'is_primary',
  'salutation',
  'lead_source',
  'description',
  'owner_id',
  'created_at',
] as const;

const DEAL_COLUMNS = [
  'id',
  'name',
  'account_id',
  'primary_contact_id',
  'amount_minor',
  'currency',
  'pipeline_id',
  'stage',
  'probability',
  'status',
  'expected_close_date',
  'owner_id',
  'tags',
  'created_at',
] as const;

const ALIASES: Record<string, string> = {
  mst: 'vn_mst',
  tax_code: 'vn_mst',
  type: 'legal_type',
  domain: 'domains',
};

/** Which fields a cell is refused for locally, before the API sees the row (types the CSV cannot carry). */
class RowError extends Error {}

const bool = (v: string, field: string): boolean => {
  if (/^(true|yes|1|y)$/i.test(v)) return true;
  if (/^(false|no|0|n)$/i.test(v)) return false;
  throw new RowError(`${field}: expected yes or no, got "${v}"`);
};
const int = (v: string, field: string): number => {
  if (!/^-?\d+$/.test(v)) throw new RowError(`${field}: expected a whole number, got "${v}"`);
  return Number(v);
};
const list = (v: string) =>
  v
    .split(/[;,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

function accountBody(r: Row): PostCrmV1AccountsData['body'] {
  const b: Record<string, unknown> = {};
  for (const k of [
    'name',
    'legal_type',
    'vn_mst',
    'industry',
    'size',
    'website',
    'country',
    'phone',
    'email',
  ])
    if (r[k]) b[k] = r[k];
  for (const k of ['lifecycle', 'lead_source', 'description', 'owner_id']) if (r[k]) b[k] = r[k];
  // A vn_mst is a Vietnamese tax code: the account is Vietnamese unless the row says otherwise (as `account
  // create --mst` does), so the API checks the code.
  if (r.vn_mst && !r.country) b.country = 'VN';
  if (r.domains) b.domains = list(r.domains);
  if (r.street || r.ward || r.district || r.province) {
    b.addresses = [
      {
        kind: 'headquarters',
        street: r.street || null,
        ward: r.ward || null,
        district: r.district || null,
        province: r.province || null,
        country: r.country || 'VN',
      },
    ];
  }
  // The API validates every value (and names the field when it refuses one).
  return b as PostCrmV1AccountsData['body'];
}

function contactBody(r: Row): PostCrmV1ContactsData['body'] {
  const b: Record<string, unknown> = {};
  for (const k of [
    'first_name',
    'last_name',
    'display_name',
    'account_id',
    'title',
    'gender',
    'buying_role',
    'salutation',
    'lead_source',
    'description',
    'owner_id',
  ])
    if (r[k]) b[k] = r[k];
  if (r.birth_year) b.birth_year = int(r.birth_year, 'birth_year');
  if (r.is_primary) b.is_primary = bool(r.is_primary, 'is_primary');
  const channels: Array<{ kind: string; value: string; is_primary: boolean }> = [];
  if (r.email) channels.push({ kind: 'email', value: r.email, is_primary: true });
  if (r.phone) channels.push({ kind: 'phone', value: r.phone, is_primary: true });
  if (channels.length) b.channels = channels;
  return b as PostCrmV1ContactsData['body'];
}

// ---- import ----

interface ImportResult {
  file: string;
  rows: number;
  created: number;
  rejected: number;
  rejected_file: string | null;
  created_ids: string[];
}

type Kind = 'accounts' | 'contacts';

async function importFile(
  s: Session,
  kind: Kind,
  file: string,
  opts: { json?: boolean; owner?: boolean },
): Promise<ImportResult> {
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.usage);
  const raw = readFileSync(file);
  let records: Row[];
  let header: string[] = [];
  try {
    records = parse(raw, {
      bom: true,
      columns: (h: string[]) => {
        header = h.map((c) => {
          const k = c.trim().toLowerCase();
          return ALIASES[k] ?? k;
        });
        return header;
      },
      skip_empty_lines: true,
      trim: true,
    }) as Row[];
  } catch (e) {
    throw new CliError(`${file}: not readable as CSV (${(e as Error).message})`, EXIT.invalid);
  }
  const known = new Set<string>(kind === 'accounts' ? ACCOUNT_COLUMNS : CONTACT_COLUMNS);
  const unknown = header.filter((h) => !known.has(h));
  if (unknown.length) {
    throw new CliError(
      `${file}: unknown column(s) ${unknown.join(', ')}; ${kind} columns are ${[...known].filter((c) => !READ_ONLY.has(c)).join(', ')}`,
      EXIT.invalid,
    );
  }
  const required = kind === 'accounts' ? ['name'] : [];
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new CliError(`${file}: missing column(s) ${missing.join(', ')}`, EXIT.invalid);

  const fileHash = createHash('sha256').update(raw).digest('hex').slice(0, 24);
  const showBar = !opts.json && Boolean(process.stderr.isTTY);
  const bar = new SingleBar(
    {
      format: `${kind} [{bar}] {value}/{total} · {rejected} rejected · eta {eta}s`,
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  if (showBar) bar.start(records.length, 0, { rejected: 0 });

  const rejected: Array<Row & { row: string; error: string }> = [];
  const createdIds: string[] = [];
  try {
    for (const [i, r] of records.entries()) {
      const rowNo = i + 1;
      let error: string | null = null;
      if (opts.owner === false) delete r.owner_id;
      try {
        const headers = { 'idempotency-key': `import-${kind}-${fileHash}-${rowNo}` };
        for (let attempt = 0; ; attempt++) {
          const res =
            kind === 'accounts'
              ? await postCrmV1Accounts({ client: s.client, body: accountBody(r), headers })
              : await postCrmV1Contacts({ client: s.client, body: contactBody(r), headers });
          if (!res.response) throw networkError(res.error);
          const status = res.response.status;
          if (res.data) {
            createdIds.push(res.data.id);
            break;
          }
          const problem = (res.error ?? null) as Problem | null;
          // Every row would fail the same way: stop here (what was sent stays, the summary says so).
          if (status === 401 || status === 403) {
            throw new CliError(
              `row ${rowNo}: ${problemSummary(problem, status)}`,
              exitCodeForStatus(status),
              problem,
            );
          }
          if (status === 429 && attempt < 5) {
            const after = Number(res.response.headers.get('retry-after') ?? '1');
            await sleep(Math.min(Number.isFinite(after) ? after : 1, 30) * 1000);
            continue;
          }
          if (status >= 500) {
            throw new CliError(
              `row ${rowNo}: server error ${problemSummary(problem, status)}`,
              EXIT.failure,
              problem,
            );
          }
          error = problemSummary(problem, status);
          break;
        }
      } catch (e) {
        if (!(e instanceof RowError)) throw e;
        error = `validation_failed: ${e.message}`;
      }
      if (error) rejected.push({ row: String(rowNo), ...r, error });
      if (showBar) bar.update(rowNo, { rejected: rejected.length });
    }
  } finally {
    if (showBar) bar.stop();
    // Written even when the run stops early, so what was refused is never lost.
    const rejectedFile = `${file}.rejected.csv`;
    if (rejected.length) {
      writeFileSync(
        rejectedFile,
        stringifySync(rejected, { header: true, columns: ['row', ...header, 'error'] }),
      );
    }
  }
  return {
    file,
    rows: records.length,
    created: createdIds.length,
    rejected: rejected.length,
    rejected_file: rejected.length ? `${file}.rejected.csv` : null,
    created_ids: createdIds,
  };
}

// ---- export ----

async function exportKind(s: Session, kind: 'accounts' | 'contacts' | 'deals', out: NodeJS.WritableStream) {
  const columns: readonly string[] =
    kind === 'accounts' ? ACCOUNT_COLUMNS : kind === 'contacts' ? CONTACT_COLUMNS : DEAL_COLUMNS;
  const csv = stringify({ header: true, columns: [...columns] });
  csv.pipe(out);
  let count = 0;
  const write = async (row: Record<string, unknown>) => {
    count++;
    if (!csv.write(row)) await new Promise((resolve) => csv.once('drain', resolve));
  };
  if (kind === 'accounts') {
    for await (const page of pages((cursor) =>
      call(
        getCrmV1Accounts({
          client: s.client,
          query: { limit: 100, sort: 'created_at', ...(cursor ? { cursor } : {}) },
        }),
      ),
    )) {
      for (const a of page) {
        const hq = a.addresses.find((x) => x.kind === 'headquarters') ?? a.addresses[0];
        await write({
          ...a,
          domains: a.domains.join(';'),
          street: hq?.street ?? '',
          ward: hq?.ward ?? '',
          district: hq?.district ?? '',
          province: hq?.province ?? '',
        });
      }
    }
  } else if (kind === 'contacts') {
    for await (const page of pages((cursor) =>
      call(
        getCrmV1Contacts({
          client: s.client,
          query: { limit: 100, sort: 'created_at', ...(cursor ? { cursor } : {}) },
        }),
      ),
    )) {
      for (const c of page) {
        await write({
          ...c,
          email: channel(c, 'email'),
          phone: channel(c, 'phone'),
          is_primary: c.is_primary ? 'yes' : 'no',
        });
      }
    }
  } else {
    for await (const page of pages((cursor) =>
      call(
        getCrmV1Deals({
          client: s.client,
          query: { limit: 100, sort: 'created_at', ...(cursor ? { cursor } : {}) },
        }),
      ),
    )) {
      for (const d of page) await write({ ...d, stage: d.stage.code, tags: d.tags.join(';') });
    }
  }
  csv.end();
  await finished(out === process.stdout ? csv : out);
  return count;
}

export function registerTransferCommands(program: Command): void {
  const imp = program
    .command('import')
    .description(
      'create records from a CSV file, row by row through the API; refused rows go to <file>.rejected.csv',
    );
  for (const kind of ['accounts', 'contacts'] as const) {
    const cols = (kind === 'accounts' ? ACCOUNT_COLUMNS : CONTACT_COLUMNS).filter((c) => !READ_ONLY.has(c));
    imp
      .command(kind)
      .description(`import ${kind} from a CSV file with a header row`)
      .argument('<file.csv>', 'UTF-8 CSV (a BOM is fine)')
      .option('--no-owner', 'ignore the owner_id column (the importing key’s user owns the records)')
      .option('--json', 'machine-readable summary (no progress bar)')
      .addHelpText(
        'after',
        `\nColumns (any order; empty cells are left out): ${cols.join(', ')}.` +
          (kind === 'accounts'
            ? '\n`mst` and `tax_code` are read as vn_mst; domains are separated by ";". street/ward/district/province make the headquarters address.'
            : '\nemail and phone become the primary channels; is_primary is yes/no.') +
          '\nColumns an export adds (id, created_at, …) are ignored. Exit 4 when any row was rejected.',
      )
      .action(
        run(async (file: string, opts: { json?: boolean; owner?: boolean }) => {
          const s = session();
          const r = await importFile(s, kind, file, opts);
          if (opts.json) printJson(r);
          else {
            step('import', `${r.rows} row(s): ${r.created} created, ${r.rejected} rejected`);
            if (r.rejected_file) step('import', `rejected rows with the API's errors: ${r.rejected_file}`);
          }
          if (r.rejected > 0) process.exitCode = EXIT.invalid;
        }),
      );
  }

  const exp = program
    .command('export')
    .description('write every record as CSV (the columns import reads), page by page, to stdout or --out');
  for (const kind of ['accounts', 'contacts', 'deals'] as const) {
    exp
      .command(kind)
      .description(`export all ${kind} the key can see`)
      .option('--out <file>', 'write to this file instead of stdout')
      .option('--json', 'with --out: a machine-readable summary')
      .action(
        run(async (opts: { out?: string; json?: boolean }) => {
          const s = session();
          const out = opts.out ? createWriteStream(opts.out) : process.stdout;
          const count = await exportKind(s, kind, out);
          if (opts.out) {
            if (opts.json) printJson({ kind, file: opts.out, rows: count });
            else step('export', `${count} ${kind} → ${opts.out}`);
          }
        }),
      );
  }
}
