import type { AppPlatform, DB } from '../../db.js';
import { diffRecords, type FieldDiff } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { FOREIGN_KEY_VIOLATION, sqlState, violatedConstraint } from '../../platform/db/errors.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { recordSystemActivity } from '../activities/activity.record.js';
import { autoSalutationCode } from '../vietnam/salutation.service.js';
import { channelLookupValues, type NormalizedChannel, normalizeChannels } from './contact.channel.js';
import { checkMx, DnsMxResolver, type MxResolver, NO_MX_CHECK } from './contact.email.js';
import {
  contactClaimed,
  contactCreated,
  contactDeleted,
  contactReleased,
  contactRestored,
  contactUpdated,
} from './contact.events.js';
import { cleanName, composeDisplayName, deriveCallName } from './contact.names.js';
import { canClaim, canDelete, canRelease, canRestore, canUpdate, mayAssignOwner } from './contact.policy.js';
import {
  type ContactJson,
  type ContactSnapshot,
  contactSnapshot,
  presentContact,
} from './contact.presenter.js';
import {
  type ContactFilters,
  channelsOf,
  countContactRows,
  findContact,
  insertContact,
  listContactRows,
  liveAccountExists,
  replaceChannels,
  sortKeyOf,
  unsetOtherPrimaries,
  updateContactRow,
} from './contact.repository.js';
import type {
  ContactSort,
  CreateContactInput,
  ListContactsQuery,
  UpdateContactInput,
} from './contact.schema.js';
import type {
  ContactChannelRow,
  ContactRow,
  ContactRowUpdate,
  MxStatus,
  NewContactChannelRow,
} from './contact.table.js';

/**
 * Contact use cases: validate (zod, at the edge) → normalize channels and check MX (before the
 * transaction: DNS never holds a transaction open) → authorize (permission + record policy) → command
 * (one transaction with audit, events and timeline entries) → present. Another workspace's contact is
 * "not found".
 */

const notFound = () => new AppError('contact_not_found', 'Contact not found');

const forbiddenField = (field: string, message: string) =>
  new AppError('forbidden', message, {
    fields: [{ field, pointer: `/${field}`, in: 'body', code: 'forbidden', message: 'not allowed' }],
  });

async function withOwnerCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (sqlState(e) === FOREIGN_KEY_VIOLATION) {
      const c = violatedConstraint(e) ?? '';
      if (c.includes('account')) {
        throw fieldError(['account_id'], 'not_found', 'account_id must be an account of this workspace');
      }
      throw fieldError(['owner_id'], 'not_a_member', 'owner_id must be a member of this workspace');
    }
    throw e;
  }
}

// ---- MX resolver -----------------------------------------------------------------------------------

let dnsResolver: DnsMxResolver | undefined;

/** The platform's resolver (tests inject a fake), else per EMAIL_MX_CHECK the shared DNS one or none. */
function mxResolverOf(p: AppPlatform): MxResolver {
  if (p.mxResolver) return p.mxResolver;
  if (p.config.EMAIL_MX_CHECK === 'off') return NO_MX_CHECK;
  dnsResolver ??= new DnsMxResolver({ timeoutMs: 1500 });
  return dnsResolver;
}

/**
 * MX status per email value of `channels`: values already stored with a definite status keep it (no
 * lookup); the others are looked up, one per domain, in parallel, each bounded by checkMx's deadline.
 */
async function mxStatuses(
  p: AppPlatform,
  channels: readonly NormalizedChannel[],
  known: readonly ContactChannelRow[],
): Promise<Map<string, { status: MxStatus; checkedAt: Date | null }>> {
  const out = new Map<string, { status: MxStatus; checkedAt: Date | null }>();
  const toCheck = new Map<string, string[]>();
  for (const c of channels) {
    if (c.kind !== 'email') continue;
    const old = known.find((k) => k.kind === 'email' && k.value === c.value);
    if (old?.mx_status && old.mx_status !== 'unchecked') {
      out.set(c.value, { status: old.mx_status, checkedAt: old.mx_checked_at });
      continue;
    }
    const domain = c.value.slice(c.value.lastIndexOf('@') + 1);
    toCheck.set(domain, [...(toCheck.get(domain) ?? []), c.value]);
  }
  const resolver = mxResolverOf(p);
  await Promise.all(
    [...toCheck].map(async ([domain, values]) => {
      const status = await checkMx(resolver, domain);
      const checkedAt = status === 'unchecked' ? null : new Date();
      for (const v of values) out.set(v, { status, checkedAt });
    }),
  );
  return out;
}

