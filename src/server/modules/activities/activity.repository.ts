import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { DB } from '../../db.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';
import type { ActivityView } from './activity.presenter.js';
import type { TaskState } from './activity.schema.js';
import type { ActivitySource, NewActivityRow } from './activity.table.js';

/**
 * SQL for the timeline, nothing else. Every read names its workspace (RLS is the second wall) and
 * applies the deal ACL: an entry linked to a deal the reader cannot see does not exist for them.
 */

const T = 'crm_core.crm_activities' as const;

/** Completing a task writes this source_event_id, so the unique index makes completion idempotent. */
export const completionEventId = (taskId: string): string => `task_completed:${taskId}`;

/**
 * Inserts an entry; with a source_event_id already recorded for its source, inserts nothing and
 * returns undefined (a concurrent duplicate waits for the first to commit, then does nothing).
 */
export async function insertActivity(db: Kysely<DB>, row: NewActivityRow): Promise<ActivityView | undefined> {
  const inserted = await db
    .insertInto(T)
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'source', 'source_event_id'])
        .where('source_event_id', 'is not', null)
        .doNothing(),
    )
    .returningAll()
    .executeTakeFirst();
  return inserted
    ? { ...inserted, completion_id: null, completion_at: null, completion_by: null }
    : undefined;
}

type Views = SelectQueryBuilder<
  DB & { a: DB[typeof T]; d: DB['crm_core.crm_deals']; c: DB[typeof T] },
  'a' | 'd' | 'c',
  ActivityView
>;

/**
 * Entries with their task completion, restricted to what the reader may see: the deal ACL, and for a
 * reader whose role or key cannot view leads, no entry whose only link is a lead (one that also names
 * an account, contact or deal is theirs to see through that record).
 */
function views(db: Kysely<DB>, actor: Actor): Views {
  const q = db
    .selectFrom(`${T} as a`)
    .leftJoin('crm_core.crm_deals as d', (j) =>
      j.onRef('d.tenant_id', '=', 'a.tenant_id').onRef('d.id', '=', 'a.deal_id'),
    )
    .leftJoin(`${T} as c`, (j) =>
      j
        .onRef('c.tenant_id', '=', 'a.tenant_id')
        .onRef('c.related_activity_id', '=', 'a.id')
        .on('c.kind', '=', 'task_completed')
        .on('a.kind', '=', 'task'),
    )
    .selectAll('a')
    .select(['c.id as completion_id', 'c.occurred_at as completion_at', 'c.created_by as completion_by'])
    .where('a.tenant_id', '=', actor.workspaceId)
    .where(sql<boolean>`(a.deal_id IS NULL OR ${dealVisibleSql(actor, 'd')})`) as unknown as Views;
  return can(actor, 'crm.lead.view')
    ? q
    : q.where(
        sql<boolean>`(a.lead_id IS NULL OR a.account_id IS NOT NULL OR a.contact_id IS NOT NULL OR a.deal_id IS NOT NULL)`,
      );
}

export async function findActivityView(
  db: Kysely<DB>,
  actor: Actor,
  id: string,
): Promise<ActivityView | undefined> {
  return views(db, actor).where('a.id', '=', id).executeTakeFirst();
}

/** The entry a feed already recorded under (source, source_event_id), whoever can see it. */
export async function findBySourceEvent(
  db: Kysely<DB>,
  tenantId: string,
  source: ActivitySource,
  sourceEventId: string,
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom(T)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .where('source_event_id', '=', sourceEventId)
    .executeTakeFirst();
}

/** Which entity's timeline, if any. */
export type TimelineScope =
  | { kind: 'all' }
  | { kind: 'account'; id: string }
  | { kind: 'contact'; id: string }
  | { kind: 'deal'; id: string }
  | { kind: 'lead'; id: string };

export interface ActivityFilters {
  scope: TimelineScope;
  /** Entries logged on this lead (the list's `lead_id` filter). */
  leadId?: string;
  kinds?: readonly string[];
  ownerId?: string | null;
  source?: ActivitySource;
  from?: Date;
  to?: Date;
  due?: TaskState;
  /** The workspace's zone, for `due=today`. */
  timeZone?: string;
}

