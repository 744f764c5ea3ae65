import type { AppPlatform } from '../../db.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import {
  type Amount,
  loadRateHistory,
  type MoneyTotal,
  rateOn,
  totalInBase,
  totalInBaseDated,
} from '../currencies/currency.money.js';
import { findWorkspace } from '../workspaces/workspace.repository.js';
import {
  accountCounts,
  closedSince,
  contactCounts,
  type DealScope,
  dealTotals,
  openByCloseMonth,
  overdueOpen,
  periodIn,
  taskCounts,
} from './dashboard.repository.js';
import type { DashboardJson, DashboardQuery } from './dashboard.schema.js';

/**
 * The dashboard (seed 002 §2.7, extended): counts, open and weighted pipeline value, won this month,
 * a close-month forecast and task figures — in the base currency at the right rates, with per-currency
 * breakdowns, and with restricted deals left out for those who cannot see them.
 */

const FORECAST_MONTHS = 6;

interface MoneyRow {
  currency: string;
  amount: string;
  weighted_x100?: string;
}

/** Σ amount × probability / 100, rounded half up once per currency (amounts are non-negative). */
const weighted = (x100: string): number => Number((BigInt(x100.split('.')[0] ?? '0') + 50n) / 100n);

function monthsFrom(today: string, n: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 + i, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}

export async function getDashboard(
  p: AppPlatform,
  ctx: RequestContext,
  query: DashboardQuery,
): Promise<DashboardJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.reports.view');
  const tenantId = actor.workspaceId;
  const scope: DealScope = {
    ...(query.owner_id
      ? { ownerId: query.owner_id === 'me' ? (actor.userId ?? undefined) : query.owner_id }
      : {}),
    ...(query.pipeline_id ? { pipelineId: query.pipeline_id } : {}),
  };
  return p.db.read(tenantId, async (db) => {
    const ws = await findWorkspace(db, tenantId);
    if (!ws) throw new AppError('workspace_not_found', 'Workspace not found');
    const base = ws.base_currency.trim();
    const period = await periodIn(db, ws.timezone);
    const [accounts, contacts, deals, closed, byMonth, overdue, tasks, history] = await Promise.all([
      accountCounts(db, period),
      contactCounts(db, period),
      dealTotals(db, actor, scope),
      closedSince(db, actor, scope, period.days90Ago, ws.timezone),
      openByCloseMonth(db, actor, scope),
      overdueOpen(db, actor, scope, period.today),
      taskCounts(db, actor, scope, period),
      loadRateHistory(db, base),
    ]);
    // Open money converts at today's rates; won money at the rate of the day each deal closed.
    const todayRates = new Map(
      [...history.keys()].flatMap((c) => {
        const r = rateOn(history, c, period.today);
        return r ? [[c, r] as const] : [];
      }),
    );
    const value = (rows: readonly MoneyRow[]): MoneyTotal =>
      totalInBase(
        base,
        rows.map((r): Amount => ({ currency: r.currency.trim(), amount_minor: Number(r.amount) })),
        todayRates,
      );
    const weightedValue = (rows: readonly MoneyRow[]): MoneyTotal =>
      totalInBase(
        base,
        rows.map(
          (r): Amount => ({ currency: r.currency.trim(), amount_minor: weighted(r.weighted_x100 ?? '0') }),
        ),
        todayRates,
      );

    const open = deals.filter((d) => d.status === 'open');
    const monthStartDate = period.today.slice(0, 7);
    const wonThisMonth = closed.filter(
      (c) => c.status === 'won' && c.closed_on.slice(0, 7) === monthStartDate,
    );
    const lostThisMonth = closed.filter(
      (c) => c.status === 'lost' && c.closed_on.slice(0, 7) === monthStartDate,
    );
    const won90 = closed.filter((c) => c.status === 'won').reduce((s, c) => s + Number(c.n), 0);
    const lost90 = closed.filter((c) => c.status === 'lost').reduce((s, c) => s + Number(c.n), 0);
    const sumN = (rows: ReadonlyArray<{ n: string }>) => rows.reduce((s, r) => s + Number(r.n), 0);

    const months = monthsFrom(period.today, FORECAST_MONTHS);
    const forecast: DashboardJson['forecast'] = [
      { month: 'overdue', rows: overdue },
      ...months.map((m) => ({
        month: m,
        // This month's bucket excludes the overdue part (reported on its own line above).
        rows:
          m === monthStartDate
            ? subtract(
                byMonth.filter((r) => r.month === m),
                overdue,
              )
            : byMonth.filter((r) => r.month === m),
      })),
      { month: 'unscheduled', rows: byMonth.filter((r) => r.month === null) },
    ].map(({ month, rows }) => ({
      month,
      count: sumN(rows),
      value: value(rows),
      weighted_value: weightedValue(rows),
    }));

    return {
      as_of: period.today,
      time_zone: ws.timezone,
      currency: base,
      accounts: {
        total: Number(accounts.total),
        customers: Number(accounts.customers),
        new_this_month: Number(accounts.new_this_month),
      },
      contacts: { total: Number(contacts.total), new_this_month: Number(contacts.new_this_month) },
      deals: {
        total: sumN(deals),
        open: sumN(open),
        open_value: value(open),
        weighted_value: weightedValue(open),
        won_this_month: sumN(wonThisMonth),
        won_value_this_month: totalInBaseDated(
          base,
          wonThisMonth.map((c) => ({
            currency: c.currency.trim(),
            amount_minor: Number(c.amount),
            on: c.closed_on,
          })),
          history,
        ),
        lost_this_month: sumN(lostThisMonth),
        win_rate_90d: won90 + lost90 === 0 ? null : Math.round((won90 / (won90 + lost90)) * 1000) / 1000,
      },
      forecast,
      activities: {
        open_tasks: Number(tasks.open_tasks),
        due_today: Number(tasks.due_today),
        overdue: Number(tasks.overdue),
        completed_today: Number(tasks.completed_today),
        logged_this_week: Number(tasks.logged_this_week),
      },
    };
  });
}

/** This month's rows minus the overdue ones, per currency (overdue deals of this month are listed apart). */
function subtract<T extends MoneyRow & { n: string }>(
  rows: readonly T[],
  minus: ReadonlyArray<MoneyRow & { n: string }>,
): Array<MoneyRow & { n: string }> {
  return rows.map((r) => {
    const o = minus.find((m) => m.currency === r.currency);
    if (!o) return r;
    return {
      currency: r.currency,
      n: String(Number(r.n) - Number(o.n)),
      amount: String(BigInt(r.amount) - BigInt(o.amount)),
      weighted_x100: String(
        BigInt((r.weighted_x100 ?? '0').split('.')[0] ?? '0') -
          BigInt((o.weighted_x100 ?? '0').split('.')[0] ?? '0'),
      ),
    };
  });
}