function channelRows(
  tenantId: string,
  contactId: string,
  createdBy: string | null,
  channels: readonly NormalizedChannel[],
  mx: Map<string, { status: MxStatus; checkedAt: Date | null }>,
): NewContactChannelRow[] {
  return channels.map((c) => {
    const m =
      c.kind === 'email' ? (mx.get(c.value) ?? { status: 'unchecked' as const, checkedAt: null }) : null;
    return {
      tenant_id: tenantId,
      id: newId(),
      contact_id: contactId,
      kind: c.kind,
      value: c.value,
      raw_value: c.raw_value,
      label: c.label,
      is_primary: c.is_primary,
      position: c.position,
      mx_status: m ? m.status : null,
      mx_checked_at: m ? m.checkedAt : null,
      created_by: createdBy,
    };
  });
}

// ---- audit helpers -----------------------------------------------------------------------------------

/** The snapshot as audit diffs see it: channels by content (their row ids change when the set is replaced). */
function diffView(s: ContactSnapshot): Record<string, unknown> {
  return {
    ...s,
    channels: s.channels.map((c) => ({
      kind: c.kind,
      value: c.value,
      raw_value: c.raw_value,
      label: c.label,
      is_primary: c.is_primary,
    })),
  };
}

const DIFF_IGNORE = ['updated_at', 'version', 'updated_by'] as const;

/** Unsets the other primaries of the account, auditing and announcing each (same transaction). */
async function demoteOtherPrimaries(uow: UnitOfWork<DB>, accountId: string, keepId: string): Promise<void> {
  const tenantId = uow.actor.workspaceId;
  const changed = await unsetOtherPrimaries(uow.trx, tenantId, accountId, keepId, uow.actor.userId);
  if (changed.length === 0) return;
  const channels = await channelsOf(
    uow.trx,
    tenantId,
    changed.map((c) => c.after.id),
  );
  for (const { before, after } of changed) {
    const ch = channels.get(after.id) ?? [];
    const snap = contactSnapshot(after, ch);
    const diff = diffRecords(diffView(contactSnapshot(before, ch)), diffView(snap), DIFF_IGNORE);
    uow.audit({ action: 'contact.updated', entityType: 'contact', entityId: after.id, diff });
    uow.emit(contactUpdated(snap, diff));
  }
}

// ---- commands ----------------------------------------------------------------------------------------

/** A create-contact input checked and normalized outside any transaction (names, channels, MX). */
export interface PreparedContact {
  input: CreateContactInput;
  ownerId: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  callName: string | null;
  accountId: string | null;
  isPrimary: boolean;
  channels: NormalizedChannel[];
  mx: Map<string, { status: MxStatus; checkedAt: Date | null }>;
}

/**
 * The part of creating a contact that runs before the write transaction: permission, owner rule, names,
 * channel normalization and the MX lookups (DNS never holds a transaction open).
 * Errors: 403 (permission, owner_id), 422 naming the field (display_name, is_primary, channels.<i>.value).
 */
