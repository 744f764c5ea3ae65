import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import type { AppPlatform } from '../../db.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { type McpTool, toolDefiner } from '../../platform/mcp/tool.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { evaluateTransition } from '../pipelines/pipeline.rules.js';
import { getPipeline } from '../pipelines/pipeline.service.js';
import { dealFlow } from '../vietnam/won-flow.service.js';
import { forecast, forecastInputSchema, forecastSchema } from './deal.forecast.js';
import { nbaInputSchema, nbaSchema, nextBestActions, requirableValues } from './deal.nba.js';
import type { DealJson } from './deal.presenter.js';
import {
  CLOSE_OUTCOMES,
  createDealSchema,
  DEAL_LIMITS,
  DEAL_STATUSES,
  dealResponseSchema,
  listDealsQuerySchema,
  moveFieldsSchema,
} from './deal.schema.js';
import { closeDeal, createDeal, getDeal, listDeals, moveDeal } from './deal.service.js';

/** MCP tools of the deals module: thin calls of deal.service, deal.forecast and deal.nba. */

const defineTool = toolDefiner<AppPlatform>();

const money = (d: Pick<DealJson, 'amount_minor' | 'currency'>) =>
  d.amount_minor === null ? 'no amount' : `${d.amount_minor} ${d.currency}`;

