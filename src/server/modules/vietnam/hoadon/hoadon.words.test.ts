import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amountInWords, integerInWords, normalizeWords } from './hoadon.words.js';

/**
 * Reads our words back into a number, written independently of the generator (by the grammar, not
 * by the same recursion), so the property test below checks the words mean the number.
 */
function wordsToNumber(words: string): bigint {
  const DIGIT: Record<string, bigint> = {
    không: 0n,
    một: 1n,
    mốt: 1n,
    hai: 2n,
    ba: 3n,
    bốn: 4n,
    năm: 5n,
    lăm: 5n,
    sáu: 6n,
    bảy: 7n,
    tám: 8n,
    chín: 9n,
  };
  const d = (w: string | undefined): bigint => {
    const v = DIGIT[w ?? ''];
    if (v === undefined) throw new Error(`not a digit: ${w}`);
    return v;
  };
  const triple = (t: string[]): bigint => {
    let value = 0n;
    let i = 0;
    if (t[i + 1] === 'trăm') {
      value += d(t[i]) * 100n;
      i += 2;
    }
    if (t[i] === 'linh') {
      value += d(t[i + 1]);
      i += 2;
    } else if (t[i] === 'mười') {
      value += 10n + (t[i + 1] ? d(t[i + 1]) : 0n);
      i += t[i + 1] ? 2 : 1;
    } else if (t[i + 1] === 'mươi') {
      value += d(t[i]) * 10n + (t[i + 2] ? d(t[i + 2]) : 0n);
      i += t[i + 2] ? 3 : 2;
    } else if (t[i] !== undefined) {
      value += d(t[i]);
      i += 1;
    }
    if (i !== t.length) throw new Error(`unparsed: ${t.join(' ')}`);
    return value;
  };
  const below = (t: string[]): bigint => {
    let rest = t;
    let value = 0n;
    for (const [word, scale] of [
      ['triệu', 1_000_000n],
      ['nghìn', 1000n],
    ] as const) {
      const at = rest.indexOf(word);
      if (at >= 0) {
        value += triple(rest.slice(0, at)) * scale;
        rest = rest.slice(at + 1);
      }
    }
    return value + triple(rest);
  };
  const read = (t: string[]): bigint => {
    const at = t.lastIndexOf('tỷ');
    if (at < 0) return below(t);
    return read(t.slice(0, at)) * 1_000_000_000n + below(t.slice(at + 1));
  };
  const tokens = words.toLocaleLowerCase('vi').split(' ');
  if (tokens.join(' ') === 'không') return 0n;
  return read(tokens);
}

