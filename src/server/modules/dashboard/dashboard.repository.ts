import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';

/**
 * The dashboard's aggregate queries. Every figure over deals applies the deal ACL (a restricted deal
 * never counts for someone who cannot see it), and so do task counts of tasks linked to such deals.
 * Money comes back per currency (never added raw); the service converts.
 */

export interface Period {
  /** Start of today and of this month, and 90/7 days ago, as instants (computed in the workspace zone). */
  todayStart: Date;
  tomorrowStart: Date;
  monthStart: Date;
  weekStart: Date;
  days90Ago: Date;
  timeZone: string;
  /** Today's date (YYYY-MM-DD) in the workspace zone. */
  today: string;
}

export interface DealScope {
  ownerId?: string;
  pipelineId?: string;
}

const count = sql<string>`count(*)`;

/** Today, this week and this month as instants, computed by the database in the workspace zone. */
export async function periodIn(db: Kysely<DB>, timeZone: string): Promise<Period> {
  const { rows } = await sql<{
    today: string;
    today_start: Date;
    tomorrow_start: Date;
    week_start: Date;
    month_start: Date;
    days90_ago: Date;
  }>`SELECT to_char(l.t, 'YYYY-MM-DD') AS today,
      date_trunc('day', l.t) AT TIME ZONE ${timeZone} AS today_start,
      (date_trunc('day', l.t) + interval '1 day') AT TIME ZONE ${timeZone} AS tomorrow_start,
      date_trunc('week', l.t) AT TIME ZONE ${timeZone} AS week_start,
      date_trunc('month', l.t) AT TIME ZONE ${timeZone} AS month_start,
      now() - interval '90 days' AS days90_ago
    FROM (SELECT now() AT TIME ZONE ${timeZone} AS t) l`.execute(db);
  const r = rows[0];
  if (!r) throw new Error('period query returned no row');
  return {
    today: r.today,
    todayStart: new Date(r.today_start),
    tomorrowStart: new Date(r.tomorrow_start),
    weekStart: new Date(r.week_start),
    monthStart: new Date(r.month_start),
    days90Ago: new Date(r.days90_ago),
    timeZone,
  };
}

export async function accountCounts(db: Kysely<DB>, period: Period) {
  return db
    .selectFrom('crm_core.crm_accounts')
    .select([
      count.as('total'),
      sql<string>`count(*) FILTER (WHERE lifecycle = 'customer')`.as('customers'),
      sql<string>`count(*) FILTER (WHERE created_at >= ${period.monthStart})`.as('new_this_month'),
    ])
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
}

export async function contactCounts(db: Kysely<DB>, period: Period) {
  return db
    .selectFrom('crm_core.crm_contacts')
    .select([
      count.as('total'),
      sql<string>`count(*) FILTER (WHERE created_at >= ${period.monthStart})`.as('new_this_month'),
    ])
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
}

function visibleDeals(db: Kysely<DB>, actor: Actor, scope: DealScope) {
  let q = db
    .selectFrom('crm_core.crm_deals as d')
    .where('d.deleted_at', 'is', null)
    .where(dealVisibleSql(actor, 'd'));
  if (scope.ownerId) q = q.where('d.owner_id', '=', scope.ownerId);
  if (scope.pipelineId) q = q.where('d.pipeline_id', '=', scope.pipelineId);
  return q;
}

/** Deal counts by status, and open money per currency (sum and Σ amount × probability). */
export async function dealTotals(db: Kysely<DB>, actor: Actor, scope: DealScope) {
  return visibleDeals(db, actor, scope)
    .select([
      'd.status',
      'd.currency',
      count.as('n'),
      sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
      sql<string>`coalesce(sum(d.amount_minor::numeric * d.probability), 0)::text`.as('weighted_x100'),
    ])
    .groupBy(['d.status', 'd.currency'])
    .execute();
}

