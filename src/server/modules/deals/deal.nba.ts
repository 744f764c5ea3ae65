import { sql } from 'kysely';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { workspaceTimeZone } from '../activities/activity.repository.js';
import { CONTACT_KINDS } from '../activities/activity.schema.js';
import { dateIn } from '../currencies/currency.money.js';
import type { PipelineJson } from '../pipelines/pipeline.presenter.js';
import { evaluateTransition } from '../pipelines/pipeline.rules.js';
import { listPipelines } from '../pipelines/pipeline.service.js';
import type { DealJson } from './deal.presenter.js';
import { listDealsQuerySchema } from './deal.schema.js';
import { getDeal, listDeals } from './deal.service.js';

/**
 * Next best actions, rule-based and explained (no model; the intelligence issue adds scoring). Over the
 * deals the actor may see (the deal ACL applies through listDeals/getDeal):
 * - `overdue_close_date` (high): an open deal whose expected close date has passed;
 * - `no_recent_activity` (high ≥ 50 % probability, else medium): no email, call, meeting or site visit
 *   (CONTACT_KINDS, as Account 360's last contact) on the deal for `stale_days`, counted from its creation
 *   when it never had one;
 * - `stalled_in_stage` (medium): longer in its stage than the stage's rotting_days;
 * - `missing_for_next_stage` (medium): fields the next open stage requires (its `required_fields`,
 *   evaluated by pipeline.rules) are blank, so the move would be blocked;
 * - `won_flow_blocked` (high): a won deal whose follow-up steps (VietQR, hóa đơn, …) wait or failed,
 *   with the reason the step recorded.
 */

export const nbaInputSchema = z.strictObject({
  deal_id: z.uuid().optional().describe('One deal; default: the open and recently won deals you may see'),
  stale_days: z
    .number()
    .int()
    .min(1)
    .max(365)
    .default(14)
    .describe('Days without activity that count as stale'),
  limit: z.number().int().min(1).max(100).default(20),
});
export type NbaInput = z.infer<typeof nbaInputSchema>;

export const NBA_RULES = [
  'overdue_close_date',
  'no_recent_activity',
  'stalled_in_stage',
  'missing_for_next_stage',
  'won_flow_blocked',
] as const;

export const nbaSchema = z.object({
  as_of: z.string(),
  scanned_deals: z.number().int(),
  actions: z.array(
    z.object({
      deal: z.object({ id: z.uuid(), name: z.string(), status: z.string(), stage_code: z.string() }),
      rule: z.enum(NBA_RULES),
      priority: z.enum(['high', 'medium', 'low']),
      action: z.string().describe('What to do, in one sentence'),
      why: z.string().describe('The facts the rule saw'),
      suggested_tool: z.string().nullable().describe('The MCP tool that does it, when one does'),
    }),
  ),
});
export type NbaJson = z.infer<typeof nbaSchema>;
type Action = NbaJson['actions'][number];

const DAY_MS = 86_400_000;
const SCAN_PAGES = 5;
const PRIORITY = { high: 0, medium: 1, low: 2 } as const;

async function visibleDeals(
  p: AppPlatform,
  ctx: RequestContext,
  status: 'open' | 'won',
): Promise<DealJson[]> {
  const out: DealJson[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < SCAN_PAGES; i++) {
    const page = await listDeals(
      p,
      ctx,
      listDealsQuerySchema.parse({ status, limit: 100, sort: '-updated_at', ...(cursor ? { cursor } : {}) }),
    );
    out.push(...page.data);
    if (!page.page.has_more || !page.page.next_cursor) break;
    cursor = page.page.next_cursor;
  }
  return out;
}

function dealRef(d: DealJson): Action['deal'] {
  return { id: d.id, name: d.name, status: d.status, stage_code: d.stage.code };
}

/** The deal's values of the fields a stage may require (pipeline.rules). */
export function requirableValues(d: DealJson) {
  return {
    account_id: d.account_id,
    primary_contact_id: d.primary_contact_id,
    amount: d.amount_minor,
    expected_close_date: d.expected_close_date,
    description: d.description,
    owner_id: d.owner_id,
    lost_reason: d.lost_reason,
  };
}

