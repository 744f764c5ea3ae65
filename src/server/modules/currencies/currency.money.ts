import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../db.js';

/**
 * Money across currencies. Amounts are integers in minor units (VND 0 decimals, USD 2); rates are
 * decimal strings ("25400.5" VND per USD). Conversion is exact integer arithmetic on BigInt (the rate is
 * scaled to an integer, never a float), rounded half away from zero once, at the end. Amounts of
 * different currencies are never added raw: a total is the sum of each currency converted to the base,
 * reported with the per-currency breakdown beside it.
 */

export const CURRENCY_EXPONENT: Record<string, number> = { VND: 0, USD: 2 };
export const exponentOf = (currency: string): number => CURRENCY_EXPONENT[currency] ?? 2;

export interface Amount {
  currency: string;
  amount_minor: number;
}

export interface AppliedRate {
  currency: string;
  rate: string;
  effective_date: string;
}

export interface MoneyTotal {
  /** The workspace's base currency. */
  currency: string;
  /** Sum of every amount converted to the base currency (minor units); null when a rate is missing. */
  amount_minor: number | null;
  /** The per-currency sums that make up the total. */
  breakdown: Amount[];
  /** The rates used (one per foreign currency). */
  rates: AppliedRate[];
  /** Currencies that had no rate valid on the date (their amounts could not be converted). */
  missing_rates: string[];
}

/** Rates valid on one date: currency → rate to the base. */
export type RateTable = ReadonlyMap<string, AppliedRate>;

function parseDecimal(rate: string): { units: bigint; scale: bigint } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate.trim());
  if (!m) throw new Error(`not a decimal rate: ${rate}`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return { units: BigInt(`${m[1]}${frac}`), scale: 10n ** BigInt(frac.length) };
}

/** Integer division rounding half away from zero. */
function divRound(n: bigint, d: bigint): bigint {
  const neg = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (ad * 2n);
  return neg ? -q : q;
}

/** Converts minor units of `from` to minor units of `base` at `rate` (base major units per from unit). */
export function convertMinor(amountMinor: bigint, from: string, base: string, rate: string): bigint {
  if (from === base) return amountMinor;
  const { units, scale } = parseDecimal(rate);
  const num = amountMinor * units * 10n ** BigInt(exponentOf(base));
  const den = scale * 10n ** BigInt(exponentOf(from));
  return divRound(num, den);
}

/** Adds amounts per currency, then converts each sum to the base (one rounding per currency). */
export function totalInBase(base: string, amounts: readonly Amount[], rates: RateTable): MoneyTotal {
  const sums = new Map<string, bigint>();
  for (const a of amounts) sums.set(a.currency, (sums.get(a.currency) ?? 0n) + BigInt(a.amount_minor));
  let total = 0n;
  const missing: string[] = [];
  const used: AppliedRate[] = [];
  for (const [currency, sum] of sums) {
    if (currency === base) {
      total += sum;
      continue;
    }
    const rate = rates.get(currency);
    if (!rate) {
      missing.push(currency);
      continue;
    }
    used.push(rate);
    total += convertMinor(sum, currency, base, rate.rate);
  }
  const breakdown = [...sums]
    .map(([currency, sum]) => ({ currency, amount_minor: Number(sum) }))
    .sort((a, b) =>
      a.currency === base ? -1 : b.currency === base ? 1 : a.currency.localeCompare(b.currency),
    );
  return {
    currency: base,
    amount_minor: missing.length > 0 ? null : Number(total),
    breakdown,
    rates: used.sort((a, b) => a.currency.localeCompare(b.currency)),
    missing_rates: missing.sort(),
  };
}

