import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16CcittFalse,
  type DecodedVietQr,
  decodeVietQr,
  encodeVietQr,
  foldPurpose,
  looksLikeCard,
  MAX_PAYLOAD_LENGTH,
  NAPAS_GUID,
  parseTlv,
  type TlvErrorReason,
  TlvParseError,
  tlv,
  toVietQrInput,
  VIETQR_DECODE_REASONS,
  type VietQrDecodeReason,
  type VietQrInput,
  VietQrInputError,
  type VietQrService,
} from './vietqr.codec.js';
import { loadVietQrVectors } from './vietqr.vectors.js';

const vectors = loadVietQrVectors();

/** Bit-by-bit CRC-16/CCITT-FALSE straight from its definition, to check the table-driven one against. */
function referenceCrc(s: string | Uint8Array): string {
  let crc = 0xffff;
  for (const byte of typeof s === 'string' ? Buffer.from(s, 'utf8') : s) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** Appends a correct CRC: lets a test build payloads that are broken only where the test says. */
function withCrc(body: string): string {
  return `${body}6304${crc16CcittFalse(`${body}6304`)}`;
}

function napas38(bin: string, account: string, service = 'QRIBFTTA'): string {
  return tlv(
    '38',
    tlv('00', NAPAS_GUID) + tlv('01', tlv('00', bin) + tlv('01', account)) + tlv('02', service),
  );
}

const HEAD = '000201010212';
const ACB = napas38('970416', '257678859');

function rejected(payload: string): { reason: VietQrDecodeReason; field?: string } {
  const r = decodeVietQr(payload);
  if (r.ok) throw new Error(`expected ${payload} to be rejected`);
  expect(r.message.length).toBeGreaterThan(0);
  return r.field === undefined ? { reason: r.reason } : { reason: r.reason, field: r.field };
}

function napas(payload: string): Extract<DecodedVietQr, { kind: 'napas' }> {
  const r = decodeVietQr(payload);
  if (!r.ok) throw new Error(`expected ${payload} to decode: ${r.reason} ${r.message}`);
  if (r.qr.kind !== 'napas') throw new Error(`expected a NAPAS transfer, got ${r.qr.kind}`);
  return r.qr;
}

function inputError(fn: () => unknown): VietQrInputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof VietQrInputError) return e;
    throw e;
  }
  throw new Error('expected a VietQrInputError');
}

describe('crc16CcittFalse', () => {
  it('gives the catalogued check value 29B1 for "123456789"', () => {
    expect(crc16CcittFalse('123456789')).toBe('29B1');
  });

  it('is the init value FFFF on empty input and pads to four upper-case digits', () => {
    expect(crc16CcittFalse('')).toBe('FFFF');
    for (const s of ['A', 'a', '6304', 'ủng hộ']) expect(crc16CcittFalse(s)).toMatch(/^[0-9A-F]{4}$/);
  });

  it('runs over UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is one UTF-16 unit (0x00E9) but two UTF-8 bytes (C3 A9); Latin-1 "é" would hash differently.
    expect(crc16CcittFalse('é')).toBe(referenceCrc('é'));
    expect(crc16CcittFalse('é')).not.toBe(referenceCrc(Uint8Array.of(0xe9)));
    expect(crc16CcittFalse('é')).not.toBe(crc16CcittFalse('\u00e9'.normalize('NFD')));
  });

  it('agrees with the bitwise definition on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        expect(crc16CcittFalse(s)).toBe(referenceCrc(s));
      }),
    );
  });
});

