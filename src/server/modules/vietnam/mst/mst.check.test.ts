import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CCCD_PROVINCE_CODES, checkMst, type MstReason, mstCheckDigit, normalizeMst } from './mst.check.js';
import { loadMstVectors } from './mst.vectors.js';

const vectors = loadMstVectors();
const NOW = new Date('2026-11-21T12:00:00Z');

/** The vector file explains each invalid case in words; each explanation maps to one reason code. */
const REASON_BY_DESCRIPTION: Record<string, MstReason> = {
  'wrong check digit': 'mst_checksum_invalid',
  'check digit altered': 'mst_checksum_invalid',
  'all-zero sequence': 'mst_sequence_invalid',
  'branch 000': 'mst_branch_invalid',
  'non-digits': 'mst_format_invalid',
  length: 'mst_format_invalid',
};

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((a) => a.join(''));

/** Nine digits whose check-digit remainder is not 0 and whose sequence N3..N9 is not all zero. */
const issuableFirst9 = digits(9).filter((s) => mstCheckDigit(s) !== null && !/^0{7}$/.test(s.slice(2)));
const withCheckDigit = (first9: string) => `${first9}${mstCheckDigit(first9)}`;

const NOISE = [' ', '.', '-', '_', '\u00a0', '\u2013', '  ', ' - '];
/** Inserts separator noise between characters and around the string. */
const noisy = (s: string) =>
  fc
    .array(fc.constantFrom('', ...NOISE), { minLength: s.length + 1, maxLength: s.length + 1 })
    .map((gaps) => gaps.map((g, i) => g + (s[i] ?? '')).join(''));

describe('normalizeMst', () => {
  it('strips spaces, dots, dashes and underscores and trims', () => {
    expect(normalizeMst(' 01.00.112.437 ')).toBe('0100112437');
    expect(normalizeMst('0100109106-001')).toBe('0100109106001');
    expect(normalizeMst('0311 916 028')).toBe('0311916028');
    expect(normalizeMst('0100_109_106')).toBe('0100109106');
    expect(normalizeMst('0100109106\u2013001')).toBe('0100109106001');
    expect(normalizeMst('\u00a00100109106\t\n')).toBe('0100109106');
  });

  it('keeps other characters so the check can reject them', () => {
    expect(normalizeMst('MST: 0100109106')).toBe('MST:0100109106');
    expect(normalizeMst('VV34567890')).toBe('VV34567890');
  });

  it('is idempotent on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const once = normalizeMst(s);
        expect(normalizeMst(once)).toBe(once);
      }),
    );
  });

  it('returns NFC', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const n = normalizeMst(s);
        expect(n).toBe(n.normalize('NFC'));
      }),
    );
  });
});

describe('mstCheckDigit', () => {
  it('computes the published digits', () => {
    expect(mstCheckDigit('010010910')).toBe(6); // Viettel 0100109106
    expect(mstCheckDigit('030058856')).toBe(9); // Vinamilk 0300588569
    expect(mstCheckDigit('010124814')).toBe(1); // FPT 0101248141
  });

  it('returns null when the remainder is 0', () => {
    // 31·1 + 29·0 + … + 3·0 = 31 ≢ 0; 11 × anything is: 000000000 sums to 0.
    expect(mstCheckDigit('000000000')).toBeNull();
    // 31·0 + 29·0 + 23·0 + 19·0 + 17·0 + 13·0 + 7·0 + 5·1 + 3·2 = 11
    expect(mstCheckDigit('000000012')).toBeNull();
  });

  it('maps every remainder 1..10 to 10 − r, a single digit', () => {
    fc.assert(
      fc.property(digits(9), (s) => {
        const w = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        const r = [...s].reduce((acc, c, i) => acc + (w[i] ?? 0) * Number(c), 0) % 11;
        const d = mstCheckDigit(s);
        if (r === 0) expect(d).toBeNull();
        else expect(d).toBe(10 - r);
      }),
    );
  });

  it('rejects anything but nine digits as a programming error', () => {
    expect(() => mstCheckDigit('01001091')).toThrow(RangeError);
    expect(() => mstCheckDigit('0100109106')).toThrow(RangeError);
    expect(() => mstCheckDigit('01001091a')).toThrow(RangeError);
  });
});