/** Today's date in the workspace's time zone, as YYYY-MM-DD (rates are valid from a calendar date). */
export function dateIn(timeZone: string, at: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** The latest rate of each currency into `base` whose effective date is on or before `on`. */
export async function loadRates(
  db: Kysely<DB> | Transaction<DB>,
  base: string,
  on: string,
): Promise<RateTable> {
  const rows = await db
    .selectFrom('crm_core.crm_exchange_rates')
    .select([
      'currency',
      sql<string>`rate::text`.as('rate'),
      sql<string>`to_char(effective_date, 'YYYY-MM-DD')`.as('effective_date'),
    ])
    .distinctOn('currency')
    .where('base_currency', '=', base)
    .where('effective_date', '<=', on)
    .where('deleted_at', 'is', null)
    .orderBy('currency')
    .orderBy('effective_date', 'desc')
    .execute();
  return new Map(
    rows.map((r) => [
      r.currency.trim(),
      { currency: r.currency.trim(), rate: normalizeRate(r.rate), effective_date: r.effective_date },
    ]),
  );
}

/** "25400.0000000000" → "25400"; "0.0000393700" → "0.00003937". */
export function normalizeRate(rate: string): string {
  return rate.includes('.') ? rate.replace(/0+$/, '').replace(/\.$/, '') : rate;
}

/** Every live rate into `base`, oldest first per currency (small: a few rows per currency per year). */
export type RateHistory = ReadonlyMap<string, readonly AppliedRate[]>;

export async function loadRateHistory(db: Kysely<DB> | Transaction<DB>, base: string): Promise<RateHistory> {
  const rows = await db
    .selectFrom('crm_core.crm_exchange_rates')
    .select([
      'currency',
      sql<string>`rate::text`.as('rate'),
      sql<string>`to_char(effective_date, 'YYYY-MM-DD')`.as('effective_date'),
    ])
    .where('base_currency', '=', base)
    .where('deleted_at', 'is', null)
    .orderBy('currency')
    .orderBy('effective_date')
    .execute();
  const out = new Map<string, AppliedRate[]>();
  for (const r of rows) {
    const currency = r.currency.trim();
    const list = out.get(currency) ?? [];
    list.push({ currency, rate: normalizeRate(r.rate), effective_date: r.effective_date });
    out.set(currency, list);
  }
  return out;
}

/** The rate of `currency` valid on `on` (the latest effective on or before it), if any. */
export function rateOn(history: RateHistory, currency: string, on: string): AppliedRate | undefined {
  const list = history.get(currency);
  if (!list) return undefined;
  let found: AppliedRate | undefined;
  for (const r of list) {
    if (r.effective_date > on) break;
    found = r;
  }
  return found;
}

/**
 * A total whose amounts each convert at the rate of their own date (won value: each deal at the rate of
 * the day it closed). Amounts are grouped by (currency, date) first, so one rounding per group.
 */
export function totalInBaseDated(
  base: string,
  amounts: ReadonlyArray<Amount & { on: string }>,
  history: RateHistory,
): MoneyTotal {
  const groups = new Map<string, { currency: string; on: string; sum: bigint }>();
  const sums = new Map<string, bigint>();
  for (const a of amounts) {
    const key = `${a.currency}|${a.on}`;
    const g = groups.get(key) ?? { currency: a.currency, on: a.on, sum: 0n };
    g.sum += BigInt(a.amount_minor);
    groups.set(key, g);
    sums.set(a.currency, (sums.get(a.currency) ?? 0n) + BigInt(a.amount_minor));
  }
  let total = 0n;
  const missing = new Set<string>();
  const used = new Map<string, AppliedRate>();
  for (const g of groups.values()) {
    if (g.currency === base) {
      total += g.sum;
      continue;
    }
    const rate = rateOn(history, g.currency, g.on);
    if (!rate) {
      missing.add(g.currency);
      continue;
    }
    used.set(`${rate.currency}|${rate.effective_date}`, rate);
    total += convertMinor(g.sum, g.currency, base, rate.rate);
  }
  const breakdown = [...sums]
    .map(([currency, sum]) => ({ currency, amount_minor: Number(sum) }))
    .sort((a, b) =>
      a.currency === base ? -1 : b.currency === base ? 1 : a.currency.localeCompare(b.currency),
    );
  return {
    currency: base,
    amount_minor: missing.size > 0 ? null : Number(total),
    breakdown,
    rates: [...used.values()].sort(
      (a, b) => a.currency.localeCompare(b.currency) || a.effective_date.localeCompare(b.effective_date),
    ),
    missing_rates: [...missing].sort(),
  };
}
