import { z } from 'zod';
import { optionalText, text } from '../../platform/http/fields.js';
import { VAT_METHODS } from './hoadon/hoadon.model.js';
import { VAT_SECTOR_CODES } from './hoadon/hoadon.vat.js';

/** Inputs and outputs of the Vietnamese settings: the seller profile and the VietQR receiving accounts. */

/** A seller MST as stored: 10 digits or 10-3 (branch); the MST module checks the check digit. */
const mstInput = z
  .string()
  .trim()
  .max(20)
  .transform((v) => v.replace(/[\s.\-_]/g, ''))
  .pipe(z.string().regex(/^(\d{10}|\d{13})$/, 'must be a 10-digit MST or a 13-digit branch MST'))
  .transform((v) => (v.length === 13 ? `${v.slice(0, 10)}-${v.slice(10)}` : v));

export const updateSettingsSchema = z.strictObject({
  legal_name: optionalText(400),
  mst: mstInput.nullable().optional(),
  address: optionalText(400),
  phone: optionalText(32),
  email: z.email('must be an email address').max(254).toLowerCase().nullable().optional(),
  bank_account: optionalText(40),
  bank_name: optionalText(200),
  invoice_with_code: z.boolean().optional(),
  invoice_series: z
    .string()
    .trim()
    .toUpperCase()
    .regex(
      /^[TDLMNBGH][A-Z]{2}$/,
      'must be 3 letters: the issuer kind (T, D, L, M, N, B, G, H) then 2 letters of your choice, e.g. TAA',
    )
    .optional(),
  provider_mst: mstInput.nullable().optional(),
  payment_method: text(50).optional(),
  /** What the workspace sells, for the dated VAT rules; one of the sector codes of the VAT-rate data. */
  vat_sector: optionalText(40).refine((v) => v == null || VAT_SECTOR_CODES.includes(v), {
    message: `must be one of ${VAT_SECTOR_CODES.join(', ')}`,
  }),
  /**
   * How the seller declares VAT, which decides the invoice form (ADR 0023); null = not declared, the
   * form then follows the buyer's legal type.
   */
  vat_method: z
    .enum(VAT_METHODS, { error: `must be one of ${VAT_METHODS.join(', ')}, or null` })
    .nullable()
    .optional(),
  won_flow_vietqr: z.boolean().optional(),
  won_flow_invoice: z.boolean().optional(),
});
export type UpdateSettingsInput = z.infer<typeof updateSettingsSchema>;

export const settingsResponseSchema = z
  .object({
    legal_name: z.string().nullable(),
    mst: z.string().nullable(),
    address: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    bank_account: z.string().nullable(),
    bank_name: z.string().nullable(),
    invoice_with_code: z.boolean(),
    invoice_series: z.string(),
    provider_mst: z.string().nullable(),
    payment_method: z.string(),
    vat_sector: z.string().nullable(),
    vat_method: z.enum(VAT_METHODS).nullable(),
    won_flow_vietqr: z.boolean(),
    won_flow_invoice: z.boolean(),
    version: z.number().int(),
    updated_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'VnSettings' });
export type SettingsJson = z.infer<typeof settingsResponseSchema>;

export const accountNumberSchema = z
  .string()
  .trim()
  .transform((v) => v.replace(/[\s.-]/g, ''))
  .pipe(
    z.string().regex(/^[A-Za-z0-9]{1,19}$/, 'must be 1–19 letters or digits (spaces and dots are removed)'),
  );

export const bankBinSchema = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'must be a 6-digit bank BIN such as 970436');

export const createReceivingAccountSchema = z.strictObject({
  bank_bin: bankBinSchema,
  account_number: accountNumberSchema,
  account_name: text(200),
  service: z.enum(['QRIBFTTA', 'QRIBFTTC']).default('QRIBFTTA'),
  is_default: z.boolean().default(false),
});
export type CreateReceivingAccountInput = z.infer<typeof createReceivingAccountSchema>;

export const updateReceivingAccountSchema = z.strictObject({
  account_name: text(200).optional(),
  is_default: z.boolean().optional(),
});
export type UpdateReceivingAccountInput = z.infer<typeof updateReceivingAccountSchema>;

export const receivingAccountSchema = z
  .object({
    id: z.uuid(),
    bank_bin: z.string(),
    bank: z.object({ short_name: z.string(), name: z.string() }).nullable(),
    account_number: z.string(),
    account_name: z.string(),
    service: z.enum(['QRIBFTTA', 'QRIBFTTC']),
    is_default: z.boolean(),
    confirmed: z.boolean(),
    confirmed_at: z.iso.datetime().nullable(),
    confirmed_by: z.uuid().nullable(),
    created_at: z.iso.datetime(),
    version: z.number().int(),
  })
  .meta({ id: 'ReceivingAccount' });
export type ReceivingAccountJson = z.infer<typeof receivingAccountSchema>;

export const receivingAccountListSchema = z.object({ data: z.array(receivingAccountSchema) });
export const idParamsSchema = z.object({ id: z.uuid('must be a UUID') });

export const bankOverrideSchema = z.strictObject({
  code: optionalText(40),
  short_name: optionalText(100),
  name: optionalText(300),
  disabled: z.boolean().default(false),
});
export type BankOverrideInput = z.infer<typeof bankOverrideSchema>;
export const binParamsSchema = z.object({ bin: bankBinSchema });
