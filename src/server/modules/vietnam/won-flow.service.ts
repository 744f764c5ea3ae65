import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { requirePermission, systemActor } from '../../platform/auth/actor.js';
import { jsonb } from '../../platform/db/sql.js';
import { AppError } from '../../platform/errors.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { dateIn } from '../currencies/currency.money.js';
import { workspaceMoneySettings } from '../currencies/currency.repository.js';
import type { DealSnapshot } from '../deals/deal.presenter.js';
import { type DealView, findDealView } from '../deals/deal.repository.js';
import { canSeeDeal } from '../deals/deal.visibility.js';
import { InvoiceBlocked, invoiceSigner, issueInvoiceForDeal } from './invoice.service.js';
import { loadSettings } from './settings.service.js';
import type { FlowStatus, FlowStep, FlowStepRow } from './vietnam.table.js';
import { dealAmountVnd, generateDealQr, VietQrBlocked } from './vietqr.service.js';

/**
 * The deal-won flow (seed flow 3), run by outbox consumers, never by the closing request:
 *
 * 1. `deal.won` / `deal.lost` events reach `enqueueCloseFlow` (a durable bus subscriber: if it fails,
 *    the relay publishes the event again). It writes the deal's steps as rows — idempotently, so a
 *    re-published event changes nothing.
 * 2. The runner claims due steps across workspaces (SKIP LOCKED, with a lease) and executes each in ONE
 *    transaction of the deal's workspace that also marks the step done: its effects (a VietQR row, an
 *    invoice with its number, an outbox event) and its status commit together or not at all. A crash at
 *    any point therefore loses nothing (the step stays due; the lease expires) and duplicates nothing
 *    (a done step is never run again; unique indexes back this up for codes and invoices).
 * 3. Events written by the steps (`vietqr.generated`, `invoice.issued` for INV, `engagement.requested`
 *    for PROJ, `deal.closed` for BRAIN, `deal.win_loss_recorded`) leave through the outbox to the
 *    signed webhooks of the workspace.
 *
 * A step that cannot run yet (no confirmed receiving account, no seller profile…) is `waiting` with the
 * reason, re-checked every few minutes and at once when the blocking setting changes. A step that keeps
 * failing becomes `failed` after MAX_ATTEMPTS and can be retried from the deal.
 * Lost and cancelled deals never produce the BRAIN record (R-CRM-010), restricted deals neither
 * (R-CRM-009); a lost deal gets its win/loss record.
 */

export const STEP_ORDER: Record<FlowStep, number> = {
  vietqr: 1,
  invoice: 2,
  engagement: 3,
  brain: 4,
  win_loss: 5,
};
const MAX_ATTEMPTS = 10;
const WAIT_RECHECK_SECONDS = 300;

/** A step that cannot run until something outside it changes (settings, a confirmation). */
export class StepBlocked extends Error {}

interface ClosedEventData {
  deal: DealSnapshot;
}

/** Durable consumer of deal.won / deal.lost: writes the steps (idempotent). */
export async function enqueueCloseFlow(p: AppPlatform, event: EventEnvelope): Promise<boolean> {
  const outcome = event.type === 'deal.won' ? 'won' : event.type === 'deal.lost' ? 'lost' : null;
  if (!outcome) return false;
  const deal = (event.data as ClosedEventData).deal;
  const steps: Array<{ step: FlowStep; status: FlowStatus; note?: string }> =
    outcome === 'won'
      ? [
          { step: 'vietqr', status: 'pending' },
          { step: 'invoice', status: 'pending' },
          { step: 'engagement', status: 'pending' },
          deal.acl_mode === 'restricted'
            ? { step: 'brain', status: 'skipped', note: 'restricted deal: never sent to BRAIN (R-CRM-009)' }
            : { step: 'brain', status: 'pending' },
          { step: 'win_loss', status: 'pending' },
        ]
      : [{ step: 'win_loss', status: 'pending' }];
  await p.db.transaction(event.workspace_id, async (trx) => {
    for (const s of steps) {
      const values = sql`(${event.workspace_id}::uuid, ${deal.id}::uuid, ${s.step}, ${STEP_ORDER[s.step]},
        ${s.status}, ${s.note ?? null}, ${jsonb({ event_id: event.id, outcome })},
        ${s.status === 'skipped' ? sql`now()` : sql`NULL`})`;
      // win_loss is re-recorded when a reopened deal closes again (with the new outcome); every other step
      // happens once per deal, whatever the re-publishing or re-winning.
      await sql`INSERT INTO crm_core.crm_deal_flow_steps
                  (tenant_id, deal_id, step, position, status, last_error, result, completed_at)
                VALUES ${values}
                ON CONFLICT (tenant_id, deal_id, step) DO ${
                  s.step === 'win_loss'
                    ? sql`UPDATE SET status = 'pending', attempts = 0, available_at = now(), last_error = NULL,
                          result = EXCLUDED.result, completed_at = NULL, updated_at = now()
                        WHERE crm_deal_flow_steps.result->>'event_id' IS DISTINCT FROM EXCLUDED.result->>'event_id'
                          AND crm_deal_flow_steps.status <> 'pending'`
                    : sql`NOTHING`
                }`.execute(trx);
    }
  });
  return true;
}

