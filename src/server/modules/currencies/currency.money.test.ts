import { describe, expect, it } from 'vitest';
import { convertMinor, normalizeRate, totalInBase } from './currency.money.js';

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
