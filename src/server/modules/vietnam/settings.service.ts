import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { sqlState, UNIQUE_VIOLATION } from '../../platform/db/errors.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import type {
  BankOverrideInput,
  CreateReceivingAccountInput,
  ReceivingAccountJson,
  SettingsJson,
  UpdateReceivingAccountInput,
  UpdateSettingsInput,
} from './settings.schema.js';
import type { ReceivingAccountRow, VnSettingsRow } from './vietnam.table.js';
import { type BankEntry, bankDirectoryFor } from './vietqr.service.js';

/**
 * The workspace's Vietnamese settings: its seller profile (what invoices say about it), its VietQR
 * receiving accounts (the allow-list of R-CRM-007) and its edits to the bank directory. Reading is for
 * members; changing is a workspace setting (crm.settings.manage), except confirming the first use of a
 * receiving account, which any member allowed to request payments may do.
 */

type Db = Kysely<DB> | Transaction<DB>;

const DEFAULT_SETTINGS: Omit<SettingsJson, 'version' | 'updated_at'> = {
  legal_name: null,
  mst: null,
  address: null,
  phone: null,
  email: null,
  bank_account: null,
  bank_name: null,
  invoice_with_code: true,
  invoice_series: 'TAA',
  provider_mst: null,
  payment_method: 'TM/CK',
  vat_sector: null,
  vat_method: null,
  won_flow_vietqr: true,
  won_flow_invoice: true,
};

export function presentSettings(row: VnSettingsRow | undefined): SettingsJson {
  if (!row) return { ...DEFAULT_SETTINGS, version: 0, updated_at: null };
  return {
    legal_name: row.legal_name,
    mst: row.mst,
    address: row.address,
    phone: row.phone,
    email: row.email,
    bank_account: row.bank_account,
    bank_name: row.bank_name,
    invoice_with_code: row.invoice_with_code,
    invoice_series: row.invoice_series,
    provider_mst: row.provider_mst,
    payment_method: row.payment_method,
    vat_sector: row.vat_sector,
    vat_method: row.vat_method,
    won_flow_vietqr: row.won_flow_vietqr,
    won_flow_invoice: row.won_flow_invoice,
    version: row.version,
    updated_at: row.updated_at.toISOString(),
  };
}

