import { describe, expect, it } from 'vitest';
import { VAT_RATE_DATA, VAT_SECTOR_CODES, vatRateDataSchema, vatRateOn } from './hoadon.vat.js';

describe('VAT rate on a date', () => {
  it('8% through 31 December 2026 under Resolution 204/2025/QH15, 10% from 1 January 2027', () => {
    const last = vatRateOn({ date: '2026-12-31' });
    expect(last.rate).toBe('8%');
    expect(last.rule).toContain('204/2025/QH15');
    expect(last.periodId).toBe('reduced-2025h2-2026');
    const after = vatRateOn({ date: '2027-01-01' });
    expect(after.rate).toBe('10%');
    expect(after.periodId).toBeNull();
    expect(after.rule).toContain('10%');
  });

  it('starts on 1 July 2025 and joins the earlier periods without a gap', () => {
    expect(vatRateOn({ date: '2025-07-01' }).periodId).toBe('reduced-2025h2-2026');
    expect(vatRateOn({ date: '2025-06-30' })).toMatchObject({ rate: '8%', periodId: 'reduced-2025h1' });
    expect(vatRateOn({ date: '2024-01-01' })).toMatchObject({ rate: '8%', periodId: 'reduced-2024h1' });
  });

  it('knows the months without a reduction', () => {
    expect(vatRateOn({ date: '2022-01-31' }).rate).toBe('10%');
    expect(vatRateOn({ date: '2022-02-01' }).rate).toBe('8%');
    expect(vatRateOn({ date: '2023-03-15' }).rate).toBe('10%');
    expect(vatRateOn({ date: '2023-07-01' }).rate).toBe('8%');
  });

  it('excluded sectors keep 10% inside a reduced period', () => {
    for (const sector of [
      'telecom',
      'banking',
      'finance',
      'securities',
      'insurance',
      'real_estate',
      'metals',
      'mining',
    ]) {
      const d = vatRateOn({ date: '2026-06-01', sector });
      expect(d.rate, sector).toBe('10%');
      expect(d.rule).toContain('Không thuộc diện giảm thuế');
    }
    const excise = vatRateOn({ date: '2026-06-01', sector: 'excise_goods' });
    expect(excise.rate).toBe('10%');
    expect(vatRateOn({ date: '2026-06-01', sector: 'petrol' }).rate).toBe('8%');
    expect(vatRateOn({ date: '2026-06-01', sector: 'other' }).rate).toBe('8%');
    expect(vatRateOn({ date: '2027-06-01', sector: 'telecom' }).rate).toBe('10%');
  });

  it('refuses unknown sectors and malformed dates', () => {
    expect(() => vatRateOn({ date: '2026-06-01', sector: 'telco' })).toThrow(/unknown VAT sector/);
    expect(() => vatRateOn({ date: '01/06/2026' })).toThrow(RangeError);
  });
});

describe('VAT rate data', () => {
  it('is versioned, sourced and labelled in both languages', () => {
    expect(VAT_RATE_DATA.version).toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(VAT_RATE_DATA.sources.some((s) => s.title.includes('204/2025/QH15'))).toBe(true);
    for (const s of VAT_RATE_DATA.sectors) {
      expect(s.vi.length).toBeGreaterThan(0);
      expect(s.en.length).toBeGreaterThan(0);
    }
    expect(VAT_SECTOR_CODES).toEqual(
      expect.arrayContaining(['telecom', 'real_estate', 'excise_goods', 'petrol']),
    );
  });

  it('rejects overlapping periods and unknown sectors in the data', () => {
    const [first] = VAT_RATE_DATA.reduced;
    if (!first) throw new Error('no periods');
    const overlapping = {
      ...VAT_RATE_DATA,
      reduced: [...VAT_RATE_DATA.reduced, { ...first, id: 'dup', from: first.to, to: first.to }],
    };
    expect(vatRateDataSchema.safeParse(overlapping).success).toBe(false);
    const unknown = { ...VAT_RATE_DATA, reduced: [{ ...first, excluded: ['nope'] }] };
    expect(vatRateDataSchema.safeParse(unknown).success).toBe(false);
  });

  it('a new period is a data change', () => {
    const extended = {
      ...VAT_RATE_DATA,
      reduced: [
        ...VAT_RATE_DATA.reduced,
        {
          id: 'reduced-2027',
          rate: '8%' as const,
          from: '2027-01-01',
          to: '2027-06-30',
          basis: 'Nghị quyết X',
          excluded: [],
        },
      ],
    };
    const data = vatRateDataSchema.parse(extended);
    expect(vatRateOn({ date: '2027-01-01' }, data)).toMatchObject({ rate: '8%', periodId: 'reduced-2027' });
  });
});
