import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { type McpTool, toolDefiner } from '../../platform/mcp/tool.js';
import { validateMst } from './mst.service.js';
import { accountNumberSchema, bankBinSchema } from './settings.schema.js';
import { mstValidateResponseSchema, vietQrSchema } from './vietnam.schema.js';
import { createDealQr } from './vietqr.service.js';

/** MCP tools of the Vietnamese layer: thin calls of mst.service and vietqr.service. */

const defineTool = toolDefiner<AppPlatform>();

export const validateMstTool = defineTool({
  name: 'cyberos.crm.validate_mst',
  title: 'Validate a Vietnamese tax code (MST)',
  description:
    'Checks a mã số thuế: digits and checksum (10-digit enterprise, 13-digit branch, 12-digit personal), ' +
    'then the GDT registry when the workspace has one configured. Stores nothing. Use it before ' +
    'create_account, or when a user gives you a tax code. Returns `valid`; when invalid a stable `reason` ' +
    '(mst_format_invalid, mst_checksum_invalid, mst_sequence_invalid, mst_branch_invalid, ' +
    'mst_personal_invalid) and a message; when valid the normalized `display` form, the `kind`, and from ' +
    'the registry the registered `name` and `address` (registry.status: found, not_found, unavailable, ' +
    'not_configured). Give `name` to learn whether it differs from the registry name (see warnings).',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: true },
  input: z.strictObject({
    mst: z.string().trim().min(1).max(40).describe('The tax code; spaces, dots and dashes are fine'),
    name: z.string().trim().max(400).optional().describe('The company name you expect'),
  }),
  output: mstValidateResponseSchema.extend({
    name: z.string().nullable().describe('Registered name (registry), when found'),
    address: z.string().nullable().describe('Registered address (registry), when found'),
  }),
  async run(args, { platform, ctx }) {
    const v = await validateMst(platform, ctx, { mst: args.mst, name: args.name ?? null });
    return {
      data: { ...v, name: v.registry?.name ?? null, address: v.registry?.address ?? null },
      summary: v.valid
        ? `[mst] ${v.display}: valid ${v.kind}; registry ${v.registry?.status ?? 'n/a'}${
            v.registry?.name ? ` · ${v.registry.name}` : ''
          }`
        : `[mst] ${v.normalized || args.mst}: invalid (${v.reason}) ${v.message ?? ''}`,
    };
  },
});

export const generateVietQrTool = defineTool({
  name: 'cyberos.crm.generate_vietqr',
  title: 'Generate a VietQR payment request for a deal',
  description:
    "Creates a VietQR (NAPAS 247) transfer code for the deal's amount (USD deals convert at the day's " +
    'rate to VND), with a reference the bank statement will carry. The money goes to the workspace ' +
    'default receiving account, or the one named by `receiving_account_id` or `bank_bin` + ' +
    '`account_number`, which must be on the allow-list (else receiving_account_not_allowed). The first ' +
    'use of a receiving account answers receiving_account_unconfirmed: ask the user, then call again ' +
    'with `confirm_first_use: true`. Returns the stored code: `payload` (the EMV string to render as a ' +
    'QR), bank, account, amount_vnd, reference, and png_url / svg_url (REST, same credentials).',
  scope: 'crm.payment',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  input: z
    .strictObject({
      deal_id: z.uuid(),
      bank_bin: bankBinSchema.optional().describe('6-digit NAPAS BIN of the receiving bank'),
      account_number: accountNumberSchema.optional(),
      receiving_account_id: z.uuid().optional(),
      amount_vnd: z
        .number()
        .int()
        .positive()
        .max(9_999_999_999_999)
        .optional()
        .describe("Override the deal's amount (VND, whole đồng), e.g. for a deposit"),
      purpose: z.string().trim().max(200).optional().describe('Transfer note'),
      confirm_first_use: z.boolean().optional(),
    })
    .refine((b) => (b.bank_bin === undefined) === (b.account_number === undefined), {
      message: 'give bank_bin and account_number together',
      path: ['account_number'],
    }),
  output: vietQrSchema,
  async run(args, { platform, ctx }) {
    const { deal_id, ...input } = args;
    const qr = await createDealQr(platform, ctx, deal_id, input);
    return {
      data: qr,
      summary: `[vietqr] ${qr.amount_vnd ?? '?'} VND to ${qr.bank?.short_name ?? qr.bank_bin} ${qr.account_number}, reference ${qr.reference}`,
    };
  },
});

export const vietnamMcpTools: McpTool<AppPlatform>[] = [validateMstTool, generateVietQrTool];
