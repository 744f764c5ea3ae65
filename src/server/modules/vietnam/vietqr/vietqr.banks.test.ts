import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BANK_DIRECTORY,
  BANK_DIRECTORY_URL,
  BANK_DIRECTORY_VERSION,
  type Bank,
  BankDirectorySchema,
  BankOverrideSchema,
  findBank,
  mergeBankDirectory,
} from './vietqr.banks.js';
import { loadVietQrVectors } from './vietqr.vectors.js';

describe('BANK_DIRECTORY (data/banks.json)', () => {
  it('is versioned, attributed and about sixty banks with unique BINs and codes', () => {
    expect(BANK_DIRECTORY_VERSION).toBe(BANK_DIRECTORY.version);
    expect(BANK_DIRECTORY.source).toContain('vietnam-qr-pay@1.5.1');
    expect(BANK_DIRECTORY.licence).toContain('MIT');
    expect(BANK_DIRECTORY.banks.length).toBeGreaterThanOrEqual(55);
    expect(BANK_DIRECTORY.banks.length).toBeLessThanOrEqual(70);
    const bins = BANK_DIRECTORY.banks.map((b) => b.bin);
    const codes = BANK_DIRECTORY.banks.map((b) => b.code);
    expect(new Set(bins).size).toBe(bins.length);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('stores names in NFC', () => {
    for (const b of BANK_DIRECTORY.banks) {
      expect(b.name).toBe(b.name.normalize('NFC'));
      for (const f of b.formerly ?? []) expect(f.name).toBe(f.name.normalize('NFC'));
    }
  });

  it.each([
    ['970436', 'Vietcombank'],
    ['970415', 'VietinBank'],
    ['970418', 'BIDV'],
    ['970405', 'Agribank'],
    ['970407', 'Techcombank'],
    ['970422', 'MB Bank'],
    ['970416', 'ACB'],
    ['970432', 'VPBank'],
    ['970423', 'TPBank'],
    ['970403', 'Sacombank'],
  ])('knows %s as %s', (bin, shortName) => {
    expect(findBank(bin)?.shortName).toBe(shortName);
  });

  it.each([
    ['970406', 'VIKKI', 'DONGABANK'],
    ['970414', 'MBV', 'OCEANBANK'],
    ['970449', 'LPB', 'LPB'],
  ])('records the reassignment of BIN %s: now %s, formerly %s', (bin, code, formerCode) => {
    const bank = findBank(bin);
    expect(bank?.code).toBe(code);
    expect(bank?.formerly?.map((f) => f.code)).toContain(formerCode);
    expect(bank?.note).toMatch(/BIN/);
  });

  it('names the bank of every public VietQR vector', () => {
    for (const v of loadVietQrVectors()) expect(findBank(v.bankBin), `vector ${v.id}`).toBeDefined();
  });

  it('keeps the MIT notice beside the data', () => {
    const notice = readFileSync(new URL('./LICENSE-banks.md', BANK_DIRECTORY_URL), 'utf8');
    expect(notice).toContain('MIT License');
    expect(notice).toContain('Copyright (c) xuannghia');
    expect(notice).toContain('1.5.1');
  });

  it('rejects a data file with a duplicate BIN or a malformed one', () => {
    const first = BANK_DIRECTORY.banks[0] as Bank;
    expect(BankDirectorySchema.safeParse({ ...BANK_DIRECTORY, banks: [first, { ...first }] }).success).toBe(
      false,
    );
    expect(
      BankDirectorySchema.safeParse({ ...BANK_DIRECTORY, banks: [{ ...first, bin: '97041' }] }).success,
    ).toBe(false);
  });
});

describe('mergeBankDirectory', () => {
  const base: Bank[] = [
    {
      bin: '970416',
      code: 'ACB',
      shortName: 'ACB',
      name: 'Ngân hàng TMCP Á Châu',
      swiftCode: null,
      vietQrStatus: 'transfer',
    },
    {
      bin: '970436',
      code: 'VCB',
      shortName: 'Vietcombank',
      name: 'Ngân hàng TMCP Ngoại Thương Việt Nam',
      swiftCode: null,
      vietQrStatus: 'transfer',
    },
  ];

  it('returns the base unchanged (origin "directory") without overrides, sorted by short name', () => {
    const merged = mergeBankDirectory(base);
    expect(merged.map((b) => [b.bin, b.origin])).toEqual([
      ['970416', 'directory'],
      ['970436', 'directory'],
    ]);
    expect(base[0]).not.toHaveProperty('origin');
  });

  it('accepts the whole directory object as base', () => {
    expect(mergeBankDirectory(BANK_DIRECTORY)).toHaveLength(BANK_DIRECTORY.banks.length);
  });

  it('overrides only the fields an edit sets, normalizing them to NFC', () => {
    const merged = mergeBankDirectory(base, [
      { bin: '970436', shortName: 'VCB Doanh nghiệp'.normalize('NFD'), name: null },
    ]);
    const vcb = merged.find((b) => b.bin === '970436');
    expect(vcb).toMatchObject({
      code: 'VCB',
      shortName: 'VCB Doanh nghiệp',
      name: 'Ngân hàng TMCP Ngoại Thương Việt Nam',
      origin: 'edited',
    });
    expect(vcb?.shortName).toBe(vcb?.shortName.normalize('NFC'));
  });

  it('adds a bank the directory lacks, filling missing names from each other', () => {
    const merged = mergeBankDirectory(base, [{ bin: '970999', shortName: 'New Bank' }]);
    expect(merged.find((b) => b.bin === '970999')).toEqual({
      bin: '970999',
      code: 'New Bank',
      shortName: 'New Bank',
      name: 'New Bank',
      swiftCode: null,
      vietQrStatus: 'transfer',
      origin: 'added',
    });
    expect(merged).toHaveLength(3);
  });

  it('disables a BIN, and a later override can enable it again', () => {
    expect(mergeBankDirectory(base, [{ bin: '970416', disabled: true }]).map((b) => b.bin)).toEqual([
      '970436',
    ]);
    expect(
      mergeBankDirectory(base, [
        { bin: '970416', disabled: true },
        { bin: '970416', disabled: false, name: 'ACB (renamed)' },
      ]).find((b) => b.bin === '970416'),
    ).toMatchObject({ name: 'ACB (renamed)', origin: 'edited' });
  });

  it('an override with nothing set leaves the bank as shipped', () => {
    expect(
      mergeBankDirectory(base, [{ bin: '970416', code: null, shortName: null, name: null, disabled: false }]),
    ).toEqual(mergeBankDirectory(base));
  });

  it('validates stored overrides with its schema', () => {
    expect(BankOverrideSchema.safeParse({ bin: '970416', name: 'x' }).success).toBe(true);
    expect(BankOverrideSchema.safeParse({ bin: '9704', name: 'x' }).success).toBe(false);
    expect(BankOverrideSchema.safeParse({ bin: '970416', name: '   ' }).success).toBe(false);
  });
});

describe('findBank', () => {
  it('is undefined for an unknown or malformed BIN', () => {
    expect(findBank('000000')).toBeUndefined();
    expect(findBank('97043')).toBeUndefined();
    expect(findBank('')).toBeUndefined();
  });

  it("applies a workspace's overrides: edit, add, disable", () => {
    expect(findBank('970436', [{ bin: '970436', shortName: 'VCB' }])).toMatchObject({
      shortName: 'VCB',
      origin: 'edited',
    });
    expect(findBank('970999', [{ bin: '970999', name: 'Ngân hàng Mới', code: 'NEW' }])).toMatchObject({
      name: 'Ngân hàng Mới',
      shortName: 'NEW',
      origin: 'added',
    });
    expect(findBank('970436', [{ bin: '970436', disabled: true }])).toBeUndefined();
    // Another BIN's edit does not touch this one.
    expect(findBank('970415', [{ bin: '970436', disabled: true }])?.shortName).toBe('VietinBank');
  });
});