describe('amount in words (VND)', () => {
  const cases: Array<[bigint, string]> = [
    [0n, 'Không đồng'],
    [1n, 'Một đồng'],
    [5n, 'Năm đồng'],
    [10n, 'Mười đồng'],
    [11n, 'Mười một đồng'],
    [14n, 'Mười bốn đồng'],
    [15n, 'Mười lăm đồng'],
    [20n, 'Hai mươi đồng'],
    [21n, 'Hai mươi mốt đồng'],
    [24n, 'Hai mươi bốn đồng'],
    [25n, 'Hai mươi lăm đồng'],
    [55n, 'Năm mươi lăm đồng'],
    [91n, 'Chín mươi mốt đồng'],
    [100n, 'Một trăm đồng'],
    [101n, 'Một trăm linh một đồng'],
    [105n, 'Một trăm linh năm đồng'],
    [110n, 'Một trăm mười đồng'],
    [111n, 'Một trăm mười một đồng'],
    [115n, 'Một trăm mười lăm đồng'],
    [121n, 'Một trăm hai mươi mốt đồng'],
    [1000n, 'Một nghìn đồng'],
    [1001n, 'Một nghìn không trăm linh một đồng'],
    [1010n, 'Một nghìn không trăm mười đồng'],
    [1100n, 'Một nghìn một trăm đồng'],
    [10_000n, 'Mười nghìn đồng'],
    [15_000n, 'Mười lăm nghìn đồng'],
    [21_000n, 'Hai mươi mốt nghìn đồng'],
    [105_000n, 'Một trăm linh năm nghìn đồng'],
    [1_000_000n, 'Một triệu đồng'],
    [1_000_005n, 'Một triệu không trăm linh năm đồng'],
    [1_005_000n, 'Một triệu không trăm linh năm nghìn đồng'],
    [1_284_000n, 'Một triệu hai trăm tám mươi bốn nghìn đồng'],
    [3_791_700n, 'Ba triệu bảy trăm chín mươi mốt nghìn bảy trăm đồng'],
    [10_268_500n, 'Mười triệu hai trăm sáu mươi tám nghìn năm trăm đồng'],
    [1_000_000_000n, 'Một tỷ đồng'],
    [1_000_000_001n, 'Một tỷ không trăm linh một đồng'],
    [1_001_000_000n, 'Một tỷ không trăm linh một triệu đồng'],
    [2_500_000_000n, 'Hai tỷ năm trăm triệu đồng'],
    [100_000_000_000n, 'Một trăm tỷ đồng'],
    [1_000_000_000_000n, 'Một nghìn tỷ đồng'],
    [
      1_234_567_890_123n,
      'Một nghìn hai trăm ba mươi bốn tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi nghìn một trăm hai mươi ba đồng',
    ],
    [10n ** 15n, 'Một triệu tỷ đồng'],
    [10n ** 18n, 'Một tỷ tỷ đồng'],
    [
      10n ** 21n - 1n,
      'Chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ ' +
        'chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng',
    ],
  ];
  it.each(cases)('%s', (n, words) => {
    expect(amountInWords(n)).toBe(words);
    expect(amountInWords(n.toString(), 'VND')).toBe(words);
  });

  it('reads decrease adjustments with "Âm"', () => {
    expect(amountInWords('-300000')).toBe('Âm ba trăm nghìn đồng');
    expect(amountInWords(-21n)).toBe('Âm hai mươi mốt đồng');
  });

  it('accepts trailing zero decimals but not real fractions of a đồng', () => {
    expect(amountInWords('12.00')).toBe('Mười hai đồng');
    expect(() => amountInWords('12.5')).toThrow(RangeError);
  });

  it('refuses more than 21 digits, garbage and unknown currencies', () => {
    expect(() => amountInWords(10n ** 21n)).toThrow(RangeError);
    expect(() => amountInWords('1e6')).toThrow(RangeError);
    expect(() => amountInWords('1,000')).toThrow(RangeError);
    expect(() => amountInWords(1n, 'EUR')).toThrow(/EUR/);
    expect(() => integerInWords(-1n)).toThrow(RangeError);
  });

  it('is NFC text', () => {
    const w = amountInWords(3_791_700n);
    expect(w).toBe(w.normalize('NFC'));
    expect(w.normalize('NFD')).not.toBe(w);
  });
});

describe('amount in words (USD)', () => {
  it.each([
    ['1234.56', 'Một nghìn hai trăm ba mươi bốn đô la Mỹ và năm mươi sáu xu'],
    ['12.5', 'Mười hai đô la Mỹ và năm mươi xu'],
    ['0.05', 'Năm xu'],
    ['0.21', 'Hai mươi mốt xu'],
    ['100', 'Một trăm đô la Mỹ'],
    ['0', 'Không đô la Mỹ'],
    ['-7.01', 'Âm bảy đô la Mỹ và một xu'],
  ])('%s', (amount, words) => {
    expect(amountInWords(amount, 'USD')).toBe(words);
  });

  it('reads a bigint as cents', () => {
    expect(amountInWords(12_345n, 'USD')).toBe('Một trăm hai mươi ba đô la Mỹ và bốn mươi lăm xu');
  });

  it('refuses fractions of a cent', () => {
    expect(() => amountInWords('1.005', 'USD')).toThrow(RangeError);
  });
});

describe('words properties', () => {
  it('every amount up to 21 digits reads back to itself, in one clean form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 21n - 1n }), (n) => {
        const words = amountInWords(n);
        expect(words).toMatch(/^[A-ZÂĐ]/u);
        expect(words.endsWith(' đồng')).toBe(true);
        const tokens = words.split(' ');
        expect(tokens.every((t) => t.length > 0)).toBe(true);
        expect(tokens.filter((t) => ['ngàn', 'lẻ', 'tư', 'chẵn', 'nhăm'].includes(t))).toEqual([]);
        expect(wordsToNumber(words.slice(0, -' đồng'.length))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('small numbers read back too (the dense part of the grammar)', () => {
    for (let n = 0n; n <= 2100n; n++) expect(wordsToNumber(integerInWords(n))).toBe(n);
  });
});

describe('comparing words from other software', () => {
  it('folds ngàn/lẻ/tư/nhăm/chẵn, case and punctuation', () => {
    expect(normalizeWords('Một triệu hai trăm tám mươi tư ngàn đồng chẵn.')).toBe(
      normalizeWords(amountInWords(1_284_000n)),
    );
    expect(normalizeWords('Một trăm lẻ năm nghìn đồng')).toBe(normalizeWords(amountInWords(105_000n)));
    expect(normalizeWords('hai mươi nhăm đồng')).toBe(normalizeWords(amountInWords(25n)));
    expect(normalizeWords('Một trăm đồng')).not.toBe(normalizeWords(amountInWords(101n)));
  });
});
