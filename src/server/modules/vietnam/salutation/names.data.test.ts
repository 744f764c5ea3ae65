import { describe, expect, it } from 'vitest';
import raw from './data/given-names.json' with { type: 'json' };
import {
  compoundFamilyLength,
  familyShare,
  givenSignal,
  isCallNamePair,
  middleSignal,
  NAME_DATA_VERSION,
  pairSignal,
} from './names.data.js';
import { normalizeToken } from './text.js';

const canonical = (phrase: string) => phrase.split(' ').map(normalizeToken).join(' ');

describe('given-names.json', () => {
  it('stores every name in its normalized spelling (NFC, traditional tone placement, title case)', () => {
    const names = [
      ...Object.keys(raw.given),
      ...Object.keys(raw.middle),
      ...Object.keys(raw.pairs),
      ...Object.keys(raw.family),
      ...raw.compoundFamily,
      ...raw.callNamePairs,
    ];
    const off = names.filter((n) => canonical(n) !== n);
    expect(off).toEqual([]);
  });

  it('holds several hundred given names and a version', () => {
    expect(Object.keys(raw.given).length).toBeGreaterThanOrEqual(300);
    expect(NAME_DATA_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}/);
  });

  it('has two-syllable pairs whose parts are both known names', () => {
    for (const pair of Object.keys(raw.pairs)) {
      const [m, g] = pair.split(' ') as [string, string];
      expect(pair.split(' ')).toHaveLength(2);
      expect(givenSignal(g, false) ?? middleSignal(m, false), pair).toBeDefined();
    }
  });
});

describe('lookups', () => {
  it('finds accented spellings exactly, whatever the tone placement of the query', () => {
    expect(givenSignal('Hoà', false)?.spellings).toEqual(['Hòa']);
    expect(givenSignal('THUỶ', false)?.spellings).toEqual(['Thủy']);
    expect(middleSignal('Thị', false)?.pMale).toBeLessThan(0.05);
  });

  it('mixes every spelling that folds alike for unaccented names, by weight', () => {
    const lan = givenSignal('Lan', true);
    expect(lan?.spellings.sort()).toEqual(['Lan', 'Lân']);
    const exactLan = givenSignal('Lan', false);
    expect(lan?.pMale).toBeGreaterThan(exactLan?.pMale ?? 1);
    expect(lan?.pMale).toBeLessThan(0.5);
    // Văn outweighs Vân as a middle name, but not absolutely.
    const van = middleSignal('Van', true);
    expect(van?.pMale).toBeGreaterThan(0.9);
    expect(van?.pMale).toBeLessThan(0.99);
  });

  it('falls back to the folded key for a bare-ASCII word inside an accented name only', () => {
    expect(givenSignal('Tuan', false)?.spellings).toContain('Tuấn');
    expect(givenSignal('Tuận', false)).toBeUndefined();
  });

  it('looks pairs up only with accents', () => {
    expect(pairSignal('Phương', 'Anh')).toBeLessThan(0.1);
    expect(pairSignal('Đức', 'Anh')).toBeGreaterThan(0.9);
    expect(pairSignal('Phuong', 'Anh')).toBeUndefined();
  });

  it('knows family-name shares, compound family names and call-name pairs', () => {
    expect(familyShare('Nguyễn', false)).toBeGreaterThan(30);
    expect(familyShare('nguyen', true)).toBeGreaterThan(30);
    expect(familyShare('Tuấn', false)).toBe(0);
    expect(compoundFamilyLength(['Công', 'Tằng', 'Tôn', 'Nữ', 'Thị', 'Xuân'], false)).toBe(4);
    expect(compoundFamilyLength(['Tôn', 'Nữ', 'Thị', 'Hà'], false)).toBe(2);
    expect(compoundFamilyLength(['Ton', 'Nu', 'Ha'], true)).toBe(2);
    expect(compoundFamilyLength(['Nguyễn', 'Văn', 'A'], false)).toBe(0);
    expect(isCallNamePair('Ngọc', 'Anh', false)).toBe(true);
    expect(isCallNamePair('ngoc', 'anh', true)).toBe(true);
    expect(isCallNamePair('Thị', 'Anh', false)).toBe(false);
  });
});
