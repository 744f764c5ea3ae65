import { z } from 'zod';

/**
 * The e-invoice (hóa đơn điện tử, Decree 123/2020/NĐ-CP, Circular 78/2021/TT-BTC) as the rest of the
 * CRM sees it: one plain document that the XML builder, the totals and the HTML view all read. The XML
 * element each field becomes is named beside it. Parsing normalizes: text is trimmed and NFC, decimals
 * are canonical ("2.50" → "2.5"), so a document read back from its XML equals the parsed input.
 */

/** Invoice forms (KHMSHDon) the CRM issues: 1 = VAT invoice, 2 = sales invoice. */
export const INVOICE_FORMS = ['1', '2'] as const;
export type InvoiceForm = (typeof INVOICE_FORMS)[number];

/** THDon, the invoice name printed and sent for each form. */
export const FORM_NAMES: Readonly<Record<InvoiceForm, string>> = {
  '1': 'Hóa đơn giá trị gia tăng',
  '2': 'Hóa đơn bán hàng',
};

/** TSuat values as real files carry them; KCT = not subject to VAT, KKKNT = not declared/paid. */
export const VAT_RATES = ['0%', '5%', '8%', '10%', 'KCT', 'KKKNT'] as const;
export type VatRate = (typeof VAT_RATES)[number];

/** Percent of each rate; the rates without VAT count as zero. */
export const VAT_PERCENT: Readonly<Record<VatRate, bigint>> = {
  '0%': 0n,
  '5%': 5n,
  '8%': 8n,
  '10%': 10n,
  KCT: 0n,
  KKKNT: 0n,
};

/** TChat: 1 goods/service, 2 promotion (given free), 3 trade discount, 4 note (text only). */
export const LINE_KINDS = [1, 2, 3, 4] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/**
 * Currencies an invoice can be issued in, with their minor digits (ISO 4217) and the words used for the
 * amount in words. The CRM's deals are VND or USD; adding a currency is a row here.
 */
export const INVOICE_CURRENCIES = {
  VND: { minorDigits: 0, unit: 'đồng', subunit: null },
  USD: { minorDigits: 2, unit: 'đô la Mỹ', subunit: 'xu' },
} as const satisfies Record<string, { minorDigits: number; unit: string; subunit: string | null }>;
export type InvoiceCurrency = keyof typeof INVOICE_CURRENCIES;
export const INVOICE_CURRENCY_CODES = Object.keys(INVOICE_CURRENCIES) as InvoiceCurrency[];

export const minorDigitsOf = (currency: InvoiceCurrency): number => INVOICE_CURRENCIES[currency].minorDigits;

/** Legal types of a customer account (accounts module) and the invoice form each gets by default. */
export const LEGAL_TYPES = ['sole_proprietor', 'individual', 'llc', 'jsc', 'fdi', 'other'] as const;
export type LegalType = (typeof LEGAL_TYPES)[number];

export interface InvoiceTemplate {
  form: InvoiceForm;
  /** The seed's legacy template code (pre-2022 "mẫu số"), kept for display and imports. */
  legacyTemplate: '01GTKT' | '06GTKT';
  name: string;
}

/**
 * The seed mapping, by the BUYER's legal type: households and individuals get sales invoices (form 2),
 * companies VAT invoices (form 1). It stands in for the seller's VAT method when the workspace has not
 * declared one (`invoiceTemplateFor`).
 */
export function templateForLegalType(legalType: LegalType): InvoiceTemplate {
  switch (legalType) {
    case 'sole_proprietor':
    case 'individual':
      return { form: '2', legacyTemplate: '06GTKT', name: FORM_NAMES['2'] };
    case 'llc':
    case 'jsc':
    case 'fdi':
    case 'other':
      return { form: '1', legacyTemplate: '01GTKT', name: FORM_NAMES['1'] };
  }
}

/**
 * How a seller declares VAT: by deduction (phương pháp khấu trừ: output VAT minus input VAT) or by the
 * direct method (phương pháp trực tiếp: a percentage of revenue).
 */
export const VAT_METHODS = ['deduction', 'direct'] as const;
export type VatMethod = (typeof VAT_METHODS)[number];

const TEMPLATE_BY_METHOD: Readonly<Record<VatMethod, InvoiceTemplate>> = {
  deduction: { form: '1', legacyTemplate: '01GTKT', name: FORM_NAMES['1'] },
  direct: { form: '2', legacyTemplate: '06GTKT', name: FORM_NAMES['2'] },
};

/**
 * The invoice form for one sale (ADR 0023). Decree 123/2020 art. 8 ties the form to the SELLER: a
 * seller declaring VAT by deduction issues VAT invoices (form 1) to every buyer, individuals included;
 * a seller on the direct method issues sales invoices (form 2). So a declared method decides alone and
 * the buyer's legal type is not read. Undeclared (null) keeps the seed mapping by the buyer's legal type
 * (`templateForLegalType`), which is what every workspace issued before the method could be declared.
 */