export async function prepareContactCreate(
  p: AppPlatform,
  actor: RequestContext['actor'],
  input: CreateContactInput,
): Promise<PreparedContact> {
  requirePermission(actor, 'crm.contact.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw forbiddenField('owner_id', 'Only managers and admins may give a contact to another member');
  }
  const firstName = cleanName(input.first_name ?? null);
  const lastName = cleanName(input.last_name ?? null);
  const displayName = cleanName(input.display_name ?? null) ?? composeDisplayName(firstName, lastName);
  if (displayName === null) {
    throw fieldError(['display_name'], 'required', 'give display_name, or first_name and/or last_name');
  }
  const callName = cleanName(input.call_name ?? null) ?? deriveCallName(firstName, displayName);
  const accountId = input.account_id ?? null;
  const isPrimary = input.is_primary ?? false;
  if (isPrimary && accountId === null) {
    throw fieldError(
      ['is_primary'],
      'requires_account',
      'is_primary needs account_id: it means the primary contact of that account',
    );
  }
  const channels = normalizeChannels(input.channels ?? []);
  const mx = await mxStatuses(p, channels, []);
  return { input, ownerId, firstName, lastName, displayName, callName, accountId, isPrimary, channels, mx };
}

/**
 * The in-transaction core of createContact (also used by lead conversion): checks the account, inserts
 * the contact and its channels, demotes the account's other primaries, and collects the audit entry,
 * `contact.created` and the timeline entry. A foreign-key failure is the caller's to map.
 */
export async function createContactIn(
  uow: UnitOfWork<DB>,
  prepared: PreparedContact,
): Promise<{ row: ContactRow; channels: ContactChannelRow[] }> {
  const { input, ownerId, firstName, lastName, displayName, callName, accountId, isPrimary } = prepared;
  const { actor } = uow;
  const tenantId = actor.workspaceId;
  if (accountId !== null && !(await liveAccountExists(uow.trx, tenantId, accountId, isPrimary))) {
    throw fieldError(['account_id'], 'not_found', 'account_id must be an account of this workspace');
  }
  const id = newId();
  const created = await insertContact(uow.trx, {
    tenant_id: tenantId,
    id,
    account_id: accountId,
    first_name: firstName,
    last_name: lastName,
    display_name: displayName,
    call_name: callName,
    ...(input.salutation
      ? { salutation: input.salutation, salutation_source: 'manual' as const }
      : {
          salutation: autoSalutationCode({
            displayName,
            gender: input.gender ?? null,
            birthYear: input.birth_year ?? null,
          }),
          salutation_source: 'auto' as const,
        }),
    gender: input.gender ?? null,
    birth_year: input.birth_year ?? null,
    title: input.title ?? null,
    buying_role: input.buying_role ?? null,
    is_primary: isPrimary,
    owner_id: ownerId,
    claimed_at: ownerId === null ? null : new Date(),
    email_opt_in: input.email_opt_in ?? false,
    do_not_call: input.do_not_call ?? false,
    lead_source: input.lead_source ?? null,
    description: input.description ?? null,
    custom_fields: jsonb(input.custom_fields ?? {}),
    tags: input.tags ?? [],
    created_by: actor.userId,
    updated_by: actor.userId,
    deleted_at: null,
  });
  const chRows = await replaceChannels(
    uow.trx,
    tenantId,
    id,
    channelRows(tenantId, id, actor.userId, prepared.channels, prepared.mx),
  );
  if (isPrimary && accountId !== null) await demoteOtherPrimaries(uow, accountId, id);
  const snapshot = contactSnapshot(created, chRows);
  uow.audit({
    action: 'contact.created',
    entityType: 'contact',
    entityId: id,
    diff: diffRecords(null, diffView(snapshot)),
  });
  uow.emit(contactCreated(snapshot));
  await recordSystemActivity(uow, {
    kind: 'contact_created',
    subject: `Contact created: ${displayName}`,
    contactId: id,
    accountId,
  });
  return { row: created, channels: chRows };
}

export async function createContact(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateContactInput,
): Promise<ContactJson> {
  const prepared = await prepareContactCreate(p, ctx.actor, input);
  const result = await withOwnerCheck(() => p.write(ctx, (uow) => createContactIn(uow, prepared)));
  return presentContact(result.row, result.channels, ctx.actor);
}

