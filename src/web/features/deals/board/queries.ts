import { type QueryClient, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1Members,
  getCrmV1Pipelines,
  getCrmV1PipelinesByIdBoard,
} from '../../../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1DealsByIdResponse,
  GetCrmV1MembersResponse,
  GetCrmV1PipelinesByIdBoardData,
  GetCrmV1PipelinesByIdBoardResponse,
} from '../../../../shared/api-client/types.gen.js';
import { call } from '../../../lib/api.js';
import type { BoardFilters } from './filters.js';

/** Shapes of the board API (types.gen.ts), named for the components that use them. */
export type BoardData = GetCrmV1PipelinesByIdBoardResponse;
export type BoardStage = BoardData['stages'][number];
export type BoardCard = BoardStage['deals'][number];
export type BoardMarker = BoardCard['markers'][number];
export type DealRecord = GetCrmV1DealsByIdResponse;
export type Member = GetCrmV1MembersResponse['data'][number];
export type BoardQuery = NonNullable<GetCrmV1PipelinesByIdBoardData['query']>;

/** Server bound for per_stage (DEAL_LIMITS.boardPerStageMax); the first load asks for fewer. */
export const PER_STAGE_MAX = 500;
export const PER_STAGE_DEFAULT = 200;

export function boardKey(pipelineId: string, filters: BoardFilters): readonly unknown[] {
  return ['board', pipelineId, filters];
}

/** The same cache entries other pages use: ['pipelines'] and ['members'] hold the whole response. */
export function usePipelines() {
  return useQuery({
    queryKey: ['pipelines'],
    queryFn: () => call(getCrmV1Pipelines()),
    staleTime: 60_000,
  });
}

export function useMembers() {
  return useQuery({
    queryKey: ['members'],
    queryFn: () => call(getCrmV1Members()),
    staleTime: 5 * 60_000,
    meta: { silent: true },
  });
}

export function toBoardQuery(filters: BoardFilters): BoardQuery {
  const q: BoardQuery = { status: filters.status, per_stage: filters.perStage };
  if (filters.owner) q.owner_id = filters.owner;
  if (filters.min !== undefined) q.amount_min = filters.min;
  if (filters.max !== undefined) q.amount_max = filters.max;
  if (filters.closeFrom) q.expected_close_from = filters.closeFrom;
  if (filters.closeTo) q.expected_close_to = filters.closeTo;
  if (filters.q) q.q = filters.q;
  return q;
}

export function useBoard(pipelineId: string | null, filters: BoardFilters) {
  return useQuery({
    queryKey: boardKey(pipelineId ?? '', filters),
    queryFn: ({ signal }) =>
      call(
        getCrmV1PipelinesByIdBoard({ path: { id: pipelineId ?? '' }, query: toBoardQuery(filters), signal }),
      ),
    enabled: pipelineId !== null,
    // Filters change the key: keep the previous board on screen while the next one loads.
    placeholderData: (prev, prevQuery) => (prevQuery?.queryKey[1] === pipelineId ? prev : undefined),
    staleTime: 10_000,
  });
}

/** Stage names come in both languages; Vietnamese shows name_vi, every other language name_en. */
export function useStageName(): (stage: { name_vi: string; name_en: string }) => string {
  const { i18n } = useTranslation();
  const vi = i18n.language === 'vi';
  return (stage) => (vi ? stage.name_vi : stage.name_en);
}

// ---------------------------------------------------------------------------------------------------
// Cache edits. Every edit touches only the stages and cards it changes, so the other cards keep their
// object identity and their memoized components do not re-render.

export interface CardLocation {
  stageId: string;
  index: number;
  card: BoardCard;
}

export function findCard(board: BoardData, dealId: string): CardLocation | null {
  for (const s of board.stages) {
    const index = s.deals.findIndex((d) => d.id === dealId);
    const card = s.deals[index];
    if (card) return { stageId: s.id, index, card };
  }
  return null;
}

/**
 * Removes the card wherever it is and, when `to` is given, inserts it into that stage at `to.index`
 * (0: the top, where the server puts the deal that entered the stage last). Counts follow; totals are
 * the server's to give (currency conversion), so the caller refetches them.
 */
export function placeCard(
  board: BoardData,
  dealId: string,
  to: { stageId: string; index: number; card: BoardCard } | null,
): BoardData {
  const from = findCard(board, dealId);
  const stages = board.stages.map((s) => {
    let deals = s.deals;
    let count = s.count;
    if (from && s.id === from.stageId) {
      deals = deals.filter((d) => d.id !== dealId);
      count = Math.max(0, count - 1);
    }
    if (to && s.id === to.stageId) {
      deals = [...deals];
      deals.splice(Math.min(Math.max(0, to.index), deals.length), 0, to.card);
      count += 1;
    }
    return deals === s.deals ? s : { ...s, deals, count };
  });
  const delta = (to ? 1 : 0) - (from ? 1 : 0);
  return {
    ...board,
    stages,
    totals: delta === 0 ? board.totals : { ...board.totals, count: board.totals.count + delta },
  };
}

