import { z } from 'zod';
import { PER_STAGE_DEFAULT, PER_STAGE_MAX } from './queries.js';

/**
 * The board's filters live in the URL (shareable, kept on reload and on the back button). Parsed with
 * zod: a hand-edited URL with a bad value drops that filter rather than sending the API a 422.
 * Amounts are minor units of the workspace base currency, as the API compares them.
 */

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const minor = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const BOARD_STATUSES = ['open', 'recent', 'all'] as const;

export interface BoardFilters {
  /** 'me', 'none' (unassigned) or a member's user id; absent: anyone. */
  owner?: string;
  min?: number;
  max?: number;
  closeFrom?: string;
  closeTo?: string;
  q?: string;
  status: (typeof BOARD_STATUSES)[number];
  perStage: number;
}

const owner = z.union([z.literal('me'), z.literal('none'), z.uuid()]);

function pick<T>(schema: z.ZodType<T>, raw: string | null): T | undefined {
  if (raw === null || raw === '') return undefined;
  const r = schema.safeParse(raw);
  return r.success ? r.data : undefined;
}

export function parseFilters(params: URLSearchParams): BoardFilters {
  const f: BoardFilters = {
    status: pick(z.enum(BOARD_STATUSES), params.get('status')) ?? 'recent',
    perStage:
      pick(z.coerce.number().int().min(1).max(PER_STAGE_MAX), params.get('per_stage')) ?? PER_STAGE_DEFAULT,
  };
  const o = pick(owner, params.get('owner'));
  if (o) f.owner = o;
  const min = pick(minor, params.get('min'));
  if (min !== undefined) f.min = min;
  const max = pick(minor, params.get('max'));
  if (max !== undefined) f.max = max;
  const from = pick(date, params.get('close_from'));
  if (from) f.closeFrom = from;
  const to = pick(date, params.get('close_to'));
  if (to) f.closeTo = to;
  const q = pick(z.string().trim().min(1).max(100), params.get('q'));
  if (q) f.q = q;
  return f;
}

export type FilterParam = 'owner' | 'min' | 'max' | 'close_from' | 'close_to' | 'q' | 'status' | 'per_stage';

/** A copy of the params with one filter set (or removed when empty); other params are kept. */
export function withParam(
  params: URLSearchParams,
  key: FilterParam,
  value: string | undefined,
): URLSearchParams {
  const next = new URLSearchParams(params);
  if (value === undefined || value === '') next.delete(key);
  else next.set(key, value);
  return next;
}

export function hasActiveFilters(f: BoardFilters): boolean {
  return Boolean(f.owner || f.min !== undefined || f.max !== undefined || f.closeFrom || f.closeTo || f.q);
}

export const FILTER_PARAMS: readonly FilterParam[] = ['owner', 'min', 'max', 'close_from', 'close_to', 'q'];
