import { type Command, InvalidArgumentError } from 'commander';
import { checkMst } from '../../server/modules/vietnam/mst/mst.check.js';
import {
  HttpMstRegistry,
  MstRegistryUnavailableError,
} from '../../server/modules/vietnam/mst/mst.registry.js';
import { salutation } from '../../server/modules/vietnam/salutation/salutation.js';
import { findBank } from '../../server/modules/vietnam/vietqr/vietqr.banks.js';
import { decodeVietQr } from '../../server/modules/vietnam/vietqr/vietqr.codec.js';

/**
 * `cyberos-crm vn …`: the Vietnamese tools, run locally on the same pure code the API uses (no server,
 * no database). Exit codes: 0 the input is valid, 4 it is not (the answer says why), 2 usage.
 */

const INVALID = 4;

const year = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1900 || n > 2100)
    throw new InvalidArgumentError('must be a year such as 1990');
  return n;
};

export function registerVietnamCommands(program: Command): void {
  const vn = program.command('vn').description('Vietnamese tools: MST, VietQR, salutations (offline)');

  vn.command('mst')
    .description(
      'check a tax code (MST): digits and kind; with --registry, also the GDT registry of MST_REGISTRY_URL',
    )
    .argument('<code>', 'the MST, e.g. 0100109106 or 0100109106-001 (spaces, dots and dashes are fine)')
    .option('--registry', 'ask the registry at MST_REGISTRY_URL too')
    .option('--json', 'machine-readable output')
    .action(async (code: string, opts: { registry?: boolean; json?: boolean }) => {
      const check = checkMst(code);
      let registry: Record<string, unknown> | null = null;
      if (check.valid && opts.registry) {
        const url = process.env.MST_REGISTRY_URL;
        if (!url) throw new InvalidArgumentError('--registry needs MST_REGISTRY_URL');
        try {
          const rec = await new HttpMstRegistry({ url, timeoutMs: 5000 }).lookup(check.normalized);
          registry = rec ? { ...rec, registry_status: rec.status, status: 'found' } : { status: 'not_found' };
        } catch (e) {
          if (!(e instanceof MstRegistryUnavailableError)) throw e;
          registry = { status: 'unavailable', message: e.message };
        }
      }
      if (opts.json) console.log(JSON.stringify({ ...check, ...(registry ? { registry } : {}) }));
      else if (check.valid) {
        console.log(`[mst] ${check.display}: valid ${check.kind}`);
        if (registry)
          console.log(`[mst] registry: ${registry.status}${registry.name ? ` · ${registry.name}` : ''}`);
      } else console.log(`[mst] ${check.normalized || code}: invalid (${check.reason}) ${check.message}`);
      if (!check.valid) process.exitCode = INVALID;
    });

  const vietqr = vn.command('vietqr').description('VietQR (NAPAS 247) payloads');
  vietqr
    .command('decode')
    .description('decode a payload strictly (lengths at every level, CRC)')
    .argument('<payload>', 'the text inside the QR code')
    .option('--json', 'machine-readable output')
    .action((payload: string, opts: { json?: boolean }) => {
      const r = decodeVietQr(payload);
      if (!r.ok) {
        if (opts.json)
          console.log(
            JSON.stringify({ valid: false, reason: r.reason, message: r.message, field: r.field ?? null }),
          );
        else console.log(`[vietqr] invalid (${r.reason}) ${r.message}`);
        process.exitCode = INVALID;
        return;
      }
      const { fields: _raw, ...qr } = r.qr;
      const bank = qr.kind === 'napas' ? findBank(qr.bankBin) : undefined;
      if (opts.json) {
        console.log(
          JSON.stringify({
            valid: true,
            ...qr,
            bank: bank ? { shortName: bank.shortName, name: bank.name } : null,
          }),
        );
        return;
      }
      if (qr.kind === 'napas') {
        console.log(
          `[vietqr] bank=${bank?.shortName ?? qr.bankBin} (${qr.bankBin}) · account=${qr.account} · ${qr.service}` +
            `${qr.amount !== undefined ? ` · amount=${qr.amount.toLocaleString('en-US')} VND` : ''}` +
            `${qr.purpose ? ` · purpose="${qr.purpose}"` : ''} · ${qr.init === '12' ? 'dynamic' : 'static'}`,
        );
      } else console.log(`[vietqr] not a NAPAS bank transfer: scheme ${qr.guid}`);
    });

  vn.command('salutation')
    .description('how to address a contact: Anh, Chị, Em, Ông, Bà (with the reasons)')
    .argument('<full-name>', 'the full name, e.g. "Nguyễn Thị Lan"')
    .option('--gender <gender>', 'male or female, when known')
    .option('--birth-year <year>', "the contact's birth year", year)
    .option('--national-id <cccd>', 'the 12-digit citizen identity number')
    .option(
      '--speaker-birth-year <year>',
      'your own birth year (enables Em and the 20-years-older rule)',
      year,
    )
    .option('--json', 'machine-readable output')
    .action(
      (
        fullName: string,
        opts: {
          gender?: string;
          birthYear?: number;
          nationalId?: string;
          speakerBirthYear?: number;
          json?: boolean;
        },
      ) => {
        if (opts.gender !== undefined && opts.gender !== 'male' && opts.gender !== 'female') {
          throw new InvalidArgumentError('--gender must be male or female');
        }
        const r = salutation({
          fullName,
          gender: (opts.gender as 'male' | 'female' | undefined) ?? null,
          birthYear: opts.birthYear ?? null,
          nationalId: opts.nationalId ?? null,
          speakerBirthYear: opts.speakerBirthYear ?? null,
        });
        if (opts.json) {
          const { name: _name, ...rest } = r;
          console.log(JSON.stringify(rest));
          return;
        }
        console.log(`[salutation] ${r.display}  (${r.formal})`);
        console.log(`[salutation] gender=${r.gender} · confidence=${r.confidence.toFixed(2)}`);
        for (const reason of r.reasons) console.log(`  - ${reason}`);
      },
    );
}
