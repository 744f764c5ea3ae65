import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { companyNameKey, sameCompanyName } from './mst.compare.js';

describe('sameCompanyName: typography is not a difference', () => {
  it.each([
    ['case', 'CÔNG TY TNHH ABC', 'Công ty TNHH ABC'],
    ['case of every letter', 'CÔNG TY CỔ PHẦN SỮA VIỆT NAM', 'công ty cổ phần sữa việt nam'],
    ['whitespace', '  Công  ty\tTNHH\u00a0ABC ', 'Công ty TNHH ABC'],
    [
      'punctuation between words',
      'TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI',
      'Tập đoàn Công nghiệp Viễn thông Quân đội',
    ],
    [
      'commas and parentheses',
      'Công ty TNHH ABC (Việt Nam), chi nhánh Hà Nội',
      'Công ty TNHH ABC Việt Nam chi nhánh Hà Nội',
    ],
    ['quotes', 'Công ty "Ánh Dương"', 'Công ty Ánh Dương'],
    ['apostrophes inside a word', "Công ty O'Reilly", 'Công ty OReilly'],
    ['NFD vs NFC', 'Công ty Hưng Thịnh'.normalize('NFD'), 'Công ty Hưng Thịnh'],
    ['Ð (U+00D0) vs Đ (U+0110)', '\u00d0ÔNG Á', 'ĐÔNG Á'],
    ['ð (U+00F0) vs đ (U+0111)', 'Công ty \u00f0ông á', 'Công ty Đông Á'],
    ['old vs new tone placement: oà/òa', 'Công ty TNHH Hoà Bình', 'Công ty TNHH Hòa Bình'],
    ['old vs new tone placement: uỷ/ủy', 'Thuỷ sản Minh Phú', 'Thủy sản Minh Phú'],
    ['misplaced tone: Qúy/Quý', 'Công ty Qúy Long', 'Công ty Quý Long'],
    ['old vs new tone placement: oẻ/ỏe', 'Khoẻ Đẹp', 'Khỏe Đẹp'],
    ['Cty', 'Cty TNHH ABC', 'CÔNG TY TNHH ABC'],
    ['CP', 'Công ty CP FPT', 'CÔNG TY CỔ PHẦN FPT'],
    ['CTCP', 'CTCP Vinhomes', 'CÔNG TY CỔ PHẦN VINHOMES'],
    ['TNHH MTV', 'Cty TNHH MTV Xây dựng Số 1', 'CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN XÂY DỰNG SỐ 1'],
    ['TMCP', 'Ngân hàng TMCP Ngoại thương Việt Nam', 'NGÂN HÀNG THƯƠNG MẠI CỔ PHẦN NGOẠI THƯƠNG VIỆT NAM'],
    ['DNTN', 'DNTN Thành Công', 'Doanh nghiệp tư nhân Thành Công'],
    ['HTX', 'HTX Nông nghiệp Tân Phú', 'Hợp tác xã nông nghiệp Tân Phú'],
    ['abbreviation with a dot', 'Cty. CP FPT', 'Công ty Cổ phần FPT'],
  ])('%s', (_what, a, b) => {
    expect(sameCompanyName(a, b)).toBe(true);
    expect(sameCompanyName(b, a)).toBe(true);
  });
});

describe('sameCompanyName: meaningful differences', () => {
  it.each([
    ['a different tone', 'Công ty Hòa Bình', 'Công ty Hóa Bình'],
    ['a missing tone', 'Công ty Hoa Bình', 'Công ty Hòa Bình'],
    ['no diacritics at all', 'CONG TY CO PHAN SUA VIET NAM', 'CÔNG TY CỔ PHẦN SỮA VIỆT NAM'],
    ['Đ vs D', 'Công ty Dông Á', 'Công ty Đông Á'],
    ['a missing circumflex', 'Công ty Tân Phu', 'Công ty Tân Phú'],
    ['horn vs none', 'Hưng Thịnh', 'Hung Thịnh'],
    ['breve vs circumflex', 'Ăn Uống', 'Ân Uống'],
    ['a brand instead of the legal name', 'Viettel', 'TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI'],
    ['an extra word', 'Công ty TNHH ABC Việt Nam', 'Công ty TNHH ABC'],
    ['another legal form', 'Công ty TNHH FPT', 'Công ty Cổ phần FPT'],
    ['a different number', 'Xây dựng Số 1', 'Xây dựng Số 7'],
    ['y vs i spelling', 'Kỹ thuật', 'Kĩ thuật'],
    ['words run together', 'CôngTy ABC', 'Công ty ABC'],
  ])('%s', (_what, a, b) => {
    expect(sameCompanyName(a, b)).toBe(false);
    expect(sameCompanyName(b, a)).toBe(false);
  });
});