export async function loadSettings(db: Db, tenantId: string): Promise<VnSettingsRow | undefined> {
  return db
    .selectFrom('crm_core.crm_vn_settings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

export async function getSettings(p: AppPlatform, ctx: RequestContext): Promise<SettingsJson> {
  requirePermission(ctx.actor, 'crm.account.view');
  const row = await p.db.read(ctx.actor.workspaceId, (db) => loadSettings(db, ctx.actor.workspaceId));
  return presentSettings(row);
}

export async function updateSettings(
  p: AppPlatform,
  ctx: RequestContext,
  input: UpdateSettingsInput,
  expectedVersion?: number,
): Promise<SettingsJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  const row = await p.write(ctx, async (uow) => {
    const before = await uow.trx
      .selectFrom('crm_core.crm_vn_settings')
      .selectAll()
      .where('tenant_id', '=', actor.workspaceId)
      .forUpdate()
      .executeTakeFirst();
    if (expectedVersion !== undefined && expectedVersion !== (before?.version ?? 0)) {
      throw new AppError(
        'precondition_failed',
        'The settings changed since you read them; reload and retry',
        {
          extra: { current: presentSettings(before) },
        },
      );
    }
    const values = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const after = before
      ? await uow.trx
          .updateTable('crm_core.crm_vn_settings')
          .set({ ...values, updated_by: actor.userId, updated_at: new Date(), version: before.version + 1 })
          .where('tenant_id', '=', actor.workspaceId)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await uow.trx
          .insertInto('crm_core.crm_vn_settings')
          .values({
            tenant_id: actor.workspaceId,
            ...values,
            created_by: actor.userId,
            updated_by: actor.userId,
            deleted_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
    const diff = diffRecords(before ? presentSettings(before) : null, presentSettings(after), [
      'version',
      'updated_at',
    ]);
    uow.audit({
      action: 'vn_settings.updated',
      entityType: 'vn_settings',
      entityId: actor.workspaceId,
      diff,
    });
    uow.emit({
      type: 'vn_settings.updated',
      aggregateType: 'workspace',
      aggregateId: actor.workspaceId,
      data: { changes: diff },
    });
    // A seller profile or a switch may unblock won-flow steps that were waiting for it.
    await wakeWaitingSteps(uow.trx, actor.workspaceId, ['invoice', 'vietqr']);
    return after;
  });
  return presentSettings(row);
}

/** Waiting won-flow steps of the workspace become due now (their blocker may be gone). */
export async function wakeWaitingSteps(
  trx: Transaction<DB>,
  tenantId: string,
  steps: string[],
): Promise<void> {
  await sql`UPDATE crm_core.crm_deal_flow_steps SET status = 'pending', available_at = now(), updated_at = now()
            WHERE tenant_id = ${tenantId} AND status = 'waiting' AND step IN (${sql.join(steps)})`.execute(
    trx,
  );
}

// ---- receiving accounts (R-CRM-007) ----

const accountNotFound = () => new AppError('receiving_account_not_found', 'Receiving account not found');

export function presentReceivingAccount(
  row: ReceivingAccountRow,
  bank: (bin: string) => BankEntry | undefined,
): ReceivingAccountJson {
  const b = bank(row.bank_bin);
  return {
    id: row.id,
    bank_bin: row.bank_bin,
    bank: b ? { short_name: b.shortName, name: b.name } : null,
    account_number: row.account_number,
    account_name: row.account_name,
    service: row.service,
    is_default: row.is_default,
    confirmed: row.confirmed_at !== null,
    confirmed_at: row.confirmed_at?.toISOString() ?? null,
    confirmed_by: row.confirmed_by,
    created_at: row.created_at.toISOString(),
    version: row.version,
  };
}

function receivingSnapshot(row: ReceivingAccountRow): Record<string, unknown> {
  return {
    bank_bin: row.bank_bin,
    account_number: row.account_number,
    account_name: row.account_name,
    service: row.service,
    is_default: row.is_default,
    confirmed_at: row.confirmed_at?.toISOString() ?? null,
    deleted_at: row.deleted_at?.toISOString() ?? null,
  };
}

export async function listReceivingAccounts(
  p: AppPlatform,
  ctx: RequestContext,
): Promise<{ data: ReceivingAccountJson[] }> {
  requirePermission(ctx.actor, 'crm.deal.view');
  const tenantId = ctx.actor.workspaceId;
  const [rows, banks] = await p.db.read(tenantId, async (db) => [
    await db
      .selectFrom('crm_core.crm_vn_receiving_accounts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    await bankDirectoryFor(db, tenantId),
  ]);
  return { data: rows.map((r) => presentReceivingAccount(r, banks)) };
}

async function clearDefault(trx: Transaction<DB>, tenantId: string, exceptId: string): Promise<void> {
  await trx
    .updateTable('crm_core.crm_vn_receiving_accounts')
    .set({ is_default: false, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', true)
    .where('id', '<>', exceptId)
    .execute();
}

export async function createReceivingAccount(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateReceivingAccountInput,
): Promise<ReceivingAccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  const tenantId = actor.workspaceId;
  try {
    return await p.write(ctx, async (uow) => {
      const banks = await bankDirectoryFor(uow.trx, tenantId);
      const bank = banks(input.bank_bin);
      if (!bank) {
        throw fieldError(
          ['bank_bin'],
          'unknown_bank',
          `No bank with BIN ${input.bank_bin} in the bank directory`,
        );
      }
      const id = newId();
      if (input.is_default) await clearDefault(uow.trx, tenantId, id);
      const row = await uow.trx
        .insertInto('crm_core.crm_vn_receiving_accounts')
        .values({
          tenant_id: tenantId,
          id,
          bank_bin: input.bank_bin,
          account_number: input.account_number,
          account_name: input.account_name,
          service: input.service,
          is_default: input.is_default,
          // Added, not yet used: the first payment request into it needs a member's confirmation.
          confirmed_at: null,
          confirmed_by: null,
          created_by: actor.userId,
          updated_by: actor.userId,
          deleted_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      uow.audit({
        action: 'vn_receiving_account.created',
        entityType: 'vn_receiving_account',
        entityId: id,
        diff: diffRecords(null, receivingSnapshot(row)),
      });
      uow.emit({
        type: 'vn_receiving_account.created',
        aggregateType: 'vn_receiving_account',
        aggregateId: id,
        data: { account: receivingSnapshot(row) },
      });
      return presentReceivingAccount(row, banks);
    });
  } catch (e) {
    if (sqlState(e) === UNIQUE_VIOLATION) {
      throw new AppError('conflict', 'This bank account is already on the list', {
        fields: [
          {
            field: 'account_number',
            pointer: '/account_number',
            in: 'body',
            code: 'taken',
            message: 'already listed',
          },
        ],
      });
    }
    throw e;
  }
}

async function lockReceivingAccount(trx: Transaction<DB>, tenantId: string, id: string) {
  const row = await trx
    .selectFrom('crm_core.crm_vn_receiving_accounts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw accountNotFound();
  return row;
}

export async function updateReceivingAccount(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateReceivingAccountInput,
): Promise<ReceivingAccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const before = await lockReceivingAccount(uow.trx, tenantId, id);
    if (input.is_default) await clearDefault(uow.trx, tenantId, id);
    const after = await uow.trx
      .updateTable('crm_core.crm_vn_receiving_accounts')
      .set({
        ...(input.account_name !== undefined ? { account_name: input.account_name } : {}),
        ...(input.is_default !== undefined ? { is_default: input.is_default } : {}),
        updated_by: actor.userId,
        updated_at: new Date(),
        version: before.version + 1,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    uow.audit({
      action: 'vn_receiving_account.updated',
      entityType: 'vn_receiving_account',
      entityId: id,
      diff: diffRecords(receivingSnapshot(before), receivingSnapshot(after)),
    });
    if (after.is_default) await wakeWaitingSteps(uow.trx, tenantId, ['vietqr']);
    return presentReceivingAccount(after, await bankDirectoryFor(uow.trx, tenantId));
  });
}

/**
 * R-CRM-007: a member confirms, once, that money may be collected into this account (they checked the
 * number with the bank). Recorded with who and when; idempotent.
 */
export async function confirmReceivingAccount(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
): Promise<ReceivingAccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.payment.request');
  if (!actor.userId) {
    throw new AppError('forbidden', 'A receiving account must be confirmed by a member, not by a machine');
  }
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const row = await markConfirmed(uow.trx, tenantId, id, actor.userId as string);
    if (row.changed) {
      uow.audit({
        action: 'vn_receiving_account.confirmed',
        entityType: 'vn_receiving_account',
        entityId: id,
        diff: { confirmed_at: { from: null, to: row.row.confirmed_at?.toISOString() ?? null } },
      });
      uow.emit({
        type: 'vn_receiving_account.confirmed',
        aggregateType: 'vn_receiving_account',
        aggregateId: id,
        data: { account: receivingSnapshot(row.row), confirmed_by: actor.userId },
      });
      await wakeWaitingSteps(uow.trx, tenantId, ['vietqr']);
    }
    return presentReceivingAccount(row.row, await bankDirectoryFor(uow.trx, tenantId));
  });
}

export async function markConfirmed(
  trx: Transaction<DB>,
  tenantId: string,
  id: string,
  userId: string,
): Promise<{ row: ReceivingAccountRow; changed: boolean }> {
  const before = await lockReceivingAccount(trx, tenantId, id);
  if (before.confirmed_at) return { row: before, changed: false };
  const row = await trx
    .updateTable('crm_core.crm_vn_receiving_accounts')
    .set({
      confirmed_at: new Date(),
      confirmed_by: userId,
      updated_at: new Date(),
      version: before.version + 1,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, changed: true };
}

export async function deleteReceivingAccount(p: AppPlatform, ctx: RequestContext, id: string): Promise<void> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  const tenantId = actor.workspaceId;
  await p.write(ctx, async (uow) => {
    const before = await lockReceivingAccount(uow.trx, tenantId, id);
    await uow.trx
      .updateTable('crm_core.crm_vn_receiving_accounts')
      .set({ deleted_at: new Date(), is_default: false, updated_at: new Date(), version: before.version + 1 })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
    uow.audit({
      action: 'vn_receiving_account.deleted',
      entityType: 'vn_receiving_account',
      entityId: id,
      diff: diffRecords(receivingSnapshot(before), null),
    });
  });
}

// ---- bank directory edits ----

export async function putBankOverride(
  p: AppPlatform,
  ctx: RequestContext,
  bin: string,
  input: BankOverrideInput,
): Promise<void> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  await p.write(ctx, async (uow) => {
    await uow.trx
      .insertInto('crm_core.crm_vn_bank_overrides')
      .values({
        tenant_id: actor.workspaceId,
        bin,
        code: input.code ?? null,
        short_name: input.short_name ?? null,
        name: input.name ?? null,
        disabled: input.disabled,
        created_by: actor.userId,
        updated_by: actor.userId,
        deleted_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'bin']).doUpdateSet({
          code: input.code ?? null,
          short_name: input.short_name ?? null,
          name: input.name ?? null,
          disabled: input.disabled,
          updated_by: actor.userId,
          updated_at: new Date(),
          version: sql`crm_core.crm_vn_bank_overrides.version + 1`,
        }),
      )
      .execute();
    uow.audit({
      action: 'vn_bank.overridden',
      entityType: 'vn_bank',
      entityId: bin,
      diff: diffRecords(null, { ...input }),
    });
  });
}

export async function deleteBankOverride(p: AppPlatform, ctx: RequestContext, bin: string): Promise<void> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  await p.write(ctx, async (uow) => {
    const r = await uow.trx
      .deleteFrom('crm_core.crm_vn_bank_overrides')
      .where('tenant_id', '=', actor.workspaceId)
      .where('bin', '=', bin)
      .executeTakeFirst();
    if (r.numDeletedRows === 0n) throw new AppError('not_found', `No edit of bank ${bin} in this workspace`);
    uow.audit({ action: 'vn_bank.override_removed', entityType: 'vn_bank', entityId: bin, diff: {} });
  });
}
