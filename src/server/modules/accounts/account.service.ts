import type { AppPlatform, DB } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../../platform/db/errors.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor, invalidCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { withUnitCodes } from '../vietnam/address.service.js';
import {
  type AccountMstFields,
  accountMstFields,
  presentVerification,
  type ValidateMstJson,
  verifyMst,
} from '../vietnam/mst.service.js';
import { type Account360Parts, loadAccount360 } from './account.360.js';
import { accountCreated, accountDeleted, accountRestored, accountUpdated } from './account.events.js';
import { canDelete, canRestore, canUpdate, mayAssignOwner } from './account.policy.js';
import { type AccountJson, accountSnapshot, presentAccount } from './account.presenter.js';
import {
  type AccountFilters,
  countAccountRows,
  countSearchHits,
  findAccount,
  insertAccount,
  listAccountRows,
  searchAccountRows,
  sortKeyOf,
  updateAccountRow,
} from './account.repository.js';
import type {
  AccountInclude,
  AccountSort,
  CreateAccountInput,
  ListAccountsQuery,
  UpdateAccountInput,
} from './account.schema.js';
import type { AccountRow, AccountRowUpdate } from './account.table.js';

/**
 * Account use cases: validate (zod, at the edge) → authorize (permission + record policy) → command
 * (one transaction with audit and events) → present. Another workspace's account is "not found".
 */

const notFound = () => new AppError('account_not_found', 'Account not found');

function ownerError(): AppError {
  return fieldError(['owner_id'], 'not_a_member', 'owner_id must be a member of this workspace');
}

async function withOwnerCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (sqlState(e) === FOREIGN_KEY_VIOLATION) throw ownerError();
    throw e;
  }
}

/** A create-account input checked and enriched outside any transaction (MST registry, address codes). */
export interface PreparedAccount {
  input: CreateAccountInput;
  ownerId: string | null;
  mst: AccountMstFields;
  addressed: ReturnType<typeof withUnitCodes>;
}

/**
 * The part of creating an account that must run before the write transaction opens: permission, owner
 * rule, the MST check (a registry call must never hold a transaction open) and the address unit codes.
 * Errors: 403 (permission, owner_id), 422 naming vn_mst.
 */
export async function prepareAccountCreate(
  p: AppPlatform,
  actor: RequestContext['actor'],
  input: CreateAccountInput,
): Promise<PreparedAccount> {
  requirePermission(actor, 'crm.account.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw new AppError('forbidden', 'Only managers and admins may give an account to another member', {
      fields: [
        { field: 'owner_id', pointer: '/owner_id', in: 'body', code: 'forbidden', message: 'not allowed' },
      ],
    });
  }
  const mst = await accountMstFields(p.mstRegistry, {
    country: input.country ?? null,
    vn_mst: input.vn_mst ?? null,
    name: input.name,
  });
  return { input, ownerId, mst, addressed: withUnitCodes(input.addresses) };
}

/**
 * The in-transaction core of createAccount (also used by lead conversion, which creates an account,
 * a contact and a deal in one transaction): inserts the row and collects its audit entry and
 * `account.created`. A foreign-key failure (owner not a member) is the caller's to map.
 */
export async function createAccountIn(uow: UnitOfWork<DB>, prepared: PreparedAccount): Promise<AccountRow> {
  const { input, ownerId, mst, addressed } = prepared;
  const { actor } = uow;
  const created = await insertAccount(uow.trx, {
    tenant_id: actor.workspaceId,
    id: newId(),
    name: mst.name ?? input.name,
    legal_type: input.legal_type,
    vn_mst: mst.vn_mst,
    mst_status: mst.mst_status,
    mst_checked_at: mst.mst_checked_at,
    industry: input.industry ?? null,
    size: input.size ?? null,
    website: input.website ?? null,
    domains: input.domains,
    country: input.country ?? null,
    phone: input.phone ?? null,
    email: input.email ?? null,
    addresses: jsonb(addressed.addresses),
    lifecycle: input.lifecycle,
    lead_source: input.lead_source ?? null,
    description: input.description ?? null,
    owner_id: ownerId,
    custom_fields: jsonb(input.custom_fields),
    tags: input.tags ?? [],
    created_by: actor.userId,
    updated_by: actor.userId,
    deleted_at: null,
  });
  const snapshot = accountSnapshot(created);
  uow.audit({
    action: 'account.created',
    entityType: 'account',
    entityId: created.id,
    diff: diffRecords(null, snapshot),
  });
  uow.emit(accountCreated(snapshot));
  return created;
}

