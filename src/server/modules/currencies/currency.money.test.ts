import { describe, expect, it } from 'vitest';
import { convertMinor, normalizeRate, rateOn, totalInBase, totalInBaseDated } from './currency.money.js';

const rates = new Map([['USD', { currency: 'USD', rate: '25400', effective_date: '2026-01-01' }]]);

describe('money across currencies', () => {
  it('converts USD cents to VND with integer arithmetic', () => {
    expect(convertMinor(100n, 'USD', 'VND', '25400')).toBe(25400n);
    expect(convertMinor(1n, 'USD', 'VND', '25400')).toBe(254n);
    // 0.01 USD at 25,400.55 = 254.0055 VND → 254
    expect(convertMinor(1n, 'USD', 'VND', '25400.55')).toBe(254n);
    // half rounds away from zero: 0.05 USD at 10.1 = 0.505 → 1 VND
    expect(convertMinor(5n, 'USD', 'VND', '10.1')).toBe(1n);
    expect(convertMinor(12345n, 'VND', 'VND', '1')).toBe(12345n);
    // VND → USD cents: 25,400 VND at 0.00003937 USD/VND = 1.00 USD
    expect(convertMinor(25400n, 'VND', 'USD', '0.00003937')).toBe(100n);
  });

  it('stays exact beyond float precision', () => {
    // 9e15 cents would lose digits as a float product; BigInt keeps them.
    expect(convertMinor(900719925474099n, 'USD', 'VND', '25400.123')).toBe(228783968955929479n);
  });

  it('never adds currencies raw: converts each sum and keeps the breakdown', () => {
    const t = totalInBase(
      'VND',
      [
        { currency: 'VND', amount_minor: 1_000_000 },
        { currency: 'USD', amount_minor: 10_000 },
        { currency: 'VND', amount_minor: 500_000 },
      ],
      rates,
    );
    expect(t).toEqual({
      currency: 'VND',
      amount_minor: 1_500_000 + 2_540_000,
      breakdown: [
        { currency: 'VND', amount_minor: 1_500_000 },
        { currency: 'USD', amount_minor: 10_000 },
      ],
      rates: [{ currency: 'USD', rate: '25400', effective_date: '2026-01-01' }],
      missing_rates: [],
    });
  });

  it('reports a missing rate instead of a wrong total', () => {
    const t = totalInBase('VND', [{ currency: 'USD', amount_minor: 100 }], new Map());
    expect(t.amount_minor).toBeNull();
    expect(t.missing_rates).toEqual(['USD']);
  });

  it('normalizes numeric text', () => {
    expect(normalizeRate('25400.0000000000')).toBe('25400');
    expect(normalizeRate('0.0000393700')).toBe('0.00003937');
  });
});

describe('totals at the rate of each amount’s own date', () => {
  const history = new Map([
    [
      'USD',
      [
        { currency: 'USD', rate: '24000', effective_date: '2025-01-01' },
        { currency: 'USD', rate: '25400', effective_date: '2026-01-01' },
      ],
    ],
  ]);

  it('picks the latest rate effective on or before each date', () => {
    expect(rateOn(history, 'USD', '2025-06-30')?.rate).toBe('24000');
    expect(rateOn(history, 'USD', '2026-01-01')?.rate).toBe('25400');
    expect(rateOn(history, 'USD', '2024-12-31')).toBeUndefined();
  });

  it('converts each group at its date and sums in the base', () => {
    const t = totalInBaseDated(
      'VND',
      [
        { currency: 'USD', amount_minor: 100, on: '2025-03-01' },
        { currency: 'USD', amount_minor: 100, on: '2026-03-01' },
        { currency: 'VND', amount_minor: 7, on: '2026-03-01' },
      ],
      history,
    );
    expect(t.amount_minor).toBe(24000 + 25400 + 7);
    expect(t.breakdown).toEqual([
      { currency: 'VND', amount_minor: 7 },
      { currency: 'USD', amount_minor: 200 },
    ]);
    expect(t.rates.map((r) => r.rate)).toEqual(['24000', '25400']);
  });

  it('reports dates without a rate as missing', () => {
    const t = totalInBaseDated('VND', [{ currency: 'USD', amount_minor: 1, on: '2020-01-01' }], history);
    expect(t.amount_minor).toBeNull();
    expect(t.missing_rates).toEqual(['USD']);
  });
});
