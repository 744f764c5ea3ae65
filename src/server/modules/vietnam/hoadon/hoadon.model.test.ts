import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { sampleInvoice } from './hoadon.fixtures.js';
import {
  canonicalDecimal,
  type InvoiceDocumentInput,
  invoiceDocumentSchema,
  LEGAL_TYPES,
  parseInvoiceDocument,
  templateForLegalType,
} from './hoadon.model.js';

/** The dotted paths of every issue the schema reports for a document. */
function issues(input: InvoiceDocumentInput): string[] {
  const r = invoiceDocumentSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
}

describe('invoice template by legal type', () => {
  it('households and individuals get sales invoices, companies VAT invoices', () => {
    expect(templateForLegalType('sole_proprietor')).toEqual({
      form: '2',
      legacyTemplate: '06GTKT',
      name: 'Hóa đơn bán hàng',
    });
    expect(templateForLegalType('individual').form).toBe('2');
    for (const t of ['llc', 'jsc', 'fdi', 'other'] as const) {
      expect(templateForLegalType(t)).toEqual({
        form: '1',
        legacyTemplate: '01GTKT',
        name: 'Hóa đơn giá trị gia tăng',
      });
    }
    expect(LEGAL_TYPES).toHaveLength(6);
  });
});

describe('invoice document schema', () => {
  it('accepts the sample and defaults the payment method', () => {
    const { paymentMethod: _, ...rest } = sampleInvoice();
    expect(parseInvoiceDocument(rest).paymentMethod).toBe('TM/CK');
  });

  it('normalizes text to NFC, trims, canonicalizes decimals and MSTs', () => {
    const doc = parseInvoiceDocument(
      sampleInvoice({
        buyer: {
          name: '  Công ty TNHH Hòa Bình  '.normalize('NFD'),
          mst: '0100109106 001',
          address: 'Phường Yên Hòa, Hà Nội'.normalize('NFD'),
        },
        lines: [{ kind: 1, name: 'Dịch vụ', quantity: '02.500', unitPrice: '1000.0', vatRate: '10%' }],
        symbol: 'c26taa',
      }),
    );
    expect(doc.buyer.name).toBe('Công ty TNHH Hòa Bình'.normalize('NFC'));
    expect(doc.buyer.name).toBe(doc.buyer.name.normalize('NFC'));
    expect(doc.buyer.mst).toBe('0100109106-001');
    expect(doc.symbol).toBe('C26TAA');
    expect(doc.lines[0]).toMatchObject({ quantity: '2.5', unitPrice: '1000' });
  });

  it('canonical decimals', () => {
    expect(canonicalDecimal('000.000')).toBe('0');
    expect(canonicalDecimal('-0.0')).toBe('0');
    expect(canonicalDecimal('-012.340')).toBe('-12.34');
    expect(() => canonicalDecimal('1e5')).toThrow(TypeError);
  });

  it('names each offending field', () => {
    expect(issues(sampleInvoice({ symbol: 'X26TAA' }))).toEqual(['symbol']);
    expect(issues(sampleInvoice({ symbol: 'C25TAA' }))).toEqual(['symbol']); // year ≠ issue year
    expect(issues(sampleInvoice({ issueDate: '2026-02-30', symbol: 'C26TAA' }))).toContain('issueDate');
    expect(issues(sampleInvoice({ number: 0 }))).toEqual(['number']);
    expect(issues(sampleInvoice({ number: 100_000_000 }))).toEqual(['number']);
    expect(issues(sampleInvoice({ exchangeRate: '25000' }))).toEqual(['exchangeRate']);
    expect(issues(sampleInvoice({ currency: 'USD', exchangeRate: '0' }))).toEqual(['exchangeRate']);
    expect(issues(sampleInvoice({ providerMst: '12345' }))).toEqual(['providerMst']);
    expect(issues(sampleInvoice({ id: '1-starts-with-digit' }))).toEqual(['id']);
    expect(issues(sampleInvoice({ lines: [] }))).toEqual(['lines']);
  });

  it('refuses control characters, empty text and text past the limits', () => {
    const seller = sampleInvoice().seller;
    expect(issues(sampleInvoice({ seller: { ...seller, name: 'A\u0000B' } }))).toEqual(['seller.name']);
    expect(issues(sampleInvoice({ seller: { ...seller, name: 'A\nB' } }))).toEqual(['seller.name']);
    expect(issues(sampleInvoice({ seller: { ...seller, name: '   ' } }))).toEqual(['seller.name']);
    expect(issues(sampleInvoice({ seller: { ...seller, name: 'x'.repeat(401) } }))).toEqual(['seller.name']);
    expect(issues(sampleInvoice({ seller: { ...seller, name: '\uD800' } }))).toEqual(['seller.name']);
    // Parsers turn these into a line feed: the signed text would differ from what was signed.
    for (const c of ['\u0085', '\u2028', '\u2029', '\u009f', '\u007f']) {
      expect(issues(sampleInvoice({ seller: { ...seller, name: `A${c}B` } })), escape(c)).toEqual([
        'seller.name',
      ]);
    }
    expect(issues(sampleInvoice({ seller: { ...seller, name: 'A\u00a0B — “Việt” 😀' } }))).toEqual([]);
  });

  it('checks decimals: 6 decimals, 21 digits, no exponent', () => {
    const line = (quantity: string) => [
      { kind: 1 as const, name: 'X', quantity, unitPrice: '1', vatRate: '10%' as const },
    ];
    expect(issues(sampleInvoice({ lines: line('1.123456') }))).toEqual([]);
    expect(issues(sampleInvoice({ lines: line('1.1234567') }))).toEqual(['lines.0.quantity']);
    expect(issues(sampleInvoice({ lines: line('1'.repeat(22)) }))).toEqual(['lines.0.quantity']);
    expect(issues(sampleInvoice({ lines: line('1e3') }))).toEqual(['lines.0.quantity']);
    expect(issues(sampleInvoice({ lines: line('1,5') }))).toEqual(['lines.0.quantity']);
  });

  it('VAT invoices need a rate per line; sales invoices show none', () => {
    expect(issues(sampleInvoice({ lines: [{ kind: 1, name: 'X', quantity: '1', unitPrice: '1' }] }))).toEqual(
      ['lines.0.vatRate'],
    );
    expect(
      issues(
        sampleInvoice({
          form: '2',
          lines: [{ kind: 1, name: 'X', quantity: '1', unitPrice: '1', vatRate: '10%' }],
        }),
      ),
    ).toEqual(['lines.0.vatRate']);
    expect(
      issues(sampleInvoice({ form: '2', lines: [{ kind: 1, name: 'X', quantity: '1', unitPrice: '1' }] })),
    ).toEqual([]);
  });

  it('negative amounts only on an adjustment; a note-only adjustment is allowed', () => {
    const negative = [
      { kind: 1 as const, name: 'X', quantity: '-1', unitPrice: '1', vatRate: '10%' as const },
    ];
    expect(issues(sampleInvoice({ lines: negative }))).toEqual(['lines.0.quantity']);
    const related = {
      relation: 'adjustment' as const,
      form: '1' as const,
      symbol: 'C26TAA',
      number: 7,
      issueDate: '2026-10-01',
    };
    expect(issues(sampleInvoice({ lines: negative, related }))).toEqual([]);
    expect(
      issues(sampleInvoice({ lines: [{ kind: 4, name: 'Điều chỉnh địa chỉ người mua' }], related })),
    ).toEqual([]);
    expect(issues(sampleInvoice({ lines: [{ kind: 4, name: 'Chỉ ghi chú' }] }))).toEqual(['lines']);
    expect(
      issues(sampleInvoice({ lines: negative, related: { ...related, relation: 'replacement' } })),
    ).toEqual(['lines.0.quantity']);
    expect(issues(sampleInvoice({ related: { ...related, issueDate: '2026-12-01' } }))).toEqual([
      'related.issueDate',
    ]);
  });

  it('throws a ZodError from parseInvoiceDocument', () => {
    expect(() => parseInvoiceDocument({})).toThrow(ZodError);
  });
});