/**
 * Where a card with `rank` goes among the other cards of the stage: before the first one ranked after
 * it (the server's order: stage_rank, ties newest arrival first). Ranks are decimal text; as numbers they
 * compare correctly to ~15 significant digits, beyond which two cards merely tie until the next refetch.
 */
export function rankIndex(board: BoardData, stageId: string, dealId: string, rank: string): number {
  const deals = board.stages.find((s) => s.id === stageId)?.deals.filter((d) => d.id !== dealId) ?? [];
  const r = Number(rank);
  const i = deals.findIndex((d) => Number(d.stage_rank) >= r);
  return i === -1 ? deals.length : i;
}

/**
 * The `after_id` of a drop: the card that ends up directly above the dropped one in the target column
 * (null: the top), given the index it was dropped at among the column's other cards.
 */
export function afterIdAt(board: BoardData, stageId: string, dealId: string, index: number): string | null {
  const deals = board.stages.find((s) => s.id === stageId)?.deals.filter((d) => d.id !== dealId) ?? [];
  return index <= 0 ? null : (deals[Math.min(index, deals.length) - 1]?.id ?? null);
}

/** Applies `edit` to every cached board of the pipeline (one per filter set in the cache). */
export function editBoards(qc: QueryClient, pipelineId: string, edit: (board: BoardData) => BoardData): void {
  qc.setQueriesData<BoardData>({ queryKey: ['board', pipelineId] }, (old) => (old ? edit(old) : old));
}

const DAY_MS = 86_400_000;
const HOT_PROBABILITY = 75;
const HOT_WITHIN_DAYS = 7;

/** The board's marker rules (server: deal.board.ts), for a card rebuilt on the client until the next refetch. */
export function markersFor(
  card: Pick<BoardCard, 'status' | 'expected_close_date' | 'probability' | 'age_in_stage_days'>,
  rottingDays: number | null,
  today: string,
): BoardMarker[] {
  if (card.status !== 'open') return [];
  const out: BoardMarker[] = [];
  const close = card.expected_close_date;
  if (close !== null && close < today) out.push('overdue');
  if (rottingDays !== null && card.age_in_stage_days > rottingDays) out.push('stalled');
  const inAWeek = new Date(Date.parse(`${today}T00:00:00Z`) + HOT_WITHIN_DAYS * DAY_MS)
    .toISOString()
    .slice(0, 10);
  if (card.probability >= HOT_PROBABILITY || (close !== null && close >= today && close <= inAWeek)) {
    out.push('hot');
  }
  return out;
}

/** The fields of a deal (as the API presents it, or as an event carries it) that a card shows. */
export type DealLike = Pick<
  DealRecord,
  | 'id'
  | 'name'
  | 'account_id'
  | 'amount_minor'
  | 'currency'
  | 'probability'
  | 'owner_id'
  | 'stage_id'
  | 'stage_entered_at'
  | 'stage_rank'
  | 'expected_close_date'
  | 'status'
  | 'acl_mode'
  | 'version'
>;

/**
 * A board card from a full deal; the account name comes from the previous card when it is the same account.
 * An event written before ranks existed carries no stage_rank: the card keeps the one it had.
 */
export function cardFromDeal(
  deal: Omit<DealLike, 'stage_rank'> & { stage_rank?: string | undefined },
  previous: BoardCard | null,
  board: BoardData,
): BoardCard {
  const stage = board.stages.find((s) => s.id === deal.stage_id);
  const age = Math.max(0, Math.floor((Date.now() - Date.parse(deal.stage_entered_at)) / DAY_MS));
  const account =
    deal.account_id === null
      ? null
      : previous?.account && previous.account.id === deal.account_id
        ? previous.account
        : null;
  const base = {
    id: deal.id,
    name: deal.name,
    account,
    amount_minor: deal.amount_minor,
    currency: deal.currency,
    probability: deal.probability,
    owner_id: deal.owner_id,
    stage_entered_at: deal.stage_entered_at,
    stage_rank: deal.stage_rank ?? previous?.stage_rank ?? '0',
    age_in_stage_days: age,
    expected_close_date: deal.expected_close_date,
    status: deal.status,
    acl_mode: deal.acl_mode,
    version: deal.version,
  };
  return { ...base, markers: markersFor(base, stage?.rotting_days ?? null, board.as_of) };
}