// ---- step execution ----

interface StepContext {
  p: AppPlatform;
  uow: UnitOfWork<DB>;
  deal: DealView;
  row: FlowStepRow;
}

type StepOutcome = { status: 'done' | 'skipped'; result: Record<string, unknown>; note?: string };

async function runVietQr({ uow, deal }: StepContext): Promise<StepOutcome> {
  const tenantId = uow.actor.workspaceId;
  const settings = await loadSettings(uow.trx, tenantId);
  if (settings && !settings.won_flow_vietqr) {
    return { status: 'skipped', result: {}, note: 'VietQR collection is turned off in the settings' };
  }
  const existing = await uow.trx
    .selectFrom('crm_core.crm_vn_vietqr_codes')
    .select(['id', 'payload'])
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', deal.id)
    .where('origin', '=', 'won_flow')
    .executeTakeFirst();
  if (existing) return { status: 'done', result: { vietqr_id: existing.id, payload: existing.payload } };
  const account = await uow.trx
    .selectFrom('crm_core.crm_vn_receiving_accounts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', true)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!account) {
    throw new StepBlocked(
      'No default receiving account: add one under Settings → VietQR and mark it default',
    );
  }
  const { timezone } = await workspaceMoneySettings(uow.trx, tenantId);
  const on = deal.closed_at ? dateIn(timezone, deal.closed_at) : dateIn(timezone);
  try {
    const amount = await dealAmountVnd(uow.trx, tenantId, deal, on);
    const row = await generateDealQr(uow, {
      deal,
      account,
      amountVnd: amount,
      origin: 'won_flow',
      // The flow never confirms on a member's behalf (R-CRM-007): an unconfirmed account waits.
      confirmFirstUse: false,
      confirmingUserId: null,
    });
    return {
      status: 'done',
      result: { vietqr_id: row.id, payload: row.payload, amount_vnd: amount.toString() },
    };
  } catch (e) {
    if (e instanceof VietQrBlocked) {
      if (e.reason === 'no_amount') return { status: 'skipped', result: {}, note: e.message };
      throw new StepBlocked(e.message);
    }
    throw e;
  }
}

async function runInvoice({ p, uow, deal }: StepContext): Promise<StepOutcome> {
  const settings = await loadSettings(uow.trx, uow.actor.workspaceId);
  if (settings && !settings.won_flow_invoice) {
    return { status: 'skipped', result: {}, note: 'Invoicing on win is turned off in the settings' };
  }
  try {
    const inv = await issueInvoiceForDeal(uow, deal, {
      origin: 'won_flow',
      signer: await invoiceSigner(p.config),
    });
    return {
      status: 'done',
      result: { invoice_id: inv.id, symbol: inv.symbol, number: inv.number, event_id: inv.eventId },
    };
  } catch (e) {
    if (e instanceof InvoiceBlocked) {
      if (e.reason === 'no_amount') return { status: 'skipped', result: {}, note: e.message };
      throw new StepBlocked(e.message);
    }
    throw e;
  }
}

async function invoiceRef(uow: UnitOfWork<DB>, dealId: string) {
  return uow.trx
    .selectFrom('crm_core.crm_vn_invoices')
    .select(['id', 'form', 'symbol', 'number'])
    .where('tenant_id', '=', uow.actor.workspaceId)
    .where('deal_id', '=', dealId)
    .where('relation', '=', 'original')
    .executeTakeFirst();
}

async function accountRef(uow: UnitOfWork<DB>, accountId: string | null) {
  if (!accountId) return null;
  const a = await uow.trx
    .selectFrom('crm_core.crm_accounts')
    .select(['id', 'name', 'vn_mst', 'legal_type'])
    .where('tenant_id', '=', uow.actor.workspaceId)
    .where('id', '=', accountId)
    .executeTakeFirst();
  return a ?? null;
}

