import { describe, expect, it } from 'vitest';
import { NATIONAL_ID_PROVINCES, parseNationalId, yearInVietnam } from './national-id.js';

const today = new Date('2026-11-21T12:00:00Z');

describe('parseNationalId', () => {
  it('reads province, gender and birth year', () => {
    expect(parseNationalId('079090001234', { today })).toEqual({
      id: '079090001234',
      provinceCode: '079',
      provinceName: 'Hồ Chí Minh',
      gender: 'male',
      birthYear: 1990,
    });
    expect(parseNationalId('001185012345', { today })).toMatchObject({
      provinceCode: '001',
      provinceName: 'Hà Nội',
      gender: 'female',
      birthYear: 1985,
    });
  });

  it.each([
    ['0', 'male', 1900],
    ['1', 'female', 1900],
    ['2', 'male', 2000],
    ['3', 'female', 2000],
  ] as const)('4th digit %s → %s, born in the century of %d', (digit, gender, century) => {
    const r = parseNationalId(`031${digit}05123456`, { today });
    expect(r?.gender).toBe(gender);
    expect(r?.birthYear).toBe(century + 5);
  });

  it('puts digits 4/5 in the 2100s and so on (valid once that time comes)', () => {
    const later = new Date('2199-06-01T00:00:00Z');
    expect(parseNationalId('048401123456', { today: later })).toMatchObject({
      gender: 'male',
      birthYear: 2101,
    });
    expect(parseNationalId('048501123456', { today: later })).toMatchObject({
      gender: 'female',
      birthYear: 2101,
    });
    expect(parseNationalId('048401123456', { today })).toBeNull();
    expect(parseNationalId('048601123456', { today: new Date('2299-01-01T00:00:00Z') })).toMatchObject({
      gender: 'male',
      birthYear: 2201,
    });
  });

  it('accepts spaces, dots and dashes as separators', () => {
    expect(parseNationalId(' 079 090 001 234 ', { today })?.id).toBe('079090001234');
    expect(parseNationalId('079.090.001.234', { today })?.id).toBe('079090001234');
    expect(parseNationalId('079-090-001234', { today })?.id).toBe('079090001234');
  });

  it.each([
    ['', 'empty'],
    ['07909000123', '11 digits'],
    ['0790900012345', '13 digits'],
    ['07909000123A', 'a letter'],
    ['123456789', 'an old 9-digit CMND'],
    ['000090001234', 'province 000'],
    ['003090001234', 'a code no province has (003)'],
    ['099090001234', 'a code no province has (099)'],
    ['079227001234', 'born 2027, after today'],
  ])('rejects %s (%s)', (id) => {
    expect(parseNationalId(id, { today })).toBeNull();
  });

  it('accepts a birth year equal to the current year', () => {
    expect(parseNationalId('079226001234', { today })?.birthYear).toBe(2026);
  });

  it('rejects non-strings without throwing', () => {
    expect(parseNationalId(79090001234 as unknown as string)).toBeNull();
  });

  it('knows the 63 issuing provinces', () => {
    expect(Object.keys(NATIONAL_ID_PROVINCES)).toHaveLength(63);
    for (const code of Object.keys(NATIONAL_ID_PROVINCES)) expect(code).toMatch(/^0\d\d$/);
  });
});

describe('yearInVietnam', () => {
  it('turns the year at midnight UTC+7', () => {
    expect(yearInVietnam(new Date('2026-12-31T16:59:59Z'))).toBe(2026);
    expect(yearInVietnam(new Date('2026-12-31T17:00:00Z'))).toBe(2027);
  });
});
