import { describe, expect, it } from 'vitest';
import {
  FORM_NAMES,
  type InvoiceForm,
  invoiceTemplateFor,
  LEGAL_TYPES,
  type LegalType,
  templateForLegalType,
  VAT_METHODS,
  type VatMethod,
} from './hoadon.model.js';

/**
 * The invoice form for every (seller VAT method, buyer legal type) pair (ADR 0023): a declared method
 * decides alone (Decree 123/2020 art. 8), undeclared keeps the seed mapping by the buyer's type.
 */

const EXPECTED: Record<'undeclared' | VatMethod, Record<LegalType, InvoiceForm>> = {
  undeclared: { sole_proprietor: '2', individual: '2', llc: '1', jsc: '1', fdi: '1', other: '1' },
  deduction: { sole_proprietor: '1', individual: '1', llc: '1', jsc: '1', fdi: '1', other: '1' },
  direct: { sole_proprietor: '2', individual: '2', llc: '2', jsc: '2', fdi: '2', other: '2' },
};

const LEGACY: Record<InvoiceForm, '01GTKT' | '06GTKT'> = { '1': '01GTKT', '2': '06GTKT' };

describe('invoice form by the seller VAT method', () => {
  const methods = [null, ...VAT_METHODS] as const;
  const cases = methods.flatMap((method) => LEGAL_TYPES.map((legalType) => [method, legalType] as const));

  it('covers every method (and undeclared) with every legal type', () => {
    expect(cases).toHaveLength(3 * 6);
  });

  it.each(cases)('seller %s, buyer %s', (method, legalType) => {
    const form = EXPECTED[method ?? 'undeclared'][legalType];
    expect(invoiceTemplateFor(method, legalType)).toEqual({
      form,
      legacyTemplate: LEGACY[form],
      name: FORM_NAMES[form],
    });
  });

  it('undeclared is exactly the seed mapping (backward compatible)', () => {
    for (const t of LEGAL_TYPES) expect(invoiceTemplateFor(null, t)).toEqual(templateForLegalType(t));
  });

  it('returns a fresh object each call (callers may not alter the shared table)', () => {
    const a = invoiceTemplateFor('deduction', 'individual');
    a.name = 'changed';
    expect(invoiceTemplateFor('deduction', 'individual').name).toBe(FORM_NAMES['1']);
  });
});
