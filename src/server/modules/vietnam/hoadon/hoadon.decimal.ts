/**
 * Exact decimals for invoice money: a value is a BigInt scaled by a power of ten, never a float.
 * Rounding is half away from zero ("half-up" on magnitudes), the rule tax authorities and every
 * invoicing product in Vietnam apply to amounts, including the negative amounts of a decrease.
 */

export interface Scaled {
  /** The digits as an integer: 12.345 is { units: 12345n, scale: 3 }. */
  units: bigint;
  scale: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Reads a decimal string ("-12.5", "1250000") exactly. */
export function parseDecimal(value: string): Scaled {
  const m = DECIMAL.exec(value);
  if (!m) throw new TypeError(`not a decimal: ${value}`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2]}${frac}`);
  return { units: m[1] ? -units : units, scale: frac.length };
}

/** n / d rounded half away from zero (d > 0). */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const negative = n < 0n;
  const a = negative ? -n : n;
  const q = (a * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

/** Re-scales a value to `digits` decimals, rounding half away from zero when digits are dropped. */
export function rescale(value: Scaled, digits: number): bigint {
  if (value.scale <= digits) return value.units * 10n ** BigInt(digits - value.scale);
  return divRoundHalfUp(value.units, 10n ** BigInt(value.scale - digits));
}

/** Multiplies exactly (the scales add). */
export const multiply = (a: Scaled, b: Scaled): Scaled => ({
  units: a.units * b.units,
  scale: a.scale + b.scale,
});

/**
 * Formats an amount held in minor units as the invoice format writes numbers: "." before the
 * decimals, trailing fraction zeros trimmed, no exponent, no separators ("12.5", "1250000", "-3").
 */
export function formatMinor(minor: bigint, digits: number): string {
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const int = abs.slice(0, abs.length - digits);
  const frac = abs.slice(abs.length - digits).replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return negative ? `-${body}` : body;
}

/** Digits a formatted number carries (the e-invoice format allows 21). */
export const digitsOf = (formatted: string): number => formatted.replace(/[-.]/g, '').length;
