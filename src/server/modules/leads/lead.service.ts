import type { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import type { AppPlatform, DB } from '../../db.js';
import { diffRecords, type FieldDiff } from '../../platform/audit/audit.js';
import { type Actor, can, requirePermission } from '../../platform/auth/actor.js';
import { FOREIGN_KEY_VIOLATION, sqlState, violatedConstraint } from '../../platform/db/errors.js';
import { AppError, type FieldError, fieldError, fieldPath } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { type AccountJson, presentAccount } from '../accounts/account.presenter.js';
import { findAccount } from '../accounts/account.repository.js';
import { createAccountSchema } from '../accounts/account.schema.js';
import {
  createAccountIn,
  type PreparedAccount,
  prepareAccountCreate,
  preparedAccountWarnings,
} from '../accounts/account.service.js';
import { fillLeadEntryLinks } from '../activities/activity.repository.js';
import { normalizeEmailChannel, normalizePhoneChannel } from '../contacts/contact.channel.js';
import { cleanName, composeDisplayName } from '../contacts/contact.names.js';
import { type ContactJson, presentContact } from '../contacts/contact.presenter.js';
import { channelsOf, findContact } from '../contacts/contact.repository.js';
import { createContactSchema } from '../contacts/contact.schema.js';
import { createContactIn, type PreparedContact, prepareContactCreate } from '../contacts/contact.service.js';
import { type DealJson, presentDeal } from '../deals/deal.presenter.js';
import { createDealSchema } from '../deals/deal.schema.js';
import { createDealIn } from '../deals/deal.service.js';
import type { DealCurrency } from '../deals/deal.table.js';
import { checkMst } from '../vietnam/mst/mst.check.js';
import { mstError } from '../vietnam/mst.service.js';
import {
  leadConverted,
  leadCreated,
  leadDeleted,
  leadDisqualified,
  leadQualified,
  leadRestored,
  leadUpdated,
} from './lead.events.js';
import {
  canConvert,
  canDelete,
  canDisqualify,
  canQualify,
  canRestore,
  canScore,
  canUpdate,
  mayAssignOwner,
} from './lead.policy.js';
import { type LeadJson, leadSnapshot, presentLead } from './lead.presenter.js';
import {
  countLeadRows,
  findLead,
  insertLead,
  type LeadFilters,
  listLeadRows,
  liveAccount,
  liveContact,
  sortKeyOf,
  updateLeadRow,
  workspaceBaseCurrency,
} from './lead.repository.js';
import type {
  ConvertLeadInput,
  CreateLeadInput,
  DisqualifyLeadInput,
  LeadSort,
  LeadStatus,
  ListLeadsQuery,
  UpdateLeadInput,
} from './lead.schema.js';
import type { LeadRow, LeadRowUpdate } from './lead.table.js';

/**
 * Lead use cases: validate (zod at the edge; email, phone and MST normalized here, with the contacts'
 * and the MST core's rules) → authorize (permission + record policy) → command (one transaction with
 * audit and events) → present. Another workspace's lead is "not found". Status moves have their own
 * actions (qualify, disqualify, convert); a move the status does not allow is 409 `lead_status_invalid`.
 */

type Uow = UnitOfWork<DB>;

const notFound = () => new AppError('lead_not_found', 'Lead not found');

const forbiddenField = (field: string, message: string) =>
  new AppError('forbidden', message, {
    fields: [{ ...fieldPath([field]), in: 'body', code: 'forbidden', message: 'not allowed' }],
  });

function statusInvalid(lead: LeadRow, action: string, actor: Actor): AppError {
  return new AppError('lead_status_invalid', `A ${lead.status} lead cannot be ${action}`, {
    extra: { status: lead.status, current: presentLead(lead, actor) },
  });
}

const DIFF_IGNORE = ['updated_at', 'version', 'updated_by'] as const;

/**
 * A foreign-key violation on an owner column (a member removed meanwhile). Any other reference that
 * breaks is not the owner's fault: it stays a generic 422 (problem.ts), not a misnamed field.
 */
const ownerReference = (e: unknown): boolean =>
  sqlState(e) === FOREIGN_KEY_VIOLATION && (violatedConstraint(e) ?? '').includes('owner_id');

async function withOwnerCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (ownerReference(e)) {
      throw fieldError(['owner_id'], 'not_a_member', 'owner_id must be a member of this workspace');
    }
    throw e;
  }
}