describe('checkMst: public vectors', () => {
  it.each(vectors.valid)('accepts %s', (raw) => {
    const r = checkMst(raw, { now: NOW });
    expect(r).toMatchObject({ valid: true, normalized: normalizeMst(raw) });
  });

  it.each(Object.entries(vectors.named))('accepts %s (%s)', (raw) => {
    expect(checkMst(raw, { now: NOW })).toEqual({
      valid: true,
      normalized: raw,
      display: raw,
      kind: 'enterprise',
    });
  });

  it.each(vectors.invalid)('rejects %s (%s)', (raw, description) => {
    const expected = REASON_BY_DESCRIPTION[description];
    expect(expected, `no reason mapped for vector description "${description}"`).toBeDefined();
    const r = checkMst(raw, { now: NOW });
    expect(r.valid).toBe(false);
    if (!r.valid) {
      expect(r.reason).toBe(expected);
      expect(r.message.length).toBeGreaterThan(10);
    }
  });
});

describe('checkMst: shapes', () => {
  it('describes an enterprise', () => {
    expect(checkMst('01.00.112.437')).toEqual({
      valid: true,
      normalized: '0100112437',
      display: '0100112437',
      kind: 'enterprise',
    });
  });

  it('describes a branch with its parent and unit number', () => {
    expect(checkMst('0102641429-066')).toEqual({
      valid: true,
      normalized: '0102641429066',
      display: '0102641429-066',
      kind: 'branch',
      parent: '0102641429',
      branch: '066',
    });
    expect(checkMst('0100109106001')).toMatchObject({ valid: true, display: '0100109106-001' });
  });

  it('checks the parent part of a branch', () => {
    expect(checkMst('0100109107-001')).toMatchObject({
      valid: false,
      kind: 'branch',
      reason: 'mst_checksum_invalid',
    });
    expect(checkMst('0100000003-001')).toMatchObject({ valid: false, reason: 'mst_sequence_invalid' });
  });

  it('rejects branch 000', () => {
    expect(checkMst('0100109106-000')).toMatchObject({
      valid: false,
      normalized: '0100109106000',
      kind: 'branch',
      reason: 'mst_branch_invalid',
    });
  });

  it('rejects an all-zero sequence even when the check digit fits', () => {
    // 01 + 0000000: r = 29 mod 11 = 7, check digit 3.
    expect(checkMst('0100000003')).toMatchObject({ valid: false, reason: 'mst_sequence_invalid' });
  });

  it('rejects a code whose remainder is 0 whatever its last digit', () => {
    for (let d = 0; d <= 9; d++) {
      expect(checkMst(`000000012${d}`)).toMatchObject({ valid: false, reason: 'mst_checksum_invalid' });
    }
  });

  it.each([
    ['', 'Enter a tax code'],
    ['   ', 'Enter a tax code'],
    ['VV34567890', 'only digits'],
    ['0100109106/001', 'only digits'],
    ['０１００１０９１０６', 'only digits'],
    ['12345', 'this one has 5'],
    ['01001091061', 'this one has 11'],
    ['01001091060011', 'this one has 14'],
  ])('rejects the shape of %j', (raw, fragment) => {
    const r = checkMst(raw);
    expect(r).toMatchObject({ valid: false, kind: null, reason: 'mst_format_invalid' });
    if (!r.valid) expect(r.message).toContain(fragment);
  });

  it('reports the kind of a well-shaped invalid code', () => {
    expect(checkMst('0100109107')).toMatchObject({ valid: false, kind: 'enterprise' });
    expect(checkMst('099203012345')).toMatchObject({ valid: false, kind: 'personal' });
  });
});