describe('parseTlv', () => {
  it('splits data objects in order with their lengths', () => {
    expect(parseTlv('000201010212')).toEqual([
      { tag: '00', length: 2, value: '01' },
      { tag: '01', length: 2, value: '12' },
    ]);
    expect(parseTlv('')).toEqual([]);
  });

  it('counts code points, so a Vietnamese value keeps its declared length', () => {
    expect(parseTlv('0806ủng hộ')).toEqual([{ tag: '08', length: 6, value: 'ủng hộ' }]);
  });

  it.each<[string, TlvErrorReason, string]>([
    ['00020', 'length_mismatch', 'a header cut short'],
    ['0003ab', 'length_mismatch', 'a value running past the end'],
    ['000201X', 'length_mismatch', 'a stray trailing character'],
    ['0A0201', 'bad_format', 'a non-numeric ID'],
    ['00x201', 'bad_format', 'a non-numeric length'],
    ['0000', 'bad_format', 'a zero length'],
  ])('rejects %s (%s: %s)', (input, reason) => {
    let error: unknown;
    try {
      parseTlv(input, '62');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TlvParseError);
    expect((error as TlvParseError).reason).toBe(reason);
    expect((error as TlvParseError).path).toBe('62');
  });

  it('tlv() writes two-digit lengths and refuses what parseTlv would refuse', () => {
    expect(tlv('08', 'abc')).toBe('0803abc');
    expect(tlv('62', 'x'.repeat(99))).toHaveLength(103);
    expect(() => tlv('62', '')).toThrow(RangeError);
    expect(() => tlv('62', 'x'.repeat(100))).toThrow(RangeError);
    expect(() => tlv('6', 'x')).toThrow(RangeError);
  });
});

describe('public vectors (test/fixtures/vn/vietqr.json)', () => {
  const valid = vectors.filter((v) => v.valid);
  const invalid = vectors.filter((v) => !v.valid);

  it('has both kinds of vector', () => {
    expect(valid.length).toBeGreaterThanOrEqual(10);
    expect(invalid.length).toBeGreaterThanOrEqual(1);
  });

  it.each(valid.map((v) => [v.id, v] as const))(
    'vector %i decodes to exactly the listed fields',
    (_id, v) => {
      const qr = napas(v.payload);
      expect(qr).toMatchObject({
        kind: 'napas',
        guid: NAPAS_GUID,
        init: v.init,
        bankBin: v.bankBin,
        account: v.account,
        service: v.service,
        currency: '704',
        country: 'VN',
        crc: v.payload.slice(-4),
      });
      // Absent in the vector means absent in the decoding, not just "not compared".
      expect(qr.amount).toBe(v.amount);
      expect(qr.purpose).toBe(v.purpose);
      expect(qr.billNumber).toBe(v.billNumber);
      expect(qr.reference).toBe(v.reference);
      expect(qr.terminal).toBe(v.terminal);
    },
  );

  it.each(valid.map((v) => [v.id, v] as const))('vector %i re-encodes to the identical payload', (_id, v) => {
    expect(encodeVietQr(toVietQrInput(napas(v.payload)))).toBe(v.payload);
    // And from the listed fields alone, letting the encoder choose service and initiation by default.
    const input: VietQrInput = { bankBin: v.bankBin, account: v.account };
    if (v.amount !== undefined) input.amount = v.amount;
    if (v.purpose !== undefined) input.purpose = v.purpose;
    if (v.billNumber !== undefined) input.billNumber = v.billNumber;
    expect(encodeVietQr(input)).toBe(v.payload);
  });

  it.each(invalid.map((v) => [v.id, v] as const))('vector %i is rejected with a reason', (_id, v) => {
    const { reason } = rejected(v.payload);
    if (v.why === 'CRC mismatch') expect(reason).toBe('crc_mismatch');
  });

  it('folds the Vietnamese inputs the vectors were generated from', () => {
    const v1 = vectors.find((v) => v.id === 1);
    const v4 = vectors.find((v) => v.id === 4);
    expect(v1 && v4).toBeTruthy();
    if (!v1 || !v4) return;
    expect(
      encodeVietQr({ bankBin: '970415', account: '0011001932418', amount: 120000, purpose: 'ủng hộ lũ lụt' }),
    ).toBe(v1.payload);
    expect(
      encodeVietQr({ bankBin: '970422', account: '0023457923442', amount: 40123, purpose: 'chuyển khoản' }),
    ).toBe(v4.payload);
  });
});