/** A page of entries, newest first (occurred_at desc, id desc); `after` is the previous page's last key. */
export async function listActivityViews(
  db: Kysely<DB>,
  actor: Actor,
  f: ActivityFilters,
  after: readonly [string, string] | null,
  limit: number,
): Promise<ActivityView[]> {
  const tenantId = actor.workspaceId;
  let q = views(db, actor);
  const s = f.scope;
  if (s.kind === 'account') q = q.where('a.account_id', '=', s.id);
  if (s.kind === 'deal') q = q.where('a.deal_id', '=', s.id);
  if (s.kind === 'lead') q = q.where('a.lead_id', '=', s.id);
  if (f.leadId) q = q.where('a.lead_id', '=', f.leadId);
  if (s.kind === 'contact') {
    // The contact's own entries (with those of contacts merged into it: entries are append-only, their
    // contact_id stays the merged one's) and those of the deals it takes part in.
    q = q.where(
      sql<boolean>`(a.contact_id = ${s.id}::uuid OR a.contact_id IN (
        SELECT m.id FROM crm_core.crm_contacts m WHERE m.tenant_id = ${tenantId}::uuid AND m.merged_into_id = ${s.id}::uuid)
      OR a.deal_id IN (
        SELECT d2.id FROM crm_core.crm_deals d2 WHERE d2.tenant_id = ${tenantId}::uuid AND d2.primary_contact_id = ${s.id}::uuid
        UNION
        SELECT dc.deal_id FROM crm_core.crm_deal_contacts dc WHERE dc.tenant_id = ${tenantId}::uuid AND dc.contact_id = ${s.id}::uuid))`,
    );
  }
  if (f.kinds && f.kinds.length > 0) q = q.where('a.kind', 'in', [...f.kinds]);
  if (f.ownerId === null) q = q.where(sql<boolean>`false`);
  else if (f.ownerId !== undefined) q = q.where('a.owner_id', '=', f.ownerId);
  if (f.source) q = q.where('a.source', '=', f.source);
  if (f.from) q = q.where('a.occurred_at', '>=', f.from);
  if (f.to) q = q.where('a.occurred_at', '<', f.to);
  if (f.due) {
    q = q.where('a.kind', '=', 'task');
    if (f.due === 'done') q = q.where('c.id', 'is not', null);
    else q = q.where('c.id', 'is', null);
    if (f.due === 'overdue') q = q.where(sql<boolean>`a.due_at < now()`);
    if (f.due === 'upcoming') q = q.where(sql<boolean>`a.due_at >= now()`);
    if (f.due === 'today') {
      const tz = f.timeZone ?? 'UTC';
      q = q.where(
        sql<boolean>`a.due_at >= (date_trunc('day', now() AT TIME ZONE ${tz}) AT TIME ZONE ${tz})
          AND a.due_at < ((date_trunc('day', now() AT TIME ZONE ${tz}) + interval '1 day') AT TIME ZONE ${tz})`,
      );
    }
  }
  if (after) {
    q = q.where(sql<boolean>`(a.occurred_at, a.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`);
  }
  return q.orderBy('a.occurred_at', 'desc').orderBy('a.id', 'desc').limit(limit).execute();
}

/** The latest occurred_at of the kinds that mean "we were in touch", over visible entries of an account. */
export async function lastContactAt(
  db: Kysely<DB>,
  actor: Actor,
  accountId: string,
  kinds: readonly string[],
): Promise<Date | null> {
  const r = await db
    .selectFrom(`${T} as a`)
    .leftJoin('crm_core.crm_deals as d', (j) =>
      j.onRef('d.tenant_id', '=', 'a.tenant_id').onRef('d.id', '=', 'a.deal_id'),
    )
    .select(sql<Date | null>`max(a.occurred_at)`.as('at'))
    .where('a.tenant_id', '=', actor.workspaceId)
    .where('a.account_id', '=', accountId)
    .where('a.kind', 'in', [...kinds])
    .where(sql<boolean>`(a.deal_id IS NULL OR ${dealVisibleSql(actor, 'd')})`)
    .executeTakeFirst();
  return r?.at ? new Date(r.at) : null;
}

// Linked records, as the write checks need them.

export async function accountLink(db: Kysely<DB>, tenantId: string, id: string) {
  return db
    .selectFrom('crm_core.crm_accounts')
    .select(['id', 'deleted_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function contactLink(db: Kysely<DB>, tenantId: string, id: string) {
  return db
    .selectFrom('crm_core.crm_contacts')
    .select(['id', 'account_id', 'deleted_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function dealLink(db: Kysely<DB>, tenantId: string, id: string) {
  return db
    .selectFrom('crm_core.crm_deals')
    .select(['id', 'account_id', 'deleted_at', 'acl_mode', 'owner_id', 'acl_member_ids', 'acl_roles'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function leadLink(db: Kysely<DB>, tenantId: string, id: string) {
  return db
    .selectFrom('crm_core.crm_leads')
    .select(['id', 'deleted_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The customer records a converted lead became (deal only when the conversion created one). */
export interface LeadConversionLinks {
  accountId: string;
  contactId: string;
  dealId: string | null;
}

/**
 * Fills the empty account/contact/deal links of a lead's entries with what the lead became, in one
 * UPDATE, so its history shows on the customer's timelines; a link already set is kept (the trigger of
 * migration 0022 would refuse to change it anyway). Returns how many entries were touched.
 */
export async function fillLeadEntryLinks(
  db: Kysely<DB>,
  tenantId: string,
  leadId: string,
  links: LeadConversionLinks,
): Promise<number> {
  const r = await db
    .updateTable(T)
    .set({
      account_id: sql<string>`coalesce(account_id, ${links.accountId}::uuid)`,
      contact_id: sql<string>`coalesce(contact_id, ${links.contactId}::uuid)`,
      deal_id: sql<string | null>`coalesce(deal_id, ${links.dealId}::uuid)`,
    })
    .where('tenant_id', '=', tenantId)
    .where('lead_id', '=', leadId)
    .where((eb) =>
      eb.or([
        eb('account_id', 'is', null),
        eb('contact_id', 'is', null),
        ...(links.dealId ? [eb('deal_id', 'is', null)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function workspaceTimeZone(db: Kysely<DB>, tenantId: string): Promise<string> {
  const r = await db
    .selectFrom('crm_core.crm_workspaces')
    .select('timezone')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return r?.timezone ?? 'UTC';
}