/** The warnings an account write reports (MST check, address codes). */
export const preparedAccountWarnings = (prepared: PreparedAccount) => [
  ...prepared.mst.warnings,
  ...prepared.addressed.warnings,
];

export async function createAccount(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateAccountInput,
): Promise<AccountJson> {
  const prepared = await prepareAccountCreate(p, ctx.actor, input);
  const row = await withOwnerCheck(() => p.write(ctx, (uow) => createAccountIn(uow, prepared)));
  return withWarnings(presentAccount(row, ctx.actor), preparedAccountWarnings(prepared));
}

const withWarnings = (
  json: AccountJson,
  warnings: ReadonlyArray<{ code: string; field: string; message: string }>,
): AccountJson => (warnings.length > 0 ? { ...json, warnings: [...warnings] } : json);

/**
 * The MST fields an update stores, when it touches the MST or the country: the account as it will be
 * (current values under the changes) is checked before the write transaction opens.
 */
async function mstForUpdate(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  changes: UpdateAccountInput,
): Promise<AccountMstFields | null> {
  if (changes.vn_mst === undefined && changes.country === undefined) return null;
  const tenantId = ctx.actor.workspaceId;
  const current = await p.db.read(tenantId, (db) => findAccount(db, tenantId, id));
  if (!current) return null; // the write reports the 404
  const country = changes.country !== undefined ? changes.country : current.country;
  const vnMst = changes.vn_mst !== undefined ? changes.vn_mst : current.vn_mst;
  if (vnMst === current.vn_mst && country === current.country) return null;
  return accountMstFields(p.mstRegistry, { country, vn_mst: vnMst, name: changes.name ?? current.name });
}

/**
 * One account; with `include`, Account 360: the named parts are read in parallel with the account in
 * the same read (account.360.ts). Without it, the hot path is unchanged.
 */
export async function getAccount(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  options: { includeDeleted?: boolean; include?: readonly AccountInclude[] } = {},
): Promise<AccountJson & Account360Parts> {
  requirePermission(ctx.actor, 'crm.account.view');
  const tenantId = ctx.actor.workspaceId;
  if (options.include && options.include.length > 0) {
    const include = options.include;
    const [row, parts] = await p.db.read(tenantId, (db) =>
      Promise.all([findAccount(db, tenantId, id), loadAccount360(db, ctx.actor, id, include)]),
    );
    if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound();
    return { ...presentAccount(row, ctx.actor), ...parts };
  }
  const row = await p.db.read(tenantId, (db) => findAccount(db, tenantId, id));
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound();
  return presentAccount(row, ctx.actor);
}

function listCursorKey(cursor: string, sort: AccountSort): [string, string] {
  return decodeCursor(cursor, sort, [sort.endsWith('name') ? 'text' : 'instant', 'uuid']) as [string, string];
}

function searchCursorKey(cursor: string): [number, string, string] {
  const [rank, name, id] = decodeCursor(cursor, 'search', ['int', 'text', 'uuid']) as [
    number,
    string,
    string,
  ];
  if (rank < 0 || rank > 3) throw invalidCursor();
  return [rank, name, id];
}

export interface AccountPage {
  data: AccountJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean; total?: number };
}

