import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { requirePermission } from '../../platform/auth/actor.js';
import type { Config } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import type { AccountAddress } from '../accounts/account.table.js';
import { dateIn, exponentOf, loadRates } from '../currencies/currency.money.js';
import { workspaceMoneySettings } from '../currencies/currency.repository.js';
import { type DealView, findDealView } from '../deals/deal.repository.js';
import { canSeeDeal, dealVisibleSql } from '../deals/deal.visibility.js';
import { renderInvoiceHtml } from './hoadon/hoadon.html.js';
import {
  type InvoiceDocumentInput,
  type InvoiceLine,
  invoiceDocumentSchema,
  invoiceTemplateFor,
  templateOfForm,
  type VatRate,
} from './hoadon/hoadon.model.js';
import {
  generateSelfSignedCertificate,
  loadSigningCertificate,
  type SigningCertificate,
  signInvoiceXml,
  verifyInvoiceSignature,
} from './hoadon/hoadon.sign.js';
import { computeTotals } from './hoadon/hoadon.totals.js';
import { vatRateOn } from './hoadon/hoadon.vat.js';
import { buildInvoiceXml, parseInvoiceXml } from './hoadon/hoadon.xml.js';
import { HOADON_XSD_VERSION, validateInvoiceXml } from './hoadon/hoadon.xsd.js';
import { loadSettings } from './settings.service.js';
import type { InvoiceRow } from './vietnam.table.js';

/**
 * Hóa đơn use cases. Issuing happens inside one workspace transaction: the number comes from the
 * (form, symbol) sequence row, locked by `UPDATE … RETURNING` until commit, so concurrent issuers queue
 * and a rolled-back issue returns its number (no gaps, no duplicates); the XML is built, signed with the
 * workspace's certificate, validated against our XSD (a document that fails is never stored), stored
 * with its hash and a 10-year retention date, audited, and announced (`invoice.issued`, for INV).
 * Stored invoices never change (crm_app may only INSERT them): adjustments and replacements are new
 * invoices pointing at the original.
 */

type Db = Kysely<DB> | Transaction<DB>;

export type InvoiceBlockReason =
  | 'seller_profile_incomplete'
  | 'no_buyer'
  | 'no_amount'
  | 'no_certificate'
  | 'missing_rate'
  | 'invalid_data';

/** Issuing cannot proceed until a person fixes data (the won flow waits; a request answers 422). */
export class InvoiceBlocked extends Error {
  constructor(
    readonly reason: InvoiceBlockReason,
    message: string,
  ) {
    super(message);
  }
}

// ---- the signing certificate ----

const signers = new WeakMap<Config, Promise<SigningCertificate | null>>();

/**
 * The certificate invoices are signed with: PEM files or a PKCS#12 file from the configuration; without
 * one, outside production, a self-signed demo certificate generated once and kept in DATA_DIR (tests:
 * in memory). Production without a configured certificate signs nothing (issuing waits, with the reason).
 */
export function invoiceSigner(config: Config): Promise<SigningCertificate | null> {
  let s = signers.get(config);
  if (!s) {
    s = loadSigner(config);
    signers.set(config, s);
  }
  return s;
}

async function loadSigner(config: Config): Promise<SigningCertificate | null> {
  if (config.HOADON_CERT_FILE && config.HOADON_KEY_FILE) {
    return loadSigningCertificate({
      certPem: readFileSync(config.HOADON_CERT_FILE, 'utf8'),
      keyPem: readFileSync(config.HOADON_KEY_FILE, 'utf8'),
    });
  }
  if (config.HOADON_PKCS12_FILE) {
    return loadSigningCertificate({
      pkcs12: readFileSync(config.HOADON_PKCS12_FILE),
      passphrase: config.HOADON_PKCS12_PASSWORD ?? '',
    });
  }
  if (config.NODE_ENV === 'production') return null;
  const subject = {
    commonName: 'CyberOS CRM demo signer',
    organization: 'CyberOS CRM (demo)',
    mst: '9999999997',
  };
  if (config.NODE_ENV === 'test') return loadSigningCertificate(generateSelfSignedCertificate(subject));
  const certFile = path.join(config.dataDir, 'hoadon-demo-cert.pem');
  const keyFile = path.join(config.dataDir, 'hoadon-demo-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const made = generateSelfSignedCertificate(subject);
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
    writeFileSync(certFile, made.certPem);
  }
  return loadSigningCertificate({
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
  });
}

