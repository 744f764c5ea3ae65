import { type Kysely, type OperationNodeSource, type RawBuilder, sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { type AuditEntry, diffRecords } from '../../platform/audit/audit.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../../platform/db/errors.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError, type FieldError, fieldError, fieldPath } from '../../platform/errors.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { recordSystemActivity, systemActivityInsert } from '../activities/activity.record.js';
import { evaluateTransition, type UnmetRule } from '../pipelines/pipeline.rules.js';
import {
  dealClosed,
  dealCreated,
  dealDeleted,
  dealRestored,
  dealStageChanged,
  dealUpdated,
  type StageChange,
} from './deal.events.js';
import { canClose, canDelete, canMove, canRestore, canUpdate, mayAssignOwner } from './deal.policy.js';
import { type DealJson, dealSnapshot, presentDeal } from './deal.presenter.js';
import {
  countDeals,
  type DealContactRef,
  type DealFilters,
  type DealView,
  findDealView,
  insertDeal,
  insertDealContacts,
  listDealViews,
  liveIds,
  loadPipelineWithStages,
  lockDealWithPipeline,
  memberUserIds,
  type PipelineStage,
  type PipelineWithStages,
  pipelineOfStage,
  rankFor,
  readDealForMove,
  replaceDealContacts,
  sortKeyOf,
  stageHistoryRows,
  stageTransitionInsert,
  updateDealRow,
} from './deal.repository.js';
import type {
  CloseDealInput,
  CreateDealParsed,
  DealSort,
  ListDealsQuery,
  MoveDealInput,
  MoveFields,
  UpdateDealInput,
} from './deal.schema.js';
import type { DealCurrency, DealRowUpdate, DealStatus } from './deal.table.js';
import { canSeeDeal } from './deal.visibility.js';

/**
 * Deal use cases: validate (zod, at the edge) → authorize (permission + record policy + per-deal ACL)
 * → command (one transaction with audit, events and timeline entries) → present. A deal of another
 * workspace, or a restricted deal the actor may not see, is "not found" on every route.
 */

type Uow = UnitOfWork<DB>;

const notFound = () => new AppError('deal_not_found', 'Deal not found');

function forbidden(message: string, field?: string): AppError {
  return new AppError('forbidden', message, {
    ...(field
      ? {
          fields: [{ ...fieldPath([field]), in: 'body' as const, code: 'forbidden', message: 'not allowed' }],
        }
      : {}),
  });
}

function validation(errors: FieldError[]): AppError {
  const first = errors[0];
  return new AppError('validation_failed', first ? first.message : 'Invalid input', { fields: errors });
}

const fe = (path: ReadonlyArray<PropertyKey>, code: string, message: string): FieldError => ({
  ...fieldPath(path),
  in: 'body',
  code,
  message,
});

/** A reference the deal will point at, checked against the workspace before writing. */
interface RefCheck {
  kind: 'account' | 'contact' | 'member';
  id: string;
  path: ReadonlyArray<PropertyKey>;
}

/** Checks every reference in at most three queries; returns one field error per bad reference. */
async function refErrors(uow: Uow, checks: readonly RefCheck[]): Promise<FieldError[]> {
  const tenantId = uow.actor.workspaceId;
  const ids = (k: RefCheck['kind']) => [...new Set(checks.filter((c) => c.kind === k).map((c) => c.id))];
  const accountIds = ids('account');
  const contactIds = ids('contact');
  const memberIds = ids('member');
  // One after another: they share the transaction's connection. Each is a no-op for an empty list.
  const accounts = await liveIds(uow.trx, 'crm_core.crm_accounts', tenantId, accountIds);
  const contacts = await liveIds(uow.trx, 'crm_core.crm_contacts', tenantId, contactIds);
  const members = await memberUserIds(uow.trx, tenantId, memberIds);
  const errors: FieldError[] = [];
  for (const c of checks) {
    if (c.kind === 'account' && !accounts.has(c.id)) {
      errors.push(fe(c.path, 'not_found', 'no such account in this workspace'));
    } else if (c.kind === 'contact' && !contacts.has(c.id)) {
      errors.push(fe(c.path, 'not_found', 'no such contact in this workspace'));
    } else if (c.kind === 'member' && !members.has(c.id)) {
      errors.push(fe(c.path, 'not_a_member', 'must be a member of this workspace'));
    }
  }
  return errors;
}

async function withOwnerCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    // References are checked up front; a foreign-key failure left is a member removed meanwhile.
    if (sqlState(e) === FOREIGN_KEY_VIOLATION) {
      throw fieldError(['owner_id'], 'not_a_member', 'owner_id must be a member of this workspace');
    }
    throw e;
  }
}

function transitionBlocked(unmet: UnmetRule[], to: PipelineStage): AppError {
  return new AppError(
    'stage_transition_blocked',
    `The deal cannot enter ${to.code}: ${unmet.map((u) => u.message).join('; ')}`,
    { extra: { unmet, to_stage: { id: to.id, code: to.code } } },
  );
}

/** The contact set with the primary contact always in it (primary first). */
function withPrimary(contacts: readonly DealContactRef[], primaryId: string | null): DealContactRef[] {
  const list = contacts.map((c) => ({ contact_id: c.contact_id, role: c.role }));
  if (primaryId === null) return list;
  const i = list.findIndex((c) => c.contact_id === primaryId);
  const primary = i >= 0 ? list.splice(i, 1)[0] : { contact_id: primaryId, role: null };
  return primary ? [primary, ...list] : list;
}

const stageRef = (s: PipelineStage) => ({
  id: s.id,
  code: s.code,
  name_vi: s.name_vi,
  name_en: s.name_en,
  category: s.category,
});

function defaultCurrency(base: string): DealCurrency {
  return base === 'USD' ? 'USD' : 'VND';
}

// ---------------------------------------------------------------------------------------------------
// Create.

