import type { Command } from 'commander';
import { getCrmV1PipelinesByIdBoard } from '../../shared/api-client/index.js';
import type { MoneyTotal } from '../../shared/api-client/types.gen.js';
import { CliError, call, EXIT, money, printJson, printTable, run, session } from './api.js';
import { findPipeline } from './deals.js';

/**
 * `forecast`: the weighted pipeline by stage, from the board's aggregates (`GET /pipelines/{id}/board`):
 * per open stage the count, the total and the weighted total (amount × probability) in the workspace's
 * base currency, and the sum. Statistical bands come with the intelligence issue; this is what exists.
 */

const RANGE = /^(\d{1,4})d$/;

function total(t: MoneyTotal): string {
  const base = money(t.amount_minor, t.currency);
  return t.missing_rates.length ? `${base} (no rate for ${t.missing_rates.join(', ')})` : base;
}

export function registerForecastCommand(program: Command): void {
  program
    .command('forecast')
    .description('weighted pipeline by stage (open deals; amounts in the base currency)')
    .option('--pipeline <id|name|kind>', 'the pipeline (default: the workspace’s default)')
    .option('--range <days>', 'only deals expected to close within this many days, e.g. 90d')
    .option('--owner <user-id|me|none>', 'only this owner’s deals')
    .option('--top <n>', 'also list the n largest deals by probability × value', '5')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: { pipeline?: string; range?: string; owner?: string; top: string; json?: boolean }) => {
          const m = opts.range ? RANGE.exec(opts.range) : null;
          if (opts.range && !m)
            throw new CliError('--range must be a number of days such as 90d', EXIT.usage);
          const top = Number(opts.top);
          if (!Number.isInteger(top) || top < 0)
            throw new CliError('--top must be a whole number', EXIT.usage);
          const s = session();
          const p = await findPipeline(s, opts.pipeline);
          const today = new Date().toISOString().slice(0, 10);
          const to = m
            ? new Date(Date.now() + Number(m[1]) * 86_400_000).toISOString().slice(0, 10)
            : undefined;
          const board = await call(
            getCrmV1PipelinesByIdBoard({
              client: s.client,
              path: { id: p.id },
              query: {
                status: 'open',
                per_stage: 100,
                ...(to ? { expected_close_from: today, expected_close_to: to } : {}),
                ...(opts.owner ? { owner_id: opts.owner } : {}),
              },
            }),
          );
          const stages = board.stages.filter((st) => st.category === 'open');
          const deals = stages
            .flatMap((st) => st.deals.map((d) => ({ ...d, stage: st.code })))
            .filter((d) => d.amount_minor !== null)
            .map((d) => ({ ...d, weighted_minor: Math.round(((d.amount_minor ?? 0) * d.probability) / 100) }))
            .sort((a, b) => b.weighted_minor - a.weighted_minor)
            .slice(0, top);
          const result = {
            pipeline: board.pipeline,
            as_of: board.as_of,
            range: to ? { from: today, to } : null,
            stages: stages.map((st) => ({
              id: st.id,
              code: st.code,
              name: st.name_en,
              probability: st.default_probability,
              count: st.count,
              total: st.total,
              weighted_total: st.weighted_total,
            })),
            totals: board.totals,
            top_deals: deals.map((d) => ({
              id: d.id,
              name: d.name,
              stage: d.stage,
              amount_minor: d.amount_minor,
              currency: d.currency,
              probability: d.probability,
              weighted_minor: d.weighted_minor,
            })),
          };
          if (opts.json) {
            printJson(result);
            return;
          }
          process.stdout.write(
            `pipeline:  ${board.pipeline.name}${to ? ` (closing ${today} … ${to})` : ' (all open deals)'}\n\n`,
          );
          printTable(
            ['stage', 'probability', 'deals', 'total', 'weighted'],
            [
              ...result.stages.map((st) => [
                st.code,
                `${st.probability}%`,
                st.count,
                total(st.total),
                total(st.weighted_total),
              ]),
              [
                'total',
                '',
                board.totals.count,
                total(board.totals.total),
                total(board.totals.weighted_total),
              ],
            ],
          );
          if (deals.length) {
            process.stdout.write(`\ntop ${deals.length} deals by probability×value:\n`);
            for (const d of deals) {
              process.stdout.write(
                `  ${d.id}  ${d.name}  ${money(d.amount_minor, d.currency)}  ${d.probability}%  (${d.stage})\n`,
              );
            }
          }
        },
      ),
    );
}
