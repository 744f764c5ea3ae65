import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors.js';
import { divRoundHalfUp, formatMinor, parseDecimal, rescale } from './hoadon.decimal.js';
import { sampleInvoice } from './hoadon.fixtures.js';
import { type InvoiceDocumentInput, parseInvoiceDocument } from './hoadon.model.js';
import { computeTotals } from './hoadon.totals.js';

const totalsOf = (overrides: Partial<InvoiceDocumentInput>) =>
  computeTotals(parseInvoiceDocument(sampleInvoice(overrides)));

describe('exact decimals', () => {
  it('parses, rescales half away from zero and formats without floats', () => {
    expect(parseDecimal('-12.50')).toEqual({ units: -1250n, scale: 2 });
    expect(rescale(parseDecimal('1.005'), 2)).toBe(101n); // a float says 1.00499999…
    expect(rescale(parseDecimal('-0.5'), 0)).toBe(-1n);
    expect(rescale(parseDecimal('0.49'), 0)).toBe(0n);
    expect(rescale(parseDecimal('7'), 2)).toBe(700n);
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(() => divRoundHalfUp(1n, 0n)).toThrow(RangeError);
    expect(formatMinor(1250n, 2)).toBe('12.5');
    expect(formatMinor(5n, 2)).toBe('0.05');
    expect(formatMinor(-300n, 0)).toBe('-300');
    expect(formatMinor(0n, 2)).toBe('0');
  });

  it('rounding matches the definition on random values', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.integer({ min: 1, max: 6 }),
        (units, scale) => {
          const r = rescale({ units, scale }, 0);
          const twice = units * 2n;
          const d = 10n ** BigInt(scale);
          // |units/d − r| ≤ 1/2, and exactly 1/2 rounds away from zero.
          const diff = twice - r * 2n * d;
          expect(diff <= d && diff >= -d).toBe(true);
          if (diff === d) expect(units < 0n).toBe(true);
          if (diff === -d) expect(units > 0n).toBe(true);
        },
      ),
    );
  });
});

