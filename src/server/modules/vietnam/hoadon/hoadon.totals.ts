import { AppError } from '../../../platform/errors.js';
import { digitsOf, formatMinor, multiply, parseDecimal, rescale } from './hoadon.decimal.js';
import {
  type InvoiceDocument,
  MAX_DIGITS,
  minorDigitsOf,
  VAT_PERCENT,
  type VatRate,
} from './hoadon.model.js';
import { amountInWords } from './hoadon.words.js';

/**
 * The money of an invoice, exact (BigInt minor units, no float anywhere), as the XML carries it:
 *
 * - line amount (ThTien) = quantity × unit price, rounded once to the currency's minor unit (VND 0
 *   decimals, USD 2), half away from zero;
 * - goods lines (kind 1) add to their rate group, discount lines (kind 3) subtract from theirs,
 *   promotional lines (kind 2, goods given free) carry amount 0, note lines (kind 4) carry none;
 * - VAT is computed once per rate group (LTSuat: TSuat, ThTien, TThue) on the group's net amount and
 *   rounded once, as the tax authority totals it; 0%, KCT and KKKNT carry no VAT;
 * - TgTCThue = Σ group amounts, TgTThue = Σ group VAT, TgTTTBSo = TgTCThue + TgTThue.
 * A sales invoice (form 2) has no rates: its total is the sum of its lines, with no VAT.
 */

export interface LineTotal {
  /** STT: 1-based position on the invoice. */
  position: number;
  /** ThTien as formatted in the XML; null for a note line. */
  amount: string | null;
}

export interface RateGroupTotal {
  rate: VatRate;
  /** ThTien: the group's net amount before VAT (goods − discounts). */
  amount: string;
  /** TThue: VAT on the group, rounded once. */
  vat: string;
}

export interface InvoiceTotals {
  currency: InvoiceDocument['currency'];
  lines: LineTotal[];
  /** LTSuat in the fixed order 10%, 8%, 5%, 0%, KCT, KKKNT; only rates the invoice uses. Empty on form 2. */
  groups: RateGroupTotal[];
  /** TgTCThue */
  totalBeforeVat: string;
  /** TgTThue */
  vatTotal: string;
  /** TgTTTBSo */
  grandTotal: string;
  /** TgTTTBChu */
  grandTotalInWords: string;
  /** Σ discount lines (kind 3), shown on the printed invoice. */
  discountTotal: string;
}

/** The order of the rate groups on the invoice and in the XML. */
export const GROUP_ORDER: readonly VatRate[] = ['10%', '8%', '5%', '0%', 'KCT', 'KKKNT'];

/**
 * Computes every amount of an invoice from its lines. Throws AppError `invoice_invalid` when an amount
 * would exceed the 21 digits the format allows.
 */
export function computeTotals(doc: InvoiceDocument): InvoiceTotals {
  const digits = minorDigitsOf(doc.currency);
  const check = (minor: bigint, what: string): string => {
    const text = formatMinor(minor, digits);
    if (digitsOf(text) > MAX_DIGITS) {
      throw new AppError('invoice_invalid', `${what} exceeds the 21 digits an e-invoice amount may have`);
    }
    return text;
  };

  const groups = new Map<VatRate, bigint>();
  let linesNet = 0n;
  let discount = 0n;
  const lines: LineTotal[] = doc.lines.map((line, i) => {
    const position = i + 1;
    if (line.kind === 4) return { position, amount: null };
    const amount =
      line.kind === 2
        ? 0n
        : rescale(multiply(parseDecimal(line.quantity), parseDecimal(line.unitPrice)), digits);
    const text = check(amount, `the amount of line ${position}`);
    const signed = line.kind === 3 ? -amount : amount;
    if (line.kind === 3) discount += amount;
    linesNet += signed;
    if (line.vatRate !== undefined) groups.set(line.vatRate, (groups.get(line.vatRate) ?? 0n) + signed);
    return { position, amount: text };
  });

  const groupTotals: RateGroupTotal[] = [];
  let beforeVat = 0n;
  let vat = 0n;
  if (doc.form === '1') {
    for (const rate of GROUP_ORDER) {
      const amount = groups.get(rate);
      if (amount === undefined) continue;
      const groupVat = rescale({ units: amount * VAT_PERCENT[rate], scale: 2 }, 0);
      beforeVat += amount;
      vat += groupVat;
      groupTotals.push({
        rate,
        amount: check(amount, `the ${rate} total`),
        vat: check(groupVat, `the ${rate} VAT`),
      });
    }
  } else {
    beforeVat = linesNet;
  }
  const grand = beforeVat + vat;
  const grandTotal = check(grand, 'the grand total');
  return {
    currency: doc.currency,
    lines,
    groups: groupTotals,
    totalBeforeVat: check(beforeVat, 'the total before VAT'),
    vatTotal: check(vat, 'the VAT total'),
    grandTotal,
    grandTotalInWords: amountInWords(grand, doc.currency),
    discountTotal: check(discount, 'the discount total'),
  };
}