export async function getContact(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<ContactJson> {
  requirePermission(ctx.actor, 'crm.contact.view');
  const tenantId = ctx.actor.workspaceId;
  const found = await p.db.read(tenantId, async (db) => {
    const row = await findContact(db, tenantId, id);
    if (!row) return undefined;
    return { row, channels: (await channelsOf(db, tenantId, [id])).get(id) ?? [] };
  });
  if (!found || (found.row.deleted_at && !options.includeDeleted)) throw notFound();
  return presentContact(found.row, found.channels, ctx.actor);
}

function listCursorKey(cursor: string, sort: ContactSort): [string, string] {
  return decodeCursor(cursor, sort, [sort.endsWith('name') ? 'text' : 'instant', 'uuid']) as [string, string];
}

export interface ContactPage {
  data: ContactJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean; total?: number };
}

export async function listContacts(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListContactsQuery,
): Promise<ContactPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.view');
  const tenantId = actor.workspaceId;
  const filters: ContactFilters = {
    deleted: query.deleted,
    ...(query.owner_id === 'me'
      ? { ownerId: actor.userId }
      : query.owner_id === 'none'
        ? { ownerId: null }
        : query.owner_id
          ? { ownerId: query.owner_id }
          : {}),
    ...(query.account_id ? { accountId: query.account_id } : {}),
    ...(query.buying_role ? { buyingRole: query.buying_role } : {}),
    ...(query.is_primary !== undefined ? { isPrimary: query.is_primary } : {}),
    ...(query.q ? { namePrefix: query.q } : {}),
    ...(query.channel ? { channelValues: channelLookupValues(query.channel) } : {}),
    ...(query.tag ? { tags: query.tag } : {}),
  };
  const limit = query.limit;
  const after = query.cursor ? listCursorKey(query.cursor, query.sort) : null;
  return p.db.read(tenantId, async (db) => {
    const fetched = await listContactRows(db, tenantId, filters, query.sort, after, limit + 1);
    const rows = fetched.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor =
      fetched.length > limit && last
        ? encodeCursor(query.sort, [sortKeyOf(query.sort, last), last.id])
        : null;
    const total = query.include_total ? await countContactRows(db, tenantId, filters) : undefined;
    const channels = await channelsOf(
      db,
      tenantId,
      rows.map((r) => r.id),
    );
    return {
      data: rows.map((r) => presentContact(r, channels.get(r.id) ?? [], actor)),
      page: {
        limit,
        next_cursor: nextCursor,
        has_more: nextCursor !== null,
        ...(total === undefined ? {} : { total }),
      },
    };
  });
}

interface Loaded {
  row: ContactRow;
  channels: ContactChannelRow[];
}

