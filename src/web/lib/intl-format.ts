/**
 * Locale-aware formatting. Amounts travel as integers in minor units (never floats on the wire); the
 * currency's own exponent (VND 0, USD 2) comes from Intl. Vietnamese shows `1.250.000.000 ₫`, English
 * `₫1,250,000,000`.
 */

const cache = new Map<string, Intl.NumberFormat>();
function currencyFormat(locale: string, currency: string, compact: boolean): Intl.NumberFormat {
  const key = `${locale}|${currency}|${compact}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
    });
    cache.set(key, f);
  }
  return f;
}

const digitsCache = new Map<string, number>();
/** The currency's minor-unit exponent (VND 0, USD 2); cached: a board formats hundreds of amounts. */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      0;
    digitsCache.set(currency, d);
  }
  return d;
}

export function formatMoney(
  amountMinor: number | null | undefined,
  currency: string,
  locale: string,
  options: { compact?: boolean } = {},
): string {
  if (amountMinor === null || amountMinor === undefined) return '—';
  const value = amountMinor / 10 ** currencyDigits(currency);
  return currencyFormat(locale, currency, options.compact === true).format(value);
}

/** Major units typed by a person (e.g. "1.250.000" or "12.5") → minor units, or null if not a number. */
export function parseMoneyInput(text: string, currency: string, locale: string): number | null {
  const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  const group = parts.find((p) => p.type === 'group')?.value ?? ',';
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  const digits = currencyDigits(currency);
  let clean = text
    .replace(/[\s₫$]/g, '')
    .split(group)
    .join('');
  // VND has no minor unit, so a dot or comma can only be a thousands separator.
  if (digits === 0) clean = clean.replace(/[.,]/g, '');
  else clean = clean.replace(decimal, '.');
  if (!/^\d+(\.\d+)?$/.test(clean)) return null;
  return Math.round(Number(clean) * 10 ** digits);
}

export function formatNumber(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

export function formatDate(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(d);
}

export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatRelative(iso: string, locale: string, now = Date.now()): string {
  const diff = (new Date(iso).getTime() - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(diff);
  if (abs < 60) return rtf.format(Math.round(diff), 'second');
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(diff / 3600), 'hour');
  if (abs < 30 * 86_400) return rtf.format(Math.round(diff / 86_400), 'day');
  return rtf.format(Math.round(diff / (30 * 86_400)), 'month');
}