describe('decodeVietQr: payloads published with a correct CRC and a broken template', () => {
  it('rejects a NAPAS sample whose 38/01 declares 27 characters but holds 28 (account 12 declared, 13 given)', () => {
    // Published as a "static account" sample in public VietQR test suites; its CRC is right.
    const p =
      '00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304F4E5';
    expect(crc16CcittFalse(p.slice(0, -4))).toBe('F4E5');
    expect(rejected(p)).toEqual({ reason: 'length_mismatch', field: '38/01' });
  });

  it('rejects a published payload whose 62/08 has length 00', () => {
    const p =
      '00020101021138570010A000000727012700069704220113VQRQADKQM47680208QRIBFTTA53037045802VN62150107NPS686908006304FAFE';
    expect(crc16CcittFalse(p.slice(0, -4))).toBe('FAFE');
    expect(rejected(p)).toEqual({ reason: 'bad_format', field: '62' });
  });
});

describe('decodeVietQr: structure', () => {
  it('accepts a minimal static transfer built by hand and exposes the raw tree', () => {
    const r = decodeVietQr(withCrc(`000201010211${ACB}5303704${'5802VN'}`));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.qr.fields.map((f) => f.tag)).toEqual(['00', '01', '38', '53', '58', '63']);
    const t38 = r.qr.fields.find((f) => f.tag === '38');
    expect(t38?.children?.map((f) => f.tag)).toEqual(['00', '01', '02']);
    expect(t38?.children?.[1]?.children).toEqual([
      { tag: '00', length: 6, value: '970416' },
      { tag: '01', length: 9, value: '257678859' },
    ]);
  });

  it('accepts a non-ASCII purpose from another generator, its length counted in characters', () => {
    const qr = napas(withCrc(`${HEAD}${ACB}5802VN${tlv('62', tlv('08', 'ủng hộ lũ lụt'))}`));
    expect(qr.purpose).toBe('ủng hộ lũ lụt');
    expect(qr.fields.find((f) => f.tag === '62')?.children?.[0]?.length).toBe(13);
  });

  it('treats a missing currency (53) as VND', () => {
    expect(napas(withCrc(`${HEAD}${ACB}5802VN`)).currency).toBe('704');
  });

  it.each<[string, string, VietQrDecodeReason, string | undefined]>([
    ['empty payload', '', 'bad_format', undefined],
    ['no CRC field', `${HEAD}${ACB}5802VN`, 'missing_field', '63'],
    ['lower-case CRC', `${HEAD}${ACB}5802VN6304abcd`, 'bad_format', '63'],
    ['root length overrun', withCrc(`${HEAD}${ACB}5802VN62990802ab`), 'length_mismatch', undefined],
    [
      'broken 62 template, root length right',
      withCrc(`${HEAD}${ACB}5802VN62140811Chuyen tie`),
      'length_mismatch',
      '62',
    ],
    ['broken 38 template', withCrc(`${HEAD}38080010A0005802VN`), 'length_mismatch', '38'],
    [
      'broken 38/01 template',
      withCrc(`${HEAD}${tlv('38', `0010${NAPAS_GUID}010800069704`)}5802VN`),
      'length_mismatch',
      '38/01',
    ],
    ['broken 64 template', withCrc(`${HEAD}${ACB}5802VN64050002v`), 'length_mismatch', '64'],
    ['broken 26 template', withCrc(`${HEAD}${ACB}26050010A5802VN`), 'length_mismatch', '26'],
    ['non-numeric tag', withCrc(`${HEAD}${ACB}5802VNXX02ab`), 'bad_format', undefined],
    ['00 not first', withCrc(`010212000201${ACB}5802VN`), 'field_order', '00'],
    ['00 not 01', withCrc(`000202010212${ACB}5802VN`), 'bad_format', '00'],
    ['01 missing', withCrc(`000201${ACB}5802VN`), 'missing_field', '01'],
    ['01 neither 11 nor 12', withCrc(`000201010213${ACB}5802VN`), 'bad_format', '01'],
    ['repeated root field', withCrc(`${HEAD}${ACB}5802VN5802VN`), 'duplicate_field', '58'],
    ['repeated 62 sub-field', withCrc(`${HEAD}${ACB}5802VN62140802ab0804abcd`), 'duplicate_field', '62/08'],
    ['currency not VND', withCrc(`${HEAD}${ACB}53038405802VN`), 'unsupported_currency', '53'],
    ['country not VN', withCrc(`${HEAD}${ACB}5802US`), 'unsupported_country', '58'],
    ['country missing', withCrc(`${HEAD}${ACB}5303704`), 'missing_field', '58'],
    ['decimal amount', withCrc(`${HEAD}${ACB}540712000.55802VN`), 'bad_format', '54'],
    ['zero amount', withCrc(`${HEAD}${ACB}54010${'5802VN'}`), 'bad_format', '54'],
    ['leading-zero amount', withCrc(`${HEAD}${ACB}540401005802VN`), 'bad_format', '54'],
    ['14-digit amount', withCrc(`${HEAD}${ACB}5414${'1'.repeat(14)}5802VN`), 'bad_format', '54'],
    ['negative amount', withCrc(`${HEAD}${ACB}5404-1005802VN`), 'bad_format', '54'],
    ['no merchant account template', withCrc(`${HEAD}5802VN`), 'missing_field', '38'],
    ['template without GUID', withCrc(`${HEAD}26080104abcd5802VN`), 'missing_field', '26/00'],
    [
      'NAPAS without beneficiary',
      withCrc(`${HEAD}${tlv('38', `0010${NAPAS_GUID}0208QRIBFTTA`)}5802VN`),
      'missing_field',
      '38/01',
    ],
    [
      'NAPAS without BIN',
      withCrc(`${HEAD}${tlv('38', `0010${NAPAS_GUID}${tlv('01', '0103123')}0208QRIBFTTA`)}5802VN`),
      'missing_field',
      '38/01/00',
    ],
    ['NAPAS 5-digit BIN', withCrc(`${HEAD}${napas38('97041', '123')}5802VN`), 'bad_format', '38/01/00'],
    [
      'NAPAS without account',
      withCrc(`${HEAD}${tlv('38', `0010${NAPAS_GUID}${tlv('01', '0006970416')}0208QRIBFTTA`)}5802VN`),
      'missing_field',
      '38/01/01',
    ],
    [
      'NAPAS 20-character account',
      withCrc(`${HEAD}${napas38('970416', '1'.repeat(20))}5802VN`),
      'bad_format',
      '38/01/01',
    ],
    [
      'NAPAS account with a space',
      withCrc(`${HEAD}${napas38('970416', '1234 5678')}5802VN`),
      'bad_format',
      '38/01/01',
    ],
  ])('rejects %s', (_name, payload, reason, field) => {
    expect(rejected(payload)).toEqual(field === undefined ? { reason } : { reason, field });
    expect(VIETQR_DECODE_REASONS).toContain(reason);
  });

  it('rejects a CRC field that is not the last data object', () => {
    // The tail "6304XXXX" is swallowed by a 62 template whose length covers it: 63 is not the last root field.
    const body = `${HEAD}${ACB}5802VN62160804abcd`;
    expect(rejected(withCrc(body))).toEqual({ reason: 'field_order', field: '63' });
  });

  it('rejects a payload over 512 characters before anything else', () => {
    expect(rejected(`${HEAD}${'x'.repeat(MAX_PAYLOAD_LENGTH)}`).reason).toBe('too_long');
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), (s) => {
        const r = decodeVietQr(s);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
    // Digit-heavy bodies with a correct CRC reach the structural checks instead of stopping at the CRC.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789ABVN'), maxLength: 120 }), (s) => {
        const r = decodeVietQr(withCrc(s));
        if (!r.ok) expect(r.reason).not.toBe('crc_mismatch');
      }),
    );
  });
});

