import { z } from 'zod';
import { text } from '../../platform/http/fields.js';
import { lineItemSchema } from './line-item.service.js';
import { accountNumberSchema, bankBinSchema } from './settings.schema.js';

/** Inputs and outputs of the Vietnamese REST surface (tools, VietQR, invoices, the won flow). */

export const mstValidateBodySchema = z.strictObject({
  mst: z.string().trim().min(1).max(40),
  name: z.string().trim().max(400).nullable().optional(),
});

const warningSchema = z.object({ code: z.string(), field: z.string(), message: z.string() });

export const mstValidateResponseSchema = z
  .object({
    valid: z.boolean(),
    normalized: z.string(),
    display: z.string().nullable(),
    kind: z.string().nullable(),
    reason: z.string().optional(),
    message: z.string().optional(),
    registry: z
      .object({
        status: z.enum(['found', 'not_found', 'unavailable', 'not_configured']),
        name: z.string().nullable(),
        address: z.string().nullable(),
        registry_status: z.string().nullable(),
        fetched_at: z.string().nullable(),
        cached: z.boolean(),
      })
      .nullable(),
    status: z.enum(['unverified', 'valid', 'invalid', 'stale']),
    warnings: z.array(warningSchema),
  })
  .meta({ id: 'MstValidation' });

export const decodeBodySchema = z.strictObject({ payload: z.string().min(1).max(1000) });

export const decodedQrSchema = z
  .object({
    init: z.string(),
    dynamic: z.boolean(),
    kind: z.enum(['napas', 'other']),
    guid: z.string().nullable(),
    bank_bin: z.string().nullable(),
    bank: z.object({ short_name: z.string(), name: z.string() }).nullable(),
    account: z.string().nullable(),
    service: z.string().nullable(),
    amount: z.number().int().nullable(),
    currency: z.string().nullable(),
    country: z.string().nullable(),
    purpose: z.string().nullable(),
    bill_number: z.string().nullable(),
    reference: z.string().nullable(),
    terminal: z.string().nullable(),
    crc: z.string(),
  })
  .meta({ id: 'VietQrDecoded' });

export const encodeBodySchema = z.strictObject({
  bank_bin: bankBinSchema,
  account: accountNumberSchema,
  service: z.enum(['QRIBFTTA', 'QRIBFTTC']).optional(),
  amount: z.number().int().positive().max(9_999_999_999_999).optional(),
  purpose: z.string().max(200).optional(),
  bill_number: z.string().max(25).optional(),
  reference: z.string().max(25).optional(),
});
export const encodeResponseSchema = z.object({ payload: z.string(), decoded: decodedQrSchema });

export const bankListSchema = z.object({
  version: z.string(),
  data: z.array(z.object({ bin: z.string(), code: z.string(), shortName: z.string(), name: z.string() })),
});

export const dealQrBodySchema = z
  .strictObject({
    receiving_account_id: z.uuid().optional(),
    bank_bin: bankBinSchema.optional(),
    account_number: accountNumberSchema.optional(),
    amount_vnd: z.number().int().positive().max(9_999_999_999_999).optional(),
    purpose: z.string().trim().max(200).nullable().optional(),
    confirm_first_use: z.boolean().optional(),
  })
  .refine((b) => (b.bank_bin === undefined) === (b.account_number === undefined), {
    message: 'give bank_bin and account_number together',
    path: ['account_number'],
  })
  .optional();

export const vietQrSchema = z
  .object({
    id: z.uuid(),
    deal_id: z.uuid().nullable(),
    receiving_account_id: z.uuid(),
    bank_bin: z.string(),
    bank: z.object({ short_name: z.string(), name: z.string() }).nullable(),
    account_number: z.string(),
    amount_vnd: z.number().int().nullable(),
    purpose: z.string().nullable(),
    reference: z.string(),
    payload: z.string(),
    origin: z.enum(['manual', 'won_flow']),
    png_url: z.string(),
    svg_url: z.string(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'VietQr' });
export const vietQrListSchema = z.object({ data: z.array(vietQrSchema) });

export const flowStepSchema = z.object({
  step: z.enum(['vietqr', 'invoice', 'engagement', 'brain', 'win_loss']),
  status: z.enum(['pending', 'done', 'waiting', 'failed', 'skipped']),
  attempts: z.number().int(),
  note: z.string().nullable(),
  result: z.record(z.string(), z.unknown()),
  next_attempt_at: z.iso.datetime().nullable(),
  completed_at: z.iso.datetime().nullable(),
  updated_at: z.iso.datetime(),
});
export const flowResponseSchema = z
  .object({ deal_id: z.uuid(), status: z.string(), steps: z.array(flowStepSchema) })
  .meta({ id: 'DealFlow' });

export const invoiceSchema = z
  .object({
    id: z.uuid(),
    deal_id: z.uuid().nullable(),
    account_id: z.uuid().nullable(),
    relation: z.enum(['original', 'adjustment', 'replacement']),
    related_invoice_id: z.uuid().nullable(),
    form: z.string(),
    symbol: z.string(),
    number: z.number().int(),
    issue_date: z.string(),
    currency: z.string(),
    exchange_rate: z.string(),
    buyer_name: z.string(),
    buyer_mst: z.string().nullable(),
    total_before_vat: z.string(),
    vat_total: z.string(),
    grand_total: z.string(),
    amount_in_words: z.string(),
    xml_sha256: z.string(),
    xsd_version: z.string(),
    signer_subject: z.string(),
    signed_at: z.iso.datetime(),
    retain_until: z.string(),
    origin: z.enum(['manual', 'won_flow']),
    xml_url: z.string(),
    html_url: z.string(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'Invoice' });

export const invoiceListQuerySchema = z.strictObject({
  deal_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export const invoiceListSchema = z.object({
  data: z.array(invoiceSchema),
  page: z.object({ limit: z.number().int(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
});

const signedDecimal = (what: string) =>
  z
    .string()
    .trim()
    .regex(
      /^-?\d{1,15}(\.\d{1,6})?$/,
      `${what} must be a decimal string such as "-2" or "1250000.5" (≤ 6 decimals)`,
    );

/**
 * Adjustment lines: a reason and the difference, line by line. A decrease is written with a minus sign
 * (Decree 123 art. 19), which only an adjustment invoice may carry.
 */
export const invoiceLinesBodySchema = z.strictObject({
  reason: text(500),
  lines: z
    .array(
      lineItemSchema.extend({ quantity: signedDecimal('quantity'), unit_price: signedDecimal('unit_price') }),
    )
    .min(1)
    .max(1000),
});