export async function listAccounts(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListAccountsQuery,
): Promise<AccountPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.view');
  const tenantId = actor.workspaceId;
  const filters: AccountFilters = {
    deleted: query.deleted,
    ...(query.owner_id === 'me'
      ? { ownerId: actor.userId }
      : query.owner_id === 'none'
        ? { ownerId: null }
        : query.owner_id
          ? { ownerId: query.owner_id }
          : {}),
    ...(query.lifecycle ? { lifecycle: query.lifecycle } : {}),
    ...(query.legal_type ? { legalType: query.legal_type } : {}),
    ...(query.industry ? { industry: query.industry } : {}),
    ...(query.country ? { country: query.country } : {}),
    ...(query.tag ? { tags: query.tag } : {}),
  };
  const limit = query.limit;

  return p.db.read(tenantId, async (db) => {
    let rows: AccountRow[];
    let nextCursor: string | null = null;
    let total: number | undefined;
    if (query.q) {
      // Search: ranked by relevance, whatever `sort` says.
      const after = query.cursor ? searchCursorKey(query.cursor) : null;
      const hits = await searchAccountRows(db, tenantId, query.q, filters, after, limit + 1);
      rows = hits.slice(0, limit);
      const last = hits[limit - 1];
      if (hits.length > limit && last)
        nextCursor = encodeCursor('search', [last.search_rank, last.name_fold, last.id]);
      if (query.include_total) total = await countSearchHits(db, query.q, filters);
    } else {
      const after = query.cursor ? listCursorKey(query.cursor, query.sort) : null;
      const fetched = await listAccountRows(db, tenantId, filters, query.sort, after, limit + 1);
      rows = fetched.slice(0, limit);
      const last = rows[rows.length - 1];
      if (fetched.length > limit && last)
        nextCursor = encodeCursor(query.sort, [sortKeyOf(query.sort, last), last.id]);
      if (query.include_total) total = await countAccountRows(db, tenantId, filters);
    }
    return {
      data: rows.map((r) => presentAccount(r, actor)),
      page: {
        limit,
        next_cursor: nextCursor,
        has_more: nextCursor !== null,
        ...(total === undefined ? {} : { total }),
      },
    };
  });
}

/** Loads the row for a write, locked, and checks existence, version and the record rule. */
async function loadForWrite(
  uow: { trx: Parameters<typeof findAccount>[0] },
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<AccountRow> {
  const row = await findAccount(uow.trx, ctx.actor.workspaceId, id, { forUpdate: true });
  if (!row) throw notFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The account changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: presentAccount(row, ctx.actor) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

export async function updateAccount(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateAccountInput,
  ifMatchVersion: number | undefined,
): Promise<AccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.update');
  const { version: bodyVersion, ...rest } = input;
  const expected = ifMatchVersion ?? bodyVersion;
  const mst = await mstForUpdate(p, ctx, id, input);
  const addressed = rest.addresses ? withUnitCodes(rest.addresses) : null;
  const changes = mst
    ? {
        ...rest,
        ...(addressed ? { addresses: addressed.addresses } : {}),
        vn_mst: mst.vn_mst,
        mst_status: mst.mst_status,
        mst_checked_at: mst.mst_checked_at,
        ...(mst.name ? { name: mst.name } : {}),
      }
    : { ...rest, ...(addressed ? { addresses: addressed.addresses } : {}) };
  const row = await withOwnerCheck(() =>
    p.write(ctx, async (uow) => {
      const current = await loadForWrite(uow, ctx, id, expected);
      if (current.deleted_at) throw notFound();
      if (!canUpdate(actor, current)) {
        throw new AppError('forbidden', 'You may change only accounts you own or that nobody owns');
      }
      if (
        changes.owner_id !== undefined &&
        changes.owner_id !== current.owner_id &&
        !mayAssignOwner(actor, changes.owner_id)
      ) {
        throw new AppError('forbidden', 'Only managers and admins may give an account to another member', {
          fields: [
            {
              field: 'owner_id',
              pointer: '/owner_id',
              in: 'body',
              code: 'forbidden',
              message: 'not allowed',
            },
          ],
        });
      }
      const { addresses, custom_fields, ...plain } = changes;
      // A PATCH that changes nothing is a no-op: no new version, no audit row, no event.
      const unchanged = accountSnapshot({
        ...current,
        ...plain,
        ...(addresses ? { addresses } : {}),
        ...(custom_fields ? { custom_fields } : {}),
      });
      if (
        Object.keys(diffRecords(accountSnapshot(current), unchanged, ['updated_at', 'version', 'updated_by']))
          .length === 0
      ) {
        return current;
      }
      const patch: AccountRowUpdate = {
        ...plain,
        ...(addresses ? { addresses: jsonb(addresses) } : {}),
        ...(custom_fields ? { custom_fields: jsonb(custom_fields) } : {}),
        updated_by: actor.userId,
      };
      const updated = await updateAccountRow(uow.trx, actor.workspaceId, id, current.version, patch);
      if (!updated) throw new AppError('version_conflict', 'The account was changed concurrently; retry');
      const before = accountSnapshot(current);
      const after = accountSnapshot(updated);
      const diff = diffRecords(before, after, ['updated_at', 'version', 'updated_by']);
      uow.audit({ action: 'account.updated', entityType: 'account', entityId: id, diff });
      uow.emit(accountUpdated(after, diff));
      return updated;
    }),
  );
  return withWarnings(presentAccount(row, actor), [...(mst?.warnings ?? []), ...(addressed?.warnings ?? [])]);
}

export async function deleteAccount(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<AccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.delete');
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, ctx, id, ifMatchVersion);
    if (current.deleted_at) throw notFound();
    if (!canDelete(actor, current))
      throw new AppError('forbidden', 'You may delete only accounts you own or that nobody owns');
    const updated = await updateAccountRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The account was changed concurrently; retry');
    const snapshot = accountSnapshot(updated);
    uow.audit({
      action: 'account.deleted',
      entityType: 'account',
      entityId: id,
      diff: { deleted_at: { from: null, to: snapshot.deleted_at } },
    });
    uow.emit(accountDeleted(snapshot));
    return updated;
  });
  return presentAccount(row, actor);
}