export function invoiceTemplateFor(
  sellerVatMethod: VatMethod | null,
  buyerLegalType: LegalType,
): InvoiceTemplate {
  return sellerVatMethod ? { ...TEMPLATE_BY_METHOD[sellerVatMethod] } : templateForLegalType(buyerLegalType);
}

/**
 * The template of an issued invoice's form: what its adjustment or replacement is issued in. A correction
 * belongs to the invoice it corrects, whatever the seller's method or the buyer's type are today.
 */
export function templateOfForm(form: InvoiceForm): InvoiceTemplate {
  return { ...(form === '2' ? TEMPLATE_BY_METHOD.direct : TEMPLATE_BY_METHOD.deduction) };
}

// ---------------------------------------------------------------------------------------------------
// Field types

/**
 * Characters XML 1.0 can carry, without controls: every field here is one line of text. C1 controls
 * and the Unicode line/paragraph separators are refused too: XML parsers (xmldom among them) turn
 * U+0085, U+2028 and U+2029 into a line feed, which would change signed text between signer and verifier.
 */
const XML_SAFE_LINE = /^[\u0020-\u007E\u00A0-\u2027\u202A-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** Trimmed, NFC, one line, XML-safe, non-empty text of at most `max` characters. */
export const invoiceText = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `must be at most ${max} characters`)
        .regex(XML_SAFE_LINE, 'must be one line without control characters'),
    );

/** MST as invoices print it: 10 digits, 10-3 for a branch, or a 12-digit personal number (CCCD). */
export const MST_PATTERN = /^(\d{10}(-\d{3})?|\d{12})$/;
export const mstField = z
  .string()
  .trim()
  .transform((v) => v.replace(/[\s.]/g, ''))
  .transform((v) => (/^\d{13}$/.test(v) ? `${v.slice(0, 10)}-${v.slice(10)}` : v))
  .pipe(
    z.string().regex(MST_PATTERN, 'must be a 10-digit MST, 10-3 for a branch, or a 12-digit personal number'),
  );

/** KHHDon: C/K (with/without tax-authority code), 2-digit year, issuer kind, 2 letters of the seller's choice. */
export const SYMBOL_PATTERN = /^[CK]\d{2}[TDLMNBGH][A-Z]{2}$/;
export const symbolField = z
  .string()
  .trim()
  .toUpperCase()
  .regex(
    SYMBOL_PATTERN,
    'must be 6 characters like C26TAA: C or K, the 2-digit year, T/D/L/M/N/B/G/H, 2 letters',
  );

export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date as YYYY-MM-DD (2026-02-30 is refused). */
export const isoDateField = z
  .string()
  .regex(ISO_DATE_PATTERN, 'must be a date YYYY-MM-DD')
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, 'must be a real calendar date');

/** Decimals of the e-invoice format: at most 21 digits in all, at most 6 after the point. */
export const MAX_DIGITS = 21;
export const MAX_FRACTION_DIGITS = 6;
const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/** The canonical text of a decimal: no leading zeros, no trailing fraction zeros, no "-0". */
export function canonicalDecimal(value: string): string {
  const m = DECIMAL_PATTERN.exec(value);
  if (!m) throw new TypeError(`not a decimal: ${value}`);
  const int = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return m[1] && /[1-9]/.test(body) ? `-${body}` : body;
}

const decimalField = (opts: { signed: boolean; positive?: boolean }) =>
  z
    .string()
    .trim()
    .regex(
      opts.signed ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/,
      'must be a decimal number with "." as the separator (no exponent, no thousands separators)',
    )
    .transform(canonicalDecimal)
    .refine((v) => (v.split('.')[1] ?? '').length <= MAX_FRACTION_DIGITS, 'must have at most 6 decimals')
    .refine((v) => v.replace(/[-.]/g, '').length <= MAX_DIGITS, 'must have at most 21 digits')
    .refine((v) => !opts.positive || /[1-9]/.test(v), 'must be greater than zero');

/** A quantity or unit price; negative values are for decrease adjustments only (checked on the document). */
export const signedDecimalField = decimalField({ signed: true });
export const exchangeRateField = decimalField({ signed: false, positive: true });

/** DLHDon@Id: an XML ID (NCName) the signature references as `#<id>`. */
export const INVOICE_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]{0,99}$/;

// ---------------------------------------------------------------------------------------------------
// The document

export const sellerSchema = z.strictObject({
  name: invoiceText(400),
  mst: mstField,
  address: invoiceText(400),
  phone: invoiceText(32).optional(),
  email: z.email('must be an email address').max(254).optional(),
  bankAccount: invoiceText(40).optional(),
  bankName: invoiceText(400).optional(),
});
export type InvoiceSeller = z.infer<typeof sellerSchema>;