function defaultCurrency(base: string): DealCurrency {
  return base.trim() === 'USD' ? 'USD' : 'VND';
}

// ---- normalization -----------------------------------------------------------------------------------

interface ContactFields {
  email: string | null;
  phone: string | null;
  phone_raw: string | null;
  vn_mst: string | null;
}

/**
 * Email and phone to their contact-channel forms (lower-cased address; E.164 with the raw kept) and the
 * MST to its written form. The MST is checked when the lead is Vietnamese or its country unknown (the
 * market we serve first); a foreign tax code is kept as entered, as accounts do.
 */
function normalizeContactFields(
  v: { email: string | null; phone: string | null; vn_mst: string | null },
  country: string | null,
): ContactFields {
  let email: string | null = null;
  if (v.email !== null) {
    const r = normalizeEmailChannel(v.email);
    if (!r.ok) throw fieldError(['email'], r.code, `email ${r.message}`);
    email = r.value;
  }
  let phone: string | null = null;
  if (v.phone !== null) {
    const r = normalizePhoneChannel(v.phone);
    if (!r.ok) throw fieldError(['phone'], r.code, `phone ${r.message}`);
    phone = r.value;
  }
  let vnMst: string | null = v.vn_mst;
  if (vnMst !== null && (country === null || country === 'VN')) {
    const check = checkMst(vnMst);
    if (!check.valid) throw mstError(check, 'vn_mst');
    vnMst = check.display;
  }
  return { email, phone, phone_raw: v.phone, vn_mst: vnMst };
}

/** The name a lead is listed by: as given, else "last first", else the company. */
function displayNameOf(v: {
  display_name: string | null;
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
}): string {
  const name =
    cleanName(v.display_name) ?? composeDisplayName(v.first_name, v.last_name) ?? cleanName(v.company_name);
  if (name === null) {
    throw fieldError(
      ['display_name'],
      'required',
      'give display_name, first_name and/or last_name, or company_name',
    );
  }
  // first_name and last_name may each be 100 characters: together they can exceed the column's limit,
  // which would otherwise surface as a CHECK violation (500).
  if (name.length > LIMITS.name) {
    throw fieldError(['display_name'], 'too_long', `the name is longer than ${LIMITS.name} characters`);
  }
  return name;
}

// ---- create ------------------------------------------------------------------------------------------

/**
 * Creates a lead owned by the caller (or `owner_id`: another member only for managers, admins and
 * crm.lead.assign holders). Errors: 422 naming the field (display_name, email, phone, vn_mst, owner_id),
 * 403 (permission; `score` needs crm.lead.score).
 */
export async function createLead(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateLeadInput,
): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw forbiddenField('owner_id', 'Only managers and admins may give a lead to another member');
  }
  if (input.score !== undefined && !can(actor, 'crm.lead.score')) {
    throw forbiddenField('score', 'Your role may not score leads');
  }
  const firstName = cleanName(input.first_name ?? null);
  const lastName = cleanName(input.last_name ?? null);
  const companyName = cleanName(input.company_name ?? null);
  const displayName = displayNameOf({
    display_name: input.display_name ?? null,
    first_name: firstName,
    last_name: lastName,
    company_name: companyName,
  });
  const country = input.country ?? null;
  const fields = normalizeContactFields(
    { email: input.email ?? null, phone: input.phone ?? null, vn_mst: input.vn_mst ?? null },
    country,
  );
  const row = await withOwnerCheck(() =>
    p.write(ctx, async (uow) => {
      const tenantId = actor.workspaceId;
      const currency = input.currency ?? defaultCurrency(await workspaceBaseCurrency(uow.trx, tenantId));
      const created = await insertLead(uow.trx, {
        tenant_id: tenantId,
        id: newId(),
        first_name: firstName,
        last_name: lastName,
        display_name: displayName,
        title: input.title ?? null,
        company_name: companyName,
        ...fields,
        country,
        source: input.source ?? 'other',
        source_detail: input.source_detail ?? null,
        status: input.status ?? 'new',
        score: input.score ?? 0,
        estimated_amount_minor: input.estimated_amount_minor ?? null,
        currency,
        description: input.description ?? null,
        owner_id: ownerId,
        qualified_at: null,
        disqualified_at: null,
        disqualified_reason: null,
        converted_account_id: null,
        converted_contact_id: null,
        converted_deal_id: null,
        converted_at: null,
        created_by: actor.userId,
        updated_by: actor.userId,
        deleted_at: null,
      });
      const snapshot = leadSnapshot(created);
      uow.audit({
        action: 'lead.created',
        entityType: 'lead',
        entityId: created.id,
        diff: diffRecords(null, snapshot),
      });
      uow.emit(leadCreated(snapshot));
      return created;
    }),
  );
  return presentLead(row, actor);
}

