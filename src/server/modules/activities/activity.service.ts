import type { Kysely } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { type Actor, can, requirePermission } from '../../platform/auth/actor.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../../platform/db/errors.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { canSeeDeal } from '../deals/deal.visibility.js';
import { activityLogged } from './activity.events.js';
import { canComplete, mayAssignOwner } from './activity.policy.js';
import {
  type ActivityJson,
  type ActivityView,
  activitySnapshot,
  presentActivity,
} from './activity.presenter.js';
import {
  type ActivityFilters,
  accountLink,
  completionEventId,
  contactLink,
  dealLink,
  findActivityView,
  findBySourceEvent,
  insertActivity,
  leadLink,
  listActivityViews,
  type TimelineScope,
  workspaceTimeZone,
} from './activity.repository.js';
import type {
  CompleteTaskInput,
  CreateActivityInput,
  ListActivitiesQuery,
  TimelineQuery,
} from './activity.schema.js';

/**
 * Timeline use cases. Entries are append-only: log one, complete a task (another entry), read. The deal
 * ACL decides visibility: an entry of a restricted deal the reader cannot see is "not found".
 */

const notFound = () => new AppError('activity_not_found', 'Activity not found');

/** What a write answered, and whether it was a replay of an earlier identical event. */
export interface Logged {
  activity: ActivityJson;
  replayed: boolean;
}

function linkError(field: 'account_id' | 'contact_id' | 'deal_id' | 'lead_id', what: string): AppError {
  return fieldError([field], 'not_found', `${field} does not name ${what} of this workspace`);
}

async function withOwnerCheck<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (sqlState(e) === FOREIGN_KEY_VIOLATION) {
      throw fieldError(['owner_id'], 'not_a_member', 'owner_id must be a member of this workspace');
    }
    throw e;
  }
}

/** The entry already recorded for a feed event, as this reader sees it (an invisible one is a conflict). */
async function replayOf(db: Kysely<DB>, actor: Actor, id: string): Promise<Logged> {
  const view = await findActivityView(db, actor, id);
  if (!view) {
    throw new AppError('conflict', 'This source event is already recorded on an entry you cannot see');
  }
  return { activity: presentActivity(view, actor), replayed: true };
}

/**
 * Logs an entry. `account_id` defaults to the deal's account, else the contact's, so the account's
 * timeline is one index range. A repeated (source, source_event_id) returns the existing entry
 * (`replayed: true`) and writes nothing, also when two copies race.
 *
 * `lead_id` links the entry to a lead (alone or with the others; a lead sets no account: it has none yet).
 *
 * Errors: 422 naming the link that does not exist (or names a deal the actor cannot see, or a deleted
 * lead or one the actor may not view), the owner
 * who is not a member, or an account_id that contradicts the deal's account; 403 for owner_id of
 * another member unless manager/admin.
 */
