import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold, isUnaccented, nfcVietnamese, normalizeToken, placeTone, tokens } from './text.js';

describe('nfcVietnamese', () => {
  it('composes decomposed input', () => {
    expect(nfcVietnamese('Nguyễn'.normalize('NFD'))).toBe('Nguyễn');
    expect(nfcVietnamese('Nguyễn'.normalize('NFD')).length).toBe(6);
  });

  it('maps the Icelandic eth look-alikes (U+00D0, U+00F0) to the Vietnamese Đ and đ', () => {
    expect(nfcVietnamese('\u00D0\u1eb7ng')).toBe('\u0110\u1eb7ng');
    expect(nfcVietnamese('\u00F0\u00e0o')).toBe('\u0111\u00e0o');
    expect(nfcVietnamese('\u0110\u1ed7')).toBe('\u0110\u1ed7');
  });

  it('drops zero-width characters', () => {
    expect(nfcVietnamese('Lan\u200B\uFEFF')).toBe('Lan');
  });
});

describe('placeTone (traditional placement)', () => {
  it.each([
    ['hoà', 'hòa'],
    ['hòa', 'hòa'],
    ['thuỷ', 'thủy'],
    ['thủy', 'thủy'],
    ['qúy', 'quý'],
    ['quý', 'quý'],
    ['khoẻ', 'khỏe'],
    ['thuý', 'thúy'],
    ['uý', 'úy'],
    ['hoàng', 'hoàng'],
    ['hòang', 'hoàng'],
    ['toán', 'toán'],
    ['tóan', 'toán'],
    ['huỳnh', 'huỳnh'],
    ['hủynh', 'huỷnh'],
    ['ngoài', 'ngoài'],
    ['ngóai', 'ngoái'],
    ['khuỷu', 'khuỷu'],
    ['người', 'người'],
    ['rựơu', 'rượu'],
    ['thuở', 'thuở'],
    ['cửa', 'cửa'],
    ['giữa', 'giữa'],
    ['gía', 'giá'],
    ['gìn', 'gìn'],
    ['quyết', 'quyết'],
    ['mía', 'mía'],
    ['múa', 'múa'],
    ['lan', 'lan'],
  ])('%s → %s', (input, expected) => {
    expect(placeTone(input)).toBe(expected.normalize('NFC'));
  });

  it('leaves syllables it cannot read alone (no vowel, two tones)', () => {
    expect(placeTone('nh')).toBe('nh');
    expect(placeTone('a\u0301\u0300')).toBe('a\u0301\u0300'.normalize('NFC'));
  });

  it('never changes the letters, only where the tone sits', () => {
    const letters = 'aăâeêioôơuưyqgnhtc'.split('');
    const tones = ['', '\u0300', '\u0301', '\u0303', '\u0309', '\u0323'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...letters), { minLength: 1, maxLength: 6 }),
        fc.nat(5),
        fc.nat(5),
        (chars, toneIndex, at) => {
          const pos = Math.min(at, chars.length - 1);
          const word = [...chars.slice(0, pos + 1), tones[toneIndex], ...chars.slice(pos + 1)]
            .join('')
            .normalize('NFC');
          const placed = placeTone(word);
          expect(fold(placed)).toBe(fold(word));
          expect(placeTone(placed)).toBe(placed);
        },
      ),
    );
  });
});

describe('normalizeToken', () => {
  it('title-cases, fixes Đ and tone placement in one go', () => {
    expect(normalizeToken('HOÀ')).toBe('Hòa');
    expect(normalizeToken('\u00D0ỨC')).toBe('Đức');
    expect(normalizeToken('qúy')).toBe('Quý');
    expect(normalizeToken("h'hen")).toBe("H'Hen");
    expect(normalizeToken('thuỷ'.normalize('NFD'))).toBe('Thủy');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const once = normalizeToken(s);
        expect(normalizeToken(once)).toBe(once);
      }),
    );
  });
});

describe('fold, tokens, isUnaccented', () => {
  it('folds accents and đ away', () => {
    expect(fold('Đặng Thị Ðào')).toBe('dang thi dao');
    expect(fold('NGUYỄN')).toBe('nguyen');
  });

  it('splits on any white space, including no-break spaces', () => {
    expect(tokens('  Nguyễn\u00A0 Văn\tTuấn \n')).toEqual(['Nguyễn', 'Văn', 'Tuấn']);
  });

  it('tells names typed without accents', () => {
    expect(isUnaccented('Nguyen Van Tuan')).toBe(true);
    expect(isUnaccented('Nguyễn Van Tuan')).toBe(false);
    expect(isUnaccented('Đang')).toBe(false);
  });
});