// ---- building the document from CRM data ----

function minorToDecimal(minor: number | bigint, currency: string): string {
  const exp = exponentOf(currency);
  const v = BigInt(minor);
  if (exp === 0) return v.toString();
  const s = v.toString().padStart(exp + 1, '0');
  return `${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

function formatAddress(addresses: AccountAddress[]): string | null {
  const a =
    addresses.find((x) => x.kind === 'billing') ??
    addresses.find((x) => x.kind === 'headquarters') ??
    addresses[0];
  if (!a) return null;
  const parts = [a.street, a.ward, a.district, a.province].filter((x): x is string => Boolean(x));
  return parts.length ? parts.join(', ') : null;
}

/** A line as the CRM keeps it (deal line items) or an adjustment gives it; `auto` = the dated rate. */
export interface LineInput {
  kind: number;
  name: string;
  unit?: string | null | undefined;
  quantity: string;
  unit_price: string;
  vat_rate: string;
}

interface IssueOptions {
  origin: 'manual' | 'won_flow';
  /** invoiceSigner(config), resolved by the caller (null: none configured). */
  signer: SigningCertificate | null;
  relation?: { kind: 'adjustment' | 'replacement'; original: InvoiceRow };
  /** Lines given explicitly (adjustments); else the deal's line items, else one line for the deal. */
  lines?: LineInput[];
}

/** A CRM line as an invoice line: a sales invoice (form 2) shows no VAT rate, a VAT invoice always one. */
function toInvoiceLine(l: LineInput, form: '1' | '2', rateFor: (r: string) => VatRate): InvoiceLine {
  if (l.kind === 4) return { kind: 4, name: l.name };
  return {
    kind: l.kind as 1 | 2 | 3,
    name: l.name,
    ...(l.unit ? { unit: l.unit } : {}),
    quantity: trimDecimal(l.quantity),
    unitPrice: trimDecimal(l.unit_price),
    ...(form === '1' ? { vatRate: rateFor(l.vat_rate) } : {}),
  };
}

export interface IssuedInvoice {
  id: string;
  symbol: string;
  number: number;
  eventId?: string;
}

async function dealLines(trx: Db, tenantId: string, deal: DealView): Promise<LineInput[]> {
  const items = await trx
    .selectFrom('crm_core.crm_deal_line_items')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', deal.id)
    .orderBy('position')
    .execute();
  if (items.length > 0) return items;
  if (deal.amount_minor === null || deal.amount_minor <= 0) {
    throw new InvoiceBlocked('no_amount', 'The deal has no amount and no line items to invoice');
  }
  return [
    {
      kind: 1,
      name: deal.name,
      quantity: '1',
      unit_price: minorToDecimal(deal.amount_minor, deal.currency),
      vat_rate: 'auto',
    },
  ];
}

function trimDecimal(v: string): string {
  return v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v;
}

/**
 * Issues (signs, validates, stores, announces) an invoice for a won deal inside the caller's unit of
 * work. Throws InvoiceBlocked when data is missing.
 */
export async function issueInvoiceForDeal(
  uow: UnitOfWork<DB>,
  deal: DealView,
  options: IssueOptions,
): Promise<IssuedInvoice> {
  const tenantId = uow.actor.workspaceId;
  const trx = uow.trx;
  if (!options.relation) {
    const existing = await originalInvoiceOf(trx, tenantId, deal.id);
    if (existing) return existing;
  }
  const settings = await loadSettings(trx, tenantId);
  if (!settings?.legal_name || !settings.mst || !settings.address) {
    throw new InvoiceBlocked(
      'seller_profile_incomplete',
      'The seller profile is incomplete: set the legal name, MST and address under Settings → Vietnam',
    );
  }
  const account = deal.account_id
    ? await trx
        .selectFrom('crm_core.crm_accounts')
        .select(['id', 'name', 'vn_mst', 'legal_type', 'addresses', 'email', 'phone'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', deal.account_id)
        .executeTakeFirst()
    : undefined;
  if (!account) throw new InvoiceBlocked('no_buyer', 'The deal has no account to invoice');
  const buyerAddress = formatAddress(account.addresses);
  if (!buyerAddress) {
    throw new InvoiceBlocked('no_buyer', `Account "${account.name}" has no address to print on the invoice`);
  }
  const { signer } = options;
  if (!signer) {
    throw new InvoiceBlocked(
      'no_certificate',
      'No signing certificate is configured (HOADON_CERT_FILE/HOADON_KEY_FILE or HOADON_PKCS12_FILE)',
    );
  }

  const { timezone } = await workspaceMoneySettings(trx, tenantId);
  const issueDate = dateIn(timezone);
  let exchangeRate = '1';
  if (deal.currency !== 'VND') {
    const rate = (await loadRates(trx, 'VND', issueDate)).get(deal.currency);
    if (!rate) {
      throw new InvoiceBlocked('missing_rate', `No ${deal.currency}→VND exchange rate valid on ${issueDate}`);
    }
    exchangeRate = rate.rate;
  }
  // The seller's declared VAT method decides the form; undeclared keeps the buyer-type mapping (ADR 0023).
  // An adjustment or replacement keeps the form of the invoice it corrects.
  const original = options.relation?.original;
  const template = original
    ? templateOfForm(original.form === '2' ? '2' : '1')
    : invoiceTemplateFor(settings.vat_method, account.legal_type);
  const sector = settings.vat_sector ?? undefined;
  const rateFor = (r: string): VatRate =>
    r === 'auto' ? vatRateOn({ date: issueDate, ...(sector ? { sector } : {}) }).rate : (r as VatRate);
  const lines = (options.lines ?? (await dealLines(trx, tenantId, deal))).map((l) =>
    toInvoiceLine(l, template.form, rateFor),
  );

  const symbol = `${settings.invoice_with_code ? 'C' : 'K'}${issueDate.slice(2, 4)}${settings.invoice_series}`;
  await sql`INSERT INTO crm_core.crm_vn_invoice_sequences (tenant_id, form, symbol)
            VALUES (${tenantId}, ${template.form}, ${symbol}) ON CONFLICT DO NOTHING`.execute(trx);
  const seq = await sql<{ last_number: number }>`
    UPDATE crm_core.crm_vn_invoice_sequences SET last_number = last_number + 1
    WHERE tenant_id = ${tenantId} AND form = ${template.form} AND symbol = ${symbol}
    RETURNING last_number`.execute(trx);
  const number = seq.rows[0]?.last_number;
  if (!number) throw new Error('invoice sequence row missing after upsert');

  const id = newId();
  const input: InvoiceDocumentInput = {
    id: `INV-${id}`,
    form: template.form,
    symbol,
    number,
    issueDate,
    currency: deal.currency,
    exchangeRate,
    paymentMethod: settings.payment_method,
    providerMst: settings.provider_mst ?? settings.mst,
    seller: {
      name: settings.legal_name,
      mst: settings.mst,
      address: settings.address,
      ...(settings.phone ? { phone: settings.phone } : {}),
      ...(settings.email ? { email: settings.email } : {}),
      ...(settings.bank_account ? { bankAccount: settings.bank_account } : {}),
      ...(settings.bank_name ? { bankName: settings.bank_name } : {}),
    },
    buyer: {
      name: account.name,
      ...(account.vn_mst ? { mst: account.vn_mst } : {}),
      address: buyerAddress,
      ...(account.email ? { email: account.email } : {}),
      ...(account.phone ? { phone: account.phone } : {}),
    },
    lines,
    ...(original && options.relation
      ? {
          related: {
            relation: options.relation.kind,
            form: template.form, // a correction is issued in its original's form
            symbol: original.symbol,
            number: original.number,
            issueDate: original.issue_date,
          },
        }
      : {}),
  };
  const parsed = invoiceDocumentSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvoiceBlocked(
      'invalid_data',
      `The invoice cannot be issued: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid data'}`,
    );
  }
  const doc = parsed.data;
  const totals = computeTotals(doc);
  const words = totals.grandTotalInWords;
  const signedAt = new Date();
  const xml = signInvoiceXml(buildInvoiceXml(doc), signer, signedAt);
  // Run-time self-checks: our signature verifies, and the document satisfies our schema.
  const own = verifyInvoiceSignature(xml);
  if (!own.valid) throw new Error(`issued invoice signature does not verify: ${own.errors.join('; ')}`);
  const check = await validateInvoiceXml(xml);
  if (!check.valid) {
    // Our own document failed our own schema: a bug, never stored or sent.
    throw new Error(
      `issued invoice XML failed ${HOADON_XSD_VERSION}: ${check.errors.slice(0, 3).join('; ')}`,
    );
  }
  const retainUntil = `${Number(issueDate.slice(0, 4)) + 10}${issueDate.slice(4)}`;
  const row = await trx
    .insertInto('crm_core.crm_vn_invoices')
    .values({
      tenant_id: tenantId,
      id,
      deal_id: deal.id,
      account_id: account.id,
      relation: options.relation?.kind ?? 'original',
      related_invoice_id: original?.id ?? null,
      form: template.form,
      symbol,
      number,
      issue_date: issueDate,
      currency: deal.currency,
      exchange_rate: exchangeRate,
      buyer_name: account.name,
      buyer_mst: account.vn_mst,
      total_before_vat: totals.totalBeforeVat,
      vat_total: totals.vatTotal,
      grand_total: totals.grandTotal,
      amount_in_words: words,
      xml,
      xml_sha256: createHash('sha256').update(xml).digest('hex'),
      xsd_version: HOADON_XSD_VERSION,
      signer_subject: signer.subject,
      signed_at: signedAt,
      retain_until: retainUntil,
      origin: options.origin,
      created_by: uow.actor.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  uow.audit({
    action: 'invoice.issued',
    entityType: 'invoice',
    entityId: id,
    diff: {
      number: { from: null, to: `${template.form}/${symbol}/${number}` },
      grand_total: { from: null, to: `${totals.grandTotal} ${deal.currency}` },
    },
  });
  uow.emit({
    type: 'invoice.issued',
    aggregateType: 'invoice',
    aggregateId: id,
    data: { invoice: invoiceEventData(row) },
  });
  return { id, symbol, number };
}

/** What INV receives: enough to register the invoice, with links to the signed XML and the view. */
function invoiceEventData(row: InvoiceRow) {
  return {
    id: row.id,
    deal_id: row.deal_id,
    account_id: row.account_id,
    relation: row.relation,
    related_invoice_id: row.related_invoice_id,
    form: row.form,
    symbol: row.symbol,
    number: row.number,
    issue_date: row.issue_date,
    currency: row.currency,
    exchange_rate: row.exchange_rate,
    buyer: { name: row.buyer_name, mst: row.buyer_mst },
    total_before_vat: row.total_before_vat,
    vat_total: row.vat_total,
    grand_total: row.grand_total,
    amount_in_words: row.amount_in_words,
    xml_sha256: row.xml_sha256,
    xml_url: `/crm/v1/invoices/${row.id}/xml`,
    html_url: `/crm/v1/invoices/${row.id}/html`,
    status: 'issued',
  };
}

// ---- presenting ----

export interface InvoiceJson {
  id: string;
  deal_id: string | null;
  account_id: string | null;
  relation: 'original' | 'adjustment' | 'replacement';
  related_invoice_id: string | null;
  form: string;
  symbol: string;
  number: number;
  issue_date: string;
  currency: string;
  exchange_rate: string;
  buyer_name: string;
  buyer_mst: string | null;
  total_before_vat: string;
  vat_total: string;
  grand_total: string;
  amount_in_words: string;
  xml_sha256: string;
  xsd_version: string;
  signer_subject: string;
  signed_at: string;
  retain_until: string;
  origin: 'manual' | 'won_flow';
  xml_url: string;
  html_url: string;
  created_at: string;
}

export function presentInvoice(r: InvoiceRow): InvoiceJson {
  return {
    id: r.id,
    deal_id: r.deal_id,
    account_id: r.account_id,
    relation: r.relation,
    related_invoice_id: r.related_invoice_id,
    form: r.form,
    symbol: r.symbol,
    number: r.number,
    issue_date: r.issue_date,
    currency: r.currency.trim(),
    exchange_rate: trimDecimal(r.exchange_rate),
    buyer_name: r.buyer_name,
    buyer_mst: r.buyer_mst,
    total_before_vat: trimDecimal(r.total_before_vat),
    vat_total: trimDecimal(r.vat_total),
    grand_total: trimDecimal(r.grand_total),
    amount_in_words: r.amount_in_words,
    xml_sha256: r.xml_sha256,
    xsd_version: r.xsd_version,
    signer_subject: r.signer_subject,
    signed_at: r.signed_at.toISOString(),
    retain_until: r.retain_until,
    origin: r.origin,
    xml_url: `/crm/v1/invoices/${r.id}/xml`,
    html_url: `/crm/v1/invoices/${r.id}/html`,
    created_at: r.created_at.toISOString(),
  };
}

// ---- use cases ----

const invoiceNotFound = () => new AppError('invoice_not_found', 'Invoice not found');

function blockedError(e: InvoiceBlocked): AppError {
  const field = e.reason === 'no_buyer' ? 'account_id' : e.reason === 'no_amount' ? 'amount_minor' : e.reason;
  return new AppError(
    e.reason === 'seller_profile_incomplete' ? 'seller_profile_incomplete' : 'invoice_invalid',
    e.message,
    { fields: [{ field, pointer: `/${field}`, in: 'body', code: e.reason, message: e.message }] },
  );
}

/** POST /deals/{id}/invoice: issue the deal's invoice now (the won flow does it by itself). */
export async function issueDealInvoice(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
): Promise<InvoiceJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.close');
  const tenantId = actor.workspaceId;
  const signer = await invoiceSigner(p.config);
  try {
    return await p.write(ctx, async (uow) => {
      const deal = await findDealView(uow.trx, tenantId, dealId, { forUpdate: true });
      if (!deal || deal.deleted_at || !canSeeDeal(actor, deal))
        throw new AppError('deal_not_found', 'Deal not found');
      if (deal.status !== 'won') {
        throw new AppError('deal_not_won', 'Only a won deal is invoiced; close it as won first', {
          extra: { status: deal.status },
        });
      }
      const before = await originalInvoiceOf(uow.trx, tenantId, dealId);
      if (before) {
        throw new AppError(
          'invoice_already_issued',
          'This deal already has its invoice; adjust or replace it',
          {
            extra: { invoice_id: before.id },
          },
        );
      }
      const issued = await issueInvoiceForDeal(uow, deal, { origin: 'manual', signer });
      return presentInvoice(await loadInvoice(uow.trx, tenantId, issued.id));
    });
  } catch (e) {
    if (e instanceof InvoiceBlocked) throw blockedError(e);
    throw e;
  }
}