/** Errors: 404 deal_not_found for a deal_id the actor may not see; 403 without crm.deal.view. */
export async function nextBestActions(
  p: AppPlatform,
  ctx: RequestContext,
  input: NbaInput,
): Promise<NbaJson> {
  const tenantId = ctx.actor.workspaceId;
  const deals = input.deal_id
    ? [await getDeal(p, ctx, input.deal_id)]
    : [...(await visibleDeals(p, ctx, 'open')), ...(await visibleDeals(p, ctx, 'won'))];
  const pipelines = new Map<string, PipelineJson>(
    (await listPipelines(p, ctx)).data.map((pl) => [pl.id, pl]),
  );
  const ids = deals.map((d) => d.id);
  const wonIds = deals.filter((d) => d.status === 'won').map((d) => d.id);
  const { today, lastTouch, blockedSteps } = await p.db.read(tenantId, async (db) => {
    const tz = await workspaceTimeZone(db, tenantId);
    const touches =
      ids.length === 0
        ? []
        : await db
            .selectFrom('crm_core.crm_activities')
            .select(['deal_id', sql<Date>`max(occurred_at)`.as('last_at')])
            .where('tenant_id', '=', tenantId)
            .where('deal_id', 'in', ids)
            .where('kind', 'in', [...CONTACT_KINDS])
            .where('occurred_at', '<=', new Date())
            .groupBy('deal_id')
            .execute();
    const steps =
      wonIds.length === 0
        ? []
        : await db
            .selectFrom('crm_core.crm_deal_flow_steps')
            .select(['deal_id', 'step', 'status', 'last_error'])
            .where('tenant_id', '=', tenantId)
            .where('deal_id', 'in', wonIds)
            .where('status', 'in', ['waiting', 'failed'])
            .orderBy('position')
            .execute();
    return {
      today: dateIn(tz),
      lastTouch: new Map(touches.map((t) => [t.deal_id as string, new Date(t.last_at)])),
      blockedSteps: steps,
    };
  });

  const now = Date.now();
  const actions: Action[] = [];
  for (const d of deals) {
    if (d.status === 'open') {
      if (d.expected_close_date !== null && d.expected_close_date < today) {
        actions.push({
          deal: dealRef(d),
          rule: 'overdue_close_date',
          priority: 'high',
          action:
            'Confirm the deal with the customer: set a new expected close date, or close it as won or lost',
          why: `Expected to close on ${d.expected_close_date}, before today (${today})`,
          suggested_tool: 'cyberos.crm.close_deal',
        });
      }
      const last = lastTouch.get(d.id) ?? null;
      const since = last ?? new Date(d.created_at);
      const idleDays = Math.floor((now - since.getTime()) / DAY_MS);
      if (idleDays >= input.stale_days) {
        actions.push({
          deal: dealRef(d),
          rule: 'no_recent_activity',
          priority: d.probability >= 50 ? 'high' : 'medium',
          action: 'Reach out to the primary contact (call, email or meeting) and log it',
          why: last
            ? `Last activity ${idleDays} days ago (${last.toISOString().slice(0, 10)}); threshold ${input.stale_days} days`
            : `No activity since the deal was created ${idleDays} days ago; threshold ${input.stale_days} days`,
          suggested_tool: null,
        });
      }
      const pl = pipelines.get(d.pipeline_id);
      const stage = pl?.stages.find((s) => s.id === d.stage_id);
      if (stage?.rotting_days != null) {
        const inStage = Math.floor((now - Date.parse(d.stage_entered_at)) / DAY_MS);
        if (inStage > stage.rotting_days) {
          actions.push({
            deal: dealRef(d),
            rule: 'stalled_in_stage',
            priority: 'medium',
            action: `Move the deal forward from ${stage.code} or record why it is stuck`,
            why: `${inStage} days in ${stage.code}; the stage expects at most ${stage.rotting_days}`,
            suggested_tool: 'cyberos.crm.move_stage',
          });
        }
      }
      const next =
        pl && stage
          ? pl.stages
              .filter((s) => s.category === 'open' && s.position > stage.position)
              .sort((a, b) => a.position - b.position)[0]
          : undefined;
      if (pl && stage && next) {
        const unmet = evaluateTransition({
          pipeline: { id: pl.id, enforce_transitions: pl.enforce_transitions },
          from: stage,
          to: next,
          allowedMoves: pl.transitions,
          deal: requirableValues(d),
          role: ctx.actor.role,
        }).filter((u) => u.rule === 'field_required');
        if (unmet.length > 0) {
          const fields = unmet.map((u) => (u.rule === 'field_required' ? u.field : '')).join(', ');
          actions.push({
            deal: dealRef(d),
            rule: 'missing_for_next_stage',
            priority: 'medium',
            action: `Fill ${fields} so the deal can enter ${next.code}`,
            why: `Stage ${next.code} requires ${fields}; the deal has none`,
            suggested_tool: 'cyberos.crm.move_stage',
          });
        }
      }
    }
  }
  for (const s of blockedSteps) {
    const d = deals.find((x) => x.id === s.deal_id);
    if (!d) continue;
    actions.push({
      deal: dealRef(d),
      rule: 'won_flow_blocked',
      priority: 'high',
      action:
        s.step === 'vietqr'
          ? 'Collect payment: confirm a receiving account under Settings → VietQR, or generate the VietQR now'
          : `Unblock the ${s.step} step of the won deal (then retry it from the deal's flow)`,
      why: `Step ${s.step} is ${s.status}${s.last_error ? `: ${s.last_error}` : ''}`,
      suggested_tool: s.step === 'vietqr' ? 'cyberos.crm.generate_vietqr' : null,
    });
  }
  actions.sort((a, b) => PRIORITY[a.priority] - PRIORITY[b.priority]);
  return { as_of: today, scanned_deals: deals.length, actions: actions.slice(0, input.limit) };
}
