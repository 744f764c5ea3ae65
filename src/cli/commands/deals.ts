import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import {
  getCrmV1Deals,
  getCrmV1DealsById,
  getCrmV1DealsByIdFlow,
  getCrmV1Pipelines,
  postCrmV1Deals,
  postCrmV1DealsByIdClose,
  postCrmV1DealsByIdMove,
  postCrmV1DealsByIdVietqr,
} from '../../shared/api-client/index.js';
import type { DealFlow, Pipeline, PostCrmV1DealsData, VietQr } from '../../shared/api-client/types.gen.js';
import {
  auditLine,
  CliError,
  call,
  EXIT,
  money,
  parseAmount,
  printJson,
  printTable,
  run,
  type Session,
  session,
  step,
} from './api.js';

/** `deal create|list|move|close|vietqr` over /crm/v1/deals (and the won flow's steps). */

/** A pipeline by id, name or kind (`sales`); the workspace's default one when not given. */
export async function findPipeline(s: Session, ref: string | undefined): Promise<Pipeline> {
  const { data } = await call(getCrmV1Pipelines({ client: s.client }));
  const found = ref
    ? (data.find((p) => p.id === ref) ??
      data.find((p) => p.name.toLowerCase() === ref.toLowerCase()) ??
      data.find((p) => p.kind === ref))
    : (data.find((p) => p.is_default) ?? data[0]);
  if (!found) {
    throw new CliError(
      ref
        ? `no pipeline "${ref}" (there are: ${data.map((p) => p.name).join(', ') || 'none'})`
        : 'the workspace has no pipeline',
      EXIT.notFound,
    );
  }
  return found;
}

/** A stage of the pipeline by id or code (`proposal`), else a usage error listing the stages. */
function findStage(p: Pipeline, ref: string) {
  const st = p.stages.find((x) => x.id === ref || x.code === ref);
  if (!st) {
    throw new CliError(
      `no stage "${ref}" in pipeline ${p.name} (stages: ${p.stages.map((x) => x.code).join(', ')})`,
      EXIT.invalid,
    );
  }
  return st;
}

async function pipelineById(s: Session, id: string): Promise<Pipeline> {
  return findPipeline(s, id);
}

const FLOW_SETTLED = new Set(['done', 'skipped', 'failed', 'waiting']);

/** The flow's steps as `[vietqr]`, `[hoadon]`, … lines. */
function flowLines(flow: DealFlow): void {
  const tag: Record<string, string> = {
    vietqr: 'vietqr',
    invoice: 'hoadon',
    engagement: 'proj',
    brain: 'brain',
    win_loss: 'winloss',
  };
  for (const st of flow.steps) {
    const r = st.result as Record<string, unknown>;
    const detail =
      st.step === 'vietqr' && r.vietqr_id
        ? `generated: code ${String(r.vietqr_id)}${r.amount_vnd ? ` · amount=${Number(r.amount_vnd).toLocaleString('en-US')} VND` : ''}`
        : st.step === 'invoice' && r.number
          ? `invoice_number: ${String(r.symbol ?? '')}/${String(r.number)} · id=${String(r.invoice_id)}`
          : st.step === 'engagement' && r.emitted
            ? `${String(r.emitted)} emitted`
            : '';
    const parts = [st.status, detail, st.note ?? '', st.status === 'failed' ? `attempts=${st.attempts}` : ''];
    step(tag[st.step] ?? st.step, parts.filter(Boolean).join(' · '));
  }
}

function vietQrLine(q: VietQr): void {
  step(
    'vietqr',
    `generated: bank=${q.bank?.short_name ?? q.bank_bin} · account=${q.account_number}` +
      `${q.amount_vnd !== null ? ` · amount=${q.amount_vnd.toLocaleString('en-US')} VND` : ''}` +
      `${q.purpose ? ` · purpose="${q.purpose}"` : ''}`,
  );
  step('vietqr', `reference=${q.reference} · png ${q.png_url}`);
}

