import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { hasNul, NO_NUL, noNul } from '../../platform/http/fields.js';
import { SYSTEM_ACTIVITY_KINDS } from './activity.record.js';

/** Inputs of the activities API. zod picks fields, so nothing else can be mass-assigned. */

/** Kinds people (and feeds) may log; the system kinds are written only by the modules themselves. */
export const MANUAL_ACTIVITY_KINDS = ['email', 'call', 'meeting', 'note', 'task', 'site_visit'] as const;
export type ManualActivityKind = (typeof MANUAL_ACTIVITY_KINDS)[number];
export const ACTIVITY_KINDS = [...MANUAL_ACTIVITY_KINDS, ...SYSTEM_ACTIVITY_KINDS] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

/** Kinds that count as "being in touch" (last contact date of Account 360, stale-deal rules). */
export const CONTACT_KINDS = ['email', 'call', 'meeting', 'site_visit'] as const;

/** `system` is not accepted from the API: system entries are the modules' own record of a change. */
export const API_SOURCES = ['manual', 'email', 'chat', 'calendar', 'mcp'] as const;
export const ACTIVITY_SOURCES = [...API_SOURCES, 'system'] as const;

export const TASK_STATES = ['overdue', 'today', 'upcoming', 'open', 'done'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const ACTIVITY_LIMITS = {
  subject: 300,
  body: 100_000,
  sourceEventId: 300,
  metadataBytes: 4096,
} as const;

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' })
  .transform((v) => new Date(v));

const metadataSchema = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((v) => JSON.stringify(v).length <= ACTIVITY_LIMITS.metadataBytes, {
    message: `must serialize to at most ${ACTIVITY_LIMITS.metadataBytes} bytes`,
  })
  .refine((v) => !hasNul(v), NO_NUL);

export const createActivitySchema = z
  .strictObject({
    kind: z.enum(MANUAL_ACTIVITY_KINDS),
    subject: z.string().trim().min(1).max(ACTIVITY_LIMITS.subject).refine(noNul, NO_NUL),
    body_markdown: z
      .string()
      .max(ACTIVITY_LIMITS.body)
      .refine(noNul, NO_NUL)
      .transform((v) => (v.trim() === '' ? null : v))
      .nullable()
      .optional(),
    occurred_at: instant.optional(),
    due_at: instant.nullable().optional(),
    account_id: z.uuid().nullable().optional(),
    contact_id: z.uuid().nullable().optional(),
    deal_id: z.uuid().nullable().optional(),
    lead_id: z.uuid().nullable().optional(),
    source: z.enum(API_SOURCES).default('manual'),
    source_event_id: z
      .string()
      .trim()
      .min(1)
      .max(ACTIVITY_LIMITS.sourceEventId)
      .refine(noNul, NO_NUL)
      .nullable()
      .optional(),
    metadata: metadataSchema.default({}),
    owner_id: z.uuid().nullable().optional(),
  })
  .superRefine((v, ctx) => {
    // A lead alone is enough: a lead is worked (called, emailed, met) before any account exists.
    if (!v.account_id && !v.contact_id && !v.deal_id && !v.lead_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['account_id'],
        message: 'link the entry to at least one of account_id, contact_id, deal_id, lead_id',
      });
    }
    if (v.due_at && v.kind !== 'task') {
      ctx.addIssue({ code: 'custom', path: ['due_at'], message: 'only tasks have a due date' });
    }
  });
export type CreateActivityInput = z.infer<typeof createActivitySchema>;

export const completeTaskSchema = z
  .strictObject({
    body_markdown: z
      .string()
      .max(ACTIVITY_LIMITS.body)
      .refine(noNul, NO_NUL)
      .transform((v) => (v.trim() === '' ? null : v))
      .nullable()
      .optional(),
    occurred_at: instant.optional(),
  })
  .default({});
export type CompleteTaskInput = z.infer<typeof completeTaskSchema>;

/** A comma list of kinds (`kinds=call,email`), each one known. */
const kindsParam = z
  .string()
  .max(400)
  .transform((v) => [...new Set(v.split(',').map((s) => s.trim()))].filter((s) => s !== ''))
  .pipe(z.array(z.enum(ACTIVITY_KINDS)).min(1).max(ACTIVITY_KINDS.length));

const pageParams = {
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
};

export const listActivitiesQuerySchema = z
  .strictObject({
    kind: kindsParam.optional(),
    owner_id: z.union([z.literal('me'), z.uuid()]).optional(),
    source: z.enum(ACTIVITY_SOURCES).optional(),
    from: instant.optional(),
    to: instant.optional(),
    due: z.enum(TASK_STATES).optional(),
    lead_id: z.uuid().optional(),
    ...pageParams,
  })
  .refine((v) => !v.from || !v.to || v.from < v.to, { path: ['to'], message: 'must be after from' });
export type ListActivitiesQuery = z.infer<typeof listActivitiesQuerySchema>;

export const timelineQuerySchema = z.strictObject({
  kinds: kindsParam.optional(),
  ...pageParams,
});
export type TimelineQuery = z.infer<typeof timelineQuerySchema>;

export const activityIdParamsSchema = z.strictObject({ id: z.uuid() });

export const ACTIVITY_ABILITIES = ['complete'] as const;
export type ActivityAbility = (typeof ACTIVITY_ABILITIES)[number];

/** The public JSON shape (documentation; the presenter produces it). */
export const activityResponseSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    subject: z.string(),
    body_markdown: z.string().nullable(),
    /** body_markdown rendered to HTML with raw HTML disabled and unsafe link schemes refused. */
    body_html: z.string().nullable(),
    occurred_at: z.iso.datetime(),
    due_at: z.iso.datetime().nullable(),
    related_activity_id: z.uuid().nullable(),
    account_id: z.uuid().nullable(),
    contact_id: z.uuid().nullable(),
    deal_id: z.uuid().nullable(),
    lead_id: z.uuid().nullable(),
    source: z.enum(ACTIVITY_SOURCES),
    source_event_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    owner_id: z.uuid().nullable(),
    actor_type: z.enum(['user', 'api_key', 'system']),
    created_by: z.uuid().nullable(),
    created_at: z.iso.datetime(),
    /** Tasks only: null while open; the completing entry once done. */
    completion: z
      .object({ activity_id: z.uuid(), completed_at: z.iso.datetime(), completed_by: z.uuid().nullable() })
      .nullable(),
    /** Tasks only: open | done (null for other kinds). */
    task_state: z.enum(['open', 'done']).nullable(),
    abilities: z.array(z.enum(ACTIVITY_ABILITIES)),
  })
  .meta({ id: 'Activity' });

export const activityPageSchema = z.object({
  data: z.array(activityResponseSchema),
  page: z.object({
    limit: z.number().int(),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
  }),
});
