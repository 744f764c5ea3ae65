import type { Kysely, Transaction } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { convertMinor, dateIn, loadRates } from '../currencies/currency.money.js';
import { workspaceMoneySettings } from '../currencies/currency.repository.js';
import { findDealView } from '../deals/deal.repository.js';
import { canSeeDeal } from '../deals/deal.visibility.js';
import { markConfirmed } from './settings.service.js';
import type { ReceivingAccountRow, VietQrCodeRow } from './vietnam.table.js';
import {
  BANK_DIRECTORY,
  BANK_DIRECTORY_VERSION,
  type BankOverride,
  type DirectoryBank,
  findBank,
  mergeBankDirectory,
} from './vietqr/vietqr.banks.js';
import {
  type DecodedVietQr,
  decodeVietQr,
  encodeVietQr,
  foldPurpose,
  VietQrInputError,
} from './vietqr/vietqr.codec.js';

/**
 * VietQR use cases: the bank directory a workspace sees (base data + its edits), payment requests for a
 * deal into an allow-listed receiving account (R-CRM-007: first use confirmed by a member), stored as
 * generated, and the pure encode/decode endpoints.
 */

type Db = Kysely<DB> | Transaction<DB>;

export type BankEntry = DirectoryBank;

async function bankOverrides(db: Db, tenantId: string): Promise<BankOverride[]> {
  const rows = await db
    .selectFrom('crm_core.crm_vn_bank_overrides')
    .select(['bin', 'code', 'short_name', 'name', 'disabled'])
    .where('tenant_id', '=', tenantId)
    .orderBy('bin')
    .execute();
  return rows.map((o) => ({
    bin: o.bin,
    code: o.code,
    shortName: o.short_name,
    name: o.name,
    disabled: o.disabled,
  }));
}

/** The workspace's bank directory as a lookup: the shipped list with the workspace's edits applied. */
export async function bankDirectoryFor(
  db: Db,
  tenantId: string,
): Promise<(bin: string) => BankEntry | undefined> {
  const merged = mergeBankDirectory(BANK_DIRECTORY, await bankOverrides(db, tenantId));
  const byBin = new Map(merged.map((b) => [b.bin, b]));
  return (bin) => byBin.get(bin);
}

export async function listBanks(
  p: AppPlatform,
  ctx: RequestContext,
): Promise<{ version: string; data: Array<{ bin: string; code: string; shortName: string; name: string }> }> {
  requirePermission(ctx.actor, 'crm.deal.view');
  const tenantId = ctx.actor.workspaceId;
  const overrides = await p.db.read(tenantId, (db) => bankOverrides(db, tenantId));
  return {
    version: overrides.length > 0 ? `${BANK_DIRECTORY_VERSION}+workspace` : BANK_DIRECTORY_VERSION,
    data: mergeBankDirectory(BANK_DIRECTORY, overrides).map((b) => ({
      bin: b.bin,
      code: b.code,
      shortName: b.shortName,
      name: b.name,
    })),
  };
}

/** The reference a transfer carries back: short, ASCII, unique per deal ("DL" + the id's random tail). */
export function dealReference(dealId: string): string {
  return `DL${dealId.replace(/-/g, '').slice(-10).toUpperCase()}`;
}

export interface VietQrJson {
  id: string;
  deal_id: string | null;
  receiving_account_id: string;
  bank_bin: string;
  bank: { short_name: string; name: string } | null;
  account_number: string;
  amount_vnd: number | null;
  purpose: string | null;
  reference: string;
  payload: string;
  origin: 'manual' | 'won_flow';
  png_url: string;
  svg_url: string;
  created_at: string;
}

export function presentVietQr(row: VietQrCodeRow, bank: (bin: string) => BankEntry | undefined): VietQrJson {
  const b = bank(row.bank_bin);
  return {
    id: row.id,
    deal_id: row.deal_id,
    receiving_account_id: row.receiving_account_id,
    bank_bin: row.bank_bin,
    bank: b ? { short_name: b.shortName, name: b.name } : null,
    account_number: row.account_number,
    amount_vnd: row.amount_vnd === null ? null : Number(row.amount_vnd),
    purpose: row.purpose,
    reference: row.reference,
    payload: row.payload,
    origin: row.origin,
    png_url: `/crm/v1/vn/vietqr/${row.id}/qr.png`,
    svg_url: `/crm/v1/vn/vietqr/${row.id}/qr.svg`,
    created_at: row.created_at.toISOString(),
  };
}