export const buyerSchema = z.strictObject({
  /** Company name, or the person's name when an individual buys. */
  name: invoiceText(400),
  mst: mstField.optional(),
  /** CCCDan: the 12-digit citizen identity number of an individual buyer. */
  nationalId: z
    .string()
    .trim()
    .regex(/^\d{12}$/, 'must be a 12-digit citizen identity number')
    .optional(),
  address: invoiceText(400),
  /** HVTNMHang: the person who buys on behalf of the company. */
  buyerName: invoiceText(100).optional(),
  email: z.email('must be an email address').max(254).optional(),
  phone: invoiceText(32).optional(),
});
export type InvoiceBuyer = z.infer<typeof buyerSchema>;

const chargedLineSchema = z.strictObject({
  kind: z.literal([1, 2, 3]),
  name: invoiceText(500),
  unit: invoiceText(50).optional(),
  quantity: signedDecimalField,
  unitPrice: signedDecimalField,
  /** Required on VAT invoices (form 1); a sales invoice (form 2) carries no rate. */
  vatRate: z.enum(VAT_RATES).optional(),
});
const noteLineSchema = z.strictObject({
  kind: z.literal(4),
  name: invoiceText(500),
});
export const invoiceLineSchema = z.discriminatedUnion('kind', [chargedLineSchema, noteLineSchema]);
export type InvoiceLine = z.infer<typeof invoiceLineSchema>;
export type ChargedLine = z.infer<typeof chargedLineSchema>;

export const RELATIONS = ['adjustment', 'replacement'] as const;
export type InvoiceRelation = (typeof RELATIONS)[number];

export const relatedInvoiceSchema = z.strictObject({
  relation: z.enum(RELATIONS),
  form: z.enum(INVOICE_FORMS),
  symbol: symbolField,
  number: z.number().int().min(1).max(99_999_999),
  issueDate: isoDateField,
});
export type RelatedInvoice = z.infer<typeof relatedInvoiceSchema>;

export const MAX_LINES = 1000;

export const invoiceDocumentSchema = z
  .strictObject({
    id: z.string().regex(INVOICE_ID_PATTERN, 'must be an XML ID: a letter or _, then letters, digits, . _ -'),
    form: z.enum(INVOICE_FORMS),
    symbol: symbolField,
    number: z.number().int().min(1).max(99_999_999),
    issueDate: isoDateField,
    currency: z.enum(INVOICE_CURRENCY_CODES as [InvoiceCurrency, ...InvoiceCurrency[]]),
    exchangeRate: exchangeRateField,
    paymentMethod: invoiceText(50).default('TM/CK'),
    providerMst: mstField,
    seller: sellerSchema,
    buyer: buyerSchema,
    lines: z.array(invoiceLineSchema).min(1, 'an invoice needs at least one line').max(MAX_LINES),
    related: relatedInvoiceSchema.optional(),
  })
  .superRefine((doc, ctx) => {
    if (doc.symbol.slice(1, 3) !== doc.issueDate.slice(2, 4)) {
      ctx.addIssue({
        code: 'custom',
        path: ['symbol'],
        message: `the symbol's year (${doc.symbol.slice(1, 3)}) must be the issue year (${doc.issueDate.slice(2, 4)})`,
      });
    }
    if (doc.currency === 'VND' && doc.exchangeRate !== '1') {
      ctx.addIssue({ code: 'custom', path: ['exchangeRate'], message: 'must be 1 for an invoice in VND' });
    }
    if (doc.related && doc.related.issueDate > doc.issueDate) {
      ctx.addIssue({
        code: 'custom',
        path: ['related', 'issueDate'],
        message: 'the related invoice must be issued on or before this one',
      });
    }
    const adjustment = doc.related?.relation === 'adjustment';
    doc.lines.forEach((line, i) => {
      if (line.kind === 4) return;
      if (doc.form === '1' && line.vatRate === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'vatRate'],
          message: 'a VAT invoice line needs a VAT rate',
        });
      }
      if (doc.form === '2' && line.vatRate !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', i, 'vatRate'],
          message: 'a sales invoice (form 2) shows no VAT rate',
        });
      }
      // Decree 123 art. 19: a decrease is written with a minus sign, and only on an adjusting invoice.
      for (const field of ['quantity', 'unitPrice'] as const) {
        if (!adjustment && line[field].startsWith('-')) {
          ctx.addIssue({
            code: 'custom',
            path: ['lines', i, field],
            message: 'must not be negative except on an adjustment invoice',
          });
        }
      }
    });
    // An adjustment may only correct text (a note line); every other invoice sells something.
    if (!adjustment && doc.lines.length > 0 && !doc.lines.some((l) => l.kind !== 4)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lines'],
        message: 'an invoice needs at least one charged line',
      });
    }
  });

/** The document as the builder, totals and view read it (after parsing: normalized and checked). */
export type InvoiceDocument = z.output<typeof invoiceDocumentSchema>;
/** The document as callers write it (payment method may be left out). */
export type InvoiceDocumentInput = z.input<typeof invoiceDocumentSchema>;

/** Parses and normalizes a document; throws a ZodError naming every offending field. */
export const parseInvoiceDocument = (input: unknown): InvoiceDocument => invoiceDocumentSchema.parse(input);