describe('decodeVietQr: other schemes', () => {
  it('decodes a VNPAY-QR style merchant payload generically, not as a NAPAS transfer', () => {
    const body = `${HEAD}${tlv('26', `${tlv('00', 'A000000775')}${tlv('01', 'mid123456')}`)}52045812530370454061000005802VN5907SHOP VN6005HANOI${tlv('62', tlv('05', 'ORDER42'))}`;
    const r = decodeVietQr(withCrc(body));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.qr).toMatchObject({
      kind: 'other',
      guid: 'A000000775',
      amount: 100000,
      merchantCategory: '5812',
      merchantName: 'SHOP VN',
      merchantCity: 'HANOI',
      reference: 'ORDER42',
    });
    expect(r.qr.bankBin).toBeUndefined();
    expect(r.qr.account).toBeUndefined();
  });

  it('treats a NAPAS merchant payment (no transfer service) as "other"', () => {
    // NAPAS QR merchant sample published in the liopayvn/vietqr-php README (QRPUSH builder).
    const p =
      '00020101021138480010A00000072701300006970403011621129950446040255204581253037045802VN5910PHUONG CAC6005HANOI62110307NPS686963045802';
    const r = decodeVietQr(p);
    expect(r.ok && r.qr.kind).toBe('other');
    expect(r.ok && r.qr.guid).toBe(NAPAS_GUID);
    expect(r.ok && r.qr.merchantName).toBe('PHUONG CAC');
  });

  it('only tag 38 makes a NAPAS transfer: the NAPAS GUID under 26 is "other"', () => {
    const inner = `0010${NAPAS_GUID}${tlv('01', '00069704160109257678859')}0208QRIBFTTA`;
    const r = decodeVietQr(withCrc(`${HEAD}${tlv('26', inner)}5802VN`));
    expect(r.ok && r.qr.kind).toBe('other');
  });

  it('leaves unreserved templates (80–99) as raw values: wallets put primitives there', () => {
    const qr = napas(withCrc(`${HEAD}${ACB}5802VN8003046`));
    expect(qr.fields.find((f) => f.tag === '80')).toEqual({ tag: '80', length: 3, value: '046' });
  });
});