export class VietQrBlocked extends Error {
  constructor(
    readonly reason: 'no_receiving_account' | 'unconfirmed_account' | 'no_amount' | 'missing_rate',
    message: string,
  ) {
    super(message);
  }
}

/** The deal's amount in whole VND: VND as is, USD converted at the rate valid on `on` (VND base only). */
export async function dealAmountVnd(
  trx: Db,
  tenantId: string,
  deal: { amount_minor: number | null; currency: string },
  on: string,
): Promise<bigint> {
  if (deal.amount_minor === null || deal.amount_minor <= 0) {
    throw new VietQrBlocked('no_amount', 'The deal has no amount to collect');
  }
  if (deal.currency === 'VND') return BigInt(deal.amount_minor);
  const { base_currency } = await workspaceMoneySettings(trx, tenantId);
  const rate = base_currency === 'VND' ? (await loadRates(trx, 'VND', on)).get(deal.currency) : undefined;
  if (!rate) {
    throw new VietQrBlocked(
      'missing_rate',
      `No ${deal.currency}→VND exchange rate valid on ${on}: add one, or give amount_vnd explicitly`,
    );
  }
  return convertMinor(BigInt(deal.amount_minor), deal.currency, 'VND', rate.rate);
}

/**
 * Generates and stores one code for a deal, inside the caller's transaction (the request's, or the won
 * flow's). The account must be allow-listed; its first use must carry a member's confirmation.
 */
