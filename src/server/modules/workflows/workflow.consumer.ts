import { ZodError } from 'zod';
import type { AppPlatform } from '../../db.js';
import { type Actor, systemActor } from '../../platform/auth/actor.js';
import { isAppError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events/bus.js';
import type { EventEnvelope } from '../../platform/events/outbox.js';
import { WorkspaceCache } from '../../platform/events/workspace-cache.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { createActivity } from '../activities/activity.service.js';
import { updateDealSchema } from '../deals/deal.schema.js';
import { getDeal, updateDeal } from '../deals/deal.service.js';
import { type RecordKind, triggerOf } from './workflow.catalogue.js';
import { conditionsHold, render, valueAt } from './workflow.engine.js';
import {
  claimRun,
  enabledWorkflows,
  finishRun,
  pruneFinishedRuns,
  recordSkippedRun,
  runInFlight,
} from './workflow.repository.js';
import type { ActionResult, WorkflowAction } from './workflow.schema.js';
import type { WorkflowRow } from './workflow.table.js';

/**
 * Runs workflows (ADR 0020). A DURABLE bus subscriber of every event: for each enabled workflow of the
 * event's workspace whose trigger is the event's type, it claims the run row (UNIQUE per workflow and
 * event: a redelivered event runs nothing twice), evaluates the conditions and performs the actions
 * through the modules' services as the system actor "workflow: <name>", so authorization, audit, outbox
 * and timeline rules apply exactly as for a person (a workflow never writes a table directly).
 *
 * Failures: a rejected action (4xx AppError, bad input) fails the run for good; anything else (database,
 * a concurrent edit) fails it as retryable and rethrows, so the relay publishes the event again and the
 * next delivery resumes the run (actions are idempotent: tasks and notes by source_event_id, tag and
 * owner changes by comparing first), up to `maxAttempts`.
 *
 * Loop guard: events written by a workflow's actions carry the workflow actor's id, and are never
 * triggers — a workflow's task cannot set off another workflow (nor itself) again.
 */

/** The envelope actor id of every change a workflow makes (audit rows say "workflow: <name>"). */
export const WORKFLOW_ACTOR_ID = '00000000-0000-7000-8000-00000000f10e';

export function workflowActor(workspaceId: string, name: string): Actor {
  return { ...systemActor(workspaceId, `workflow: ${name}`.slice(0, 200)), id: WORKFLOW_ACTOR_ID };
}

/** Whether an event was produced by a workflow's action (never a trigger: the loop guard). */
export const producedByWorkflow = (event: Pick<EventEnvelope, 'actor'>): boolean =>
  event.actor.type === 'system' && event.actor.id === WORKFLOW_ACTOR_ID;

export interface WorkflowConsumerOptions {
  /** Deliveries of one event a failing run is retried for. */
  maxAttempts?: number;
  /** A `running` run older than this is taken to be a crashed process's and may be taken again. */
  leaseSeconds?: number;
  /**
   * The workspace's enabled workflows (created order); by default read per event. The app passes a
   * `WorkspaceCache` (ADR 0022): nearly every event of nearly every workspace triggers nothing.
   */
  workflows?: (workspaceId: string) => Promise<readonly WorkflowRow[]>;
}

/** The record an event is about: what tasks and notes link to, and whose owner gets them. */
interface RecordRef {
  dealId: string | null;
  accountId: string | null;
  contactId: string | null;
  ownerId: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function recordOf(kind: RecordKind, data: unknown): RecordRef {
  const at = (path: string) => str(valueAt(data, path));
  switch (kind) {
    case 'deal':
      return { dealId: at('deal.id'), accountId: null, contactId: null, ownerId: at('deal.owner_id') };
    case 'account':
      return { dealId: null, accountId: at('account.id'), contactId: null, ownerId: at('account.owner_id') };
    case 'contact':
      return { dealId: null, accountId: null, contactId: at('contact.id'), ownerId: at('contact.owner_id') };
    case 'activity':
      return {
        dealId: at('activity.deal_id'),
        contactId: at('activity.contact_id'),
        // The activities service derives the account from a deal or contact; sending both could conflict.
        accountId: at('activity.deal_id') || at('activity.contact_id') ? null : at('activity.account_id'),
        ownerId: at('activity.owner_id'),
      };
    case 'lead': {
      const dealId = at('deal_id') ?? at('lead.converted_deal_id') ?? at('deal.id');
      const contactId = at('contact_id') ?? at('lead.converted_contact_id') ?? at('contact.id');
      const accountId = at('account_id') ?? at('lead.converted_account_id') ?? at('account.id');
      return {
        dealId,
        contactId,
        accountId: dealId || contactId ? null : accountId,
        ownerId: at('lead.owner_id'),
      };
    }
  }
}

/** An action's refusal that a retry cannot fix. */
class ActionRefused extends Error {}

function permanent(error: unknown): boolean {
  if (error instanceof ActionRefused || error instanceof ZodError) return true;
  if (isAppError(error)) {
    // A concurrent edit (409 version_conflict, 412) is worth another try; other 4xx are final.
    return error.status < 500 && error.code !== 'version_conflict' && error.status !== 412;
  }
  return false;
}

function messageOf(error: unknown): string {
  if (isAppError(error)) {
    const field = error.fields[0];
    return field
      ? `${error.code}: ${error.message} (${field.field}: ${field.message})`
      : `${error.code}: ${error.message}`;
  }
  if (error instanceof ZodError)
    return `invalid: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}

interface ActionContext {
  p: AppPlatform;
  ctx: RequestContext;
  workflow: WorkflowRow;
  event: EventEnvelope;
  record: RecordRef;
  index: number;
}

/** The person behind the event (tasks "for the actor"): a signed-in member, else null. */
const eventPerson = (event: EventEnvelope): string | null =>
  event.actor.type === 'user' ? event.actor.id : null;

function links(a: ActionContext): { deal_id?: string; account_id?: string; contact_id?: string } {
  const { dealId, accountId, contactId } = a.record;
  if (!dealId && !accountId && !contactId) {
    throw new ActionRefused(`${a.event.type} carries no deal, account or contact to attach the entry to`);
  }
  return {
    ...(dealId ? { deal_id: dealId } : {}),
    ...(accountId ? { account_id: accountId } : {}),
    ...(contactId ? { contact_id: contactId } : {}),
  };
}

/** Idempotency key of an entry an action logs: one per (workflow, event, action). */
const sourceEventId = (a: ActionContext) => `workflow:${a.workflow.id}:${a.event.id}:${a.index}`;

const HOUR_MS = 3_600_000;

async function perform(
  a: ActionContext,
  action: WorkflowAction,
): Promise<Omit<ActionResult, 'index' | 'type' | 'error'>> {
  const data = a.event.data;
  const metadata = {
    workflow_id: a.workflow.id,
    workflow_name: a.workflow.name,
    event_id: a.event.id,
    event_type: a.event.type,
  };
  switch (action.type) {
    case 'create_task': {
      const ownerId =
        action.assignee === 'member'
          ? (action.member_id ?? null)
          : action.assignee === 'event_actor'
            ? (eventPerson(a.event) ?? a.record.ownerId)
            : a.record.ownerId;
      // Due relative to the event, not to this attempt: a retried run computes the same due date.
      const base = Date.parse(a.event.occurred_at);
      const due = new Date(
        (Number.isNaN(base) ? Date.now() : base) +
          action.due_in_amount * (action.due_in_unit === 'days' ? 24 : 1) * HOUR_MS,
      );
      const subject = render(action.title, data, 300).trim() || a.workflow.name;
      const { activity, replayed } = await createActivity(a.p, a.ctx, {
        kind: 'task',
        subject,
        body_markdown: action.description ? render(action.description, data, 100_000) : null,
        due_at: due,
        ...links(a),
        source: 'manual',
        source_event_id: sourceEventId(a),
        metadata,
        owner_id: ownerId,
      });
      return { status: 'succeeded', detail: { activity_id: activity.id, owner_id: ownerId, replayed } };
    }
    case 'log_note': {
      const subject = render(action.subject, data, 300).trim() || a.workflow.name;
      const { activity, replayed } = await createActivity(a.p, a.ctx, {
        kind: 'note',
        subject,
        body_markdown: action.body ? render(action.body, data, 100_000) : null,
        ...links(a),
        source: 'manual',
        source_event_id: sourceEventId(a),
        metadata,
      });
      return { status: 'succeeded', detail: { activity_id: activity.id, replayed } };
    }
    case 'add_deal_tag': {
      const dealId = a.record.dealId;
      if (!dealId) throw new ActionRefused(`${a.event.type} carries no deal`);
      const [tag] = updateDealSchema.parse({ tags: [action.tag] }).tags ?? [];
      const deal = await getDeal(a.p, a.ctx, dealId);
      if (!tag || deal.tags.includes(tag)) {
        return {
          status: 'skipped',
          detail: { deal_id: dealId, tag: tag ?? action.tag, reason: 'already_tagged' },
        };
      }
      const input = updateDealSchema.parse({ tags: [...deal.tags, tag] });
      await updateDeal(a.p, a.ctx, dealId, input, deal.version);
      return { status: 'succeeded', detail: { deal_id: dealId, tag } };
    }
    case 'set_deal_owner': {
      const dealId = a.record.dealId;
      if (!dealId) throw new ActionRefused(`${a.event.type} carries no deal`);
      const ownerId = action.owner === 'member' ? (action.member_id ?? null) : eventPerson(a.event);
      if (!ownerId) throw new ActionRefused("the event's actor is not a member (an API key or the system)");
      const deal = await getDeal(a.p, a.ctx, dealId);
      if (deal.owner_id === ownerId) {
        return { status: 'skipped', detail: { deal_id: dealId, owner_id: ownerId, reason: 'already_owner' } };
      }
      await updateDeal(a.p, a.ctx, dealId, updateDealSchema.parse({ owner_id: ownerId }), deal.version);
      return { status: 'succeeded', detail: { deal_id: dealId, owner_id: ownerId } };
    }
  }
}

export class WorkflowConsumer {
  readonly #maxAttempts: number;
  readonly #leaseSeconds: number;
  readonly #workflows: (workspaceId: string) => Promise<readonly WorkflowRow[]>;
  #lastPrune = Date.now();

  constructor(
    private readonly p: AppPlatform,
    options: WorkflowConsumerOptions = {},
  ) {
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#leaseSeconds = options.leaseSeconds ?? 300;
    this.#workflows = options.workflows ?? ((ws) => p.db.read(ws, (db) => enabledWorkflows(db, ws)));
  }

  /**
   * Handles one event; returns how many runs it recorded (0: no workflow listens, a duplicate, or an
   * event a workflow produced). Throws (after recording) when a run failed and may be retried.
   */
  readonly handle = async (event: EventEnvelope): Promise<number> => {
    this.#maybePrune();
    if (!event.workspace_id || producedByWorkflow(event) || !triggerOf(event.type)) return 0;
    const ws = event.workspace_id;
    const workflows = (await this.#workflows(ws)).filter((w) => w.trigger_event === event.type);
    let retry: { error: unknown } | null = null;
    let recorded = 0;
    for (const wf of workflows) {
      try {
        if (await this.#run(wf, event)) recorded++;
      } catch (error) {
        // The others still run; the event comes back for this one (its finished runs are not redone).
        retry ??= { error };
      }
    }
    if (retry) throw retry.error;
    return recorded;
  };

  /**
   * Deletes runs finished more than WORKFLOW_RUN_RETENTION_DAYS ago (every triggering event writes one,
   * skipped ones included). At most every 10 minutes, in the background: an event never waits for it.
   */
  #maybePrune(): void {
    if (Date.now() - this.#lastPrune < 10 * 60_000) return;
    this.#lastPrune = Date.now();
    this.prune().catch((err: unknown) => this.p.log.error({ err }, 'pruning workflow runs failed'));
  }

  /** The sweep itself (tests call it directly). Returns how many runs were deleted. */
  async prune(): Promise<number> {
    return this.p.db.system((k) => pruneFinishedRuns(k, this.p.config.WORKFLOW_RUN_RETENTION_DAYS));
  }

  async #run(wf: WorkflowRow, event: EventEnvelope): Promise<boolean> {
    const ws = event.workspace_id;
    const trigger = triggerOf(wf.trigger_event);
    const claim = {
      tenant_id: ws,
      id: newId(),
      workflow_id: wf.id,
      workflow_version: wf.version,
      event_id: event.id,
      event_type: event.type,
    };
    // Most triggering events fail a workflow's conditions: record those in one statement.
    const holds = trigger !== undefined && conditionsHold(wf.conditions, event.data);
    if (!holds && (await this.p.db.transaction(ws, (trx) => recordSkippedRun(trx, claim)))) return true;
    const run = await this.p.db.transaction(ws, (trx) =>
      claimRun(trx, claim, { leaseSeconds: this.#leaseSeconds, maxAttempts: this.#maxAttempts }),
    );
    if (!run) {
      // Not claimable: done already — or running under another delivery's live lease. Acknowledging the
      // latter would lose the run if that delivery's process died: make the bus deliver again later.
      if (await this.p.db.read(ws, (db) => runInFlight(db, ws, wf.id, event.id))) {
        throw new Error(`workflow ${wf.id} is running for event ${event.id} elsewhere; deliver again later`);
      }
      return false;
    }
    const finish = (outcome: Parameters<typeof finishRun>[4]) =>
      this.p.db.transaction(ws, (trx) => finishRun(trx, ws, run.id, run.attempts, outcome));

    if (!trigger || !holds) {
      // A run that existed already (a retry after the workflow's conditions were edited) ends skipped.
      await finish({ status: 'skipped', error: null, results: [], retryable: false });
      return true;
    }
    const ctx: RequestContext = { actor: workflowActor(ws, wf.name), requestId: `workflow:${run.id}` };
    const record = recordOf(trigger.record, event.data);
    const results: ActionResult[] = [];
    let failure: { error: unknown; retryable: boolean } | null = null;
    for (const [index, action] of wf.actions.entries()) {
      try {
        const done = await perform({ p: this.p, ctx, workflow: wf, event, record, index }, action);
        results.push({ index, type: action.type, ...done, error: null });
      } catch (error) {
        results.push({
          index,
          type: action.type,
          status: 'failed',
          detail: {},
          error: messageOf(error).slice(0, 500),
        });
        // Later actions may depend on this one (a task after a reassignment): stop here.
        failure = { error, retryable: !permanent(error) && run.attempts < this.#maxAttempts };
        break;
      }
    }
    if (!failure) {
      await finish({ status: 'succeeded', error: null, results, retryable: false });
      return true;
    }
    await finish({
      status: 'failed',
      error: `action ${results.length} (${results[results.length - 1]?.type}): ${messageOf(failure.error)}`,
      results,
      retryable: failure.retryable,
    });
    if (failure.retryable) throw failure.error;
    return true;
  }
}

/** Subscribes the consumer to every event, durably (a retryable failure makes the relay publish again). */
export function wireWorkflows(
  p: AppPlatform,
  bus: EventBus,
  options: WorkflowConsumerOptions = {},
): WorkflowConsumer {
  // Enabled workflows, cached per workspace and dropped by its workflow.* events (ADR 0022).
  const cache = new WorkspaceCache(bus, {
    invalidatedBy: 'workflow.*',
    load: (ws) => p.db.read(ws, (db) => enabledWorkflows(db, ws)),
  });
  const consumer = new WorkflowConsumer(p, { workflows: (ws) => cache.get(ws), ...options });
  bus.subscribe(
    '*',
    async (event) => {
      await consumer.handle(event);
    },
    { durable: true, name: 'workflows' },
  );
  return consumer;
}