// ---- reads -------------------------------------------------------------------------------------------

export async function getLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<LeadJson> {
  requirePermission(ctx.actor, 'crm.lead.view');
  const tenantId = ctx.actor.workspaceId;
  const row = await p.db.read(tenantId, (db) => findLead(db, tenantId, id));
  if (!row || (row.deleted_at && !options.includeDeleted)) throw notFound();
  return presentLead(row, ctx.actor);
}

export interface LeadPage {
  data: LeadJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean; total?: number };
}

function listCursorKey(cursor: string, sort: LeadSort): [string | number, string] {
  const first = sort === 'score' || sort === '-score' ? 'int' : sort.endsWith('name') ? 'text' : 'instant';
  return decodeCursor(cursor, sort, [first, 'uuid']) as [string | number, string];
}

/**
 * One page of leads, newest first by default; filters by status, source, owner (`me`, `none`, an id),
 * score range and `q` (diacritic-insensitive substring of name, company and email).
 */
export async function listLeads(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListLeadsQuery,
): Promise<LeadPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.view');
  const tenantId = actor.workspaceId;
  if (query.score_min !== undefined && query.score_max !== undefined && query.score_min > query.score_max) {
    throw new AppError('validation_failed', 'score_min must not be above score_max', {
      fields: [
        {
          field: 'score_min',
          pointer: '',
          in: 'query',
          code: 'invalid_range',
          message: 'must not be above score_max',
        },
      ],
    });
  }
  const filters: LeadFilters = {
    deleted: query.deleted,
    ...(query.owner_id === 'me'
      ? { ownerId: actor.userId }
      : query.owner_id === 'none'
        ? { ownerId: null }
        : query.owner_id
          ? { ownerId: query.owner_id }
          : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.source ? { source: query.source } : {}),
    ...(query.score_min !== undefined ? { scoreMin: query.score_min } : {}),
    ...(query.score_max !== undefined ? { scoreMax: query.score_max } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
  const limit = query.limit;
  const after = query.cursor ? listCursorKey(query.cursor, query.sort) : null;
  return p.db.read(tenantId, async (db) => {
    const fetched = await listLeadRows(db, tenantId, filters, query.sort, after, limit + 1);
    const rows = fetched.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor =
      fetched.length > limit && last
        ? encodeCursor(query.sort, [sortKeyOf(query.sort, last), last.id])
        : null;
    const total = query.include_total ? await countLeadRows(db, tenantId, filters) : undefined;
    return {
      data: rows.map((r) => presentLead(r, actor)),
      page: {
        limit,
        next_cursor: nextCursor,
        has_more: nextCursor !== null,
        ...(total === undefined ? {} : { total }),
      },
    };
  });
}

// ---- writes ------------------------------------------------------------------------------------------

/** Loads the row for a write, locked; checks existence (live) and the expected version. */
async function loadForWrite(uow: Uow, id: string, expectedVersion: number | undefined): Promise<LeadRow> {
  const row = await findLead(uow.trx, uow.actor.workspaceId, id, { forUpdate: true });
  if (!row || row.deleted_at !== null) throw notFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The lead changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: presentLead(row, uow.actor) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

/** Writes a change at the row's version, audits it and emits `emit(after, diff)`. */
async function applyChange(
  uow: Uow,
  current: LeadRow,
  patch: LeadRowUpdate,
  action: string,
  emit: (after: ReturnType<typeof leadSnapshot>, diff: FieldDiff) => void,
): Promise<LeadRow> {
  const { actor } = uow;
  const updated = await updateLeadRow(uow.trx, actor.workspaceId, current.id, current.version, {
    ...patch,
    updated_by: actor.userId,
  });
  if (!updated) throw new AppError('version_conflict', 'The lead was changed concurrently; retry');
  const after = leadSnapshot(updated);
  const diff = diffRecords(leadSnapshot(current), after, DIFF_IGNORE);
  uow.audit({ action, entityType: 'lead', entityId: current.id, diff });
  emit(after, diff);
  return updated;
}

/**
 * Changes a lead's fields. `status` may move among new and contacted, and reopens a qualified or
 * disqualified lead (clearing its reason). A converted lead is frozen (409 lead_status_invalid).
 * Changing `score` needs crm.lead.score; giving the lead to another member, the assign right.
 * A PATCH that changes nothing writes nothing.
 */
export async function updateLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateLeadInput,
  ifMatchVersion: number | undefined,
): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.update');
  const { version: bodyVersion, ...changes } = input;
  const row = await withOwnerCheck(() =>
    p.write(ctx, async (uow) => {
      const current = await loadForWrite(uow, id, ifMatchVersion ?? bodyVersion);
      if (current.status === 'converted') throw statusInvalid(current, 'changed', actor);
      if (!canUpdate(actor, current)) {
        throw new AppError('forbidden', 'You may change only leads you own or that nobody owns');
      }
      if (changes.score !== undefined && changes.score !== current.score && !canScore(actor, current)) {
        throw forbiddenField('score', 'Your role may not score leads');
      }
      if (
        changes.owner_id !== undefined &&
        changes.owner_id !== current.owner_id &&
        !mayAssignOwner(actor, changes.owner_id)
      ) {
        throw forbiddenField('owner_id', 'Only managers and admins may give a lead to another member');
      }
      const pick = <K extends keyof LeadRow>(k: K, v: LeadRow[K] | undefined): LeadRow[K] =>
        v === undefined ? current[k] : v;
      const firstName = pick(
        'first_name',
        changes.first_name === undefined ? undefined : cleanName(changes.first_name ?? null),
      );
      const lastName = pick(
        'last_name',
        changes.last_name === undefined ? undefined : cleanName(changes.last_name ?? null),
      );
      const companyName = pick(
        'company_name',
        changes.company_name === undefined ? undefined : cleanName(changes.company_name ?? null),
      );
      // The display name follows the names while it is the composed one; an edited one is kept.
      const composedBefore =
        composeDisplayName(current.first_name, current.last_name) ?? current.company_name;
      const displayName =
        changes.display_name !== undefined
          ? displayNameOf({
              display_name: changes.display_name ?? null,
              first_name: firstName,
              last_name: lastName,
              company_name: companyName,
            })
          : current.display_name === composedBefore
            ? displayNameOf({
                display_name: null,
                first_name: firstName,
                last_name: lastName,
                company_name: companyName,
              })
            : current.display_name;
      const country = pick('country', changes.country);
      const contactChanged =
        changes.email !== undefined ||
        changes.phone !== undefined ||
        changes.vn_mst !== undefined ||
        changes.country !== undefined;
      const fields = contactChanged
        ? normalizeContactFields(
            {
              email: changes.email !== undefined ? changes.email : current.email,
              phone: changes.phone !== undefined ? changes.phone : current.phone_raw,
              // An MST already stored is not checked again for a change of something else.
              vn_mst:
                changes.vn_mst !== undefined || changes.country !== undefined
                  ? pick('vn_mst', changes.vn_mst)
                  : null,
            },
            country,
          )
        : null;
      const statusPatch: LeadRowUpdate =
        changes.status !== undefined && changes.status !== current.status
          ? {
              status: changes.status,
              qualified_at: null,
              disqualified_at: null,
              disqualified_reason: null,
            }
          : {};
      const patch: LeadRowUpdate = {
        first_name: firstName,
        last_name: lastName,
        display_name: displayName,
        company_name: companyName,
        country,
        ...(fields
          ? {
              email: fields.email,
              phone: fields.phone,
              phone_raw: fields.phone_raw,
              vn_mst:
                changes.vn_mst !== undefined || changes.country !== undefined
                  ? fields.vn_mst
                  : current.vn_mst,
            }
          : {}),
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.source !== undefined ? { source: changes.source } : {}),
        ...(changes.source_detail !== undefined ? { source_detail: changes.source_detail } : {}),
        ...(changes.score !== undefined ? { score: changes.score } : {}),
        ...(changes.estimated_amount_minor !== undefined
          ? { estimated_amount_minor: changes.estimated_amount_minor }
          : {}),
        ...(changes.currency !== undefined ? { currency: changes.currency } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.owner_id !== undefined ? { owner_id: changes.owner_id } : {}),
        ...statusPatch,
      };
      const would = leadSnapshot({ ...current, ...(patch as Partial<LeadRow>) });
      if (Object.keys(diffRecords(leadSnapshot(current), would, DIFF_IGNORE)).length === 0) return current;
      return applyChange(uow, current, patch, 'lead.updated', (after, diff) =>
        uow.emit(leadUpdated(after, diff)),
      );
    }),
  );
  return presentLead(row, actor);
}

