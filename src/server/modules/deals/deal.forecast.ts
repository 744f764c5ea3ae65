import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { fieldError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { moneyTotalSchema } from '../currencies/currency.schema.js';
import { getPipeline, listPipelines } from '../pipelines/pipeline.service.js';
import { getBoard } from './deal.board.js';
import { boardQuerySchema } from './deal.schema.js';

/**
 * The weighted pipeline forecast, answered from what exists: the board's aggregates (deal.board.ts),
 * per pipeline, over the open deals the actor may see, in the workspace base currency at today's rates
 * (per-currency breakdown kept). Bands:
 * - `best_case`: Σ amount of every open deal;
 * - `expected`: Σ amount × probability (the deal's own probability, overridden or the stage default);
 * - `commit`: Σ amount of open deals in stages whose default probability is ≥ COMMIT_PROBABILITY
 *   (a stage-level cut, e.g. negotiation; per-deal scoring comes with the intelligence issue).
 * With `months`, the same per expected-close month (deals without a date are in no month).
 */

export const COMMIT_PROBABILITY = 75;
export const FORECAST_MAX_MONTHS = 12;

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const forecastInputSchema = z.strictObject({
  pipeline_id: z.uuid().optional().describe('One pipeline; default: every pipeline of the workspace'),
  from_month: z
    .string()
    .regex(MONTH_RE, 'must be a month YYYY-MM')
    .optional()
    .describe('First expected-close month of the monthly breakdown (YYYY-MM)'),
  months: z
    .number()
    .int()
    .min(1)
    .max(FORECAST_MAX_MONTHS)
    .optional()
    .describe('How many months from from_month (default 3 when from_month is given)'),
});
export type ForecastInput = z.infer<typeof forecastInputSchema>;

const bandsSchema = z.object({
  best_case: moneyTotalSchema,
  expected: moneyTotalSchema,
  commit: moneyTotalSchema,
});

export const forecastSchema = z.object({
  as_of: z.string(),
  commit_probability: z.number().int(),
  pipelines: z.array(
    z.object({
      pipeline: z.object({ id: z.uuid(), name: z.string() }),
      open_deals: z.number().int(),
      bands: bandsSchema,
      stages: z.array(
        z.object({
          id: z.uuid(),
          code: z.string(),
          name_en: z.string(),
          name_vi: z.string(),
          default_probability: z.number().int(),
          count: z.number().int(),
          total: moneyTotalSchema,
          weighted_total: moneyTotalSchema,
        }),
      ),
      months: z
        .array(z.object({ month: z.string(), open_deals: z.number().int(), bands: bandsSchema }))
        .optional(),
    }),
  ),
});
export type ForecastJson = z.infer<typeof forecastSchema>;
type MoneyTotal = z.infer<typeof moneyTotalSchema>;

/** Adds money totals of one base currency (breakdowns merged; unknown when any part is unknown). */
function sumTotals(base: string, parts: readonly MoneyTotal[]): MoneyTotal {
  const breakdown = new Map<string, number>();
  const rates = new Map<string, MoneyTotal['rates'][number]>();
  const missing = new Set<string>();
  let amount: number | null = 0;
  for (const p of parts) {
    for (const b of p.breakdown) breakdown.set(b.currency, (breakdown.get(b.currency) ?? 0) + b.amount_minor);
    for (const r of p.rates) rates.set(r.currency, r);
    for (const m of p.missing_rates) missing.add(m);
    amount = amount === null || p.amount_minor === null ? null : amount + p.amount_minor;
  }
  return {
    currency: base,
    amount_minor: amount,
    breakdown: [...breakdown].map(([currency, amount_minor]) => ({ currency, amount_minor })),
    rates: [...rates.values()],
    missing_rates: [...missing],
  };
}

function monthEnd(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

async function pipelineForecast(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  range?: { from: string; to: string },
) {
  const board = await getBoard(
    p,
    ctx,
    pipelineId,
    boardQuerySchema.parse({
      status: 'open',
      per_stage: 1,
      ...(range ? { expected_close_from: range.from, expected_close_to: range.to } : {}),
    }),
  );
  const open = board.stages.filter((s) => s.category === 'open');
  const base = board.totals.total.currency;
  return {
    board,
    open,
    count: open.reduce((n, s) => n + s.count, 0),
    bands: {
      best_case: sumTotals(
        base,
        open.map((s) => s.total),
      ),
      expected: sumTotals(
        base,
        open.map((s) => s.weighted_total),
      ),
      commit: sumTotals(
        base,
        open.filter((s) => s.default_probability >= COMMIT_PROBABILITY).map((s) => s.total),
      ),
    },
  };
}

/** Errors: 404 pipeline_not_found; 403 without crm.deal.view / crm.pipeline.view. */
export async function forecast(
  p: AppPlatform,
  ctx: RequestContext,
  input: ForecastInput,
): Promise<ForecastJson> {
  if (input.months !== undefined && !input.from_month) {
    throw fieldError(['from_month'], 'required', 'months needs from_month (the first month, YYYY-MM)');
  }
  const pipelines = input.pipeline_id
    ? [await getPipeline(p, ctx, input.pipeline_id)]
    : (await listPipelines(p, ctx)).data.filter((x) => x.deleted_at === null);
  const monthList = input.from_month
    ? Array.from({ length: input.months ?? 3 }, (_, i) => addMonths(input.from_month as string, i))
    : null;
  let asOf = '';
  const out: ForecastJson['pipelines'] = [];
  for (const pl of pipelines) {
    const all = await pipelineForecast(p, ctx, pl.id);
    asOf = all.board.as_of;
    const months = monthList
      ? await Promise.all(
          monthList.map(async (month) => {
            const f = await pipelineForecast(p, ctx, pl.id, { from: `${month}-01`, to: monthEnd(month) });
            return { month, open_deals: f.count, bands: f.bands };
          }),
        )
      : undefined;
    out.push({
      pipeline: all.board.pipeline,
      open_deals: all.count,
      bands: all.bands,
      stages: all.open.map((s) => ({
        id: s.id,
        code: s.code,
        name_en: s.name_en,
        name_vi: s.name_vi,
        default_probability: s.default_probability,
        count: s.count,
        total: s.total,
        weighted_total: s.weighted_total,
      })),
      ...(months ? { months } : {}),
    });
  }
  return { as_of: asOf, commit_probability: COMMIT_PROBABILITY, pipelines: out };
}