export async function generateDealQr(
  uow: UnitOfWork<DB>,
  args: {
    deal: { id: string; name: string; amount_minor: number | null; currency: string };
    account: ReceivingAccountRow;
    amountVnd: bigint;
    purpose?: string | null;
    origin: 'manual' | 'won_flow';
    confirmFirstUse: boolean;
    confirmingUserId: string | null;
  },
): Promise<VietQrCodeRow> {
  const tenantId = uow.actor.workspaceId;
  const { deal, account } = args;
  let acct = account;
  if (!acct.confirmed_at) {
    if (!args.confirmFirstUse || !args.confirmingUserId) {
      throw new VietQrBlocked(
        'unconfirmed_account',
        `Receiving account ${acct.account_number} has never been used: a member must confirm it first (R-CRM-007)`,
      );
    }
    acct = (await markConfirmed(uow.trx, tenantId, acct.id, args.confirmingUserId)).row;
    uow.audit({
      action: 'vn_receiving_account.confirmed',
      entityType: 'vn_receiving_account',
      entityId: acct.id,
      diff: { confirmed_at: { from: null, to: acct.confirmed_at?.toISOString() ?? null } },
    });
  }
  const reference = dealReference(deal.id);
  const purpose = foldPurpose(args.purpose ?? `${reference} ${deal.name}`, 25);
  const payload = encodeVietQr({
    bankBin: acct.bank_bin,
    account: acct.account_number,
    service: acct.service,
    amount: Number(args.amountVnd),
    purpose,
    reference,
  });
  const id = newId();
  const row = await uow.trx
    .insertInto('crm_core.crm_vn_vietqr_codes')
    .values({
      tenant_id: tenantId,
      id,
      deal_id: deal.id,
      receiving_account_id: acct.id,
      bank_bin: acct.bank_bin,
      account_number: acct.account_number,
      amount_vnd: args.amountVnd.toString(),
      purpose,
      reference,
      payload,
      origin: args.origin,
      created_by: uow.actor.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  uow.audit({
    action: 'vietqr.generated',
    entityType: 'deal',
    entityId: deal.id,
    diff: { vietqr_id: { from: null, to: id }, amount_vnd: { from: null, to: args.amountVnd.toString() } },
  });
  uow.emit({
    type: 'vietqr.generated',
    aggregateType: 'deal',
    aggregateId: deal.id,
    data: {
      vietqr: {
        id,
        deal_id: deal.id,
        bank_bin: acct.bank_bin,
        account_number: acct.account_number,
        amount_vnd: args.amountVnd.toString(),
        purpose,
        reference,
        payload,
        origin: args.origin,
      },
    },
  });
  return row;
}

export interface DealQrInput {
  receiving_account_id?: string | undefined;
  bank_bin?: string | undefined;
  account_number?: string | undefined;
  amount_vnd?: number | undefined;
  purpose?: string | null | undefined;
  confirm_first_use?: boolean | undefined;
}

async function pickAccount(trx: Db, tenantId: string, input: DealQrInput): Promise<ReceivingAccountRow> {
  let q = trx
    .selectFrom('crm_core.crm_vn_receiving_accounts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null);
  if (input.receiving_account_id) q = q.where('id', '=', input.receiving_account_id);
  else if (input.bank_bin && input.account_number) {
    q = q.where('bank_bin', '=', input.bank_bin).where('account_number', '=', input.account_number);
  } else q = q.where('is_default', '=', true);
  const row = await q.executeTakeFirst();
  if (row) return row;
  if (input.receiving_account_id || input.bank_bin) {
    throw new AppError(
      'receiving_account_not_allowed',
      'This bank account is not on the workspace allow-list of receiving accounts (R-CRM-007); an admin adds it under Settings → VietQR',
      {
        fields: [
          {
            field: input.receiving_account_id ? 'receiving_account_id' : 'account_number',
            pointer: input.receiving_account_id ? '/receiving_account_id' : '/account_number',
            in: 'body',
            code: 'not_allowed',
            message: 'not an allow-listed receiving account',
          },
        ],
      },
    );
  }
  throw fieldError(
    ['receiving_account_id'],
    'required',
    'The workspace has no default receiving account: name one (receiving_account_id or bank_bin + account_number)',
  );
}

/** POST /deals/{id}/vietqr: a payment request for the deal's amount (scope crm.payment). */
export async function createDealQr(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
  input: DealQrInput,
): Promise<VietQrJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.payment.request');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const deal = await findDealView(uow.trx, tenantId, dealId);
    if (!deal || deal.deleted_at || !canSeeDeal(actor, deal)) {
      throw new AppError('deal_not_found', 'Deal not found');
    }
    const account = await pickAccount(uow.trx, tenantId, input);
    const { timezone } = await workspaceMoneySettings(uow.trx, tenantId);
    let amount: bigint;
    try {
      amount =
        input.amount_vnd !== undefined
          ? BigInt(input.amount_vnd)
          : await dealAmountVnd(uow.trx, tenantId, deal, dateIn(timezone));
    } catch (e) {
      if (e instanceof VietQrBlocked) throw fieldError(['amount_vnd'], e.reason, e.message);
      throw e;
    }
    try {
      const row = await generateDealQr(uow, {
        deal,
        account,
        amountVnd: amount,
        purpose: input.purpose ?? null,
        origin: 'manual',
        confirmFirstUse: input.confirm_first_use === true,
        confirmingUserId: actor.userId,
      });
      return presentVietQr(row, await bankDirectoryFor(uow.trx, tenantId));
    } catch (e) {
      if (e instanceof VietQrBlocked && e.reason === 'unconfirmed_account') {
        throw new AppError(
          'receiving_account_unconfirmed',
          `${e.message}: resend with confirm_first_use: true`,
          {
            fields: [
              {
                field: 'confirm_first_use',
                pointer: '/confirm_first_use',
                in: 'body',
                code: 'confirmation_required',
                message: 'first use of this receiving account must be confirmed',
              },
            ],
            extra: { receiving_account_id: account.id },
          },
        );
      }
      throw e;
    }
  });
}