/** new/contacted → qualified. Qualifying a qualified lead changes nothing; others are 409 lead_status_invalid. */
export async function qualifyLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.update');
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, id, expectedVersion);
    if (current.status === 'qualified') return current;
    if (current.status !== 'new' && current.status !== 'contacted') {
      throw statusInvalid(current, 'qualified', actor);
    }
    if (!canQualify(actor, current)) {
      throw new AppError('forbidden', 'You may qualify only leads you own or that nobody owns');
    }
    return applyChange(
      uow,
      current,
      { status: 'qualified', qualified_at: new Date() },
      'lead.qualified',
      (after) => uow.emit(leadQualified(after, current.status)),
    );
  });
  return presentLead(row, actor);
}

/** new/contacted/qualified → disqualified, with the reason (mandatory). Others: 409 lead_status_invalid. */
export async function disqualifyLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: DisqualifyLeadInput,
  ifMatchVersion: number | undefined,
): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.disqualify');
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, id, ifMatchVersion ?? input.version);
    if (!(['new', 'contacted', 'qualified'] as LeadStatus[]).includes(current.status)) {
      throw statusInvalid(current, 'disqualified', actor);
    }
    if (!canDisqualify(actor, current)) {
      throw new AppError('forbidden', 'You may disqualify only leads you own or that nobody owns');
    }
    return applyChange(
      uow,
      current,
      {
        status: 'disqualified',
        disqualified_at: new Date(),
        disqualified_reason: input.reason,
        qualified_at: null,
      },
      'lead.disqualified',
      (after) => uow.emit(leadDisqualified(after, current.status)),
    );
  });
  return presentLead(row, actor);
}