/**
 * Creates a deal in `pipeline_id` (default: the workspace's default pipeline) at `stage_id` (default:
 * its first open stage). Entering the first stage passes the same rules as a move (from = null);
 * a closed first stage also needs crm.deal.close. Writes the deal, its contacts, the first stage-history
 * row, a `deal_created` timeline entry, the audit row and `deal.created`.
 * Errors: 422 naming the field (bad reference, stage of another pipeline), 422 stage_transition_blocked.
 */
export async function createDeal(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateDealParsed,
): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw forbidden('Only managers and admins may give a deal to another member', 'owner_id');
  }
  const view = await withOwnerCheck(() => p.write(ctx, (uow) => createDealIn(uow, input)));
  return presentDeal(view, actor);
}

/**
 * The in-transaction core of createDeal (also used by lead conversion, which creates the deal in the
 * same transaction as its account and contact): the checks and writes createDeal documents, on `uow`.
 * Checks the permission and owner rule again itself, so no caller can skip them. A foreign-key failure
 * left (a member removed meanwhile) is the caller's to map.
 */
export async function createDealIn(uow: Uow, input: CreateDealParsed): Promise<DealView> {
  const { actor } = uow;
  requirePermission(actor, 'crm.deal.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw forbidden('Only managers and admins may give a deal to another member', 'owner_id');
  }
  const tenantId = actor.workspaceId;
  const pw = await loadPipelineWithStages(uow.trx, tenantId, input.pipeline_id ?? null);
  if (!pw || pw.pipeline.deleted) {
    if (input.pipeline_id)
      throw fieldError(['pipeline_id'], 'not_found', 'no such pipeline in this workspace');
    throw new AppError('pipeline_not_found', 'This workspace has no default pipeline; give pipeline_id');
  }
  let stage: PipelineStage | undefined;
  if (input.stage_id) {
    stage = pw.stages.find((s) => s.id === input.stage_id && !s.deleted);
    if (!stage) {
      const other = await pipelineOfStage(uow.trx, tenantId, input.stage_id);
      throw fieldError(
        ['stage_id'],
        other ? 'not_in_pipeline' : 'not_found',
        other ? 'stage_id is a stage of another pipeline' : 'no such stage in this workspace',
      );
    }
  } else {
    stage = pw.stages.find((s) => s.category === 'open' && !s.deleted);
    if (!stage) throw new AppError('stage_not_found', 'The pipeline has no open stage to start a deal in');
  }

  const contacts = withPrimary(input.contacts, input.primary_contact_id ?? null);
  const checks: RefCheck[] = [];
  if (input.account_id) checks.push({ kind: 'account', id: input.account_id, path: ['account_id'] });
  if (input.primary_contact_id) {
    checks.push({ kind: 'contact', id: input.primary_contact_id, path: ['primary_contact_id'] });
  }
  input.contacts.forEach((c, i) => {
    checks.push({ kind: 'contact', id: c.contact_id, path: ['contacts', i, 'contact_id'] });
  });
  if (ownerId) checks.push({ kind: 'member', id: ownerId, path: ['owner_id'] });
  input.acl_member_ids.forEach((m, i) => {
    checks.push({ kind: 'member', id: m, path: ['acl_member_ids', i] });
  });
  const errors = await refErrors(uow, checks);
  if (errors.length > 0) throw validation(errors);

  const outcome = stage.outcome;
  if (outcome) requirePermission(actor, 'crm.deal.close');
  const lostReason = outcome === 'lost' || outcome === 'cancelled' ? (input.lost_reason ?? null) : null;
  const unmet = evaluateTransition({
    pipeline: pw.pipeline,
    from: null,
    to: stage,
    allowedMoves: pw.moves,
    role: actor.role,
    deal: {
      account_id: input.account_id ?? null,
      primary_contact_id: input.primary_contact_id ?? null,
      amount: input.amount_minor ?? null,
      expected_close_date: input.expected_close_date ?? null,
      description: input.description ?? null,
      owner_id: ownerId,
      lost_reason: lostReason,
    },
  });
  if (unmet.length > 0) throw transitionBlocked(unmet, stage);

  const status: DealStatus = outcome ?? 'open';
  const row = await insertDeal(uow.trx, {
    tenant_id: tenantId,
    id: newId(),
    account_id: input.account_id ?? null,
    primary_contact_id: input.primary_contact_id ?? null,
    name: input.name,
    description: input.description ?? null,
    amount_minor: input.amount_minor ?? null,
    currency: input.currency ?? defaultCurrency(pw.workspace.base_currency),
    pipeline_id: pw.pipeline.id,
    stage_id: stage.id,
    probability: input.probability ?? stage.default_probability,
    probability_overridden: input.probability !== undefined,
    expected_close_date: input.expected_close_date ?? null,
    status,
    lost_reason: lostReason,
    closed_at: outcome ? new Date() : null,
    owner_id: ownerId,
    acl_mode: input.acl_mode,
    acl_member_ids: input.acl_member_ids,
    acl_roles: input.acl_roles,
    tags: input.tags,
    lead_source: input.lead_source ?? null,
    custom_fields: jsonb(input.custom_fields),
    created_by: actor.userId,
    updated_by: actor.userId,
    deleted_at: null,
  });
  await insertDealContacts(uow.trx, tenantId, row.id, contacts, actor.userId);
  const history = stageTransitionInsert(uow.trx, {
    tenant_id: tenantId,
    id: newId(),
    deal_id: row.id,
    pipeline_id: pw.pipeline.id,
    from_stage_id: null,
    to_stage_id: stage.id,
    from_status: null,
    to_status: status,
    probability: row.probability,
    ms_in_from_stage: null,
    actor_type: actor.type,
    actor_id: actor.type === 'system' ? null : actor.id,
  });
  await recordSystemActivity(
    uow,
    {
      kind: 'deal_created',
      subject: `Deal created: ${row.name}`,
      accountId: row.account_id,
      contactId: row.primary_contact_id,
      dealId: row.id,
      metadata: { stage_id: stage.id, stage_code: stage.code, pipeline_id: pw.pipeline.id },
    },
    { alongside: history },
  );
  const view: DealView = {
    ...row,
    stage: stageRef(stage),
    stage_default_probability: stage.default_probability,
    contacts,
  };
  const snapshot = dealSnapshot(view);
  uow.audit({
    action: 'deal.created',
    entityType: 'deal',
    entityId: row.id,
    diff: diffRecords(null, snapshot),
  });
  uow.emit(dealCreated(snapshot));
  if (outcome) {
    uow.emit(
      dealClosed(outcome, snapshot, {
        from_stage_id: stage.id,
        to_stage_id: stage.id,
        from_stage_code: stage.code,
        to_stage_code: stage.code,
        from_status: 'open',
        to_status: status,
      }),
    );
  }
  return view;
}