/** Loads the row for a write, locked, with its channels, and checks existence and version. */
async function loadForWrite(
  uow: UnitOfWork<DB>,
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<Loaded> {
  const tenantId = ctx.actor.workspaceId;
  const row = await findContact(uow.trx, tenantId, id, { forUpdate: true });
  if (!row) throw notFound();
  const channels = (await channelsOf(uow.trx, tenantId, [id])).get(id) ?? [];
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The contact changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: presentContact(row, channels, ctx.actor) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return { row, channels };
}

const concurrent = () => new AppError('version_conflict', 'The contact was changed concurrently; retry');

const sameChannels = (a: readonly ContactChannelRow[], b: readonly NormalizedChannel[]): boolean =>
  a.length === b.length &&
  [...a]
    .sort((x, y) => x.position - y.position)
    .every((c, i) => {
      const n = b[i];
      return (
        n !== undefined &&
        c.kind === n.kind &&
        c.value === n.value &&
        c.raw_value === n.raw_value &&
        c.label === n.label &&
        c.is_primary === n.is_primary
      );
    });

export async function updateContact(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateContactInput,
  ifMatchVersion: number | undefined,
): Promise<ContactJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.update');
  const tenantId = actor.workspaceId;
  const { version: bodyVersion, channels: channelInput, custom_fields, ...fields } = input;
  const expected = ifMatchVersion ?? bodyVersion;
  const channels = channelInput ? normalizeChannels(channelInput) : undefined;
  // MX before the transaction (DNS never holds a transaction open); stored statuses are reused.
  const mx = channels
    ? await mxStatuses(
        p,
        channels,
        await p.db.read(tenantId, async (db) => (await channelsOf(db, tenantId, [id])).get(id) ?? []),
      )
    : new Map<string, { status: MxStatus; checkedAt: Date | null }>();

  const result = await withOwnerCheck(() =>
    p.write(ctx, async (uow): Promise<Loaded> => {
      const current = await loadForWrite(uow, ctx, id, expected);
      const { row } = current;
      if (row.deleted_at) throw notFound();
      if (!canUpdate(actor, row)) {
        throw new AppError('forbidden', 'You may change only contacts you own or that nobody owns');
      }
      if (
        fields.owner_id !== undefined &&
        fields.owner_id !== row.owner_id &&
        !mayAssignOwner(actor, fields.owner_id)
      ) {
        throw forbiddenField('owner_id', 'Only managers and admins may give a contact to another member');
      }

      // Names: an explicit value wins; a derived one follows the names it was derived from.
      const firstName = fields.first_name === undefined ? row.first_name : cleanName(fields.first_name);
      const lastName = fields.last_name === undefined ? row.last_name : cleanName(fields.last_name);
      let displayName: string | null;
      if (fields.display_name !== undefined && fields.display_name !== null)
        displayName = cleanName(fields.display_name);
      else if (fields.display_name === null) displayName = composeDisplayName(firstName, lastName);
      else if (row.display_name === composeDisplayName(row.first_name, row.last_name))
        displayName = composeDisplayName(firstName, lastName) ?? row.display_name;
      else displayName = row.display_name;
      if (displayName === null) {
        throw fieldError(['display_name'], 'required', 'give display_name, or first_name and/or last_name');
      }
      let callName: string | null;
      if (fields.call_name !== undefined && fields.call_name !== null) callName = cleanName(fields.call_name);
      else if (
        fields.call_name === null ||
        row.call_name === deriveCallName(row.first_name, row.display_name)
      )
        callName = deriveCallName(firstName, displayName);
      else callName = row.call_name;

      const accountId = fields.account_id === undefined ? row.account_id : fields.account_id;
      let isPrimary = fields.is_primary ?? row.is_primary;
      if (accountId === null && isPrimary) {
        if (fields.is_primary === true) {
          throw fieldError(
            ['is_primary'],
            'requires_account',
            'is_primary needs account_id: it means the primary contact of that account',
          );
        }
        isPrimary = false;
      }
      const becomesPrimary = isPrimary && (!row.is_primary || accountId !== row.account_id);
      if (
        accountId !== null &&
        (accountId !== row.account_id || becomesPrimary) &&
        !(await liveAccountExists(uow.trx, tenantId, accountId, becomesPrimary))
      ) {
        throw fieldError(['account_id'], 'not_found', 'account_id must be an account of this workspace');
      }

      const ownerChanged = fields.owner_id !== undefined && fields.owner_id !== row.owner_id;
      // The salutation: a person's choice stays until they hand it back (null); an automatic one follows
      // the name, gender and birth year.
      const gender = fields.gender === undefined ? row.gender : fields.gender;
      const birthYear = fields.birth_year === undefined ? row.birth_year : fields.birth_year;
      const salutationPatch: ContactRowUpdate =
        fields.salutation !== undefined && fields.salutation !== null
          ? { salutation: fields.salutation, salutation_source: 'manual' }
          : fields.salutation === null || row.salutation_source === 'auto'
            ? {
                salutation: autoSalutationCode({ displayName, gender, birthYear }),
                salutation_source: 'auto',
              }
            : {};
      const patch: ContactRowUpdate = {
        ...salutationPatch,
        ...(fields.gender !== undefined ? { gender: fields.gender } : {}),
        ...(fields.birth_year !== undefined ? { birth_year: fields.birth_year } : {}),
        ...(fields.title !== undefined ? { title: fields.title } : {}),
        ...(fields.buying_role !== undefined ? { buying_role: fields.buying_role } : {}),
        ...(fields.email_opt_in !== undefined ? { email_opt_in: fields.email_opt_in } : {}),
        ...(fields.do_not_call !== undefined ? { do_not_call: fields.do_not_call } : {}),
        ...(fields.lead_source !== undefined ? { lead_source: fields.lead_source } : {}),
        ...(fields.description !== undefined ? { description: fields.description } : {}),
        ...(fields.tags !== undefined ? { tags: fields.tags } : {}),
        ...(ownerChanged
          ? { owner_id: fields.owner_id ?? null, claimed_at: fields.owner_id ? new Date() : null }
          : {}),
        first_name: firstName,
        last_name: lastName,
        display_name: displayName,
        call_name: callName,
        account_id: accountId,
        is_primary: isPrimary,
      };
      const channelsChange = channels !== undefined && !sameChannels(current.channels, channels);

      // A PATCH that changes nothing is a no-op: no new version, no audit row, no event.
      const { claimed_at: _c, ...comparable } = patch;
      const unchanged = diffRecords(
        diffView(contactSnapshot(row, current.channels)),
        diffView(
          contactSnapshot(
            { ...row, ...comparable, ...(custom_fields ? { custom_fields } : {}) } as ContactRow,
            current.channels,
          ),
        ),
        DIFF_IGNORE,
      );
      if (Object.keys(unchanged).length === 0 && !channelsChange) return current;

      const updated = await updateContactRow(uow.trx, tenantId, id, row.version, {
        ...patch,
        ...(custom_fields ? { custom_fields: jsonb(custom_fields) } : {}),
        updated_by: actor.userId,
      });
      if (!updated) throw concurrent();
      const chRows =
        channels && channelsChange
          ? await replaceChannels(
              uow.trx,
              tenantId,
              id,
              channelRows(tenantId, id, actor.userId, channels, mx),
            )
          : current.channels;
      if (isPrimary && accountId !== null && becomesPrimary) await demoteOtherPrimaries(uow, accountId, id);
      const after = contactSnapshot(updated, chRows);
      const diff = diffRecords(
        diffView(contactSnapshot(row, current.channels)),
        diffView(after),
        DIFF_IGNORE,
      );
      uow.audit({ action: 'contact.updated', entityType: 'contact', entityId: id, diff });
      uow.emit(contactUpdated(after, diff));
      return { row: updated, channels: chRows };
    }),
  );
  return presentContact(result.row, result.channels, actor);
}