/** The codes generated for a deal, newest first. */
export async function listDealQrs(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
): Promise<{ data: VietQrJson[] }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const deal = await findDealView(db, tenantId, dealId);
    if (!deal || !canSeeDeal(actor, deal)) throw new AppError('deal_not_found', 'Deal not found');
    const rows = await db
      .selectFrom('crm_core.crm_vn_vietqr_codes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deal_id', '=', dealId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const banks = await bankDirectoryFor(db, tenantId);
    return { data: rows.map((r) => presentVietQr(r, banks)) };
  });
}

/** One stored code (for its image), subject to the deal's ACL. */
export async function getVietQr(p: AppPlatform, ctx: RequestContext, id: string): Promise<VietQrCodeRow> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const row = await db
      .selectFrom('crm_core.crm_vn_vietqr_codes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AppError('vietqr_not_found', 'VietQR code not found');
    if (row.deal_id) {
      const deal = await findDealView(db, tenantId, row.deal_id);
      if (!deal || !canSeeDeal(actor, deal)) throw new AppError('vietqr_not_found', 'VietQR code not found');
    }
    return row;
  });
}

/** The decoded payload as the API shows it (snake_case, bank named from the shipped directory). */
function presentDecoded(qr: DecodedVietQr) {
  const bank = qr.kind === 'napas' ? findBank(qr.bankBin) : undefined;
  return {
    init: qr.init,
    dynamic: qr.init === '12',
    kind: qr.kind,
    guid: qr.guid,
    bank_bin: qr.bankBin ?? null,
    bank: bank ? { short_name: bank.shortName, name: bank.name } : null,
    account: qr.account ?? null,
    service: qr.service ?? null,
    amount: qr.amount ?? null,
    currency: qr.currency === '704' ? 'VND' : qr.currency,
    country: qr.country,
    purpose: qr.purpose ?? null,
    bill_number: qr.billNumber ?? null,
    reference: qr.reference ?? null,
    terminal: qr.terminal ?? null,
    crc: qr.crc,
  };
}

/** Pure decode, as an API answer; a rejected payload is a 422 naming `payload` with the decoder's reason. */
export function decodePayload(actor: Actor, payload: string) {
  requirePermission(actor, 'crm.deal.view');
  const r = decodeVietQr(payload);
  if (!r.ok) {
    throw new AppError('vietqr_invalid', r.message, {
      fields: [{ field: 'payload', pointer: '/payload', in: 'body', code: r.reason, message: r.message }],
    });
  }
  return presentDecoded(r.qr);
}

const ENCODE_FIELDS: Record<string, string> = {
  bankBin: 'bank_bin',
  account: 'account',
  amount: 'amount',
  purpose: 'purpose',
  billNumber: 'bill_number',
  reference: 'reference',
  terminal: 'terminal',
  service: 'service',
  dynamic: 'dynamic',
  additionalData: 'purpose',
};

/** Pure encode (nothing stored), answered with the payload and its own decoding. */
export function encodePayload(
  actor: Actor,
  input: {
    bank_bin: string;
    account: string;
    service?: 'QRIBFTTA' | 'QRIBFTTC' | undefined;
    amount?: number | undefined;
    purpose?: string | undefined;
    bill_number?: string | undefined;
    reference?: string | undefined;
  },
) {
  requirePermission(actor, 'crm.deal.view');
  try {
    const payload = encodeVietQr({
      bankBin: input.bank_bin,
      account: input.account,
      ...(input.service ? { service: input.service } : {}),
      ...(input.amount !== undefined ? { amount: input.amount } : {}),
      ...(input.purpose !== undefined ? { purpose: input.purpose } : {}),
      ...(input.bill_number !== undefined ? { billNumber: input.bill_number } : {}),
      ...(input.reference !== undefined ? { reference: input.reference } : {}),
    });
    const decoded = decodeVietQr(payload);
    if (!decoded.ok) throw new Error(`encoder produced an undecodable payload: ${decoded.message}`);
    return { payload, decoded: presentDecoded(decoded.qr) };
  } catch (e) {
    if (e instanceof VietQrInputError) {
      const field = ENCODE_FIELDS[e.field] ?? e.field;
      throw new AppError('vietqr_invalid', e.message, {
        fields: [{ field, pointer: `/${field}`, in: 'body', code: e.reason, message: e.message }],
      });
    }
    throw e;
  }
}