describe('checkMst: personal identification numbers (12 digits)', () => {
  it('accepts every province code in use with each plausible century digit', () => {
    for (const code of CCCD_PROVINCE_CODES.keys()) {
      for (const century of ['0', '1', '2', '3']) {
        const id = `${code}${century}05123456`;
        expect(checkMst(id, { now: NOW })).toEqual({
          valid: true,
          normalized: id,
          display: id,
          kind: 'personal',
        });
      }
    }
  });

  it('knows the 63 province codes between 001 and 096', () => {
    expect(CCCD_PROVINCE_CODES.size).toBe(63);
    for (const code of CCCD_PROVINCE_CODES.keys()) {
      expect(Number(code)).toBeGreaterThanOrEqual(1);
      expect(Number(code)).toBeLessThanOrEqual(96);
    }
    expect(CCCD_PROVINCE_CODES.get('079')).toBe('Hồ Chí Minh');
  });

  it.each(['000', '003', '097', '099', '100', '999'])('rejects province code %s', (code) => {
    const r = checkMst(`${code}090123456`, { now: NOW });
    expect(r).toMatchObject({ valid: false, kind: 'personal', reason: 'mst_personal_invalid' });
    if (!r.valid) expect(r.message).toContain(code);
  });

  it.each(['4', '5', '6', '7', '8', '9'])('rejects century digit %s', (c) => {
    expect(checkMst(`001${c}90123456`, { now: NOW })).toMatchObject({
      valid: false,
      reason: 'mst_personal_invalid',
    });
  });

  it('rejects a birth year in the future of the given clock', () => {
    expect(checkMst('001226123456', { now: NOW })).toMatchObject({ valid: true });
    expect(checkMst('001327123456', { now: NOW })).toMatchObject({
      valid: false,
      reason: 'mst_personal_invalid',
    });
    // 31 December 2026, 18:00 UTC is already 2027 in Vietnam.
    expect(checkMst('001227123456', { now: new Date('2026-12-31T18:00:00Z') })).toMatchObject({
      valid: true,
    });
    expect(checkMst('001227123456', { now: new Date('2026-12-31T16:00:00Z') })).toMatchObject({
      valid: false,
    });
  });

  it('accepts separators in a personal number', () => {
    expect(checkMst('001 203 012 345', { now: NOW })).toMatchObject({
      valid: true,
      normalized: '001203012345',
    });
  });
});

describe('checkMst: properties', () => {
  it('accepts any issuable nine digits followed by their check digit', () => {
    fc.assert(
      fc.property(issuableFirst9, (first9) => {
        const mst = withCheckDigit(first9);
        expect(checkMst(mst)).toEqual({ valid: true, normalized: mst, display: mst, kind: 'enterprise' });
      }),
    );
  });

  it('accepts any branch 001..999 of a valid enterprise', () => {
    fc.assert(
      fc.property(issuableFirst9, fc.integer({ min: 1, max: 999 }), (first9, unit) => {
        const parent = withCheckDigit(first9);
        const branch = String(unit).padStart(3, '0');
        expect(checkMst(`${parent}-${branch}`)).toEqual({
          valid: true,
          normalized: `${parent}${branch}`,
          display: `${parent}-${branch}`,
          kind: 'branch',
          parent,
          branch,
        });
      }),
    );
  });

  it('rejects any altered check digit', () => {
    fc.assert(
      fc.property(issuableFirst9, fc.integer({ min: 1, max: 9 }), (first9, shift) => {
        const altered = `${first9}${((mstCheckDigit(first9) ?? 0) + shift) % 10}`;
        expect(checkMst(altered)).toMatchObject({ valid: false, reason: 'mst_checksum_invalid' });
      }),
    );
  });

  it('rejects any single changed digit among the first nine', () => {
    // Weights are all non-zero mod 11, so a change of one digit always changes the remainder.
    fc.assert(
      fc.property(
        issuableFirst9,
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 9 }),
        (first9, pos, shift) => {
          const valid = withCheckDigit(first9);
          const changed = `${valid.slice(0, pos)}${(Number(valid[pos]) + shift) % 10}${valid.slice(pos + 1)}`;
          const r = checkMst(changed);
          expect(r.valid).toBe(false);
        },
      ),
    );
  });

  it('never changes its answer because of formatting noise', () => {
    const anyCode = fc.oneof(
      digits(10),
      digits(12),
      digits(13),
      issuableFirst9.map(withCheckDigit),
      fc.string({ unit: fc.constantFrom('0', '1', '9', 'a', 'Đ') }),
    );
    fc.assert(
      fc.property(
        anyCode.chain((s) => fc.tuple(fc.constant(s), noisy(s))),
        ([clean, dirty]) => {
          expect(checkMst(dirty, { now: NOW })).toEqual(checkMst(clean, { now: NOW }));
        },
      ),
    );
  });

  it('answers every string with a well-formed result and never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const r = checkMst(s, { now: NOW });
        expect(r.normalized).toBe(normalizeMst(s));
        if (r.valid) expect(r.normalized).toMatch(/^[0-9]{10}([0-9]{2,3})?$/);
        else expect(r.message).not.toBe('');
      }),
    );
  });
});