export const listDealsTool = defineTool({
  name: 'cyberos.crm.list_deals',
  title: 'List deals',
  description:
    'Lists the deals you may see (restricted deals of others are never shown), newest first, filtered by ' +
    'account, pipeline, stage, status, owner or words of the name. Use it to find a deal id, or to see ' +
    "an account's pipeline. Returns deals (id, name, account_id, amount_minor + currency, stage {id, code, " +
    'names}, probability, expected_close_date, status, owner_id, version, abilities) and page.next_cursor.',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    account_id: z.uuid().optional(),
    pipeline_id: z.uuid().optional(),
    stage_id: z.uuid().optional(),
    status: z.enum(DEAL_STATUSES).optional(),
    owner: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
    query: z.string().trim().min(1).max(LIMITS.searchQuery).optional().describe('Words of the deal name'),
    limit: z.number().int().min(1).max(LIMITS.pageSizeMax).default(25),
    cursor: z.string().max(512).optional(),
  }),
  output: z.object({
    deals: z.array(dealResponseSchema),
    page: z.object({ limit: z.number().int(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
  }),
  async run(args, { platform, ctx }) {
    const page = await listDeals(
      platform,
      ctx,
      listDealsQuerySchema.parse({
        ...(args.account_id ? { account_id: args.account_id } : {}),
        ...(args.pipeline_id ? { pipeline_id: args.pipeline_id } : {}),
        ...(args.stage_id ? { stage_id: args.stage_id } : {}),
        ...(args.status ? { status: args.status } : {}),
        ...(args.owner ? { owner_id: args.owner } : {}),
        ...(args.query ? { q: args.query } : {}),
        ...(args.cursor ? { cursor: args.cursor } : {}),
        limit: args.limit,
      }),
    );
    return {
      data: {
        deals: page.data,
        page: { limit: page.page.limit, next_cursor: page.page.next_cursor, has_more: page.page.has_more },
      },
      summary: `${page.data.length} deal(s)${page.page.has_more ? ', more available' : ''}: ${page.data
        .slice(0, 5)
        .map((d) => `${d.name} [${d.stage.code}, ${money(d)}]`)
        .join('; ')}`,
    };
  },
});

export const createDealTool = defineTool({
  name: 'cyberos.crm.create_deal',
  title: 'Create a deal',
  description:
    "Opens a deal, by default in the workspace's default pipeline at its first open stage, owned by you. " +
    'Money is `amount_minor` in minor units with `currency` (VND: whole đồng; USD: cents). The first stage ' +
    'applies the pipeline rules (stage_transition_blocked lists what is missing). Link it to an account ' +
    '(account_id from search_accounts) and a primary contact. Returns the created deal with its id and version.',
  scope: 'crm.write',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  input: createDealSchema,
  output: dealResponseSchema,
  async run(args, { platform, ctx }) {
    const deal = await createDeal(platform, ctx, args);
    return {
      data: deal,
      summary: `[audit] deal created: ${deal.name} (${deal.id}) in ${deal.stage.code}, ${money(deal)}`,
    };
  },
});

/** A stage of the deal's pipeline, named by id or by code (`proposal`). */
async function stageOf(p: AppPlatform, ctx: RequestContext, deal: DealJson, stage: string) {
  const pipeline = await getPipeline(p, ctx, deal.pipeline_id);
  const found = pipeline.stages.find((s) => s.id === stage || s.code === stage);
  if (!found) {
    throw fieldError(
      ['to_stage'],
      'not_in_pipeline',
      `to_stage must be a stage id or code of the deal's pipeline: ${pipeline.stages.map((s) => s.code).join(', ')}`,
    );
  }
  return found;
}

export const moveStageTool = defineTool({
  name: 'cyberos.crm.move_stage',
  title: 'Move a deal to another stage',
  description:
    "Moves a deal to another stage of its pipeline, named by stage id or code (e.g. 'proposal', " +
    "'negotiation'), through the pipeline's rules: a blocked move answers stage_transition_blocked with " +
    'the unmet rules (fields to fill, roles, allowed moves); give missing values in `fields` to fill them ' +
    'in the same move. Pass the `version` you read to refuse the move if someone changed the deal since ' +
    '(version_conflict with the current deal); without it the current version is used. Moving into a won ' +
    'or lost stage closes the deal: use close_deal for that. Returns the moved deal.',
  scope: 'crm.write',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  input: z.strictObject({
    deal_id: z.uuid(),
    to_stage: z.string().trim().min(1).max(60).describe('Stage id or code of the deal’s pipeline'),
    version: z.number().int().positive().optional().describe('The deal version you read'),
    fields: moveFieldsSchema.optional().describe('Values to set in the same move (amount, primary contact…)'),
  }),
  output: dealResponseSchema,
  async run(args, { platform, ctx }) {
    const deal = await getDeal(platform, ctx, args.deal_id);
    const stage = await stageOf(platform, ctx, deal, args.to_stage);
    if (stage.category !== 'open') {
      throw fieldError(
        ['to_stage'],
        'closing_stage',
        `${stage.code} closes the deal (${stage.outcome}); use cyberos.crm.close_deal, which asks for confirmation`,
      );
    }
    const moved = await moveDeal(
      platform,
      ctx,
      deal.id,
      {
        stage_id: stage.id,
        version: args.version ?? deal.version,
        ...(args.fields ? { fields: args.fields } : {}),
      },
      undefined,
    );
    return {
      data: moved,
      summary: `[audit] deal ${moved.name}: ${deal.stage.code} → ${moved.stage.code} (probability ${moved.probability}%)`,
    };
  },
});

const WON_SIDE_EFFECTS = [
  'deal.won event (webhooks, BRAIN) and a stage-history row, audited',
  'VietQR payment request into the default receiving account (step vietqr)',
  'hóa đơn e-invoice issued and signed (step invoice)',
  'engagement requested from PROJ (step engagement)',
  'win record for BRAIN (step brain; skipped for restricted deals)',
  'win/loss record (step win_loss)',
];
const LOST_SIDE_EFFECTS = [
  'deal.lost event (webhooks) and a stage-history row, audited',
  'win/loss record with the lost reason (step win_loss)',
];
const CANCELLED_SIDE_EFFECTS = ['deal.cancelled event (webhooks) and a stage-history row, audited'];

const flowStepSchema = z.object({ step: z.string(), status: z.string(), note: z.string().nullable() });

export const closeDealTool = defineTool({
  name: 'cyberos.crm.close_deal',
  title: 'Close a deal (won, lost or cancelled)',
  description:
    'Closes a deal as won, lost or cancelled. Destructive and irreversible in effect: a won deal starts ' +
    'the won flow (VietQR payment request, signed hóa đơn e-invoice, engagement request, BRAIN record). ' +
    'ALWAYS call it first WITHOUT `confirm`: it changes nothing and answers `status: ' +
    '"confirmation_required"` with what would happen (target stage, side effects, blockers). Show that ' +
    'to the user, and only after they agree call again with `confirm: true`. Lost needs `lost_reason`. ' +
    'Closing an already closed deal with the same outcome changes nothing; another outcome is deal_closed. ' +
    'Returns `status: "closed"`, the deal, and the won-flow steps recorded so far.',
  scope: 'crm.close',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  input: z.strictObject({
    deal_id: z.uuid(),
    outcome: z.enum(CLOSE_OUTCOMES),
    lost_reason: z.string().trim().min(1).max(DEAL_LIMITS.lostReason).optional(),
    version: z.number().int().positive().optional().describe('The deal version the user confirmed'),
    confirm: z
      .boolean()
      .default(false)
      .describe('true only after the user approved the preview of this same call'),
  }),
  output: z.object({
    status: z.enum(['confirmation_required', 'closed']),
    deal: dealResponseSchema,
    target_stage: z
      .object({ id: z.uuid(), code: z.string(), name_en: z.string(), name_vi: z.string() })
      .nullable(),
    side_effects: z.array(z.string()),
    blockers: z.array(z.string()),
    flow: z.array(flowStepSchema),
    confirm_with: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The arguments to send, with confirm: true, once the user agrees'),
  }),
  async run(args, { platform, ctx }) {
    const deal = await getDeal(platform, ctx, args.deal_id);
    const sideEffects =
      args.outcome === 'won'
        ? WON_SIDE_EFFECTS
        : args.outcome === 'lost'
          ? LOST_SIDE_EFFECTS
          : CANCELLED_SIDE_EFFECTS;
    if (!args.confirm) {
      const pipeline = await getPipeline(platform, ctx, deal.pipeline_id);
      const target = pipeline.stages.find((s) => s.outcome === args.outcome) ?? null;
      const blockers: string[] = [];
      if (deal.status !== 'open') {
        blockers.push(
          deal.status === args.outcome
            ? `already ${deal.status}: nothing would change`
            : `already ${deal.status}: reopen it (move_stage to an open stage) before closing it as ${args.outcome}`,
        );
      }
      if (!deal.abilities.includes('close'))
        blockers.push('you may not close this deal (not yours, or your role)');
      if (args.outcome === 'lost' && !args.lost_reason)
        blockers.push('lost_reason is required to close as lost');
      if (!target) blockers.push(`the pipeline has no ${args.outcome} stage`);
      else if (deal.status === 'open') {
        // The same rules the close will apply (pipeline.rules), so the preview names every blocker.
        const from = pipeline.stages.find((st) => st.id === deal.stage_id) ?? null;
        const unmet = evaluateTransition({
          pipeline: { id: pipeline.id, enforce_transitions: pipeline.enforce_transitions },
          from,
          to: target,
          allowedMoves: pipeline.transitions,
          deal: { ...requirableValues(deal), lost_reason: args.lost_reason ?? null },
          role: ctx.actor.role,
        });
        for (const u of unmet) {
          if (!(u.rule === 'field_required' && u.field === 'lost_reason' && args.outcome === 'lost')) {
            blockers.push(u.message);
          }
        }
      }
      return {
        data: {
          status: 'confirmation_required' as const,
          deal,
          target_stage: target
            ? { id: target.id, code: target.code, name_en: target.name_en, name_vi: target.name_vi }
            : null,
          side_effects: deal.status === 'open' ? sideEffects : [],
          blockers,
          flow: [],
          confirm_with: {
            deal_id: deal.id,
            outcome: args.outcome,
            ...(args.lost_reason ? { lost_reason: args.lost_reason } : {}),
            version: deal.version,
            confirm: true,
          },
        },
        summary: `Would close ${deal.name} (${money(deal)}) as ${args.outcome}${
          target ? ` into ${target.code}` : ''
        }: ${sideEffects.length} side effect(s)${blockers.length ? `; blocked: ${blockers.join('; ')}` : ''}. Ask the user, then call again with confirm: true.`,
      };
    }
    const closed = await closeDeal(
      platform,
      ctx,
      deal.id,
      {
        outcome: args.outcome,
        ...(args.lost_reason ? { lost_reason: args.lost_reason } : {}),
        ...(args.version !== undefined ? { version: args.version } : {}),
      },
      undefined,
    );
    const flow = await dealFlow(platform, ctx, closed.id);
    if (closed.status !== args.outcome) {
      throw new AppError('deal_closed', `The deal is ${closed.status}`);
    }
    return {
      data: {
        status: 'closed' as const,
        deal: closed,
        target_stage: {
          id: closed.stage.id,
          code: closed.stage.code,
          name_en: closed.stage.name_en,
          name_vi: closed.stage.name_vi,
        },
        side_effects: deal.status === 'open' ? sideEffects : [],
        blockers: [],
        flow: flow.steps.map((s) => ({ step: s.step, status: s.status, note: s.note })),
        confirm_with: null,
      },
      summary: `[audit] deal ${closed.name} closed as ${closed.status} (${money(closed)})${
        deal.status === 'open' && args.outcome === 'won'
          ? '; won flow queued: [vietqr] [invoice] [engagement]'
          : ''
      }`,
    };
  },
});

export const forecastTool = defineTool({
  name: 'cyberos.crm.forecast',
  title: 'Pipeline forecast',
  description:
    'The weighted pipeline of the open deals you may see, per pipeline and stage, in the workspace base ' +
    "currency at today's rates (with the per-currency breakdown; amount null if a rate is missing). Bands: " +
    'best_case (all open amounts), expected (Σ amount × probability), commit (open deals in stages whose ' +
    'default probability ≥ commit_probability). With `from_month` (YYYY-MM) and `months`, the same bands ' +
    'per expected-close month. Use it to answer "what will we close this quarter?". Amounts are minor units.',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: forecastInputSchema,
  output: forecastSchema,
  async run(args, { platform, ctx }) {
    const f = await forecast(platform, ctx, args);
    return {
      data: f,
      summary: f.pipelines
        .map(
          (pl) =>
            `${pl.pipeline.name}: ${pl.open_deals} open, expected ${pl.bands.expected.amount_minor ?? '?'} ${pl.bands.expected.currency}, best case ${pl.bands.best_case.amount_minor ?? '?'}`,
        )
        .join('; '),
    };
  },
});

export const nextBestActionTool = defineTool({
  name: 'cyberos.crm.next_best_action',
  title: 'Next best actions',
  description:
    'What to do next on your deals, by explained rules (no guessing): overdue expected close dates, no ' +
    'email, call, meeting or visit for stale_days, longer in a stage than it should be, fields the next stage requires, won ' +
    'deals whose VietQR/hóa đơn steps wait or failed. Give `deal_id` for one deal. Each action says the ' +
    'rule, priority, what to do, why (the facts seen) and the tool that does it. Highest priority first.',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: nbaInputSchema,
  output: nbaSchema,
  async run(args, { platform, ctx }) {
    const r = await nextBestActions(platform, ctx, args);
    return {
      data: r,
      summary: `${r.actions.length} action(s) over ${r.scanned_deals} deal(s)${
        r.actions[0] ? `; first: ${r.actions[0].action} (${r.actions[0].deal.name})` : ''
      }`,
    };
  },
});

export const dealMcpTools: McpTool<AppPlatform>[] = [
  listDealsTool,
  createDealTool,
  moveStageTool,
  closeDealTool,
  forecastTool,
  nextBestActionTool,
];