export async function createActivity(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateActivityInput,
): Promise<Logged> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.activity.create');
  const ownerId = input.owner_id === undefined ? actor.userId : input.owner_id;
  if (!mayAssignOwner(actor, ownerId)) {
    throw new AppError('forbidden', 'Only managers and admins may log an entry for another member', {
      fields: [
        { field: 'owner_id', pointer: '/owner_id', in: 'body', code: 'forbidden', message: 'not allowed' },
      ],
    });
  }
  const tenantId = actor.workspaceId;
  const sourceEventId = input.source_event_id ?? null;
  return withOwnerCheck(() =>
    p.write(ctx, async (uow): Promise<Logged> => {
      // A replay answers with what was recorded, even if its links changed since.
      if (sourceEventId) {
        const seen = await findBySourceEvent(uow.trx, tenantId, input.source, sourceEventId);
        if (seen) return replayOf(uow.trx, actor, seen.id);
      }
      let accountId = input.account_id ?? null;
      if (accountId) {
        const a = await accountLink(uow.trx, tenantId, accountId);
        if (!a || a.deleted_at) throw linkError('account_id', 'an account');
      }
      let derived: string | null = null;
      if (input.deal_id) {
        const d = await dealLink(uow.trx, tenantId, input.deal_id);
        // A deal the actor may not see is reported exactly like one that does not exist.
        if (!d || d.deleted_at || !canSeeDeal(actor, d)) throw linkError('deal_id', 'a deal');
        if (accountId && d.account_id && d.account_id !== accountId) {
          throw fieldError(['account_id'], 'mismatch', "account_id is not the deal's account");
        }
        derived = d.account_id;
      }
      if (input.contact_id) {
        const c = await contactLink(uow.trx, tenantId, input.contact_id);
        if (!c || c.deleted_at) throw linkError('contact_id', 'a contact');
        derived ??= c.account_id;
      }
      accountId ??= derived;
      // A deleted lead is reported like a missing one: nothing more is logged on a lead thrown away.
      if (input.lead_id && !(await leadVisible(uow.trx, actor, input.lead_id))) {
        throw linkError('lead_id', 'a lead');
      }
      const row = await insertActivity(uow.trx, {
        tenant_id: tenantId,
        id: newId(),
        kind: input.kind,
        subject: input.subject,
        body_markdown: input.body_markdown ?? null,
        occurred_at: input.occurred_at ?? new Date(),
        due_at: input.due_at ?? null,
        related_activity_id: null,
        account_id: accountId,
        contact_id: input.contact_id ?? null,
        deal_id: input.deal_id ?? null,
        lead_id: input.lead_id ?? null,
        source: input.source,
        source_event_id: sourceEventId,
        metadata: jsonb(input.metadata),
        owner_id: ownerId,
        actor_type: actor.type,
        created_by: actor.userId,
      });
      if (!row) {
        // Lost a race with the same event: the winner has committed by now (ON CONFLICT waited for it).
        const seen =
          sourceEventId && (await findBySourceEvent(uow.trx, tenantId, input.source, sourceEventId));
        if (!seen) throw new AppError('conflict', 'The source event was being recorded concurrently; retry');
        return replayOf(uow.trx, actor, seen.id);
      }
      logged(uow, row);
      return { activity: presentActivity(row, actor), replayed: false };
    }),
  );
}

/** The audit row and the `activity.logged` event of a new entry, in its transaction. */
function logged(uow: UnitOfWork<DB>, row: ActivityView): void {
  const snapshot = activitySnapshot(row);
  uow.audit({
    action: 'activity.logged',
    entityType: 'activity',
    entityId: row.id,
    diff: diffRecords(null, snapshot),
  });
  uow.emit(activityLogged(snapshot));
}

/**
 * Completes a task by logging a `task_completed` entry that points at it (links copied from the task).
 * Idempotent: a completed task answers with its first completion (`replayed: true`), also under races
 * (the completion's source_event_id is unique). Errors: 404 unknown/invisible task, 409 not a task,
 * 403 not the task's owner (unless manager/admin).
 */
export async function completeTask(
  p: AppPlatform,
  ctx: RequestContext,
  taskId: string,
  input: CompleteTaskInput,
): Promise<Logged> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.activity.create');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow): Promise<Logged> => {
    const task = await findActivityView(uow.trx, actor, taskId);
    if (!task) throw notFound();
    if (task.kind !== 'task') throw new AppError('conflict', 'Only tasks can be completed');
    if (!canComplete(actor, task, false)) {
      throw new AppError('forbidden', 'You may complete only your own tasks or tasks nobody owns');
    }
    if (task.completion_id) return replayOf(uow.trx, actor, task.completion_id);
    const eventId = completionEventId(taskId);
    const row = await insertActivity(uow.trx, {
      tenant_id: tenantId,
      id: newId(),
      kind: 'task_completed',
      subject: `Completed: ${task.subject}`.slice(0, 300),
      body_markdown: input.body_markdown ?? null,
      occurred_at: input.occurred_at ?? new Date(),
      due_at: null,
      related_activity_id: taskId,
      account_id: task.account_id,
      contact_id: task.contact_id,
      deal_id: task.deal_id,
      lead_id: task.lead_id,
      source: 'system',
      source_event_id: eventId,
      metadata: jsonb({ task_id: taskId, due_at: task.due_at?.toISOString() ?? null }),
      owner_id: actor.userId,
      actor_type: actor.type,
      created_by: actor.userId,
    });
    if (!row) {
      const seen = await findBySourceEvent(uow.trx, tenantId, 'system', eventId);
      if (!seen) throw new AppError('conflict', 'The task was being completed concurrently; retry');
      return replayOf(uow.trx, actor, seen.id);
    }
    logged(uow, row);
    return { activity: presentActivity(row, actor), replayed: false };
  });
}

export async function getActivity(p: AppPlatform, ctx: RequestContext, id: string): Promise<ActivityJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.activity.view');
  const view = await p.db.read(actor.workspaceId, (db) => findActivityView(db, actor, id));
  if (!view) throw notFound();
  return presentActivity(view, actor);
}