describe('encodeVietQr: validation names the field', () => {
  const base = { bankBin: '970416', account: '257678859' } as const;

  it.each<[string, VietQrInput, string, string]>([
    ['5-digit BIN', { ...base, bankBin: '97041' }, 'bankBin', 'bad_format'],
    ['letters in BIN', { ...base, bankBin: '97041A' }, 'bankBin', 'bad_format'],
    ['empty account', { ...base, account: '' }, 'account', 'required'],
    ['20-character account', { ...base, account: '1'.repeat(20) }, 'account', 'too_long'],
    ['account with a dash', { ...base, account: '1234-5678' }, 'account', 'bad_format'],
    ['account with diacritics', { ...base, account: 'ĐA123' }, 'account', 'bad_format'],
    [
      'card number with letters',
      { ...base, account: '9704ABC', service: 'QRIBFTTC' },
      'account',
      'bad_format',
    ],
    ['unknown service', { ...base, service: 'QRPUSH' as VietQrService }, 'service', 'bad_format'],
    ['fractional amount', { ...base, amount: 1000.5 }, 'amount', 'bad_format'],
    ['NaN amount', { ...base, amount: Number.NaN }, 'amount', 'bad_format'],
    ['unsafe integer', { ...base, amount: 2 ** 60 }, 'amount', 'bad_format'],
    ['zero amount', { ...base, amount: 0 }, 'amount', 'out_of_range'],
    ['negative amount', { ...base, amount: -5 }, 'amount', 'out_of_range'],
    ['14-digit amount', { ...base, amount: 10_000_000_000_000 }, 'amount', 'out_of_range'],
    ['empty bill number', { ...base, billNumber: '' }, 'billNumber', 'required'],
    ['bill number with diacritics', { ...base, billNumber: 'HĐ01' }, 'billNumber', 'bad_format'],
    ['26-character reference', { ...base, reference: 'R'.repeat(26) }, 'reference', 'too_long'],
    ['terminal with a newline', { ...base, terminal: 'T1\n' }, 'terminal', 'bad_format'],
  ])('rejects %s', (_name, input, field, reason) => {
    const e = inputError(() => encodeVietQr(input));
    expect(e.field).toBe(field);
    expect(e.reason).toBe(reason);
    expect(e.code).toBe('vietqr_invalid');
    expect(e.message).toContain(field);
  });

  it('rejects additional data that overflows the 99-character template, naming the overflowing field', () => {
    const e = inputError(() =>
      encodeVietQr({
        ...base,
        billNumber: 'B'.repeat(25),
        reference: 'R'.repeat(25),
        terminal: 'T'.repeat(25),
        purpose: 'x'.repeat(9),
      }),
    );
    expect(e).toMatchObject({ field: 'purpose', reason: 'too_long' });
    // Exactly 99 fits: 3 × (4 + 25) + (4 + 8).
    const p = encodeVietQr({
      ...base,
      billNumber: 'B'.repeat(25),
      reference: 'R'.repeat(25),
      terminal: 'T'.repeat(25),
      purpose: 'x'.repeat(8),
    });
    expect(p).toContain('6299');
  });

  it('accepts the largest amount and a 19-character account', () => {
    const qr = napas(encodeVietQr({ bankBin: '970436', account: 'A'.repeat(19), amount: 9_999_999_999_999 }));
    expect(qr.amount).toBe(9_999_999_999_999);
    expect(qr.account).toBe('A'.repeat(19));
  });
});