describe('invoice totals', () => {
  it('mixed rates, KCT, a promotion, a discount and a note (the sample invoice)', () => {
    const t = totalsOf({});
    expect(t.lines.map((l) => l.amount)).toEqual([
      '3000000',
      '4375000',
      '360000',
      '2000000',
      '0',
      '150000',
      null,
    ]);
    expect(t.groups).toEqual([
      { rate: '10%', amount: '4375000', vat: '437500' },
      { rate: '8%', amount: '2850000', vat: '228000' },
      { rate: '5%', amount: '360000', vat: '18000' },
      { rate: 'KCT', amount: '2000000', vat: '0' },
    ]);
    expect(t.totalBeforeVat).toBe('9585000');
    expect(t.vatTotal).toBe('683500');
    expect(t.grandTotal).toBe('10268500');
    expect(t.discountTotal).toBe('150000');
    expect(t.grandTotalInWords).toBe('Mười triệu hai trăm sáu mươi tám nghìn năm trăm đồng');
  });

  it('rounds VAT once per rate group, not per line', () => {
    const line = {
      kind: 1 as const,
      name: 'Dịch vụ',
      quantity: '1',
      unitPrice: '1005',
      vatRate: '10%' as const,
    };
    const t = totalsOf({ lines: [line, line, line] });
    // per line 100.5 → 101 each would make 303; the group's 3015 × 10% = 301.5 → 302
    expect(t.groups).toEqual([{ rate: '10%', amount: '3015', vat: '302' }]);
    expect(t.grandTotal).toBe('3317');
  });

  it('rounds line amounts half-up to the đồng', () => {
    const t = totalsOf({
      lines: [
        { kind: 1, name: 'A', quantity: '0.5', unitPrice: '1', vatRate: '0%' },
        { kind: 1, name: 'B', quantity: '1.5', unitPrice: '3', vatRate: '0%' },
        { kind: 1, name: 'C', quantity: '0.333333', unitPrice: '1', vatRate: '0%' },
      ],
    });
    expect(t.lines.map((l) => l.amount)).toEqual(['1', '5', '0']);
    expect(t.groups).toEqual([{ rate: '0%', amount: '6', vat: '0' }]);
  });

  it('carries no VAT on 0%, KCT and KKKNT', () => {
    const t = totalsOf({
      lines: [
        { kind: 1, name: 'Xuất khẩu', quantity: '1', unitPrice: '1000000', vatRate: '0%' },
        { kind: 1, name: 'Không chịu thuế', quantity: '1', unitPrice: '2000000', vatRate: 'KCT' },
        { kind: 1, name: 'Không kê khai', quantity: '1', unitPrice: '3000000', vatRate: 'KKKNT' },
      ],
    });
    expect(t.groups.map((g) => g.vat)).toEqual(['0', '0', '0']);
    expect(t.vatTotal).toBe('0');
    expect(t.grandTotal).toBe('6000000');
  });

  it('computes USD to the cent, exactly', () => {
    const t = totalsOf({
      currency: 'USD',
      exchangeRate: '25400.5',
      lines: [
        { kind: 1, name: 'License', quantity: '3', unitPrice: '19.99', vatRate: '8%' },
        { kind: 1, name: 'Support', quantity: '2.5', unitPrice: '10.333', vatRate: '8%' },
        { kind: 1, name: 'Fee', quantity: '1', unitPrice: '1.005', vatRate: '10%' },
      ],
    });
    expect(t.lines.map((l) => l.amount)).toEqual(['59.97', '25.83', '1.01']);
    expect(t.groups).toEqual([
      { rate: '10%', amount: '1.01', vat: '0.1' },
      { rate: '8%', amount: '85.8', vat: '6.86' },
    ]);
    expect(t.totalBeforeVat).toBe('86.81');
    expect(t.vatTotal).toBe('6.96');
    expect(t.grandTotal).toBe('93.77');
    expect(t.grandTotalInWords).toBe('Chín mươi ba đô la Mỹ và bảy mươi bảy xu');
  });

  it('a sales invoice (form 2) has no rate groups and no VAT', () => {
    const t = totalsOf({
      form: '2',
      lines: [
        { kind: 1, name: 'Hàng hóa', quantity: '2', unitPrice: '500000' },
        { kind: 3, name: 'Giảm giá', quantity: '1', unitPrice: '100000' },
      ],
    });
    expect(t.groups).toEqual([]);
    expect(t.vatTotal).toBe('0');
    expect(t.totalBeforeVat).toBe('900000');
    expect(t.grandTotal).toBe('900000');
  });

  it('a decrease adjustment totals negative and reads "Âm"', () => {
    const t = totalsOf({
      related: { relation: 'adjustment', form: '1', symbol: 'C26TAA', number: 41, issueDate: '2026-11-01' },
      lines: [
        { kind: 1, name: 'Điều chỉnh giảm số lượng', quantity: '-2', unitPrice: '100000', vatRate: '10%' },
      ],
    });
    expect(t.groups).toEqual([{ rate: '10%', amount: '-200000', vat: '-20000' }]);
    expect(t.grandTotal).toBe('-220000');
    expect(t.grandTotalInWords).toBe('Âm hai trăm hai mươi nghìn đồng');
  });

  it('refuses amounts beyond 21 digits', () => {
    const doc = parseInvoiceDocument(
      sampleInvoice({
        lines: [{ kind: 1, name: 'X', quantity: '999999999999999', unitPrice: '999999999', vatRate: '10%' }],
      }),
    );
    expect(() => computeTotals(doc)).toThrow(AppError);
    try {
      computeTotals(doc);
    } catch (e) {
      expect((e as AppError).code).toBe('invoice_invalid');
    }
  });

  it('totals add up for any lines (property)', () => {
    const rate = fc.constantFrom('0%', '5%', '8%', '10%', 'KCT', 'KKKNT' as const);
    const decimal = fc
      .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 999 }))
      .map(([i, f]) => `${i}.${String(f).padStart(3, '0')}`);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ kind: fc.constantFrom(1, 3), quantity: decimal, unitPrice: decimal, vatRate: rate }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (lines) => {
          const t = totalsOf({ lines: lines.map((l) => ({ ...l, kind: l.kind as 1 | 3, name: 'X' })) });
          const sum = (xs: string[]) => xs.reduce((a, x) => a + BigInt(x), 0n);
          expect(sum(t.groups.map((g) => g.amount)).toString()).toBe(t.totalBeforeVat);
          expect(sum(t.groups.map((g) => g.vat)).toString()).toBe(t.vatTotal);
          expect((BigInt(t.totalBeforeVat) + BigInt(t.vatTotal)).toString()).toBe(t.grandTotal);
          const signed = t.lines.map((l, i) =>
            lines[i]?.kind === 3 ? -BigInt(l.amount ?? '0') : BigInt(l.amount ?? '0'),
          );
          expect(signed.reduce((a, x) => a + x, 0n).toString()).toBe(t.totalBeforeVat);
        },
      ),
      { numRuns: 200 },
    );
  });
});