/** PROJ: a won deal becomes an engagement without re-keying. */
async function runEngagement({ uow, deal }: StepContext): Promise<StepOutcome> {
  const invoice = await invoiceRef(uow, deal.id);
  uow.emit({
    type: 'engagement.requested',
    aggregateType: 'deal',
    aggregateId: deal.id,
    data: {
      engagement: {
        deal_id: deal.id,
        name: deal.name,
        description: deal.description,
        account: await accountRef(uow, deal.account_id),
        primary_contact_id: deal.primary_contact_id,
        contacts: deal.contacts,
        owner_id: deal.owner_id,
        amount_minor: deal.amount_minor,
        currency: deal.currency,
        closed_at: deal.closed_at?.toISOString() ?? null,
        invoice: invoice ?? null,
      },
    },
  });
  return { status: 'done', result: { emitted: 'engagement.requested' } };
}

/** BRAIN: closed-won, non-restricted deals only (R-CRM-009, R-CRM-010), checked again at run time. */
async function runBrain({ uow, deal }: StepContext): Promise<StepOutcome> {
  if (deal.status !== 'won') {
    return {
      status: 'skipped',
      result: {},
      note: `deal is ${deal.status}: only won deals reach BRAIN (R-CRM-010)`,
    };
  }
  if (deal.acl_mode === 'restricted') {
    return { status: 'skipped', result: {}, note: 'restricted deal: never sent to BRAIN (R-CRM-009)' };
  }
  uow.emit({
    type: 'deal.closed',
    aggregateType: 'deal',
    aggregateId: deal.id,
    data: {
      record: 'crm.deal_closed',
      deal: {
        id: deal.id,
        name: deal.name,
        acl_mode: deal.acl_mode,
        status: deal.status,
        account: await accountRef(uow, deal.account_id),
        amount_minor: deal.amount_minor,
        currency: deal.currency,
        pipeline_id: deal.pipeline_id,
        owner_id: deal.owner_id,
        tags: deal.tags,
        created_at: deal.created_at.toISOString(),
        closed_at: deal.closed_at?.toISOString() ?? null,
      },
    },
  });
  return { status: 'done', result: { emitted: 'deal.closed' } };
}

/** The win/loss record: outcome, reason, value, time to close and the stages the deal went through. */
async function runWinLoss({ uow, deal }: StepContext): Promise<StepOutcome> {
  if (deal.status !== 'won' && deal.status !== 'lost') {
    return { status: 'skipped', result: {}, note: `deal is ${deal.status} now` };
  }
  const path = await sql<{ code: string }>`
    SELECT s.code FROM crm_core.crm_stage_transitions t
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = t.tenant_id AND s.id = t.to_stage_id
    WHERE t.tenant_id = ${uow.actor.workspaceId} AND t.deal_id = ${deal.id}
    ORDER BY t.occurred_at, t.id`.execute(uow.trx);
  const closedAt = deal.closed_at ?? new Date();
  uow.emit({
    type: 'deal.win_loss_recorded',
    aggregateType: 'deal',
    aggregateId: deal.id,
    data: {
      outcome: deal.status,
      lost_reason: deal.lost_reason,
      amount_minor: deal.amount_minor,
      currency: deal.currency,
      days_to_close: Math.max(0, Math.round((closedAt.getTime() - deal.created_at.getTime()) / 86_400_000)),
      stage_path: path.rows.map((r) => r.code),
      // The deal's ACL fields travel with the record so consumers (webhooks, WebSocket) can apply them.
      deal: {
        id: deal.id,
        acl_mode: deal.acl_mode,
        owner_id: deal.owner_id,
        acl_member_ids: deal.acl_member_ids,
        acl_roles: deal.acl_roles,
      },
    },
  });
  return { status: 'done', result: { emitted: 'deal.win_loss_recorded', outcome: deal.status } };
}

const EXECUTORS: Record<FlowStep, (c: StepContext) => Promise<StepOutcome>> = {
  vietqr: runVietQr,
  invoice: runInvoice,
  engagement: runEngagement,
  brain: runBrain,
  win_loss: runWinLoss,
};

/** Test hook: lets a test "crash" a step after its effects, before commit. */
export type StepFault = (step: FlowStep, dealId: string) => void;

/**
 * Executes one claimed step in its own workspace transaction. Returns the status it ended in, or null
 * when someone else had already finished it.
 */
