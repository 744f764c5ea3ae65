import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NO_NUL, noNul, optionalText, text } from '../../platform/http/fields.js';
import { ACTION_TYPES, CONDITION_OPS, TRIGGER_TYPES } from './workflow.catalogue.js';

/**
 * Inputs and outputs of the workflows API. zod checks the shape of each condition and action here; the
 * service checks them against the trigger's catalogue entry (fields, placeholders, allowed actions),
 * which depends on the trigger of the merged definition on PATCH.
 */

export const WORKFLOW_LIMITS = {
  name: 200,
  description: 1000,
  conditions: 20,
  actions: 10,
  inValues: 50,
  valueText: 500,
  title: 300,
  body: 5000,
  tag: 50,
} as const;

/** `deal.name`, `change.to_stage_code`, `deal.custom_fields.region`: lower-case segments, no array indexes. */
export const fieldPathSchema = z
  .string()
  .trim()
  .max(120)
  .regex(/^[a-z_][a-z0-9_]*(\.[a-z0-9_]+){0,5}$/, { message: 'must be a dot path such as deal.name' });

const scalar = z.union([
  z.string().max(WORKFLOW_LIMITS.valueText).refine(noNul, NO_NUL),
  z.number(),
  z.boolean(),
]);

export const conditionSchema = z
  .strictObject({
    field: fieldPathSchema,
    op: z.enum(CONDITION_OPS),
    /** eq/neq: a scalar or null; in/not_in: a list; gt…lte: a number or an ISO date; contains: a scalar; exists: true/false. */
    value: z.union([scalar, z.null(), z.array(scalar).max(WORKFLOW_LIMITS.inValues)]).optional(),
  })
  .superRefine((c, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    const v = c.value;
    switch (c.op) {
      case 'in':
      case 'not_in':
        if (!Array.isArray(v) || v.length === 0) bad(`${c.op} takes a non-empty list of values`);
        break;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (typeof v !== 'number' && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) {
          bad(`${c.op} takes a number or an ISO date`);
        }
        break;
      case 'contains':
        if (typeof v !== 'string' && typeof v !== 'number') bad('contains takes a text or a number');
        break;
      case 'exists':
        if (v !== undefined && typeof v !== 'boolean') bad('exists takes true or false');
        break;
      default:
        if (v === undefined || Array.isArray(v)) bad(`${c.op} takes one value (or null)`);
    }
  });
export type WorkflowCondition = z.infer<typeof conditionSchema>;

const template = (max: number) => z.string().trim().min(1).max(max).refine(noNul, NO_NUL);
/** No transform (unlike optionalText): the documented output type stays `string | null`; '' means none. */
const optionalTemplate = (max: number) =>
  z.string().trim().max(max).refine(noNul, NO_NUL).nullable().optional();

export const ASSIGNEES = ['record_owner', 'event_actor', 'member'] as const;
export const DUE_UNITS = ['hours', 'days'] as const;

const needsMember = <T extends { member_id?: string | null | undefined }>(
  v: T,
  ctx: z.RefinementCtx,
  chosen: boolean,
) => {
  if (chosen && !v.member_id) {
    ctx.addIssue({ code: 'custom', path: ['member_id'], message: 'name the member (member_id)' });
  }
};

const createTaskAction = z
  .strictObject({
    type: z.literal('create_task'),
    /** Placeholders such as {{deal.name}} are filled from the event. */
    title: template(WORKFLOW_LIMITS.title),
    description: optionalTemplate(WORKFLOW_LIMITS.body),
    due_in_amount: z.number().int().min(0).max(365).default(1),
    due_in_unit: z.enum(DUE_UNITS).default('days'),
    /** record_owner (the deal's/account's… owner), event_actor (who made the change), or member_id. */
    assignee: z.enum(ASSIGNEES).default('record_owner'),
    member_id: z.uuid().nullable().optional(),
  })
  .superRefine((v, ctx) => needsMember(v, ctx, v.assignee === 'member'));

const logNoteAction = z.strictObject({
  type: z.literal('log_note'),
  subject: template(WORKFLOW_LIMITS.title),
  body: optionalTemplate(WORKFLOW_LIMITS.body),
});

const addDealTagAction = z.strictObject({
  type: z.literal('add_deal_tag'),
  tag: text(WORKFLOW_LIMITS.tag),
});