// ---------------------------------------------------------------------------------------------------
// Reads.

/** One deal; 404 when missing, deleted (unless asked), of another workspace, or restricted from the actor. */
export async function getDeal(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  options: { includeDeleted?: boolean } = {},
): Promise<DealJson> {
  requirePermission(ctx.actor, 'crm.deal.view');
  const row = await p.db.read(ctx.actor.workspaceId, (db) => findDealView(db, ctx.actor.workspaceId, id));
  if (!row || !canSeeDeal(ctx.actor, row) || (row.deleted_at && !options.includeDeleted)) throw notFound();
  return presentDeal(row, ctx.actor);
}

function listCursorKey(cursor: string, sort: DealSort): [string | number, string] {
  const bare = sort.replace('-', '');
  const kind =
    bare === 'amount'
      ? 'int'
      : bare === 'expected_close_date'
        ? 'date'
        : bare === 'name'
          ? 'text'
          : 'instant';
  return decodeCursor(cursor, sort, [kind, 'uuid']) as [string | number, string];
}

export interface DealPage {
  data: DealJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean; total?: number };
}

function ownerFilter(actor: Actor, owner: string | undefined): { ownerId?: string | null } {
  if (owner === 'me') return { ownerId: actor.userId };
  if (owner === 'none') return { ownerId: null };
  return owner ? { ownerId: owner } : {};
}