export async function restoreAccount(p: AppPlatform, ctx: RequestContext, id: string): Promise<AccountJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.delete');
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, ctx, id, undefined);
    if (!current.deleted_at) {
      throw new AppError('conflict', 'The account is not deleted', {
        extra: { current: presentAccount(current, actor) },
      });
    }
    if (!canRestore(actor, current))
      throw new AppError('forbidden', 'You may restore only accounts you own or that nobody owns');
    const updated = await updateAccountRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: null,
      updated_by: actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The account was changed concurrently; retry');
    const snapshot = accountSnapshot(updated);
    uow.audit({
      action: 'account.restored',
      entityType: 'account',
      entityId: id,
      diff: { deleted_at: { from: current.deleted_at?.toISOString() ?? null, to: null } },
    });
    uow.emit(accountRestored(snapshot));
    return updated;
  });
  return presentAccount(row, actor);
}

/**
 * POST /accounts/{id}/validate-mst: checks the stored MST again (digits, then the registry, whatever
 * the country) and records the outcome: status, time, the normalized code and, when the registry's name
 * differs, that name (seed flow 1). Bad digits mark the account `invalid` rather than failing: the
 * stored code is what it is, and the answer says why.
 */
export async function validateAccountMst(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
): Promise<AccountJson & { mst: ValidateMstJson }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.update');
  const tenantId = actor.workspaceId;
  const current = await p.db.read(tenantId, (db) => findAccount(db, tenantId, id));
  if (!current || current.deleted_at) throw notFound();
  if (!current.vn_mst) {
    throw fieldError(['vn_mst'], 'required', 'The account has no MST to validate; set vn_mst first');
  }
  // A person asked to check again: ask the registry itself, not the cache.
  const v = await verifyMst(p.mstRegistry, current.vn_mst, current.name, { refresh: true });
  const row = await p.write(ctx, async (uow) => {
    const locked = await loadForWrite(uow, ctx, id, undefined);
    if (locked.deleted_at) throw notFound();
    if (!canUpdate(actor, locked)) {
      throw new AppError('forbidden', 'You may change only accounts you own or that nobody owns');
    }
    const patch: AccountRowUpdate = {
      mst_status: v.mstStatus,
      mst_checked_at: v.registry.status === 'unavailable' ? locked.mst_checked_at : new Date(),
      ...(v.check.valid ? { vn_mst: v.check.display } : {}),
      ...(v.canonicalName ? { name: v.canonicalName } : {}),
      updated_by: actor.userId,
    };
    const updated = await updateAccountRow(uow.trx, tenantId, id, locked.version, patch);
    if (!updated) throw new AppError('version_conflict', 'The account was changed concurrently; retry');
    const diff = diffRecords(accountSnapshot(locked), accountSnapshot(updated), [
      'updated_at',
      'version',
      'updated_by',
    ]);
    uow.audit({ action: 'account.mst_validated', entityType: 'account', entityId: id, diff });
    uow.emit(accountUpdated(accountSnapshot(updated), diff));
    return updated;
  });
  return { ...withWarnings(presentAccount(row, actor), v.warnings), mst: presentVerification(v) };
}