export interface ActivityPage {
  data: ActivityJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean };
}

const CURSOR_SORT = 'occurred_desc';
function cursorKey(cursor: string): [string, string] {
  return decodeCursor(cursor, CURSOR_SORT, ['instant', 'uuid']) as [string, string];
}

/** One page of visible entries, newest first. Runs inside a read the caller opened. */
export async function activityPage(
  db: Kysely<DB>,
  actor: Actor,
  filters: ActivityFilters,
  limit: number,
  cursor: string | undefined,
): Promise<ActivityPage> {
  const after = cursor ? cursorKey(cursor) : null;
  const rows = await listActivityViews(db, actor, filters, after, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next =
    rows.length > limit && last ? encodeCursor(CURSOR_SORT, [last.occurred_at.toISOString(), last.id]) : null;
  return {
    data: page.map((r) => presentActivity(r, actor)),
    page: { limit, next_cursor: next, has_more: next !== null },
  };
}

/** `GET /activities`: the workspace's visible entries with filters (lead, kind, owner, source, period, task state). */
export async function listActivities(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListActivitiesQuery,
): Promise<ActivityPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.activity.view');
  return p.db.read(actor.workspaceId, async (db) => {
    const timeZone = query.due === 'today' ? await workspaceTimeZone(db, actor.workspaceId) : undefined;
    const filters: ActivityFilters = {
      scope: { kind: 'all' },
      ...(query.lead_id ? { leadId: query.lead_id } : {}),
      ...(query.kind ? { kinds: query.kind } : {}),
      ...(query.owner_id ? { ownerId: query.owner_id === 'me' ? actor.userId : query.owner_id } : {}),
      ...(query.source ? { source: query.source } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      ...(query.due ? { due: query.due } : {}),
      ...(timeZone ? { timeZone } : {}),
    };
    return activityPage(db, actor, filters, query.limit, query.cursor);
  });
}

/** A live lead of the workspace that the actor may view (leads have no record ACL: the role decides). */
async function leadVisible(db: Kysely<DB>, actor: Actor, id: string): Promise<boolean> {
  if (!can(actor, 'crm.lead.view')) return false;
  const l = await leadLink(db, actor.workspaceId, id);
  return l !== undefined && l.deleted_at === null;
}

/** Whether the timeline's entity exists for this reader (a restricted deal they cannot see does not). */
async function entityVisible(db: Kysely<DB>, actor: Actor, scope: Exclude<TimelineScope, { kind: 'all' }>) {
  const tenantId = actor.workspaceId;
  if (scope.kind === 'account') {
    const a = await accountLink(db, tenantId, scope.id);
    return a !== undefined && a.deleted_at === null;
  }
  if (scope.kind === 'contact') {
    const c = await contactLink(db, tenantId, scope.id);
    return c !== undefined && c.deleted_at === null;
  }
  if (scope.kind === 'lead') return leadVisible(db, actor, scope.id);
  const d = await dealLink(db, tenantId, scope.id);
  return d !== undefined && d.deleted_at === null && canSeeDeal(actor, d);
}

const ENTITY_NOT_FOUND = {
  account: () => new AppError('account_not_found', 'Account not found'),
  contact: () => new AppError('contact_not_found', 'Contact not found'),
  deal: () => new AppError('deal_not_found', 'Deal not found'),
  lead: () => new AppError('lead_not_found', 'Lead not found'),
} as const;

/**
 * An entity's timeline, newest first: an account's includes its contacts' and deals' entries (through
 * the denormalized account_id); a contact's includes the entries of deals it takes part in; a lead's is
 * the entries logged on it (kept after its conversion). 404 for an unknown, deleted or (deal) invisible
 * entity.
 */
export async function timeline(
  p: AppPlatform,
  ctx: RequestContext,
  scope: Exclude<TimelineScope, { kind: 'all' }>,
  query: TimelineQuery,
): Promise<ActivityPage> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.activity.view');
  return p.db.read(actor.workspaceId, async (db) => {
    const [exists, page] = await Promise.all([
      entityVisible(db, actor, scope),
      activityPage(
        db,
        actor,
        { scope, ...(query.kinds ? { kinds: query.kinds } : {}) },
        query.limit,
        query.cursor,
      ),
    ]);
    if (!exists) throw ENTITY_NOT_FOUND[scope.kind]();
    return page;
  });
}
