import type { GetCrmV1DealsData } from '../../../../shared/api-client/types.gen.js';

/**
 * The list's filters live in the URL (shareable, survive a reload, back/forward work). This module maps
 * the URL's search params to GET /crm/v1/deals query params and back; the API validates the values, so
 * an edited URL with nonsense gets the API's 422 rather than a silent guess.
 */

export type DealsQuery = NonNullable<GetCrmV1DealsData['query']>;
export type DealSort = NonNullable<DealsQuery['sort']>;
export type DealStatus = NonNullable<DealsQuery['status']>;

export const STATUSES: readonly DealStatus[] = ['open', 'won', 'lost', 'cancelled'];
/** The sorts the API knows; other columns are not sortable (sorting one loaded page would mislead). */
export const SORT_KEYS = ['name', 'amount', 'expected_close_date', 'created_at', 'updated_at'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
const SORTS = new Set<string>(SORT_KEYS.flatMap((k) => [k, `-${k}`]));

export interface DealFilters {
  q: string;
  status: DealStatus | '';
  pipeline: string;
  stage: string;
  owner: string;
  /** Minor units, as the API compares them. */
  amountMin: number | null;
  amountMax: number | null;
  closeFrom: string;
  closeTo: string;
  sort: DealSort;
}

export const DEFAULT_SORT: DealSort = '-created_at';

const int = (v: string | null): number | null => (v && /^\d+$/.test(v) ? Number(v) : null);

export function readFilters(sp: URLSearchParams): DealFilters {
  const status = sp.get('status') ?? '';
  const sort = sp.get('sort') ?? '';
  return {
    q: sp.get('q') ?? '',
    status: (STATUSES as readonly string[]).includes(status) ? (status as DealStatus) : '',
    pipeline: sp.get('pipeline') ?? '',
    stage: sp.get('stage') ?? '',
    owner: sp.get('owner') ?? '',
    amountMin: int(sp.get('amount_min')),
    amountMax: int(sp.get('amount_max')),
    closeFrom: sp.get('close_from') ?? '',
    closeTo: sp.get('close_to') ?? '',
    sort: SORTS.has(sort) ? (sort as DealSort) : DEFAULT_SORT,
  };
}

/** Writes the filters into `sp` (keeping unrelated params such as `new`), dropping empty ones. */
export function writeFilters(sp: URLSearchParams, f: DealFilters): URLSearchParams {
  const next = new URLSearchParams(sp);
  const put = (k: string, v: string | number | null) => {
    if (v === null || v === '') next.delete(k);
    else next.set(k, String(v));
  };
  put('q', f.q);
  put('status', f.status);
  put('pipeline', f.pipeline);
  put('stage', f.stage);
  put('owner', f.owner);
  put('amount_min', f.amountMin);
  put('amount_max', f.amountMax);
  put('close_from', f.closeFrom);
  put('close_to', f.closeTo);
  put('sort', f.sort === DEFAULT_SORT ? '' : f.sort);
  return next;
}

export function hasFilters(f: DealFilters): boolean {
  return Boolean(
    f.q ||
      f.status ||
      f.pipeline ||
      f.stage ||
      f.owner ||
      f.amountMin !== null ||
      f.amountMax !== null ||
      f.closeFrom ||
      f.closeTo,
  );
}

/** The API query for one page (without cursor). */
export function toQuery(f: DealFilters): DealsQuery {
  const q: DealsQuery = { sort: f.sort, limit: 50 };
  if (f.q.trim()) q.q = f.q.trim();
  if (f.status) q.status = f.status;
  if (f.pipeline) q.pipeline_id = f.pipeline;
  if (f.stage) q.stage_id = f.stage;
  if (f.owner) q.owner_id = f.owner;
  if (f.amountMin !== null) q.amount_min = f.amountMin;
  if (f.amountMax !== null) q.amount_max = f.amountMax;
  if (f.closeFrom) q.expected_close_from = f.closeFrom;
  if (f.closeTo) q.expected_close_to = f.closeTo;
  return q;
}

export function sortState(sort: DealSort): { key: string; desc: boolean } {
  return sort.startsWith('-') ? { key: sort.slice(1), desc: true } : { key: sort, desc: false };
}

/** Clicking a column: ascending first (names, dates), amounts largest first; again flips. */
export function nextSort(current: DealSort, key: SortKey): DealSort {
  const s = sortState(current);
  if (s.key === key) return (s.desc ? key : `-${key}`) as DealSort;
  return (key === 'amount' || key === 'updated_at' || key === 'created_at' ? `-${key}` : key) as DealSort;
}
