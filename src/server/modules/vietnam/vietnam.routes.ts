import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { accountResponseSchema } from '../accounts/account.schema.js';
import { validateAccountMst } from '../accounts/account.service.js';
import { parsedAddressSchema } from './address/address.schema.js';
import {
  getInvoice,
  invoiceHtml,
  invoiceSigner,
  invoiceXml,
  issueDealInvoice,
  listInvoices,
  reissueInvoice,
} from './invoice.service.js';
import { getLineItems, lineItemListSchema, putLineItems, putLineItemsSchema } from './line-item.service.js';
import { validateMst } from './mst.service.js';
import {
  addressBodySchema,
  parseAddressFor,
  salutationBodySchema,
  salutationFor,
  salutationResponseSchema,
} from './salutation.service.js';
import {
  bankOverrideSchema,
  binParamsSchema,
  createReceivingAccountSchema,
  idParamsSchema,
  receivingAccountListSchema,
  receivingAccountSchema,
  settingsResponseSchema,
  updateReceivingAccountSchema,
  updateSettingsSchema,
} from './settings.schema.js';
import {
  confirmReceivingAccount,
  createReceivingAccount,
  deleteBankOverride,
  deleteReceivingAccount,
  getSettings,
  listReceivingAccounts,
  putBankOverride,
  updateReceivingAccount,
  updateSettings,
} from './settings.service.js';
import {
  bankListSchema,
  dealQrBodySchema,
  decodeBodySchema,
  decodedQrSchema,
  encodeBodySchema,
  encodeResponseSchema,
  flowResponseSchema,
  invoiceLinesBodySchema,
  invoiceListQuerySchema,
  invoiceListSchema,
  invoiceSchema,
  mstValidateBodySchema,
  mstValidateResponseSchema,
  vietQrListSchema,
  vietQrSchema,
} from './vietnam.schema.js';
import { renderVietQrPng, renderVietQrSvg } from './vietqr/vietqr.render.js';
import {
  createDealQr,
  decodePayload,
  encodePayload,
  getVietQr,
  listBanks,
  listDealQrs,
} from './vietqr.service.js';
import { dealFlow, retryDealFlow } from './won-flow.service.js';

/**
 * REST transport of the Vietnamese layer: `/vn/*` for the tools and settings, and the deal- and
 * invoice-scoped actions (`/deals/{id}/vietqr`, `/deals/{id}/flow`, `/deals/{id}/invoice`,
 * `/deals/{id}/line-items`, `/invoices/*`). Thin: parse, call the service, shape the reply.
 */