const setDealOwnerAction = z
  .strictObject({
    type: z.literal('set_deal_owner'),
    owner: z.enum(['event_actor', 'member']),
    member_id: z.uuid().nullable().optional(),
  })
  .superRefine((v, ctx) => needsMember(v, ctx, v.owner === 'member'));

export const actionSchema = z.discriminatedUnion('type', [
  createTaskAction,
  logNoteAction,
  addDealTagAction,
  setDealOwnerAction,
]);
export type WorkflowAction = z.infer<typeof actionSchema>;

const triggerSchema = z
  .string()
  .trim()
  .max(100)
  .refine((v) => TRIGGER_TYPES.includes(v), {
    message: `must be one of the catalogue's triggers (${TRIGGER_TYPES.join(', ')})`,
  });

const definition = {
  name: text(WORKFLOW_LIMITS.name),
  description: optionalText(WORKFLOW_LIMITS.description),
  enabled: z.boolean(),
  trigger: triggerSchema,
  conditions: z.array(conditionSchema).max(WORKFLOW_LIMITS.conditions),
  actions: z.array(actionSchema).min(1, 'add at least one action').max(WORKFLOW_LIMITS.actions),
};

export const createWorkflowSchema = z.strictObject({
  ...definition,
  enabled: definition.enabled.default(true),
  conditions: definition.conditions.default([]),
});
export type CreateWorkflowInput = z.infer<typeof createWorkflowSchema>;

export const updateWorkflowSchema = z
  .strictObject({
    ...definition,
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateWorkflowInput = z.infer<typeof updateWorkflowSchema>;

const pageParams = {
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
};
export const listWorkflowsQuerySchema = z.strictObject(pageParams);
export type ListWorkflowsQuery = z.infer<typeof listWorkflowsQuerySchema>;
export const listRunsQuerySchema = z.strictObject(pageParams);
export type ListRunsQuery = z.infer<typeof listRunsQuerySchema>;

export const workflowIdParamsSchema = z.strictObject({ id: z.uuid() });

/** One action's outcome in a run. */
export const actionResultSchema = z.object({
  index: z.number().int(),
  type: z.enum(ACTION_TYPES),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  /** What the action made or changed (activity_id, deal_id, tag, owner_id). */
  detail: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
});
export type ActionResult = z.infer<typeof actionResultSchema>;

export const WORKFLOW_ABILITIES = ['update', 'delete'] as const;

const pageSchema = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
});

export const runResponseSchema = z
  .object({
    id: z.uuid(),
    workflow_id: z.uuid(),
    workflow_version: z.number().int(),
    event_id: z.uuid(),
    event_type: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
    attempts: z.number().int(),
    error: z.string().nullable(),
    results: z.array(actionResultSchema),
    started_at: z.iso.datetime(),
    finished_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'WorkflowRun' });
export const runListResponseSchema = z.object({ data: z.array(runResponseSchema), page: pageSchema });

export const workflowResponseSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    trigger: z.string(),
    conditions: z.array(conditionSchema),
    actions: z.array(actionSchema),
    /** The most recent run (null: none yet). */
    last_run: z
      .object({
        id: z.uuid(),
        status: z.string(),
        error: z.string().nullable(),
        started_at: z.iso.datetime(),
      })
      .nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    created_by: z.uuid().nullable(),
    updated_by: z.uuid().nullable(),
    version: z.number().int(),
    deleted_at: z.iso.datetime().nullable(),
    abilities: z.array(z.enum(WORKFLOW_ABILITIES)),
  })
  .meta({ id: 'Workflow' });
export const workflowListResponseSchema = z.object({
  data: z.array(workflowResponseSchema),
  page: pageSchema,
});

const fieldSchema = z.object({ path: z.string(), type: z.string() });
export const catalogueResponseSchema = z
  .object({
    triggers: z.array(
      z.object({
        type: z.string(),
        record: z.string(),
        fields: z.array(fieldSchema),
        open_prefixes: z.array(z.string()),
        actions: z.array(z.enum(ACTION_TYPES)),
      }),
    ),
    ops: z.array(z.enum(CONDITION_OPS)),
    actions: z.array(z.object({ type: z.enum(ACTION_TYPES), inputs: z.array(z.string()) })),
    assignees: z.array(z.enum(ASSIGNEES)),
    due_units: z.array(z.enum(DUE_UNITS)),
  })
  .meta({ id: 'WorkflowCatalogue' });
