import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, parseMoneyInput } from './intl-format.js';

/** The money the issue spells out: `1.250.000.000 ₫` in Vietnamese, `₫1,250,000,000` in English. */
describe('money in the web app', () => {
  // Intl separates the amount and the symbol with a no-break space; compare as people read it.
  const plain = (s: string) => s.replace(/\u00a0|\u202f/g, ' ');

  it('formats VND per language, from integer minor units', () => {
    expect(plain(formatMoney(1_250_000_000, 'VND', 'vi-VN'))).toBe('1.250.000.000 ₫');
    expect(formatMoney(1_250_000_000, 'VND', 'en-US')).toBe('₫1,250,000,000');
    expect(formatMoney(null, 'VND', 'vi-VN')).toBe('—');
  });

  it('uses the currency exponent: USD amounts are cents', () => {
    expect(currencyDigits('VND')).toBe(0);
    expect(currencyDigits('USD')).toBe(2);
    expect(formatMoney(123_456, 'USD', 'en-US')).toBe('$1,234.56');
  });

  it('reads typed amounts back into minor units, or refuses them', () => {
    expect(parseMoneyInput('1.250.000', 'VND', 'vi-VN')).toBe(1_250_000);
    expect(parseMoneyInput('1,250,000', 'VND', 'en-US')).toBe(1_250_000);
    expect(parseMoneyInput('250.000.000 ₫', 'VND', 'vi-VN')).toBe(250_000_000);
    expect(parseMoneyInput('12.50', 'USD', 'en-US')).toBe(1250);
    expect(parseMoneyInput('1,234.56', 'USD', 'en-US')).toBe(123_456);
    expect(parseMoneyInput('abc', 'VND', 'vi-VN')).toBeNull();
    expect(parseMoneyInput('', 'VND', 'vi-VN')).toBeNull();
  });
});