async function originalInvoiceOf(trx: Db, tenantId: string, dealId: string) {
  return trx
    .selectFrom('crm_core.crm_vn_invoices')
    .select(['id', 'symbol', 'number'])
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', dealId)
    .where('relation', '=', 'original')
    .executeTakeFirst();
}

async function loadInvoice(trx: Db, tenantId: string, id: string): Promise<InvoiceRow> {
  const row = await trx
    .selectFrom('crm_core.crm_vn_invoices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw invoiceNotFound();
  return row;
}

/** An invoice the actor may see: its deal's ACL applies. */
async function visibleInvoice(db: Db, ctx: RequestContext, id: string): Promise<InvoiceRow> {
  const tenantId = ctx.actor.workspaceId;
  const row = await loadInvoice(db, tenantId, id);
  if (row.deal_id) {
    const deal = await findDealView(db, tenantId, row.deal_id);
    if (!deal || !canSeeDeal(ctx.actor, deal)) throw invoiceNotFound();
  }
  return row;
}

export async function getInvoice(p: AppPlatform, ctx: RequestContext, id: string): Promise<InvoiceJson> {
  requirePermission(ctx.actor, 'crm.deal.view');
  return presentInvoice(await p.db.read(ctx.actor.workspaceId, (db) => visibleInvoice(db, ctx, id)));
}

export async function invoiceXml(p: AppPlatform, ctx: RequestContext, id: string): Promise<InvoiceRow> {
  requirePermission(ctx.actor, 'crm.deal.view');
  return p.db.read(ctx.actor.workspaceId, (db) => visibleInvoice(db, ctx, id));
}

export async function invoiceHtml(p: AppPlatform, ctx: RequestContext, id: string): Promise<string> {
  const row = await invoiceXml(p, ctx, id);
  // The view shows what was issued: the amounts written in the XML, and a signature box only when the
  // stored signature verifies now.
  const parsed = parseInvoiceXml(row.xml);
  const sig = verifyInvoiceSignature(row.xml);
  return renderInvoiceHtml(parsed.document, parsed.totals, {
    ...(sig.valid
      ? { signed: { subject: sig.subject ?? row.signer_subject, signingTime: row.signed_at } }
      : {}),
  });
}

export async function listInvoices(
  p: AppPlatform,
  ctx: RequestContext,
  query: { deal_id?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ data: InvoiceJson[]; page: { limit: number; next_cursor: string | null; has_more: boolean } }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  const after = query.cursor
    ? (decodeCursor(query.cursor, 'invoices', ['instant', 'uuid']) as [string, string])
    : null;
  const rows = await p.db.read(tenantId, (db) => {
    let q = db
      .selectFrom('crm_core.crm_vn_invoices as i')
      .leftJoin('crm_core.crm_deals as d', (j) =>
        j.onRef('d.tenant_id', '=', 'i.tenant_id').onRef('d.id', '=', 'i.deal_id'),
      )
      .selectAll('i')
      .where('i.tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('i.deal_id', 'is', null), eb.and([dealVisibleSql(actor, 'd')])]));
    if (query.deal_id) q = q.where('i.deal_id', '=', query.deal_id);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('i.created_at', '<', new Date(after[0])),
          eb.and([eb('i.created_at', '=', new Date(after[0])), eb('i.id', '<', after[1])]),
        ]),
      );
    }
    return q
      .orderBy('i.created_at', 'desc')
      .orderBy('i.id', 'desc')
      .limit(query.limit + 1)
      .execute();
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(presentInvoice),
    page: {
      limit: query.limit,
      next_cursor:
        rows.length > query.limit && last
          ? encodeCursor('invoices', [last.created_at.toISOString(), last.id])
          : null,
      has_more: rows.length > query.limit,
    },
  };
}