export const vietnamRoutes =
  (p: AppPlatform, onFlowWork: () => void): FastifyPluginAsyncZod =>
  async (app) => {
    const vn = ['vietnam'];
    const inv = ['invoices'];

    // ---- settings ----
    app.get(
      '/vn/settings',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: "The workspace's Vietnamese settings (seller profile, invoicing, won flow)",
          response: { 200: settingsResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const s = await getSettings(p, ctxOf(request));
        reply.header('etag', `"${s.version}"`);
        return s;
      },
    );
    app.patch(
      '/vn/settings',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Change the Vietnamese settings',
          description: 'Admins. Send If-Match with the ETag you read to avoid overwriting a colleague.',
          body: updateSettingsSchema,
          response: { 200: settingsResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const s = await updateSettings(p, ctxOf(request), request.body, ifMatchVersion(request));
        onFlowWork();
        reply.header('etag', `"${s.version}"`);
        return s;
      },
    );

    // ---- MST ----
    app.post(
      '/vn/mst/validate',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'Check a tax code (MST): digits, kind, and the GDT registry',
          description:
            'Always 200 for a well-formed request: `valid` false with a stable `reason` (mst_format_invalid, ' +
            'mst_checksum_invalid, mst_sequence_invalid, mst_branch_invalid, mst_personal_invalid) for a bad ' +
            'code. `registry.status` is found / not_found / unavailable (outage: `status` stale, R-CRM-001) / ' +
            'not_configured. Give `name` to learn whether the registry name differs.',
          body: mstValidateBodySchema,
          response: { 200: mstValidateResponseSchema, ...problemResponses },
        },
      },
      async (request) => validateMst(p, ctxOf(request), request.body),
    );

    app.post(
      '/accounts/:id/validate-mst',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags: vn,
          summary: "Check the account's stored MST again and record the outcome",
          description:
            'Digits, then the registry (cached 7 days). Records mst_status and the check time; the registry name ' +
            'replaces a differing one (with a warning). An outage leaves the account stale, with a warning.',
          params: idParamsSchema,
          response: {
            200: accountResponseSchema.extend({ mst: mstValidateResponseSchema }),
            ...problemResponses,
          },
        },
      },
      async (request) => validateAccountMst(p, ctxOf(request), request.params.id),
    );

    // ---- names and addresses ----
    app.post(
      '/vn/salutation',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'How to address a Vietnamese contact (Anh, Chị, Em, Ông, Bà)',
          description:
            'Gender: explicit > national-ID digit > middle name Thị/Văn > given-name statistics. Ông/Bà at 60+ ' +
            'or 20+ years older than the speaker; Em 10+ years younger (both years known); else Anh/Chị; ' +
            'Anh/Chị when the gender stays unknown. `reasons` says which rule fired.',
          body: salutationBodySchema,
          response: { 200: salutationResponseSchema, ...problemResponses },
        },
      },
      async (request) => salutationFor(ctxOf(request).actor, request.body),
    );
    app.post(
      '/vn/address/parse',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'Parse a Vietnamese address into the 2025 two-level units (legacy addresses mapped)',
          description:
            'Abbreviations (P., Q., TP.HCM…), with or without diacritics. A legacy (three-level) address is ' +
            'mapped to its 2025 ward; an old ward split between several new ones is `ambiguous` with the ' +
            '`candidates` for a person to pick.',
          body: addressBodySchema,
          response: { 200: parsedAddressSchema, ...problemResponses },
        },
      },
      async (request) => parseAddressFor(ctxOf(request).actor, request.body.text),
    );

    // ---- VietQR ----
    app.post(
      '/vn/vietqr/decode',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'Decode a VietQR / EMVCo payload strictly',
          description:
            'Every length at every nesting level and the CRC are checked; a bad payload is a 422 with the reason.',
          body: decodeBodySchema,
          response: { 200: decodedQrSchema, ...problemResponses },
        },
      },
      async (request) => decodePayload(ctxOf(request).actor, request.body.payload),
    );
    app.post(
      '/vn/vietqr/encode',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'Encode a VietQR payload (nothing stored)',
          description: 'The purpose is folded to ASCII and cut to 25 characters, as banking apps expect.',
          body: encodeBodySchema,
          response: { 200: encodeResponseSchema, ...problemResponses },
        },
      },
      async (request) => encodePayload(ctxOf(request).actor, request.body),
    );
    app.get(
      '/vn/banks',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'The bank directory (BIN, short name, full name) with this workspace’s edits',
          response: { 200: bankListSchema, ...problemResponses },
        },
      },
      async (request) => listBanks(p, ctxOf(request)),
    );
    app.put(
      '/vn/banks/:bin',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Edit, add or disable a bank for this workspace',
          params: binParamsSchema,
          body: bankOverrideSchema,
          response: { 204: z.null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await putBankOverride(p, ctxOf(request), request.params.bin, request.body);
        return reply.code(204).send(null);
      },
    );
    app.delete(
      '/vn/banks/:bin',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Drop this workspace’s edit of a bank (back to the shipped directory)',
          params: binParamsSchema,
          response: { 204: z.null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await deleteBankOverride(p, ctxOf(request), request.params.bin);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/vn/receiving-accounts',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'The allow-list of accounts money may be collected into (R-CRM-007)',
          response: { 200: receivingAccountListSchema, ...problemResponses },
        },
      },
      async (request) => listReceivingAccounts(p, ctxOf(request)),
    );
    app.post(
      '/vn/receiving-accounts',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Add a receiving account to the allow-list',
          description: 'Admins. It starts unconfirmed: its first use needs a member’s explicit confirmation.',
          body: createReceivingAccountSchema,
          response: { 201: receivingAccountSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const a = await createReceivingAccount(p, ctxOf(request), request.body);
        onFlowWork();
        return reply.code(201).send(a);
      },
    );
    app.patch(
      '/vn/receiving-accounts/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Rename a receiving account or make it the default',
          params: idParamsSchema,
          body: updateReceivingAccountSchema,
          response: { 200: receivingAccountSchema, ...problemResponses },
        },
      },
      async (request) => {
        const a = await updateReceivingAccount(p, ctxOf(request), request.params.id, request.body);
        onFlowWork();
        return a;
      },
    );
    app.post(
      '/vn/receiving-accounts/:id/confirm',
      {
        config: { scope: 'crm.payment' },
        schema: {
          tags: vn,
          summary: 'Confirm a receiving account (first use, R-CRM-007)',
          description: 'A member states they checked the account with the bank; recorded with who and when.',
          params: idParamsSchema,
          response: { 200: receivingAccountSchema, ...problemResponses },
        },
      },
      async (request) => {
        const a = await confirmReceivingAccount(p, ctxOf(request), request.params.id);
        onFlowWork();
        return a;
      },
    );
    app.delete(
      '/vn/receiving-accounts/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags: vn,
          summary: 'Remove a receiving account from the allow-list',
          params: idParamsSchema,
          response: { 204: z.null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await deleteReceivingAccount(p, ctxOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/deals/:id/vietqr',
      {
        config: { scope: 'crm.payment' },
        schema: {
          tags: vn,
          summary: "Generate a VietQR payment request for the deal's amount",
          description:
            'Into the default receiving account, or the one named (it must be on the allow-list: 422 ' +
            'receiving_account_not_allowed). Its first use answers 409 receiving_account_unconfirmed until ' +
            'sent with `confirm_first_use: true`. USD deals convert at the day’s rate. Stored; images at ' +
            '`png_url` / `svg_url`.',
          params: idParamsSchema,
          body: dealQrBodySchema,
          response: { 201: vietQrSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createDealQr(p, ctxOf(request), request.params.id, request.body ?? {})),
    );
    app.get(
      '/deals/:id/vietqr',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'The VietQR codes generated for a deal, newest first',
          params: idParamsSchema,
          response: { 200: vietQrListSchema, ...problemResponses },
        },
      },
      async (request) => listDealQrs(p, ctxOf(request), request.params.id),
    );
    app.get(
      '/vn/vietqr/:id/qr.png',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary: 'A stored VietQR code as a PNG image',
          params: idParamsSchema,
          querystring: z.strictObject({ size: z.coerce.number().int().min(128).max(2048).default(512) }),
        },
      },
      async (request, reply) => {
        const row = await getVietQr(p, ctxOf(request), request.params.id);
        const png = await renderVietQrPng(row.payload, { size: request.query.size });
        return reply.type('image/png').header('cache-control', 'private, max-age=86400').send(png);
      },
    );
    app.get(
      '/vn/vietqr/:id/qr.svg',
      {
        config: { scope: 'crm.read' },
        schema: { tags: vn, summary: 'A stored VietQR code as an SVG image', params: idParamsSchema },
      },
      async (request, reply) => {
        const row = await getVietQr(p, ctxOf(request), request.params.id);
        const svg = await renderVietQrSvg(row.payload);
        return reply.type('image/svg+xml').header('cache-control', 'private, max-age=86400').send(svg);
      },
    );

    // ---- the deal-won flow ----
    app.get(
      '/deals/:id/flow',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: vn,
          summary:
            'Progress of the steps that follow closing the deal (VietQR, hóa đơn, PROJ, BRAIN, win/loss)',
          params: idParamsSchema,
          response: { 200: flowResponseSchema, ...problemResponses },
        },
      },
      async (request) => dealFlow(p, ctxOf(request), request.params.id),
    );
    app.post(
      '/deals/:id/flow/retry',
      {
        config: { scope: 'crm.close' },
        schema: {
          tags: vn,
          summary: 'Retry the failed or waiting steps of the deal’s close now',
          params: idParamsSchema,
          response: { 200: flowResponseSchema, ...problemResponses },
        },
      },
      async (request) => {
        const r = await retryDealFlow(p, ctxOf(request), request.params.id);
        onFlowWork();
        return r;
      },
    );

    // ---- line items and invoices ----
    app.get(
      '/deals/:id/line-items',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: inv,
          summary: 'What the deal sells, line by line',
          params: idParamsSchema,
          response: { 200: lineItemListSchema, ...problemResponses },
        },
      },
      async (request) => getLineItems(p, ctxOf(request), request.params.id),
    );
    app.put(
      '/deals/:id/line-items',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags: inv,
          summary: 'Replace the deal’s line items',
          description:
            'Quantities and prices are decimal strings; `vat_rate` auto takes the dated rate of the issue day.',
          params: idParamsSchema,
          body: putLineItemsSchema,
          response: { 200: lineItemListSchema, ...problemResponses },
        },
      },
      async (request) => putLineItems(p, ctxOf(request), request.params.id, request.body),
    );
    app.post(
      '/deals/:id/invoice',
      {
        config: { scope: 'crm.close' },
        schema: {
          tags: inv,
          summary: 'Issue the hóa đơn of a won deal now',
          description:
            'The won flow issues it by itself; this is for a deal whose step waits or was turned off. ' +
            '409 invoice_already_issued when it exists (adjust or replace it instead).',
          params: idParamsSchema,
          response: { 201: invoiceSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await issueDealInvoice(p, ctxOf(request), request.params.id)),
    );
    app.get(
      '/invoices',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: inv,
          summary: 'Issued invoices, newest first',
          querystring: invoiceListQuerySchema,
          response: { 200: invoiceListSchema, ...problemResponses },
        },
      },
      async (request) => listInvoices(p, ctxOf(request), request.query),
    );
    app.get(
      '/invoices/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: inv,
          summary: 'One issued invoice',
          params: idParamsSchema,
          response: { 200: invoiceSchema, ...problemResponses },
        },
      },
      async (request) => getInvoice(p, ctxOf(request), request.params.id),
    );
    app.get(
      '/invoices/:id/xml',
      {
        config: { scope: 'crm.read' },
        schema: { tags: inv, summary: 'The signed invoice XML, as issued', params: idParamsSchema },
      },
      async (request, reply) => {
        const row = await invoiceXml(p, ctxOf(request), request.params.id);
        return reply
          .type('application/xml; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="${row.symbol}-${String(row.number).padStart(7, '0')}.xml"`,
          )
          .header('etag', `"${row.xml_sha256}"`)
          .send(row.xml);
      },
    );
    app.get(
      '/invoices/:id/html',
      {
        config: { scope: 'crm.read' },
        schema: { tags: inv, summary: 'A printable view of the invoice', params: idParamsSchema },
      },
      async (request, reply) => {
        const html = await invoiceHtml(p, ctxOf(request), request.params.id);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(html);
      },
    );
    app.post(
      '/invoices/:id/replace',
      {
        config: { scope: 'crm.close' },
        schema: {
          tags: inv,
          summary: 'Replace an invoice with a new one (the deal’s current lines)',
          params: idParamsSchema,
          response: { 201: invoiceSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await reissueInvoice(p, ctxOf(request), request.params.id, 'replacement')),
    );
    app.post(
      '/invoices/:id/adjust',
      {
        config: { scope: 'crm.close' },
        schema: {
          tags: inv,
          summary: 'Issue an adjustment invoice carrying the difference lines',
          params: idParamsSchema,
          body: invoiceLinesBodySchema,
          response: { 201: invoiceSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(await reissueInvoice(p, ctxOf(request), request.params.id, 'adjustment', request.body.lines)),
    );

    // Warm the signer at start (a demo certificate is generated once), off the request path.
    void invoiceSigner(p.config).catch((err: unknown) => p.log.warn({ err }, 'hóa đơn signer unavailable'));
  };