export function registerDealCommands(program: Command): void {
  const deal = program.command('deal').description('deals in a pipeline');

  deal
    .command('create')
    .description('create a deal in a pipeline (default: the workspace’s default pipeline, its first stage)')
    .requiredOption('--name <name>', 'the deal name')
    .option('--account <id>', 'the account')
    .option('--contact <id>', 'the primary contact')
    .option('--amount <amount>', 'the value in major units, e.g. 750000000 (VND) or 1200.50 (USD)')
    .addOption(new Option('--currency <code>', 'currency of --amount').choices(['VND', 'USD']).default('VND'))
    .option('--pipeline <id|name|kind>', 'the pipeline (default: the workspace’s default)')
    .option('--stage <code|id>', 'the stage (default: the first)')
    .option('--close-date <yyyy-mm-dd>', 'expected close date')
    .option('--owner <user-id>', 'owner (default: the key’s user)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          name: string;
          account?: string;
          contact?: string;
          amount?: string;
          currency: 'VND' | 'USD';
          pipeline?: string;
          stage?: string;
          closeDate?: string;
          owner?: string;
          json?: boolean;
        }) => {
          const s = session();
          const p = opts.pipeline || opts.stage ? await findPipeline(s, opts.pipeline) : null;
          const body: PostCrmV1DealsData['body'] = {
            name: opts.name,
            currency: opts.currency,
            ...(opts.account ? { account_id: opts.account } : {}),
            ...(opts.contact ? { primary_contact_id: opts.contact } : {}),
            ...(opts.amount ? { amount_minor: parseAmount(opts.amount, opts.currency) } : {}),
            ...(p ? { pipeline_id: p.id } : {}),
            ...(p && opts.stage ? { stage_id: findStage(p, opts.stage).id } : {}),
            ...(opts.closeDate ? { expected_close_date: opts.closeDate } : {}),
            ...(opts.owner ? { owner_id: opts.owner } : {}),
          };
          const d = await call(postCrmV1Deals({ client: s.client, body }));
          if (opts.json) {
            printJson(d);
            return;
          }
          step(
            'create',
            `deal_id: ${d.id} · "${d.name}" · stage ${d.stage.code} · ${d.probability}%${d.amount_minor !== null ? ` · ${money(d.amount_minor, d.currency)}` : ''}`,
          );
          await auditLine(s, 'deal', d.id);
        },
      ),
    );

  deal
    .command('list')
    .description('list deals (one page; --cursor for the next)')
    .option('-q, --query <text>', 'search names')
    .addOption(
      new Option('--status <status>', 'only this status').choices(['open', 'won', 'lost', 'cancelled']),
    )
    .option('--account <id>', 'only deals of this account')
    .option('--pipeline <id|name|kind>', 'only this pipeline')
    .option('--stage <code|id>', 'only this stage (with --pipeline, or the default pipeline)')
    .option('--owner <user-id|me|none>', 'only this owner')
    .option('--limit <n>', 'page size (max 100)', '25')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          query?: string;
          status?: 'open' | 'won' | 'lost' | 'cancelled';
          account?: string;
          pipeline?: string;
          stage?: string;
          owner?: string;
          limit: string;
          cursor?: string;
          json?: boolean;
        }) => {
          const s = session();
          const p = opts.pipeline || opts.stage ? await findPipeline(s, opts.pipeline) : null;
          const page = await call(
            getCrmV1Deals({
              client: s.client,
              query: {
                ...(opts.query ? { q: opts.query } : {}),
                ...(opts.status ? { status: opts.status } : {}),
                ...(opts.account ? { account_id: opts.account } : {}),
                ...(p ? { pipeline_id: p.id } : {}),
                ...(p && opts.stage ? { stage_id: findStage(p, opts.stage).id } : {}),
                ...(opts.owner ? { owner_id: opts.owner } : {}),
                ...(opts.cursor ? { cursor: opts.cursor } : {}),
                limit: Number(opts.limit),
              },
            }),
          );
          if (opts.json) {
            printJson(page);
            return;
          }
          printTable(
            ['id', 'name', 'stage', 'amount', 'probability', 'status', 'close_date'],
            page.data.map((d) => [
              d.id,
              d.name,
              d.stage.code,
              money(d.amount_minor, d.currency),
              `${d.probability}%`,
              d.status,
              d.expected_close_date,
            ]),
          );
          if (page.page.next_cursor) process.stdout.write(`next page: --cursor ${page.page.next_cursor}\n`);
        },
      ),
    );

  deal
    .command('move')
    .description(
      'move a deal to another stage of its pipeline (the pipeline’s rules apply: a refused move exits 4 ' +
        'naming every unmet rule; someone else moved it first → exit 7)',
    )
    .requiredOption('--id <id>', 'the deal')
    .requiredOption('--to-stage <code|id>', 'the target stage, e.g. proposal')
    .option('--version <n>', 'the version you saw (default: the current one)')
    .option('--lost-reason <text>', 'why, when moving to a lost stage')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          id: string;
          toStage: string;
          version?: string;
          lostReason?: string;
          json?: boolean;
        }) => {
          const s = session();
          const before = await call(getCrmV1DealsById({ client: s.client, path: { id: opts.id } }));
          const p = await pipelineById(s, before.pipeline_id);
          const target = findStage(p, opts.toStage);
          const moved = await call(
            postCrmV1DealsByIdMove({
              client: s.client,
              path: { id: opts.id },
              body: {
                stage_id: target.id,
                version: opts.version ? Number(opts.version) : before.version,
                ...(opts.lostReason ? { lost_reason: opts.lostReason } : {}),
              },
            }),
          );
          if (opts.json) {
            printJson(moved);
            return;
          }
          step('validate', `transition ${before.stage.code} → ${moved.stage.code} allowed`);
          step(
            'move',
            `deal status: ${moved.status}  stage: ${moved.stage.code}  probability: ${moved.probability}%`,
          );
          await auditLine(s, 'deal', moved.id);
        },
      ),
    );

  deal
    .command('close')
    .description(
      'close a deal as won, lost or cancelled; a won deal starts the flow (VietQR, hóa đơn, engagement), ' +
        'whose steps are printed as they settle',
    )
    .requiredOption('--id <id>', 'the deal')
    .addOption(
      new Option('--outcome <outcome>', 'how it ended')
        .choices(['won', 'lost', 'cancelled'])
        .makeOptionMandatory(),
    )
    .option('--lost-reason <text>', 'why it was lost (required by most pipelines for lost)')
    .option('--wait <seconds>', 'how long to wait for the flow’s steps to settle (0: do not wait)', '10')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          id: string;
          outcome: 'won' | 'lost' | 'cancelled';
          lostReason?: string;
          wait: string;
          json?: boolean;
        }) => {
          const waitS = Number(opts.wait);
          if (!Number.isFinite(waitS) || waitS < 0)
            throw new CliError('--wait must be a number of seconds', EXIT.usage);
          const s = session();
          const closed = await call(
            postCrmV1DealsByIdClose({
              client: s.client,
              path: { id: opts.id },
              body: { outcome: opts.outcome, ...(opts.lostReason ? { lost_reason: opts.lostReason } : {}) },
            }),
          );
          let flow = await call(getCrmV1DealsByIdFlow({ client: s.client, path: { id: opts.id } }));
          const deadline = Date.now() + waitS * 1000;
          while (
            Date.now() < deadline &&
            (flow.steps.length === 0 || flow.steps.some((x) => !FLOW_SETTLED.has(x.status)))
          ) {
            await sleep(500);
            flow = await call(getCrmV1DealsByIdFlow({ client: s.client, path: { id: opts.id } }));
          }
          if (opts.json) {
            printJson({ deal: closed, flow });
            return;
          }
          step('close', `status=${closed.status} · closed_date=${closed.closed_at?.slice(0, 10) ?? ''}`);
          flowLines(flow);
          if (flow.steps.some((x) => !FLOW_SETTLED.has(x.status)))
            step('flow', 'still running: `cyberos-crm deal flow --id …` shows the steps later');
          await auditLine(s, 'deal', closed.id);
        },
      ),
    );

  deal
    .command('flow')
    .description('the steps of a closed deal’s flow (VietQR, hóa đơn, engagement, BRAIN, win/loss)')
    .requiredOption('--id <id>', 'the deal')
    .option('--json', 'machine-readable output')
    .action(
      run(async (opts: { id: string; json?: boolean }) => {
        const s = session();
        const flow = await call(getCrmV1DealsByIdFlow({ client: s.client, path: { id: opts.id } }));
        if (opts.json) printJson(flow);
        else if (flow.steps.length === 0) step('flow', `deal is ${flow.status}: no flow steps`);
        else flowLines(flow);
      }),
    );

  deal
    .command('vietqr')
    .description(
      'a VietQR (NAPAS 247) payment code for the deal, to the workspace’s default receiving account ' +
        '(or --receiving-account), for the deal amount (or --amount)',
    )
    .requiredOption('--id <id>', 'the deal')
    .option('--amount <vnd>', 'the amount in VND (default: the deal amount)')
    .option('--receiving-account <id>', 'a confirmed receiving account (default: the default one)')
    .option('--purpose <text>', 'transfer note (default: the deal reference)')
    .option('--json', 'machine-readable output')
    .action(
      run(
        async (opts: {
          id: string;
          amount?: string;
          receivingAccount?: string;
          purpose?: string;
          json?: boolean;
        }) => {
          const s = session();
          const q = await call(
            postCrmV1DealsByIdVietqr({
              client: s.client,
              path: { id: opts.id },
              body: {
                ...(opts.amount ? { amount_vnd: parseAmount(opts.amount, 'VND') } : {}),
                ...(opts.receivingAccount ? { receiving_account_id: opts.receivingAccount } : {}),
                ...(opts.purpose ? { purpose: opts.purpose } : {}),
              },
            }),
          );
          if (opts.json) {
            printJson(q);
            return;
          }
          vietQrLine(q);
          step('vietqr', `payload ${q.payload}`);
        },
      ),
    );
}