describe('encodeVietQr: defaults', () => {
  it('is static without an amount and dynamic with one, unless told otherwise', () => {
    expect(napas(encodeVietQr({ bankBin: '970416', account: '257678859' })).init).toBe('11');
    expect(napas(encodeVietQr({ bankBin: '970416', account: '257678859', amount: 5 })).init).toBe('12');
    expect(
      napas(encodeVietQr({ bankBin: '970416', account: '257678859', amount: 5, dynamic: false })).init,
    ).toBe('11');
    expect(napas(encodeVietQr({ bankBin: '970416', account: '257678859', dynamic: true })).init).toBe('12');
  });

  it('chooses the card service only for a 16/19-digit number carrying the bank BIN', () => {
    expect(looksLikeCard('970403', '9704031101234567')).toBe(true);
    expect(looksLikeCard('970403', '9704031101234567890')).toBe(true);
    expect(looksLikeCard('970403', '9704151101234567')).toBe(false); // another bank's card prefix
    expect(looksLikeCard('970403', '97040311012345678')).toBe(false); // 17 digits
    expect(napas(encodeVietQr({ bankBin: '970403', account: '9704031101234567' })).service).toBe('QRIBFTTC');
    expect(napas(encodeVietQr({ bankBin: '970403', account: '0011012345678' })).service).toBe('QRIBFTTA');
    expect(
      napas(encodeVietQr({ bankBin: '970403', account: '9704031101234567', service: 'QRIBFTTA' })).service,
    ).toBe('QRIBFTTA');
  });

  it('folds and truncates the purpose, and drops one that folds to nothing', () => {
    const qr = napas(
      encodeVietQr({
        bankBin: '970436',
        account: '1',
        purpose: 'Thanh toán hợp đồng số 2026/ĐH-001 tháng 11',
      }),
    );
    expect(qr.purpose).toBe('Thanh toan hop dong so 20');
    const none = encodeVietQr({ bankBin: '970436', account: '1', purpose: '  \u4e2d\u6587  ' });
    expect(napas(none).fields.map((f) => f.tag)).not.toContain('62');
    expect(napas(none).purpose).toBeUndefined();
  });

  it('writes 62 sub-fields in ascending order: bill number, reference, terminal, purpose', () => {
    const p = encodeVietQr({
      bankBin: '970436',
      account: '1',
      purpose: 'p',
      terminal: 't',
      reference: 'r',
      billNumber: 'b',
    });
    expect(p).toContain('62200101b0501r0701t0801p6304');
  });
});