/** Deals the actor may see, filtered, keyset-paginated; `total` counts the same visible set. */
export async function listDeals(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListDealsQuery,
): Promise<DealPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  const filters: DealFilters = {
    deleted: query.deleted,
    ...ownerFilter(actor, query.owner_id),
    ...(query.pipeline_id ? { pipelineId: query.pipeline_id } : {}),
    ...(query.stage_id ? { stageId: query.stage_id } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.account_id ? { accountId: query.account_id } : {}),
    ...(query.contact_id ? { contactId: query.contact_id } : {}),
    ...(query.tag ? { tag: query.tag } : {}),
    ...(query.amount_min !== undefined ? { amountMin: query.amount_min } : {}),
    ...(query.amount_max !== undefined ? { amountMax: query.amount_max } : {}),
    ...(query.expected_close_from ? { closeFrom: query.expected_close_from } : {}),
    ...(query.expected_close_to ? { closeTo: query.expected_close_to } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
  const after = query.cursor ? listCursorKey(query.cursor, query.sort) : null;
  const limit = query.limit;
  return p.db.read(tenantId, async (db) => {
    const fetched = await listDealViews(db, tenantId, actor, filters, query.sort, after, limit + 1);
    const rows = fetched.slice(0, limit);
    const last = rows[rows.length - 1];
    const nextCursor =
      fetched.length > limit && last
        ? encodeCursor(query.sort, [sortKeyOf(query.sort, last), last.id])
        : null;
    const total = query.include_total ? await countDeals(db, tenantId, actor, filters) : undefined;
    return {
      data: rows.map((r) => presentDeal(r, actor)),
      page: {
        limit,
        next_cursor: nextCursor,
        has_more: nextCursor !== null,
        ...(total === undefined ? {} : { total }),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Writes.

/** Locks the deal for a write; 404 unless it exists, is visible to the actor and (unless asked) live. */
async function lockDeal(uow: Uow, id: string, options: { deleted?: boolean } = {}): Promise<DealView> {
  const row = await findDealView(uow.trx, uow.actor.workspaceId, id, { forUpdate: true });
  if (!row || !canSeeDeal(uow.actor, row)) throw notFound();
  if (!options.deleted && row.deleted_at) throw notFound();
  return row;
}

/** lockDeal and the deal's pipeline (stages, rules) in one round trip: the move and close paths. */
async function lockDealAndPipeline(
  uow: Uow,
  id: string,
): Promise<{ current: DealView; pw: PipelineWithStages | undefined }> {
  const found = await lockDealWithPipeline(uow.trx, uow.actor.workspaceId, id);
  if (!found || !canSeeDeal(uow.actor, found.deal) || found.deal.deleted_at) throw notFound();
  return { current: found.deal, pw: found.pipeline };
}

function preconditionFailed(current: DealView, actor: Actor, expected: number): AppError {
  return new AppError('precondition_failed', `The deal changed since version ${expected}; reload and retry`, {
    extra: { current_version: current.version, current: presentDeal(current, actor) },
    headers: { etag: `"${current.version}"` },
  });
}

/** Two people dragging the same card: the second gets this, with the card as it now is. */
function versionConflict(current: DealView, actor: Actor, expected: number): AppError {
  return new AppError(
    'version_conflict',
    `The deal is at version ${current.version}, not ${expected}: someone changed it first`,
    {
      extra: { current_version: current.version, current: presentDeal(current, actor) },
      headers: { etag: `"${current.version}"` },
    },
  );
}

const IGNORED_IN_DIFF = ['updated_at', 'version', 'updated_by'];

/**
 * Changes a deal's fields (not its stage: that is POST /deals/{id}/move, where the rules apply).
 * `probability` sets an override; `probability: null` returns to the stage's default. `contacts`
 * replaces the contact set. A PATCH that changes nothing writes nothing.
 * Errors: 412 on a stale If-Match/version; 403 on someone else's deal; 422 naming the field.
 */
/**
 * Seed 003's system timeline events for a deal edit: one entry per tag added or removed, and one when the
 * owner changes — written in the edit's transaction, like every system entry.
 */
async function recordTagAndOwnerChanges(uow: Uow, before: DealView, after: DealView): Promise<void> {
  const links = { accountId: after.account_id, contactId: after.primary_contact_id, dealId: after.id };
  const had = new Set(before.tags);
  const has = new Set(after.tags);
  for (const tag of after.tags.filter((t) => !had.has(t))) {
    await recordSystemActivity(uow, {
      ...links,
      kind: 'tag_added',
      subject: `Tag added: ${tag}`,
      metadata: { tag },
    });
  }
  for (const tag of before.tags.filter((t) => !has.has(t))) {
    await recordSystemActivity(uow, {
      ...links,
      kind: 'tag_removed',
      subject: `Tag removed: ${tag}`,
      metadata: { tag },
    });
  }
  if (before.owner_id !== after.owner_id) {
    await recordSystemActivity(uow, {
      ...links,
      kind: 'owner_changed',
      subject: 'Owner changed',
      metadata: { from_owner_id: before.owner_id, to_owner_id: after.owner_id },
    });
  }
}

export async function updateDeal(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateDealInput,
  ifMatchVersion: number | undefined,
): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.update');
  const { version: bodyVersion, stage_id: stageId, contacts, probability, custom_fields, ...plain } = input;
  if (stageId !== undefined) {
    throw fieldError(
      ['stage_id'],
      'use_move',
      `The stage changes through POST /crm/v1/deals/${id}/move, where the pipeline's rules apply`,
    );
  }
  const expected = ifMatchVersion ?? bodyVersion;
  const view = await withOwnerCheck(() =>
    p.write(ctx, async (uow) => {
      const current = await lockDeal(uow, id);
      if (expected !== undefined && expected !== current.version)
        throw preconditionFailed(current, actor, expected);
      if (!canUpdate(actor, current)) {
        throw forbidden('You may change only deals you own or that nobody owns');
      }
      if (
        plain.owner_id !== undefined &&
        plain.owner_id !== current.owner_id &&
        !mayAssignOwner(actor, plain.owner_id)
      ) {
        throw forbidden('Only managers and admins may give a deal to another member', 'owner_id');
      }
      const checks: RefCheck[] = [];
      if (plain.account_id) checks.push({ kind: 'account', id: plain.account_id, path: ['account_id'] });
      if (plain.primary_contact_id) {
        checks.push({ kind: 'contact', id: plain.primary_contact_id, path: ['primary_contact_id'] });
      }
      contacts?.forEach((c, i) => {
        checks.push({ kind: 'contact', id: c.contact_id, path: ['contacts', i, 'contact_id'] });
      });
      if (plain.owner_id && plain.owner_id !== current.owner_id) {
        checks.push({ kind: 'member', id: plain.owner_id, path: ['owner_id'] });
      }
      plain.acl_member_ids?.forEach((m, i) => {
        checks.push({ kind: 'member', id: m, path: ['acl_member_ids', i] });
      });
      const errors = await refErrors(uow, checks);
      if (errors.length > 0) throw validation(errors);

      const primaryId =
        plain.primary_contact_id !== undefined ? plain.primary_contact_id : current.primary_contact_id;
      const nextContacts =
        contacts !== undefined
          ? withPrimary(contacts, primaryId)
          : primaryId !== null && !current.contacts.some((c) => c.contact_id === primaryId)
            ? withPrimary(current.contacts, primaryId)
            : current.contacts;
      const probabilityPatch: Pick<DealRowUpdate, 'probability' | 'probability_overridden'> =
        probability === undefined
          ? {}
          : probability === null
            ? { probability: current.stage_default_probability, probability_overridden: false }
            : { probability, probability_overridden: true };

      const before = dealSnapshot(current);
      const planned = dealSnapshot({
        ...current,
        ...plain,
        ...probabilityPatch,
        ...(custom_fields ? { custom_fields } : {}),
        contacts: nextContacts,
      } as DealView);
      if (Object.keys(diffRecords(before, planned, IGNORED_IN_DIFF)).length === 0) return current;

      const patch: DealRowUpdate = {
        ...plain,
        ...probabilityPatch,
        ...(custom_fields ? { custom_fields: jsonb(custom_fields) } : {}),
        updated_by: actor.userId,
      };
      const updated = await updateDealRow(uow.trx, actor.workspaceId, id, current.version, patch);
      if (!updated) throw versionConflict(current, actor, current.version);
      if (contacts !== undefined) {
        await replaceDealContacts(uow.trx, actor.workspaceId, id, nextContacts, actor.userId);
      } else if (nextContacts !== current.contacts) {
        await insertDealContacts(uow.trx, actor.workspaceId, id, nextContacts, actor.userId);
      }
      const next: DealView = { ...current, ...updated, contacts: nextContacts, stage: current.stage };
      const after = dealSnapshot(next);
      const diff = diffRecords(before, after, IGNORED_IN_DIFF);
      uow.audit({ action: 'deal.updated', entityType: 'deal', entityId: id, diff });
      uow.emit(dealUpdated(after, diff));
      await recordTagAndOwnerChanges(uow, current, next);
      return next;
    }),
  );
  return presentDeal(view, actor);
}

/** Soft delete (restorable). Errors: 404, 403 (not yours), 412 (stale If-Match). */
export async function deleteDeal(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.delete');
  const view = await p.write(ctx, async (uow) => {
    const current = await lockDeal(uow, id);
    if (ifMatchVersion !== undefined && ifMatchVersion !== current.version) {
      throw preconditionFailed(current, actor, ifMatchVersion);
    }
    if (!canDelete(actor, current)) throw forbidden('You may delete only deals you own or that nobody owns');
    const updated = await updateDealRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    if (!updated) throw versionConflict(current, actor, current.version);
    const next: DealView = { ...current, ...updated, stage: current.stage, contacts: current.contacts };
    const snapshot = dealSnapshot(next);
    uow.audit({
      action: 'deal.deleted',
      entityType: 'deal',
      entityId: id,
      diff: { deleted_at: { from: null, to: snapshot.deleted_at } },
    });
    uow.emit(dealDeleted(snapshot));
    return next;
  });
  return presentDeal(view, actor);
}

export async function restoreDeal(p: AppPlatform, ctx: RequestContext, id: string): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.delete');
  const view = await p.write(ctx, async (uow) => {
    const current = await lockDeal(uow, id, { deleted: true });
    if (!current.deleted_at) {
      throw new AppError('conflict', 'The deal is not deleted', {
        extra: { current: presentDeal(current, actor) },
      });
    }
    if (!canRestore(actor, current))
      throw forbidden('You may restore only deals you own or that nobody owns');
    const updated = await updateDealRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: null,
      updated_by: actor.userId,
    });
    if (!updated) throw versionConflict(current, actor, current.version);
    const next: DealView = { ...current, ...updated, stage: current.stage, contacts: current.contacts };
    const snapshot = dealSnapshot(next);
    uow.audit({
      action: 'deal.restored',
      entityType: 'deal',
      entityId: id,
      diff: { deleted_at: { from: current.deleted_at.toISOString(), to: null } },
    });
    uow.emit(dealRestored(snapshot));
    return next;
  });
  return presentDeal(view, actor);
}

// ---------------------------------------------------------------------------------------------------
// Moves and closing.

interface TransitionRequest {
  fields: MoveFields;
  lostReason: string | null | undefined;
  /** An explicit place in the target column (decimal rank); absent: the arrival trigger puts it on top. */
  rank?: string;
}

/**
 * The one stage change every move and close goes through, on a locked deal: applies `fields`, evaluates
 * the pipeline's rules on the values after them (every unmet rule → 422 stage_transition_blocked),
 * needs crm.deal.close to enter a closed stage, then writes the deal (version+1, stage_entered_at=now),
 * the stage-history row, the timeline entry, the audit row and the events.
 *
 * Probability: an open target stage gives its default unless the deal's probability is overridden; a
 * closed stage always gives its own (100 / 0) and clears the override, so a won deal never weighs 60%
 * and a reopened one starts again from its stage's default.
 */
async function applyTransition(
  uow: Uow,
  current: DealView,
  pw: PipelineWithStages,
  target: PipelineStage,
  req: TransitionRequest,
): Promise<DealView> {
  const { actor } = uow;
  const tenantId = actor.workspaceId;
  const f = req.fields;
  const checks: RefCheck[] = [];
  if (f.account_id) checks.push({ kind: 'account', id: f.account_id, path: ['fields', 'account_id'] });
  if (f.primary_contact_id) {
    checks.push({ kind: 'contact', id: f.primary_contact_id, path: ['fields', 'primary_contact_id'] });
  }
  if (target.outcome) requirePermission(actor, 'crm.deal.close');
  if (checks.length > 0) {
    const errors = await refErrors(uow, checks);
    if (errors.length > 0) throw validation(errors);
  }
  const plan = planTransition(uow.trx, actor, current, pw, target, {
    ...req,
    // Top of the target column unless placed: computed here rather than by the arrival trigger (ADR 0021).
    rank: req.rank ?? topOfColumn(tenantId, current, target.id),
  });
  // The history row and the timeline entry ride in the UPDATE (one round trip), written before the audit
  // statement locks the workspace's chain head, so a workspace's moves do not queue behind them.
  const updated = await updateDealRow(uow.trx, tenantId, current.id, current.version, plan.patch, [
    plan.history,
    plan.timeline,
  ]);
  if (!updated) throw versionConflict(current, actor, current.version);
  let contacts = current.contacts;
  const primary = plan.patch.primary_contact_id;
  if (primary && !contacts.some((c) => c.contact_id === primary)) {
    contacts = withPrimary(contacts, primary);
    await insertDealContacts(uow.trx, tenantId, current.id, contacts, actor.userId);
  }
  const next: DealView = {
    ...current,
    ...updated,
    stage: stageRef(target),
    stage_default_probability: target.default_probability,
    contacts,
  };
  const recorded = transitionRecords(current, next, plan);
  uow.audit(recorded.audit);
  for (const e of recorded.events) uow.emit(e);
  return next;
}

interface TransitionPlan {
  patch: Pick<
    DealView,
    | 'account_id'
    | 'primary_contact_id'
    | 'amount_minor'
    | 'currency'
    | 'expected_close_date'
    | 'description'
    | 'stage_id'
    | 'stage_entered_at'
    | 'status'
    | 'closed_at'
    | 'lost_reason'
    | 'probability'
    | 'probability_overridden'
    | 'updated_by'
  > & { stage_rank: string | RawBuilder<string> };
  history: OperationNodeSource;
  timeline: OperationNodeSource;
  change: StageChange;
  closing: boolean;
}

/**
 * What a stage change writes, decided from the deal as read: the values after `fields`, the pipeline's
 * rules on them (every unmet rule → 422 stage_transition_blocked), the row patch, the stage-history row
 * and the timeline entry (built, not run). Shared by the transaction path and the one-statement move.
 */
function planTransition(
  k: Kysely<DB>,
  actor: Actor,
  current: DealView,
  pw: PipelineWithStages,
  target: PipelineStage,
  req: Omit<TransitionRequest, 'rank'> & { rank: string | RawBuilder<string> },
): TransitionPlan {
  const tenantId = actor.workspaceId;
  const f = req.fields;
  const pick = <K extends keyof MoveFields & keyof DealView>(key: K): DealView[K] =>
    (f[key] !== undefined ? f[key] : current[key]) as DealView[K];
  const after = {
    account_id: pick('account_id'),
    primary_contact_id: pick('primary_contact_id'),
    amount_minor: pick('amount_minor'),
    currency: pick('currency'),
    expected_close_date: pick('expected_close_date'),
    description: pick('description'),
  };
  const newStatus: DealStatus = target.outcome ?? 'open';
  const givenReason = req.lostReason ?? f.lost_reason ?? null;
  const lostReason =
    newStatus === 'lost' || newStatus === 'cancelled'
      ? (givenReason ?? (current.status === newStatus ? current.lost_reason : null))
      : null;
  const from = pw.stages.find((s) => s.id === current.stage_id) ?? null;
  const unmet = evaluateTransition({
    pipeline: pw.pipeline,
    from: from ?? { id: current.stage_id, code: current.stage.code },
    to: target,
    allowedMoves: pw.moves,
    role: actor.role,
    deal: {
      account_id: after.account_id,
      primary_contact_id: after.primary_contact_id,
      amount: after.amount_minor,
      expected_close_date: after.expected_close_date,
      description: after.description,
      owner_id: current.owner_id,
      lost_reason: lostReason,
    },
  });
  if (unmet.length > 0) throw transitionBlocked(unmet, target);

  const now = new Date();
  const closedNow = newStatus !== 'open';
  const patch = {
    ...after,
    stage_id: target.id,
    stage_rank: req.rank,
    stage_entered_at: now,
    status: newStatus,
    closed_at: closedNow ? now : null,
    lost_reason: lostReason,
    probability:
      closedNow || !current.probability_overridden ? target.default_probability : current.probability,
    probability_overridden: closedNow ? false : current.probability_overridden,
    updated_by: actor.userId,
  };
  const history = stageTransitionInsert(k, {
    tenant_id: tenantId,
    id: newId(),
    deal_id: current.id,
    pipeline_id: current.pipeline_id,
    from_stage_id: current.stage_id,
    to_stage_id: target.id,
    from_status: current.status,
    to_status: newStatus,
    probability: patch.probability,
    ms_in_from_stage: Math.max(0, now.getTime() - current.stage_entered_at.getTime()),
    occurred_at: now,
    actor_type: actor.type,
    actor_id: actor.type === 'system' ? null : actor.id,
  });
  const closing = newStatus !== 'open' && newStatus !== current.status;
  const change: StageChange = {
    from_stage_id: current.stage_id,
    to_stage_id: target.id,
    from_stage_code: current.stage.code,
    to_stage_code: target.code,
    from_status: current.status,
    to_status: newStatus,
  };
  const fromName = from?.name_en ?? current.stage.name_en;
  const timeline = systemActivityInsert(
    { trx: k, actor },
    {
      kind: closing ? (`deal_${newStatus}` as 'deal_won' | 'deal_lost' | 'deal_cancelled') : 'stage_changed',
      subject: closing
        ? `Deal ${newStatus}: ${current.name}`
        : `Stage changed: ${fromName} → ${target.name_en}`,
      accountId: after.account_id,
      contactId: after.primary_contact_id,
      dealId: current.id,
      occurredAt: now,
      metadata: { ...change, ...(lostReason ? { lost_reason: lostReason } : {}) },
    },
  );
  return { patch, history, timeline: timeline.insert, change, closing };
}

/** The audit entry and events of a stage change, from the deal before and after it. */
function transitionRecords(
  current: DealView,
  next: DealView,
  plan: TransitionPlan,
): { audit: AuditEntry; events: DomainEvent[] } {
  const snapshot = dealSnapshot(next);
  const events: DomainEvent[] = [dealStageChanged(snapshot, plan.change)];
  if (plan.closing) {
    events.push(dealClosed(plan.patch.status as 'won' | 'lost' | 'cancelled', snapshot, plan.change));
  }
  return {
    audit: {
      action: 'deal.stage_changed',
      entityType: 'deal',
      entityId: current.id,
      diff: diffRecords(dealSnapshot(current), snapshot, [...IGNORED_IN_DIFF, 'stage_entered_at']),
    },
    events,
  };
}

/**
 * A move decided from the deal as read, written as ONE statement without a transaction
 * (`writeOneStatement`, ADR 0025): the deal's UPDATE guarded by the version read (and its place and
 * time fixed here, so the deal after the move is known before it is written), the history row, the
 * timeline entry, the events and the audit row. Two round trips in all (the read, the write) instead of
 * a transaction's five. Answers undefined when the deal changed between the read and the write.
 */
async function moveInOneStatement(
  p: AppPlatform,
  ctx: RequestContext,
  current: DealView,
  pw: PipelineWithStages,
  target: PipelineStage,
  rank: string,
  lostReason: string | null | undefined,
): Promise<DealView | undefined> {
  const { actor } = ctx;
  if (target.outcome) requirePermission(actor, 'crm.deal.close');
  let next: DealView | undefined;
  const applied = await p.writeOne(ctx, (k) => {
    const plan = planTransition(k, actor, current, pw, target, { fields: {}, lostReason, rank });
    const updatedAt = plan.patch.stage_entered_at;
    const moved: DealView = {
      ...current,
      ...plan.patch,
      stage_rank: rank,
      version: current.version + 1,
      updated_at: updatedAt,
      stage: stageRef(target),
      stage_default_probability: target.default_probability,
    };
    next = moved;
    const recorded = transitionRecords(current, moved, plan);
    return {
      change: k
        .updateTable('crm_core.crm_deals')
        .set({ ...plan.patch, stage_rank: rank, version: sql`version + 1`, updated_at: updatedAt })
        .where('tenant_id', '=', actor.workspaceId)
        .where('id', '=', current.id)
        .where('version', '=', current.version)
        .where('deleted_at', 'is', null)
        .returning('id'),
      alongside: [plan.history, plan.timeline],
      audits: [recorded.audit],
      events: recorded.events,
    };
  });
  return applied ? next : undefined;
}

/**
 * A card moved within its column: only its rank changes (version+1, so a stale card elsewhere cannot
 * undo it), audited and announced as a deal.updated whose only change is stage_rank.
 */
async function reorderDeal(uow: Uow, current: DealView, rank: string): Promise<DealView> {
  const { actor } = uow;
  if (rank === current.stage_rank) return current;
  const updated = await updateDealRow(uow.trx, actor.workspaceId, current.id, current.version, {
    stage_rank: rank,
    updated_by: actor.userId,
  });
  if (!updated) throw versionConflict(current, actor, current.version);
  const next: DealView = { ...current, ...updated, stage: current.stage, contacts: current.contacts };
  const changes = { stage_rank: { from: current.stage_rank, to: updated.stage_rank } };
  uow.audit({ action: 'deal.updated', entityType: 'deal', entityId: current.id, diff: changes });
  uow.emit(dealUpdated(dealSnapshot(next), changes));
  return next;
}

/** The rank above every live card of a stage (the card itself aside), as a subquery of the UPDATE. */
function topOfColumn(tenantId: string, deal: DealView, stageId: string): RawBuilder<string> {
  return sql<string>`(
    SELECT coalesce(min(x.stage_rank), 1) - 1 FROM crm_core.crm_deals x
    WHERE x.tenant_id = ${tenantId} AND x.pipeline_id = ${deal.pipeline_id} AND x.stage_id = ${stageId}
      AND x.deleted_at IS NULL AND x.id <> ${deal.id})`;
}

/**
 * The rank that places `current` right after `afterId` (null: at the top) in `stageId`'s column, for
 * both move paths; 422 naming after_id when it is the deal itself or not a live deal of that column.
 */
async function rankAfter(
  k: Kysely<DB>,
  tenantId: string,
  current: DealView,
  stageId: string,
  afterId: string | null,
): Promise<string> {
  if (afterId === current.id) {
    throw fieldError(['after_id'], 'invalid', 'after_id must be another deal than the one moved');
  }
  const place = { pipelineId: current.pipeline_id, stageId, afterId };
  // Within its own column the deal's own rank is not in the way (it moves); from another, avoid it.
  const avoid = stageId === current.stage_id ? null : current.stage_rank;
  const rank = await rankFor(k, tenantId, current.id, place, avoid);
  if (rank === undefined) {
    throw fieldError(['after_id'], 'not_in_stage', 'after_id must be a live deal of the target stage');
  }
  return rank;
}

/**
 * A card moved within its column as one statement (`writeOneStatement`): what `reorderDeal` writes —
 * the rank, version + 1, audited, announced as a deal.updated whose only change is stage_rank — with the
 * deal after it computed before it is written. Undefined when the deal changed since it was read.
 */
async function reorderInOneStatement(
  p: AppPlatform,
  ctx: RequestContext,
  current: DealView,
  rank: string,
): Promise<DealView | undefined> {
  const { actor } = ctx;
  const updatedAt = new Date();
  const next: DealView = {
    ...current,
    stage_rank: rank,
    version: current.version + 1,
    updated_at: updatedAt,
    updated_by: actor.userId,
  };
  const changes = { stage_rank: { from: current.stage_rank, to: rank } };
  const applied = await p.writeOne(ctx, (k) => ({
    change: k
      .updateTable('crm_core.crm_deals')
      .set({ stage_rank: rank, updated_by: actor.userId, version: sql`version + 1`, updated_at: updatedAt })
      .where('tenant_id', '=', actor.workspaceId)
      .where('id', '=', current.id)
      .where('version', '=', current.version)
      .where('deleted_at', 'is', null)
      .returning('id'),
    audits: [{ action: 'deal.updated', entityType: 'deal', entityId: current.id, diff: changes }],
    events: [dealUpdated(dealSnapshot(next), changes)],
  }));
  return applied ? next : undefined;
}

/**
 * What both move paths check first, in this order: the version read, the right to move, and that the
 * target is a live stage of the deal's pipeline. Returns the pipeline and the target stage.
 */
function checkMove(
  actor: Actor,
  current: DealView,
  pw: PipelineWithStages | undefined,
  stageId: string,
  expected: number,
): { pw: PipelineWithStages; target: PipelineWithStages['stages'][number] } {
  if (current.version !== expected) throw versionConflict(current, actor, expected);
  if (!canMove(actor, current)) throw forbidden('You may move only deals you own or that nobody owns');
  const target = pw?.stages.find((s) => s.id === stageId && !s.deleted);
  if (!pw || !target) {
    throw fieldError(['stage_id'], 'not_in_pipeline', "stage_id must be a stage of the deal's pipeline");
  }
  return { pw, target };
}

/**
 * A move with no `fields` to fill, decided from the deal as read and written as one statement: to
 * another stage (`moveInOneStatement`; its place in the target column comes from the same read — the
 * top — or from `after_id`), or within its column (`reorderInOneStatement`). Undefined when the move
 * needs the transaction path instead (fields, or the deal changed between the read and the write: the
 * transaction path then answers with the current version, 409 exactly as before).
 */
async function moveWithoutTransaction(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: MoveDealInput,
  expected: number,
): Promise<DealView | undefined> {
  if (input.fields && Object.keys(input.fields).length > 0) return undefined;
  const { actor } = ctx;
  const tenantId = actor.workspaceId;
  const read = await p.db.read(tenantId, (k) => readDealForMove(k, tenantId, id, input.stage_id));
  if (!read || !canSeeDeal(actor, read.deal) || read.deal.deleted_at) throw notFound();
  const { deal: current, topRank } = read;
  const { pw, target } = checkMove(actor, current, read.pipeline, input.stage_id, expected);
  const sameStage = target.id === current.stage_id;
  const placed =
    input.after_id === undefined
      ? undefined
      : await p.db.read(tenantId, (k) => rankAfter(k, tenantId, current, target.id, input.after_id ?? null));
  if (sameStage) {
    // A card placed within its own column: only its rank changes.
    if (placed === undefined || placed === current.stage_rank) return current;
    return reorderInOneStatement(p, ctx, current, placed);
  }
  const rank = placed ?? topRank;
  if (rank === null) return undefined;
  return moveInOneStatement(p, ctx, current, pw, target, rank, input.lost_reason);
}

function versionRequired(): AppError {
  return fieldError(
    ['version'],
    'required',
    'Send the version of the deal you are moving (or If-Match), so a stale card cannot undo a newer move',
  );
}

/**
 * Moves a deal to another stage of its pipeline. Optimistic: `version` (or If-Match) must be the deal's
 * current version, else 409 version_conflict carrying `current` (the card as it now is). `fields` fill
 * missing values in the same move. Errors: 404, 403, 409, 422 (stage_id, fields.*, version),
 * 422 stage_transition_blocked with `unmet`.
 */
export async function moveDeal(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: MoveDealInput,
  ifMatchVersion: number | undefined,
): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.stage_change');
  const expected = ifMatchVersion ?? input.version;
  if (expected === undefined) throw versionRequired();
  const fast = await moveWithoutTransaction(p, ctx, id, input, expected);
  if (fast) return presentDeal(fast, actor);
  const view = await p.write(ctx, async (uow) => {
    const locked = await lockDealAndPipeline(uow, id);
    const { current } = locked;
    const { pw, target } = checkMove(actor, current, locked.pw, input.stage_id, expected);
    const sameStage = target.id === current.stage_id;
    if (sameStage && input.fields && Object.keys(input.fields).length > 0) {
      throw fieldError(
        ['stage_id'],
        'same_stage',
        'The deal is already in this stage; change fields with PATCH',
      );
    }
    const rank =
      input.after_id === undefined
        ? undefined
        : await rankAfter(uow.trx, actor.workspaceId, current, target.id, input.after_id);
    if (sameStage) return rank === undefined ? current : reorderDeal(uow, current, rank);
    return applyTransition(uow, current, pw, target, {
      fields: input.fields ?? {},
      lostReason: input.lost_reason,
      ...(rank !== undefined ? { rank } : {}),
    });
  });
  return presentDeal(view, actor);
}

/**
 * Closes a deal as won, lost or cancelled: a move into the pipeline's first stage with that outcome
 * (or the given `stage_id`), through the same rules. Idempotent: closing an already-closed deal with the
 * same outcome answers the deal and writes nothing; another outcome is 409 deal_closed (reopen it by
 * moving it to an open stage first). Lost needs `lost_reason` (422 naming it).
 */
export async function closeDeal(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: CloseDealInput,
  ifMatchVersion: number | undefined,
): Promise<DealJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.stage_change');
  requirePermission(actor, 'crm.deal.close');
  const expected = ifMatchVersion ?? input.version;
  const view = await p.write(ctx, async (uow) => {
    const { current, pw } = await lockDealAndPipeline(uow, id);
    if (current.status !== 'open') {
      if (current.status === input.outcome) return current;
      throw new AppError(
        'deal_closed',
        `The deal is already ${current.status}; reopen it before closing it otherwise`,
        {
          extra: { current: presentDeal(current, actor) },
        },
      );
    }
    if (expected !== undefined && current.version !== expected)
      throw versionConflict(current, actor, expected);
    if (!canClose(actor, current)) throw forbidden('You may close only deals you own or that nobody owns');
    const lostReason = input.lost_reason ?? input.fields?.lost_reason ?? null;
    if (input.outcome === 'lost' && !lostReason) {
      throw fieldError(['lost_reason'], 'required', 'lost_reason is required to close a deal as lost');
    }
    if (!pw) throw notFound();
    let target: PipelineStage | undefined;
    if (input.stage_id) {
      target = pw.stages.find((s) => s.id === input.stage_id && !s.deleted);
      if (!target || target.outcome !== input.outcome) {
        throw fieldError(
          ['stage_id'],
          'outcome_mismatch',
          `stage_id must be a stage of the deal's pipeline whose outcome is ${input.outcome}`,
        );
      }
    } else {
      target = pw.stages.find((s) => s.outcome === input.outcome && !s.deleted);
      if (!target) throw new AppError('stage_not_found', `The pipeline has no ${input.outcome} stage`);
    }
    return applyTransition(uow, current, pw, target, { fields: input.fields ?? {}, lostReason });
  });
  return presentDeal(view, actor);
}