export async function deleteContact(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<ContactJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.delete');
  const result = await p.write(ctx, async (uow): Promise<Loaded> => {
    const { row, channels } = await loadForWrite(uow, ctx, id, ifMatchVersion);
    if (row.deleted_at) throw notFound();
    if (!canDelete(actor, row))
      throw new AppError('forbidden', 'You may delete only contacts you own or that nobody owns');
    const updated = await updateContactRow(uow.trx, actor.workspaceId, id, row.version, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    if (!updated) throw concurrent();
    const snapshot = contactSnapshot(updated, channels);
    uow.audit({
      action: 'contact.deleted',
      entityType: 'contact',
      entityId: id,
      diff: { deleted_at: { from: null, to: snapshot.deleted_at } },
    });
    uow.emit(contactDeleted(snapshot));
    return { row: updated, channels };
  });
  return presentContact(result.row, result.channels, actor);
}

export async function restoreContact(p: AppPlatform, ctx: RequestContext, id: string): Promise<ContactJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.delete');
  const result = await p.write(ctx, async (uow): Promise<Loaded> => {
    const { row, channels } = await loadForWrite(uow, ctx, id, undefined);
    if (!row.deleted_at) {
      throw new AppError('conflict', 'The contact is not deleted', {
        extra: { current: presentContact(row, channels, actor) },
      });
    }
    if (row.merged_into_id) {
      throw new AppError('conflict', 'This contact was merged into another; it cannot be restored', {
        extra: { merged_into_id: row.merged_into_id },
      });
    }
    if (!canRestore(actor, row))
      throw new AppError('forbidden', 'You may restore only contacts you own or that nobody owns');
    const updated = await updateContactRow(uow.trx, actor.workspaceId, id, row.version, {
      deleted_at: null,
      updated_by: actor.userId,
    });
    if (!updated) throw concurrent();
    uow.audit({
      action: 'contact.restored',
      entityType: 'contact',
      entityId: id,
      diff: { deleted_at: { from: row.deleted_at.toISOString(), to: null } },
    });
    uow.emit(contactRestored(contactSnapshot(updated, channels)));
    return { row: updated, channels };
  });
  return presentContact(result.row, result.channels, actor);
}