/**
 * Replacement (TCHDon 1) or adjustment (TCHDon 2) of an issued invoice: a new invoice that references
 * it. A replacement re-issues the deal's current lines (after a correction); an adjustment carries only
 * the given difference lines.
 */
export async function reissueInvoice(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  kind: 'adjustment' | 'replacement',
  lines?: LineInput[],
): Promise<InvoiceJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.close');
  const tenantId = actor.workspaceId;
  const signer = await invoiceSigner(p.config);
  try {
    return await p.write(ctx, async (uow) => {
      const original = await visibleInvoice(uow.trx, ctx, id);
      if (original.relation !== 'original') {
        throw new AppError('conflict', 'Adjust or replace the original invoice, not a correction of it');
      }
      if (!original.deal_id) throw new AppError('conflict', 'Only invoices of deals can be reissued here');
      if (kind === 'replacement') {
        const replaced = await uow.trx
          .selectFrom('crm_core.crm_vn_invoices')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('related_invoice_id', '=', id)
          .where('relation', '=', 'replacement')
          .executeTakeFirst();
        if (replaced) {
          throw new AppError('invoice_already_replaced', 'This invoice was already replaced', {
            extra: { replacement_id: replaced.id },
          });
        }
      }
      const deal = await findDealView(uow.trx, tenantId, original.deal_id);
      if (!deal) throw invoiceNotFound();
      const issued = await issueInvoiceForDeal(uow, deal, {
        origin: 'manual',
        signer,
        relation: { kind, original },
        ...(lines ? { lines } : {}),
      });
      return presentInvoice(await loadInvoice(uow.trx, tenantId, issued.id));
    });
  } catch (e) {
    if (e instanceof InvoiceBlocked) throw blockedError(e);
    throw e;
  }
}
