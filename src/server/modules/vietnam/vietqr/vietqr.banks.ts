import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The NAPAS bank directory (BIN → bank), shipped as versioned data (`data/banks.json`, MIT, from the npm
 * package vietnam-qr-pay; see `data/LICENSE-banks.md`) and editable per workspace: BINs get reassigned
 * after restructurings (970406 DongA → Vikki, 970414 OceanBank → MBV) and new banks appear faster than
 * we ship, so a workspace can rename, add or disable entries without a release.
 */

const nonEmpty = z.string().trim().min(1);

const FormerHolderSchema = z.object({ code: nonEmpty, shortName: nonEmpty, name: nonEmpty });

export const BankSchema = z.object({
  bin: z.string().regex(/^\d{6}$/),
  code: nonEmpty,
  shortName: nonEmpty,
  name: nonEmpty,
  swiftCode: z
    .string()
    .regex(/^[A-Z0-9]{8}([A-Z0-9]{3})?$/)
    .nullable()
    .default(null),
  /** 'transfer': the bank's app can pay a VietQR; 'receive_only': its accounts can only receive. */
  vietQrStatus: z.enum(['transfer', 'receive_only']).default('transfer'),
  /** Earlier holders of this BIN, newest last-but-one: shown so an old printed QR still makes sense. */
  formerly: z.array(FormerHolderSchema).optional(),
  note: z.string().optional(),
});
export type Bank = z.infer<typeof BankSchema>;

export const BankDirectorySchema = z
  .object({
    version: nonEmpty,
    source: nonEmpty,
    licence: nonEmpty,
    banks: z.array(BankSchema).min(1),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.banks.forEach((b, i) => {
      if (seen.has(b.bin))
        ctx.addIssue({ code: 'custom', path: ['banks', i, 'bin'], message: `duplicate BIN ${b.bin}` });
      seen.add(b.bin);
    });
  });
export type BankDirectory = z.infer<typeof BankDirectorySchema>;

export const BANK_DIRECTORY_URL = new URL('./data/banks.json', import.meta.url);

/** The shipped directory, validated once at load (a broken data file fails start-up, not a request). */
export const BANK_DIRECTORY: BankDirectory = Object.freeze(
  BankDirectorySchema.parse(JSON.parse(readFileSync(BANK_DIRECTORY_URL, 'utf8'))),
);
export const BANK_DIRECTORY_VERSION: string = BANK_DIRECTORY.version;

/**
 * A workspace's edit of one BIN (stored in `crm_vn_bank_overrides`). Absent/null fields keep the shipped
 * value; `disabled: true` hides the BIN from the workspace. For a BIN the directory lacks, the override
 * adds a bank: missing names fall back to each other (name ← shortName ← code), then to the BIN itself.
 */
export const BankOverrideSchema = z.object({
  bin: z.string().regex(/^\d{6}$/, 'a BIN is exactly 6 digits'),
  code: nonEmpty.max(20).nullish(),
  shortName: nonEmpty.max(60).nullish(),
  name: nonEmpty.max(200).nullish(),
  disabled: z.boolean().optional(),
});
export type BankOverride = z.infer<typeof BankOverrideSchema>;

/** A bank as a workspace sees it; `origin` says whether the workspace changed or added it. */
export type DirectoryBank = Bank & { origin: 'directory' | 'edited' | 'added' };

function nfc(s: string | null | undefined): string | undefined {
  const t = s?.trim().normalize('NFC');
  return t ? t : undefined;
}

/**
 * Applies a workspace's overrides to the shipped directory: an override for a known BIN replaces the
 * fields it sets (origin 'edited'), one for an unknown BIN adds a bank (origin 'added'), and
 * `disabled: true` removes the BIN from the result. Later overrides of the same BIN win. Pure; the
 * result is sorted by short name (Vietnamese collation) so pickers need no extra work.
 */
export function mergeBankDirectory(
  base: BankDirectory | readonly Bank[],
  overrides: readonly BankOverride[] = [],
): DirectoryBank[] {
  const banks = 'banks' in base ? base.banks : base;
  const byBin = new Map<string, DirectoryBank>(banks.map((b) => [b.bin, { ...b, origin: 'directory' }]));
  const disabled = new Set<string>();
  for (const o of overrides) {
    const code = nfc(o.code);
    const shortName = nfc(o.shortName);
    const name = nfc(o.name);
    if (o.disabled) disabled.add(o.bin);
    else disabled.delete(o.bin);
    const existing = byBin.get(o.bin);
    if (existing) {
      if (code === undefined && shortName === undefined && name === undefined) continue;
      byBin.set(o.bin, {
        ...existing,
        code: code ?? existing.code,
        shortName: shortName ?? existing.shortName,
        name: name ?? existing.name,
        origin: existing.origin === 'added' ? 'added' : 'edited',
      });
    } else {
      byBin.set(o.bin, {
        bin: o.bin,
        code: code ?? shortName ?? name ?? o.bin,
        shortName: shortName ?? code ?? name ?? o.bin,
        name: name ?? shortName ?? code ?? o.bin,
        swiftCode: null,
        vietQrStatus: 'transfer',
        origin: 'added',
      });
    }
  }
  return [...byBin.values()]
    .filter((b) => !disabled.has(b.bin))
    .sort(
      (a, b) =>
        a.shortName.localeCompare(b.shortName, 'vi', { sensitivity: 'base' }) || a.bin.localeCompare(b.bin),
    );
}

/**
 * The bank holding `bin` for a workspace (shipped directory + its overrides), or undefined when the
 * BIN is unknown, malformed or disabled there.
 */
export function findBank(bin: string, overrides: readonly BankOverride[] = []): DirectoryBank | undefined {
  if (!/^\d{6}$/.test(bin)) return undefined;
  const relevant = overrides.filter((o) => o.bin === bin);
  if (relevant.length === 0) {
    const b = BANK_DIRECTORY.banks.find((x) => x.bin === bin);
    return b ? { ...b, origin: 'directory' } : undefined;
  }
  return mergeBankDirectory(BANK_DIRECTORY, relevant).find((b) => b.bin === bin);
}