export async function deleteLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.delete');
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, id, ifMatchVersion);
    if (!canDelete(actor, current)) {
      throw new AppError('forbidden', 'You may delete only leads you own or that nobody owns');
    }
    return applyChange(uow, current, { deleted_at: new Date() }, 'lead.deleted', (after) =>
      uow.emit(leadDeleted(after)),
    );
  });
  return presentLead(row, actor);
}

export async function restoreLead(p: AppPlatform, ctx: RequestContext, id: string): Promise<LeadJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.delete');
  const row = await p.write(ctx, async (uow) => {
    const current = await findLead(uow.trx, actor.workspaceId, id, { forUpdate: true });
    if (!current) throw notFound();
    if (!current.deleted_at) {
      throw new AppError('conflict', 'The lead is not deleted', {
        extra: { current: presentLead(current, actor) },
      });
    }
    if (!canRestore(actor, current)) {
      throw new AppError('forbidden', 'You may restore only leads you own or that nobody owns');
    }
    return applyChange(uow, current, { deleted_at: null }, 'lead.restored', (after) =>
      uow.emit(leadRestored(after)),
    );
  });
  return presentLead(row, actor);
}

// ---- convert -----------------------------------------------------------------------------------------

export interface ConvertLeadResult {
  lead: LeadJson;
  account: AccountJson;
  contact: ContactJson;
  deal: DealJson | null;
}

/** Parses an input built for another module's schema; a failure is a 422 naming `prefix.<field>`. */
function parseFor<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields: FieldError[] = r.error.issues.map((i) => ({
    ...fieldPath([prefix, ...i.path]),
    in: 'body',
    code: i.code,
    message: i.message,
  }));
  throw new AppError('validation_failed', fields[0]?.message ?? 'Invalid input', { fields });
}