describe('companyNameKey', () => {
  it('is lower case, single-spaced, with legal forms written out and tones after the letters', () => {
    // Deliberately not NFC as a whole: the tone stays a separate combining mark after the word.
    expect(companyNameKey(' CÔNG TY TNHH  Hoà-Bình ')).toBe(
      'công ty trach\u0301 nhiêm\u0323 hưu\u0303 han\u0323 hoa\u0300 binh\u0300',
    );
  });

  it('is empty for a name without letters or digits', () => {
    expect(companyNameKey('  -- . ')).toBe('');
    expect(sameCompanyName('', ' ')).toBe(true);
  });
});

/** Vietnamese-looking names: the letters (with every tone), digits, spaces and everyday punctuation. */
const VOWELS = 'aăâeêioôơuưy';
const TONES = ['', '\u0300', '\u0301', '\u0303', '\u0309', '\u0323'];
const vowel = fc
  .tuple(fc.constantFrom(...VOWELS), fc.constantFrom(...TONES))
  .map(([v, t]) => (v + t).normalize('NFC'));
const consonant = fc.constantFrom(...'bcdđghklmnpqrstvx');
const word = fc
  .tuple(
    fc.array(consonant, { maxLength: 2 }),
    fc.array(vowel, { minLength: 1, maxLength: 2 }),
    fc.array(consonant, { maxLength: 2 }),
  )
  .map(([a, b, c]) => [...a, ...b, ...c].join(''));
const words = fc.array(fc.oneof(word, fc.integer({ min: 0, max: 999 }).map(String)), {
  minLength: 1,
  maxLength: 6,
});
const name = words.map((ws) => ws.join(' '));
const separator = fc.constantFrom(' ', '  ', '\t', ' - ', ', ', ' (', ') ', '.', '\u00a0', ' & ', '/');

describe('sameCompanyName: properties', () => {
  it('is reflexive and symmetric', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(sameCompanyName(a, a)).toBe(true);
        expect(sameCompanyName(a, b)).toBe(sameCompanyName(b, a));
      }),
    );
  });

  it('ignores case and Unicode form', () => {
    fc.assert(
      fc.property(name, (a) => {
        expect(sameCompanyName(a, a.toUpperCase())).toBe(true);
        expect(sameCompanyName(a, a.normalize('NFD'))).toBe(true);
        expect(sameCompanyName(a.toUpperCase().normalize('NFD'), a)).toBe(true);
      }),
    );
  });

  it('ignores the separators between words', () => {
    fc.assert(
      fc.property(
        words.chain((ws) =>
          fc.tuple(
            fc.constant(ws),
            fc.array(separator, { minLength: ws.length - 1, maxLength: ws.length - 1 }),
            separator,
            separator,
          ),
        ),
        ([ws, seps, lead, trail]) => {
          const noisy = lead + ws.map((w, i) => w + (seps[i] ?? '')).join('') + trail;
          expect(sameCompanyName(noisy, ws.join(' '))).toBe(true);
        },
      ),
    );
  });

  it('sees a dropped tone mark', () => {
    fc.assert(
      fc.property(
        name.filter((n) => /[\u0300\u0301\u0303\u0309\u0323]/u.test(n.normalize('NFD'))),
        (a) => {
          const untoned = a
            .normalize('NFD')
            .replace(/[\u0300\u0301\u0303\u0309\u0323]/gu, '')
            .normalize('NFC');
          expect(sameCompanyName(a, untoned)).toBe(false);
        },
      ),
    );
  });

  it('sees a name folded to ASCII', () => {
    fc.assert(
      fc.property(
        name.filter((n) => /[^ -~]/u.test(n)),
        (a) => {
          const ascii = a.normalize('NFD').replace(/\p{M}/gu, '').replaceAll('đ', 'd');
          expect(sameCompanyName(a, ascii)).toBe(false);
        },
      ),
    );
  });
});