export async function executeStep(
  p: AppPlatform,
  tenantId: string,
  dealId: string,
  step: FlowStep,
  fault?: StepFault,
): Promise<FlowStatus | null> {
  const ctx = { actor: systemActor(tenantId, 'won-flow'), requestId: null };
  try {
    return await p.write(ctx, async (uow) => {
      const row = await lockStep(uow.trx, tenantId, dealId, step);
      if (!row || (row.status !== 'pending' && row.status !== 'waiting')) return null;
      const deal = await findDealView(uow.trx, tenantId, dealId);
      if (!deal || deal.deleted_at) {
        await finishStep(uow.trx, row, { status: 'skipped', result: {}, note: 'the deal was deleted' });
        return 'skipped';
      }
      const outcome = await EXECUTORS[step]({ p, uow, deal, row });
      fault?.(step, dealId);
      await finishStep(uow.trx, row, outcome);
      return outcome.status;
    });
  } catch (e) {
    const blocked = e instanceof StepBlocked;
    const message = e instanceof Error ? e.message : String(e);
    const r = await p.db.transaction(tenantId, (trx) =>
      sql<{ status: FlowStatus }>`
        UPDATE crm_core.crm_deal_flow_steps SET
          status = CASE WHEN ${blocked} THEN 'waiting'
                        WHEN attempts >= ${MAX_ATTEMPTS} THEN 'failed' ELSE 'pending' END,
          available_at = now() + make_interval(secs => CASE WHEN ${blocked} THEN ${WAIT_RECHECK_SECONDS}
                          ELSE least(3600, power(2, least(attempts, 12))) * (0.75 + random() / 2) END),
          locked_until = NULL, last_error = ${message.slice(0, 2000)}, updated_at = now()
        WHERE tenant_id = ${tenantId} AND deal_id = ${dealId} AND step = ${step}
          AND status IN ('pending','waiting')
        RETURNING status`.execute(trx),
    );
    if (!blocked) p.log.warn({ err: e, dealId, step }, 'won-flow step failed');
    return r.rows[0]?.status ?? null;
  }
}

async function lockStep(trx: Transaction<DB>, tenantId: string, dealId: string, step: FlowStep) {
  return trx
    .selectFrom('crm_core.crm_deal_flow_steps')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', dealId)
    .where('step', '=', step)
    .forUpdate()
    .executeTakeFirst();
}

async function finishStep(trx: Transaction<DB>, row: FlowStepRow, outcome: StepOutcome): Promise<void> {
  await trx
    .updateTable('crm_core.crm_deal_flow_steps')
    .set({
      status: outcome.status,
      result: jsonb({ ...row.result, ...outcome.result }),
      last_error: outcome.note ?? null,
      locked_until: null,
      completed_at: new Date(),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', row.tenant_id)
    .where('deal_id', '=', row.deal_id)
    .where('step', '=', row.step)
    .execute();
}

// ---- reading and retrying ----

export interface FlowStepJson {
  step: FlowStep;
  status: FlowStatus;
  attempts: number;
  note: string | null;
  result: Record<string, unknown>;
  next_attempt_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

function presentStep(r: FlowStepRow): FlowStepJson {
  return {
    step: r.step,
    status: r.status,
    attempts: r.attempts,
    note: r.last_error,
    result: r.result,
    next_attempt_at: r.status === 'pending' || r.status === 'waiting' ? r.available_at.toISOString() : null,
    completed_at: r.completed_at?.toISOString() ?? null,
    updated_at: r.updated_at.toISOString(),
  };
}

async function visibleDeal(db: Parameters<typeof findDealView>[0], ctx: RequestContext, dealId: string) {
  const deal = await findDealView(db, ctx.actor.workspaceId, dealId);
  if (!deal || !canSeeDeal(ctx.actor, deal)) throw new AppError('deal_not_found', 'Deal not found');
  return deal;
}

/** GET /deals/{id}/flow: the steps of the deal's close, in order, with status and results. */
export async function dealFlow(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
): Promise<{ deal_id: string; status: string; steps: FlowStepJson[] }> {
  requirePermission(ctx.actor, 'crm.deal.view');
  const tenantId = ctx.actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const deal = await visibleDeal(db, ctx, dealId);
    const rows = await db
      .selectFrom('crm_core.crm_deal_flow_steps')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deal_id', '=', dealId)
      .orderBy('position')
      .execute();
    return { deal_id: dealId, status: deal.status, steps: rows.map(presentStep) };
  });
}

/** POST /deals/{id}/flow/retry: failed and waiting steps become due now. */
export async function retryDealFlow(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
): Promise<{ deal_id: string; status: string; steps: FlowStepJson[] }> {
  requirePermission(ctx.actor, 'crm.deal.close');
  const tenantId = ctx.actor.workspaceId;
  await p.write(ctx, async (uow) => {
    await visibleDeal(uow.trx, ctx, dealId);
    const r = await sql<{ step: string }>`
      UPDATE crm_core.crm_deal_flow_steps SET status = 'pending', attempts = 0, available_at = now(),
        locked_until = NULL, updated_at = now()
      WHERE tenant_id = ${tenantId} AND deal_id = ${dealId} AND status IN ('failed','waiting')
      RETURNING step`.execute(uow.trx);
    if (r.rows.length > 0) {
      uow.audit({
        action: 'deal.flow_retried',
        entityType: 'deal',
        entityId: dealId,
        diff: { steps: { from: null, to: r.rows.map((x) => x.step).join(',') } },
      });
    }
  });
  return dealFlow(p, ctx, dealId);
}