describe('foldPurpose', () => {
  it.each([
    ['ủng hộ lũ lụt', 'ung ho lu lut'],
    ['chuyển khoản', 'chuyen khoan'],
    ['Đặng Thị Ðào', 'Dang Thi Dao'],
    ['đơn hàng   số\t12\n', 'don hang so 12'],
    ['Hoà / Hòa', 'Hoa / Hoa'],
    ['Thanh toan anyLEARN 8', 'Thanh toan anyLEARN 8'],
    ['€50 — đặt cọc 🙂', '50 dat coc'],
  ])('%s → %s', (input, output) => {
    expect(foldPurpose(input)).toBe(output);
  });

  it('treats decomposed (NFD) input like composed', () => {
    expect(foldPurpose('Nguyễn Văn Tuấn'.normalize('NFD'))).toBe('Nguyen Van Tuan');
  });

  it('cuts at max without leaving a trailing space', () => {
    expect(foldPurpose('chuyen khoan alsdkf laksjdf', 25)).toBe('chuyen khoan alsdkf laksj');
    expect(foldPurpose('abc def', 4)).toBe('abc');
    expect(foldPurpose('abc', 0)).toBe('');
    expect(() => foldPurpose('abc', -1)).toThrow(RangeError);
  });

  it('always yields trimmed, single-spaced printable ASCII within max, and is idempotent', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.integer({ min: 0, max: 60 }),
        (s, max) => {
          const f = foldPurpose(s, max);
          expect(f).toMatch(/^[\x20-\x7e]*$/);
          expect(f.length).toBeLessThanOrEqual(max);
          expect(f).not.toMatch(/^ | $| {2}/);
          expect(foldPurpose(f, max)).toBe(f);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------

const VIETNAMESE = [
  ...'aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐ ',
];
const ascii = (min: number, max: number) =>
  fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max });
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

const inputArb: fc.Arbitrary<VietQrInput> = fc
  .record(
    {
      bankBin: digits(6),
      account: fc.string({ unit: fc.constantFrom(...'0123456789ABCXYZabcxyz'), minLength: 1, maxLength: 19 }),
      card: fc.boolean(),
      amount: fc.integer({ min: 1, max: 9_999_999_999_999 }),
      purpose: fc.oneof(fc.string({ unit: fc.constantFrom(...VIETNAMESE), maxLength: 40 }), ascii(0, 30)),
      billNumber: ascii(1, 25),
      reference: ascii(1, 25),
      terminal: ascii(1, 25),
      dynamic: fc.boolean(),
    },
    { requiredKeys: ['bankBin', 'account', 'card'] },
  )
  .map(({ card, ...rest }) => {
    const input: VietQrInput = { ...rest };
    // A card transfer carries the issuer BIN up front and digits only.
    if (card) input.account = `${rest.bankBin}${'1234567890123'.slice(0, 10)}`;
    return input;
  });

function additionalLength(i: VietQrInput): number {
  const purpose = i.purpose === undefined ? '' : foldPurpose(i.purpose);
  return [i.billNumber, i.reference, i.terminal, purpose]
    .filter((v): v is string => v !== undefined && v !== '')
    .reduce((n, v) => n + 4 + v.length, 0);
}

describe('properties', () => {
  it('encode → decode gives back every field, and re-encoding is the identity', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        if (additionalLength(input) > 99) {
          expect(() => encodeVietQr(input)).toThrow(VietQrInputError);
          return;
        }
        const payload = encodeVietQr(input);
        const qr = napas(payload);
        const purpose = input.purpose === undefined ? '' : foldPurpose(input.purpose);
        expect(qr.bankBin).toBe(input.bankBin);
        expect(qr.account).toBe(input.account);
        expect(qr.service).toBe(looksLikeCard(input.bankBin, input.account) ? 'QRIBFTTC' : 'QRIBFTTA');
        expect(qr.amount).toBe(input.amount);
        expect(qr.init).toBe((input.dynamic ?? input.amount !== undefined) ? '12' : '11');
        expect(qr.purpose).toBe(purpose === '' ? undefined : purpose);
        expect(qr.billNumber).toBe(input.billNumber);
        expect(qr.reference).toBe(input.reference);
        expect(qr.terminal).toBe(input.terminal);
        expect(encodeVietQr(toVietQrInput(qr))).toBe(payload);
      }),
    );
  });

  it('every single-character substitution is rejected (CRC-16 detects every error burst of ≤ 16 bits)', () => {
    const fitting = inputArb.filter((i) => additionalLength(i) <= 99).map(encodeVietQr);
    fc.assert(
      fc.property(
        fitting,
        fc.nat(),
        fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        (payload, n, ch) => {
          const at = n % payload.length;
          fc.pre(payload[at] !== ch);
          const corrupted = payload.slice(0, at) + ch + payload.slice(at + 1);
          expect(decodeVietQr(corrupted).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('every single-character substitution of every public vector is rejected, exhaustively', () => {
    for (const v of vectors.filter((x) => x.valid)) {
      for (let at = 0; at < v.payload.length; at++) {
        for (const ch of '0123456789ABCDEFVNQRa ') {
          if (v.payload[at] === ch) continue;
          const corrupted = v.payload.slice(0, at) + ch + v.payload.slice(at + 1);
          expect(decodeVietQr(corrupted).ok, `vector ${v.id}, offset ${at} → ${ch}`).toBe(false);
        }
      }
    }
  });
});
