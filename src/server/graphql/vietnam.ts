import { dealQrBodySchema } from '../modules/vietnam/vietnam.schema.js';
import { createDealQr } from '../modules/vietnam/vietqr.service.js';
import { builder, idArg, parseWith, present, renamingFields, requireScope, under } from './builder.js';
import { HoaDonRef, VietQrRef } from './refs.js';

/** The Vietnamese layer: VietQR payment requests and hóa đơn (e-invoices) of deals. */

const Bank = builder.objectRef<{ short_name: string; name: string }>('Bank').implement({
  fields: (t) => ({ shortName: t.exposeString('short_name'), name: t.exposeString('name') }),
});

VietQrRef.implement({
  description: 'A VietQR (NAPAS 247) payment request into an allow-listed receiving account.',
  fields: (t) => ({
    id: t.exposeID('id'),
    dealId: t.exposeID('deal_id', { nullable: true }),
    receivingAccountId: t.exposeID('receiving_account_id'),
    bankBin: t.exposeString('bank_bin'),
    bank: t.field({ type: Bank, nullable: true, resolve: (q) => q.bank }),
    accountNumber: t.exposeString('account_number'),
    amountVnd: t.expose('amount_vnd', { type: 'SafeInt', nullable: true }),
    purpose: t.exposeString('purpose', { nullable: true }),
    reference: t.exposeString('reference', { description: 'What the payer’s transfer note carries.' }),
    payload: t.exposeString('payload', { description: 'The EMVCo string the QR image encodes.' }),
    origin: t.exposeString('origin', { description: 'manual or won_flow.' }),
    pngUrl: t.exposeString('png_url'),
    svgUrl: t.exposeString('svg_url'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
  }),
});

HoaDonRef.implement({
  description: 'A signed Vietnamese e-invoice (hóa đơn điện tử, Decree 123/2020) issued for a deal.',
  fields: (t) => ({
    id: t.exposeID('id'),
    dealId: t.exposeID('deal_id', { nullable: true }),
    accountId: t.exposeID('account_id', { nullable: true }),
    relation: t.exposeString('relation', { description: 'original, adjustment or replacement.' }),
    relatedInvoiceId: t.exposeID('related_invoice_id', { nullable: true }),
    form: t.exposeString('form', { description: 'Mẫu số.' }),
    symbol: t.exposeString('symbol', { description: 'Ký hiệu.' }),
    number: t.exposeInt('number', { description: 'Số hóa đơn (gapless per symbol).' }),
    issueDate: t.expose('issue_date', { type: 'Date' }),
    currency: t.exposeString('currency'),
    exchangeRate: t.exposeString('exchange_rate', { description: 'Decimal string.' }),
    buyerName: t.exposeString('buyer_name'),
    buyerMst: t.exposeString('buyer_mst', { nullable: true }),
    totalBeforeVat: t.exposeString('total_before_vat', { description: 'Decimal string.' }),
    vatTotal: t.exposeString('vat_total', { description: 'Decimal string.' }),
    grandTotal: t.exposeString('grand_total', { description: 'Decimal string.' }),
    amountInWords: t.exposeString('amount_in_words'),
    xmlSha256: t.exposeString('xml_sha256'),
    signerSubject: t.exposeString('signer_subject'),
    signedAt: t.expose('signed_at', { type: 'DateTime' }),
    retainUntil: t.expose('retain_until', { type: 'Date' }),
    origin: t.exposeString('origin'),
    xmlUrl: t.exposeString('xml_url'),
    htmlUrl: t.exposeString('html_url'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
  }),
});

const names = under('', {
  bank_bin: 'bankBin',
  account_number: 'accountNumber',
  amount_vnd: 'amountVnd',
  confirm_first_use: 'confirmFirstUse',
});

builder.mutationFields((t) => ({
  generateVietQR: t.field({
    type: VietQrRef,
    requiresScopes: [['crm.payment']],
    description:
      "A VietQR payment request for the deal's amount into the allow-listed account (bankBin, accountNumber). " +
      'The first use of an account answers receiving_account_unconfirmed until sent with confirmFirstUse: true.',
    args: {
      dealId: t.arg.id({ required: true }),
      bankBin: t.arg.string({ required: true }),
      accountNumber: t.arg.string({ required: true }),
      amountVnd: t.arg({
        type: 'SafeInt',
        required: false,
        description: "Default: the deal's amount in VND.",
      }),
      purpose: t.arg.string({ required: false }),
      confirmFirstUse: t.arg.boolean({ required: false }),
    },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'crm.payment');
      const dealId = idArg(args.dealId, 'dealId');
      const body =
        parseWith(
          dealQrBodySchema,
          present({
            bank_bin: args.bankBin,
            account_number: args.accountNumber,
            amount_vnd: args.amountVnd ?? undefined,
            purpose: args.purpose,
            confirm_first_use: args.confirmFirstUse ?? undefined,
          }),
          names,
        ) ?? {};
      return renamingFields(names, () => createDealQr(ctx.p, ctx.ctx, dealId, body));
    },
  }),
}));
