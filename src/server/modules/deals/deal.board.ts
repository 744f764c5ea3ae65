import type { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import {
  type Amount,
  dateIn,
  loadRates,
  type MoneyTotal,
  totalInBase,
} from '../currencies/currency.money.js';
import {
  type BoardCardRow,
  type BoardFilters,
  boardAggregates,
  boardCards,
  loadPipelineWithStages,
} from './deal.repository.js';
import type { BOARD_MARKERS, BoardQuery, boardResponseSchema } from './deal.schema.js';

/**
 * The pipeline board (kanban): every stage with its first `per_stage` cards, and per-stage count, total
 * and weighted total over ALL matching deals — in four queries whatever the number of stages (stages +
 * workspace, rates, cards with a per-stage window, aggregates grouped by stage and currency).
 *
 * Money: per currency, sums are exact; weighted = Σ amount × probability / 100, rounded once per
 * currency; each currency is converted to the workspace's base currency at today's rate (today in the
 * workspace's time zone) and reported with the per-currency breakdown (never VND + USD raw).
 *
 * Markers on open cards (closed cards have none):
 * - `overdue`: expected_close_date is before today (workspace time zone);
 * - `stalled`: the deal has been in its stage longer than the stage's rotting_days;
 * - `hot`: probability ≥ 75, or expected to close within the next 7 days (today..today+7).
 * Restricted deals the reader may not see are absent from cards, counts and totals alike.
 */

export type BoardJson = z.infer<typeof boardResponseSchema>;
type Marker = (typeof BOARD_MARKERS)[number];

const DAY_MS = 86_400_000;
export const HOT_PROBABILITY = 75;
export const HOT_WITHIN_DAYS = 7;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function markersOf(c: BoardCardRow, ageDays: number, rottingDays: number | null, today: string): Marker[] {
  if (c.status !== 'open') return [];
  const out: Marker[] = [];
  const close = c.expected_close_date;
  if (close !== null && close < today) out.push('overdue');
  if (rottingDays !== null && ageDays > rottingDays) out.push('stalled');
  if (
    c.probability >= HOT_PROBABILITY ||
    (close !== null && close >= today && close <= addDays(today, HOT_WITHIN_DAYS))
  ) {
    out.push('hot');
  }
  return out;
}

/** Σ amount × probability (×100, exact) per currency → minor units, rounded half up once. */
function weightedAmounts(x100: ReadonlyMap<string, bigint>): Amount[] {
  return [...x100].map(([currency, v]) => ({ currency, amount_minor: Number((v + 50n) / 100n) }));
}

function addTo(map: Map<string, bigint>, currency: string, v: bigint): void {
  map.set(currency, (map.get(currency) ?? 0n) + v);
}

export async function getBoard(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  query: BoardQuery,
): Promise<BoardJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.view');
  const tenantId = actor.workspaceId;
  const filters: BoardFilters = {
    status: query.status,
    ...(query.owner_id === 'me'
      ? { ownerId: actor.userId }
      : query.owner_id === 'none'
        ? { ownerId: null }
        : query.owner_id
          ? { ownerId: query.owner_id }
          : {}),
    ...(query.amount_min !== undefined ? { amountMin: query.amount_min } : {}),
    ...(query.amount_max !== undefined ? { amountMax: query.amount_max } : {}),
    ...(query.expected_close_from ? { closeFrom: query.expected_close_from } : {}),
    ...(query.expected_close_to ? { closeTo: query.expected_close_to } : {}),
    ...(query.q ? { q: query.q } : {}),
  };
  return p.db.read(tenantId, async (db) => {
    const pw = await loadPipelineWithStages(db, tenantId, pipelineId);
    if (!pw || pw.pipeline.deleted) throw new AppError('pipeline_not_found', 'Pipeline not found');
    const now = new Date();
    const today = dateIn(pw.workspace.timezone, now);
    const base = pw.workspace.base_currency;
    const rates = await loadRates(db, base, today);
    const cards = await boardCards(db, tenantId, actor, pipelineId, filters, query.per_stage);
    const aggregates = await boardAggregates(db, tenantId, actor, pipelineId, filters);

    const cardsByStage = new Map<string, BoardCardRow[]>();
    for (const c of cards) {
      const list = cardsByStage.get(c.stage_id) ?? [];
      list.push(c);
      cardsByStage.set(c.stage_id, list);
    }
    const aggByStage = new Map<
      string,
      { count: number; totals: Map<string, bigint>; x100: Map<string, bigint> }
    >();
    const boardTotals = new Map<string, bigint>();
    const boardX100 = new Map<string, bigint>();
    let boardCount = 0;
    for (const a of aggregates) {
      const s = aggByStage.get(a.stage_id) ?? { count: 0, totals: new Map(), x100: new Map() };
      s.count += a.n;
      const total = BigInt(a.total);
      // Deals without an amount count, but add no zero line to the per-currency breakdown.
      if (total !== 0n) {
        addTo(s.totals, a.currency, total);
        addTo(s.x100, a.currency, BigInt(a.weighted_x100.split('.')[0] ?? '0'));
      }
      aggByStage.set(a.stage_id, s);
    }

    const money = (m: ReadonlyMap<string, bigint>): MoneyTotal =>
      totalInBase(
        base,
        [...m].map(([currency, v]) => ({ currency, amount_minor: Number(v) })),
        rates,
      );

    const stages = pw.stages
      .filter((s) => !s.deleted)
      .map((s) => {
        const agg = aggByStage.get(s.id);
        const count = agg?.count ?? 0;
        boardCount += count;
        for (const [c, v] of agg?.totals ?? []) addTo(boardTotals, c, v);
        for (const [c, v] of agg?.x100 ?? []) addTo(boardX100, c, v);
        const list = cardsByStage.get(s.id) ?? [];
        return {
          id: s.id,
          code: s.code,
          name_vi: s.name_vi,
          name_en: s.name_en,
          category: s.category,
          position: s.position,
          default_probability: s.default_probability,
          rotting_days: s.rotting_days,
          color: s.color,
          deals: list.map((c) => {
            const age = Math.max(0, Math.floor((now.getTime() - c.stage_entered_at.getTime()) / DAY_MS));
            return {
              id: c.id,
              name: c.name,
              account:
                c.account_id && c.account_name !== null ? { id: c.account_id, name: c.account_name } : null,
              amount_minor: c.amount_minor,
              currency: c.currency,
              probability: c.probability,
              owner_id: c.owner_id,
              stage_entered_at: c.stage_entered_at.toISOString(),
              stage_rank: c.stage_rank,
              age_in_stage_days: age,
              expected_close_date: c.expected_close_date,
              status: c.status,
              acl_mode: c.acl_mode,
              version: c.version,
              markers: markersOf(c, age, s.rotting_days, today),
            };
          }),
          has_more: count > list.length,
          count,
          total: money(agg?.totals ?? new Map()),
          weighted_total: totalInBase(base, weightedAmounts(agg?.x100 ?? new Map()), rates),
        };
      });
    return {
      pipeline: { id: pw.pipeline.id, name: pw.pipeline.name },
      as_of: today,
      status: query.status,
      stages,
      totals: {
        count: boardCount,
        total: money(boardTotals),
        weighted_total: totalInBase(base, weightedAmounts(boardX100), rates),
      },
    };
  });
}
