import { INVOICE_CURRENCIES, type InvoiceCurrency } from './hoadon.model.js';

/**
 * The amount in words of an invoice (TgTTTBChu), in one consistent form. Real invoices vary (nghìn/ngàn,
 * tư/bốn, lẻ/linh, an optional "chẵn"), so this module fixes one form and documents it:
 *
 * - "nghìn" (not "ngàn"), "linh" for a zero tens digit inside a number (105 → "một trăm linh năm");
 * - "mười" for 10–19, "mươi" from 20; "mốt" for 1 after "mươi" (21 → "hai mươi mốt", but 11 → "mười một");
 *   "lăm" for 5 after "mười"/"mươi" (15 → "mười lăm", 25 → "hai mươi lăm", but 105 → "một trăm linh năm");
 * - "bốn" everywhere (never "tư"): 24 → "hai mươi bốn", 14 → "mười bốn";
 * - a group after a higher group is read in full: 1 005 000 → "một triệu không trăm linh năm nghìn";
 *   an all-zero group is skipped: 1 000 005 → "một triệu không trăm linh năm";
 * - scales: nghìn (10³), triệu (10⁶), tỷ (10⁹), and above that the Vietnamese compounds: nghìn tỷ (10¹²),
 *   triệu tỷ (10¹⁵), tỷ tỷ (10¹⁸) — enough for the format's 21 digits;
 * - the first letter is a capital, no final period, no "chẵn"; a negative amount (a decrease
 *   adjustment) starts with "Âm".
 * VND ends with "đồng"; USD reads dollars as "đô la Mỹ" and cents as "xu" ("… đô la Mỹ và năm mươi xu").
 */

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'] as const;
const digit = (d: number): string => DIGITS[d] ?? 'không';

const THOUSAND = 1000n;
const MILLION = 1_000_000n;
const BILLION = 1_000_000_000n;
/** The format's numbers have at most 21 digits. */
const LIMIT = 10n ** 21n;

/** Reads 0..999; `full` reads a zero hundreds digit ("không trăm") and "linh", as inside a number. */
function readTriple(n: number, full: boolean): string[] {
  const h = Math.floor(n / 100);
  const t = Math.floor(n / 10) % 10;
  const u = n % 10;
  const out: string[] = [];
  const withHundreds = full || h > 0;
  if (withHundreds) out.push(digit(h), 'trăm');
  if (t === 0) {
    if (u > 0) {
      if (withHundreds) out.push('linh');
      out.push(digit(u));
    }
  } else if (t === 1) {
    out.push('mười');
    if (u === 5) out.push('lăm');
    else if (u > 0) out.push(digit(u));
  } else {
    out.push(digit(t), 'mươi');
    if (u === 1) out.push('mốt');
    else if (u === 5) out.push('lăm');
    else if (u > 0) out.push(digit(u));
  }
  return out;
}

/** Reads 1..999 999 999 as triệu/nghìn/units groups. */
function readBelowBillion(n: bigint, full: boolean): string[] {
  const groups: Array<[bigint, string | null]> = [
    [n / MILLION, 'triệu'],
    [(n / THOUSAND) % THOUSAND, 'nghìn'],
    [n % THOUSAND, null],
  ];
  const out: string[] = [];
  let started = full;
  for (const [value, scale] of groups) {
    if (value === 0n) continue;
    out.push(...readTriple(Number(value), started));
    if (scale) out.push(scale);
    started = true;
  }
  return out;
}

/** Reads a positive integer; above a billion the part over "tỷ" is read the same way (nghìn tỷ, tỷ tỷ…). */
function readPositive(n: bigint, full: boolean): string[] {
  if (n < BILLION) return readBelowBillion(n, full);
  const high = n / BILLION;
  const low = n % BILLION;
  const out = [...readPositive(high, full), 'tỷ'];
  if (low > 0n) out.push(...readBelowBillion(low, true));
  return out;
}

/** A non-negative integer in words, lower case ("không" for 0). */
export function integerInWords(n: bigint): string {
  if (n < 0n) throw new RangeError('integerInWords takes a non-negative integer');
  if (n >= LIMIT) throw new RangeError('amounts have at most 21 digits');
  return n === 0n ? 'không' : readPositive(n, false).join(' ');
}

const capitalize = (s: string): string => s.charAt(0).toLocaleUpperCase('vi') + s.slice(1);

/**
 * The amount in words with the currency's unit, capitalized and NFC.
 * `amount`: a bigint is in minor units of the currency (cents for USD; for VND minor = đồng);
 * a string is a decimal in major units ("1250000", "12.5", "-300000") with no more decimals than the
 * currency has. Throws a RangeError for an unknown currency, too many decimals or more than 21 digits.
 */
export function amountInWords(amount: bigint | string, currency: InvoiceCurrency | string = 'VND'): string {
  if (!Object.hasOwn(INVOICE_CURRENCIES, currency)) {
    throw new RangeError(`no words for currency ${currency}`);
  }
  const { minorDigits, unit, subunit } = INVOICE_CURRENCIES[currency as InvoiceCurrency];
  const minor = typeof amount === 'bigint' ? amount : toMinor(amount, minorDigits);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const factor = 10n ** BigInt(minorDigits);
  const major = abs / factor;
  const cents = abs % factor;
  if (major >= LIMIT) throw new RangeError('amounts have at most 21 digits');

  let words: string;
  if (cents === 0n || subunit === null) words = `${integerInWords(major)} ${unit}`;
  else if (major === 0n) words = `${integerInWords(cents)} ${subunit}`;
  else words = `${integerInWords(major)} ${unit} và ${integerInWords(cents)} ${subunit}`;
  return capitalize(negative ? `âm ${words}` : words).normalize('NFC');
}

function toMinor(value: string, minorDigits: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${value}`);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > minorDigits) throw new RangeError(`${value} has more decimals than the currency allows`);
  const units = BigInt(`${m[2]}${frac.padEnd(minorDigits, '0')}`);
  return m[1] ? -units : units;
}

const VARIANTS: Readonly<Record<string, string>> = {
  ngàn: 'nghìn',
  lẻ: 'linh',
  tư: 'bốn',
  nhăm: 'lăm',
  chẵn: '',
};

/** Folds the usual variants (ngàn, lẻ, tư, nhăm, chẵn), case, spacing and punctuation, to compare words. */
export function normalizeWords(words: string): string {
  return words
    .normalize('NFC')
    .toLocaleLowerCase('vi')
    .replace(/[.,;!]/g, ' ')
    .split(/\s+/)
    .map((w) => VARIANTS[w] ?? w)
    .filter((w) => w.length > 0)
    .join(' ');
}