/**
 * Takes the contact (seed 003 "claim"): an unowned one by anyone who may update contacts; one owned by
 * someone else only by a manager or admin (recorded as a takeover: the audit diff and the event name the
 * previous owner); others get 409 contact_claimed with the current state. Claiming one's own is a no-op.
 */
export async function claimContact(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<ContactJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.update');
  const me = actor.userId;
  if (me === null) throw new AppError('forbidden', 'Only a member can own a contact');
  const result = await p.write(ctx, async (uow): Promise<Loaded> => {
    const { row, channels } = await loadForWrite(uow, ctx, id, ifMatchVersion);
    if (row.deleted_at) throw notFound();
    if (row.owner_id === me) return { row, channels };
    if (!canClaim(actor, row)) {
      throw new AppError(
        'contact_claimed',
        'Another member owns this contact; ask them or a manager to release it',
        {
          extra: { owner_id: row.owner_id, current: presentContact(row, channels, actor) },
        },
      );
    }
    const updated = await updateContactRow(uow.trx, actor.workspaceId, id, row.version, {
      owner_id: me,
      claimed_at: new Date(),
      updated_by: me,
    });
    if (!updated) throw concurrent();
    const takeover = row.owner_id !== null;
    const diff: FieldDiff = {
      owner_id: { from: row.owner_id, to: me },
      claimed_at: {
        from: row.claimed_at?.toISOString() ?? null,
        to: updated.claimed_at?.toISOString() ?? null,
      },
    };
    // A takeover is recorded by owner_id's "from" (the previous owner), here and in the event.
    uow.audit({ action: 'contact.claimed', entityType: 'contact', entityId: id, diff });
    uow.emit(contactClaimed(contactSnapshot(updated, channels), row.owner_id));
    await recordSystemActivity(uow, {
      kind: 'owner_claimed',
      subject: takeover
        ? `${updated.display_name} taken over by ${actor.label}`
        : `${updated.display_name} claimed by ${actor.label}`,
      contactId: id,
      accountId: updated.account_id,
      metadata: { owner_id: me, previous_owner_id: row.owner_id, takeover },
    });
    return { row: updated, channels };
  });
  return presentContact(result.row, result.channels, actor);
}

/** Hands the contact back to nobody: its owner, or a manager/admin. Releasing an unowned one is a no-op. */
export async function releaseContact(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<ContactJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.update');
  const result = await p.write(ctx, async (uow): Promise<Loaded> => {
    const { row, channels } = await loadForWrite(uow, ctx, id, ifMatchVersion);
    if (row.deleted_at) throw notFound();
    if (row.owner_id === null) return { row, channels };
    if (!canRelease(actor, row)) {
      throw new AppError('forbidden', 'Only the owner, a manager or an admin may release this contact');
    }
    const updated = await updateContactRow(uow.trx, actor.workspaceId, id, row.version, {
      owner_id: null,
      claimed_at: null,
      updated_by: actor.userId,
    });
    if (!updated) throw concurrent();
    uow.audit({
      action: 'contact.released',
      entityType: 'contact',
      entityId: id,
      diff: {
        owner_id: { from: row.owner_id, to: null },
        claimed_at: { from: row.claimed_at?.toISOString() ?? null, to: null },
      },
    });
    uow.emit(contactReleased(contactSnapshot(updated, channels), row.owner_id));
    await recordSystemActivity(uow, {
      kind: 'owner_released',
      subject: `${updated.display_name} released by ${actor.label}`,
      contactId: id,
      accountId: updated.account_id,
      metadata: { previous_owner_id: row.owner_id },
    });
    return { row: updated, channels };
  });
  return presentContact(result.row, result.channels, actor);
}