// ---------------------------------------------------------------------------------------------------
// Stage history.

export interface StageHistoryEntry {
  id: string;
  from_stage: DealJson['stage'] | null;
  to_stage: DealJson['stage'];
  from_status: DealStatus | null;
  to_status: DealStatus;
  probability: number;
  actor: { type: 'user' | 'api_key' | 'system'; id: string | null };
  occurred_at: string;
  ms_in_from_stage: number | null;
  ms_in_stage: number;
}

/** The deal's moves, oldest first, with the time spent in each stage (the last one: until now). */
export async function dealStageHistory(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
): Promise<{ data: StageHistoryEntry[] }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const deal = await findDealView(db, tenantId, id);
    if (!deal || deal.deleted_at || !canSeeDeal(actor, deal)) throw notFound();
    const [rows, pw] = [
      await stageHistoryRows(db, tenantId, id),
      await loadPipelineWithStages(db, tenantId, deal.pipeline_id),
    ];
    const stages = new Map((pw?.stages ?? []).map((s) => [s.id, stageRef(s)]));
    const unknown = (sid: string) => ({
      id: sid,
      code: 'unknown',
      name_vi: '?',
      name_en: '?',
      category: 'open' as const,
    });
    const now = Date.now();
    return {
      data: rows.map((r, i) => {
        const nextAt = rows[i + 1]?.occurred_at.getTime() ?? now;
        return {
          id: r.id,
          from_stage: r.from_stage_id ? (stages.get(r.from_stage_id) ?? unknown(r.from_stage_id)) : null,
          to_stage: stages.get(r.to_stage_id) ?? unknown(r.to_stage_id),
          from_status: r.from_status,
          to_status: r.to_status,
          probability: r.probability,
          actor: { type: r.actor_type, id: r.actor_id },
          occurred_at: r.occurred_at.toISOString(),
          ms_in_from_stage: r.ms_in_from_stage,
          ms_in_stage: Math.max(0, nextAt - r.occurred_at.getTime()),
        };
      }),
    };
  });
}