/** Re-throws a field error of a created record under `prefix.` (deal.pipeline_id), so the field is findable. */
async function prefixed<T>(prefix: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof AppError && e.fields.length > 0 && e.status === 422) {
      throw new AppError(e.code, e.message, {
        fields: e.fields.map((f) => ({ ...f, ...fieldPath([prefix, ...f.field.split('.')]) })),
        extra: e.extra,
        headers: e.headers,
      });
    }
    throw e;
  }
}

/**
 * Converts a lead: in ONE transaction links `account_id` or creates an account from the company (name,
 * MST, country; an individual when there is no company), links `contact_id` or creates the primary
 * contact of that account from the person, email and phone, optionally creates a deal (default pipeline,
 * the lead's estimate as amount) with that contact as primary, and marks the lead converted with the
 * links. All or nothing: any failure (a deal that does not validate, a missing account) writes nothing.
 * Each created record gets the audit row and event its own module writes, plus `lead.converted`.
 * The lead's timeline entries stay on the lead and get the new account, contact (and deal) filled into
 * their empty links, so the history follows the customer (one audit row `lead.activities_linked`).
 * The owner of what is created is the lead's owner (the caller when unowned).
 * Errors: 404 lead_not_found; 409 lead_status_invalid (disqualified, converted); 403 (lead rule,
 * or the account/contact/deal create permissions); 422 naming account_id, contact_id, vn_mst or deal.*.
 */