/** Deals closed since `since`, per outcome, currency and local close date (for dated conversion). */
export async function closedSince(
  db: Kysely<DB>,
  actor: Actor,
  scope: DealScope,
  since: Date,
  timeZone: string,
) {
  return visibleDeals(db, actor, scope)
    .select([
      'd.status',
      'd.currency',
      sql<string>`to_char(d.closed_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD')`.as('closed_on'),
      count.as('n'),
      sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
    ])
    .where('d.status', 'in', ['won', 'lost'])
    .where('d.closed_at', '>=', since)
    .groupBy(['d.status', 'd.currency', sql`3`])
    .execute();
}

/** Open deals by expected close month (YYYY-MM; null = no date), per currency. */
export async function openByCloseMonth(db: Kysely<DB>, actor: Actor, scope: DealScope) {
  return visibleDeals(db, actor, scope)
    .select([
      sql<string | null>`to_char(d.expected_close_date, 'YYYY-MM')`.as('month'),
      'd.currency',
      count.as('n'),
      sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
      sql<string>`coalesce(sum(d.amount_minor::numeric * d.probability), 0)::text`.as('weighted_x100'),
    ])
    .where('d.status', '=', 'open')
    .groupBy([sql`1`, 'd.currency'])
    .execute();
}

/** Open deals whose expected close date has passed (in the workspace zone), per currency. */
export async function overdueOpen(db: Kysely<DB>, actor: Actor, scope: DealScope, today: string) {
  return visibleDeals(db, actor, scope)
    .select([
      'd.currency',
      count.as('n'),
      sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
      sql<string>`coalesce(sum(d.amount_minor::numeric * d.probability), 0)::text`.as('weighted_x100'),
    ])
    .where('d.status', '=', 'open')
    .where(sql<boolean>`d.expected_close_date < ${today}::date`)
    .groupBy('d.currency')
    .execute();
}

/**
 * Task figures. A task is open until a `task_completed` entry points at it. Entries linked to a deal the
 * reader cannot see are left out.
 */
export async function taskCounts(db: Kysely<DB>, actor: Actor, scope: DealScope, period: Period) {
  const visible = sql<boolean>`(a.deal_id IS NULL OR EXISTS (SELECT 1 FROM crm_core.crm_deals d
    WHERE d.tenant_id = a.tenant_id AND d.id = a.deal_id AND ${dealVisibleSql(actor, 'd')}))`;
  const open = sql<boolean>`NOT EXISTS (SELECT 1 FROM crm_core.crm_activities c
    WHERE c.tenant_id = a.tenant_id AND c.related_activity_id = a.id AND c.kind = 'task_completed')`;
  let tasks = db
    .selectFrom('crm_core.crm_activities as a')
    .select([
      sql<string>`count(*) FILTER (WHERE ${open})`.as('open_tasks'),
      sql<string>`count(*) FILTER (WHERE ${open} AND a.due_at >= ${period.todayStart} AND a.due_at < ${period.tomorrowStart})`.as(
        'due_today',
      ),
      sql<string>`count(*) FILTER (WHERE ${open} AND a.due_at < now())`.as('overdue'),
    ])
    .where('a.kind', '=', 'task')
    .where('a.due_at', 'is not', null)
    .where(visible);
  if (scope.ownerId)
    tasks = tasks.where(sql<boolean>`coalesce(a.owner_id, a.created_by) = ${scope.ownerId}::uuid`);
  let logged = db
    .selectFrom('crm_core.crm_activities as a')
    .select([
      sql<string>`count(*) FILTER (WHERE a.kind = 'task_completed' AND a.occurred_at >= ${period.todayStart})`.as(
        'completed_today',
      ),
      sql<string>`count(*) FILTER (WHERE a.source <> 'system' AND a.kind <> 'task_completed')`.as(
        'logged_this_week',
      ),
    ])
    // The week starts on Monday (Vietnamese and ISO convention), so it always contains today.
    .where('a.occurred_at', '>=', period.weekStart)
    .where(visible);
  if (scope.ownerId) logged = logged.where('a.created_by', '=', scope.ownerId);
  const [t, l] = await Promise.all([tasks.executeTakeFirstOrThrow(), logged.executeTakeFirstOrThrow()]);
  return { ...t, ...l };
}