export async function convertLead(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: ConvertLeadInput,
  ifMatchVersion: number | undefined,
): Promise<ConvertLeadResult> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.lead.convert');
  const tenantId = actor.workspaceId;
  const expected = ifMatchVersion ?? input.version;

  // Read once before the transaction: the MST registry and MX lookups of what will be created must not
  // hold it open. The transaction then locks the lead and requires this same version.
  const seen = await p.db.read(tenantId, (db) => findLead(db, tenantId, id));
  if (!seen || seen.deleted_at) throw notFound();
  if (expected !== undefined && expected !== seen.version) {
    throw new AppError(
      'precondition_failed',
      `The lead changed since version ${expected}; reload and retry`,
      {
        extra: { current_version: seen.version, current: presentLead(seen, actor) },
        headers: { etag: `"${seen.version}"` },
      },
    );
  }
  if (seen.status === 'converted' || seen.status === 'disqualified')
    throw statusInvalid(seen, 'converted', actor);
  if (!canConvert(actor, seen)) {
    throw new AppError('forbidden', 'You may convert only leads you own or that nobody owns');
  }
  const ownerId = seen.owner_id ?? actor.userId;

  let preparedAccount: PreparedAccount | null = null;
  if (input.account_id === undefined) {
    const name = input.account_name ?? seen.company_name ?? seen.display_name;
    const country = seen.country ?? (seen.vn_mst ? 'VN' : null);
    preparedAccount = await prepareAccountCreate(
      p,
      actor,
      parseFor(
        createAccountSchema,
        {
          name,
          legal_type: seen.company_name || input.account_name ? 'other' : 'individual',
          vn_mst: seen.vn_mst,
          country,
          lead_source: seen.source,
          owner_id: ownerId,
        },
        'account',
      ),
    );
  }
  let preparedContact: PreparedContact | null = null;
  if (input.contact_id === undefined) {
    const channels = [
      ...(seen.email ? [{ kind: 'email' as const, value: seen.email }] : []),
      ...(seen.phone ? [{ kind: 'phone' as const, value: seen.phone_raw ?? seen.phone }] : []),
    ];
    // With no person on the lead (company only), the contact is named after the lead.
    preparedContact = await prepareContactCreate(
      p,
      actor,
      parseFor(
        createContactSchema,
        {
          first_name: seen.first_name,
          last_name: seen.last_name,
          display_name: seen.first_name || seen.last_name ? null : seen.display_name,
          title: seen.title,
          lead_source: seen.source,
          owner_id: ownerId,
          channels,
        },
        'contact',
      ),
    );
  }

  try {
    const result = await p.write(ctx, async (uow) => {
      const lead = await loadForWrite(uow, id, seen.version);
      if (lead.status === 'converted' || lead.status === 'disqualified') {
        throw statusInvalid(lead, 'converted', actor);
      }

      // Account.
      let account: AccountJson;
      let accountCreated = false;
      if (input.account_id !== undefined) {
        const linked = await liveAccount(uow.trx, tenantId, input.account_id);
        if (!linked) {
          throw fieldError(['account_id'], 'not_found', 'account_id must be an account of this workspace');
        }
        const row = await findAccount(uow.trx, tenantId, linked.id);
        if (!row)
          throw fieldError(['account_id'], 'not_found', 'account_id must be an account of this workspace');
        account = presentAccount(row, actor);
      } else if (preparedAccount) {
        const row = await createAccountIn(uow, preparedAccount);
        const warnings = preparedAccountWarnings(preparedAccount);
        account = { ...presentAccount(row, actor), ...(warnings.length > 0 ? { warnings } : {}) };
        accountCreated = true;
      } else {
        throw new Error('unreachable: no account to link or create');
      }

      // Contact: the new one is the account's primary contact.
      let contact: ContactJson;
      let contactCreated = false;
      if (input.contact_id !== undefined) {
        const linked = await liveContact(uow.trx, tenantId, input.contact_id);
        if (!linked) {
          throw fieldError(['contact_id'], 'not_found', 'contact_id must be a contact of this workspace');
        }
        if (linked.account_id !== null && linked.account_id !== account.id) {
          // The deal would otherwise pair account A with a primary contact of account B.
          throw fieldError(['contact_id'], 'not_in_account', 'contact_id must be a contact of the account');
        }
        const row = await findContact(uow.trx, tenantId, linked.id);
        if (!row)
          throw fieldError(['contact_id'], 'not_found', 'contact_id must be a contact of this workspace');
        contact = presentContact(
          row,
          (await channelsOf(uow.trx, tenantId, [row.id])).get(row.id) ?? [],
          actor,
        );
      } else if (preparedContact) {
        const created = await prefixed('contact', () =>
          createContactIn(uow, { ...preparedContact, accountId: account.id, isPrimary: true }),
        );
        contact = presentContact(created.row, created.channels, actor);
        contactCreated = true;
      } else {
        throw new Error('unreachable: no contact to link or create');
      }

      // Deal (optional), with the contact as primary contact.
      let deal: DealJson | null = null;
      if (input.deal) {
        const d = input.deal;
        const amount = d.amount_minor !== undefined ? d.amount_minor : lead.estimated_amount_minor;
        const dealInput = parseFor(
          createDealSchema,
          {
            name: d.name ?? account.name,
            account_id: account.id,
            primary_contact_id: contact.id,
            ...(d.pipeline_id ? { pipeline_id: d.pipeline_id } : {}),
            ...(d.stage_id ? { stage_id: d.stage_id } : {}),
            amount_minor: amount,
            currency: d.currency ?? lead.currency,
            expected_close_date: d.expected_close_date ?? null,
            lead_source: lead.source,
            owner_id: ownerId,
          },
          'deal',
        );
        const view = await prefixed('deal', () => createDealIn(uow, dealInput));
        deal = presentDeal(view, actor);
      }

      // One UPDATE in this transaction: a failed conversion leaves the entries as they were.
      const linked = await fillLeadEntryLinks(uow.trx, tenantId, lead.id, {
        accountId: account.id,
        contactId: contact.id,
        dealId: deal?.id ?? null,
      });
      if (linked > 0) {
        uow.audit({
          action: 'lead.activities_linked',
          entityType: 'lead',
          entityId: lead.id,
          diff: {
            activities_linked: { from: 0, to: linked },
            account_id: { from: null, to: account.id },
            contact_id: { from: null, to: contact.id },
            ...(deal ? { deal_id: { from: null, to: deal.id } } : {}),
          },
        });
      }

      const converted = await applyChange(
        uow,
        lead,
        {
          status: 'converted',
          converted_account_id: account.id,
          converted_contact_id: contact.id,
          converted_deal_id: deal?.id ?? null,
          converted_at: new Date(),
        },
        'lead.converted',
        (after) =>
          uow.emit(
            leadConverted(after, {
              account: { id: account.id, created: accountCreated },
              contact: { id: contact.id, created: contactCreated },
              deal: deal ? { id: deal.id } : null,
            }),
          ),
      );
      return { lead: presentLead(converted, actor), account, contact, deal };
    });
    return result;
  } catch (e) {
    if (ownerReference(e)) {
      throw fieldError(
        ['owner_id'],
        'not_a_member',
        "the lead's owner is no longer a member of this workspace",
      );
    }
    throw e;
  }
}
