import { z } from 'zod';
import { ROLES } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';
import { TAG_LIMITS } from '../../../shared/tags.js';
import { customFieldsSchema, optionalText, text } from '../../platform/http/fields.js';
import type { BuyingRole } from '../contacts/contact.table.js';
import { moneyTotalSchema } from '../currencies/currency.schema.js';
import { tagSchema, tagsSchema } from '../tags/tag.schema.js';

/** Inputs of the deals API. zod picks fields, so nothing else can be mass-assigned. */

export const DEAL_CURRENCIES = ['VND', 'USD'] as const;
export const DEAL_STATUSES = ['open', 'won', 'lost', 'cancelled'] as const;
export const ACL_MODES = ['default', 'restricted'] as const;
export const CLOSE_OUTCOMES = ['won', 'lost', 'cancelled'] as const;
export const BUYING_ROLES = [
  'decision_maker',
  'influencer',
  'technical',
  'finance',
  'user',
  'gatekeeper',
] as const satisfies readonly BuyingRole[];
export const STAGE_CATEGORIES = ['open', 'won', 'lost'] as const;

export const DEAL_LIMITS = {
  description: 2000,
  lostReason: 1000,
  tags: TAG_LIMITS.perRecord,
  tagLength: TAG_LIMITS.length,
  contacts: 50,
  aclMembers: 100,
  boardPerStageDefault: 100,
  boardPerStageMax: 500,
} as const;

/**
 * Money is an integer count of minor units. No coercion: "1000" (a string) and 10.5 (a float) are
 * refused with 422, because silently rounding or parsing money is how totals go wrong.
 */
export const amountMinorSchema = z
  .number({ error: 'must be an integer number of minor units (not a string)' })
  .int('must be an integer number of minor units (VND has none; USD cents)')
  .min(0)
  .max(Number.MAX_SAFE_INTEGER);

const dateSchema = z.iso.date('must be a date YYYY-MM-DD');

export const dealContactInputSchema = z.strictObject({
  contact_id: z.uuid(),
  role: z.enum(BUYING_ROLES).nullable().default(null),
});
export type DealContactInput = z.infer<typeof dealContactInputSchema>;

const contactsSchema = z
  .array(dealContactInputSchema)
  .max(DEAL_LIMITS.contacts)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.contact_id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'contact_id'], message: 'listed twice' });
      }
      seen.add(c.contact_id);
    });
  });

const dealFields = {
  name: text(LIMITS.name),
  description: optionalText(DEAL_LIMITS.description),
  account_id: z.uuid().nullable(),
  primary_contact_id: z.uuid().nullable(),
  contacts: contactsSchema,
  amount_minor: amountMinorSchema.nullable(),
  currency: z.enum(DEAL_CURRENCIES),
  probability: z.number().int().min(0).max(100),
  expected_close_date: dateSchema.nullable(),
  owner_id: z.uuid().nullable(),
  acl_mode: z.enum(ACL_MODES),
  acl_member_ids: z
    .array(z.uuid())
    .max(DEAL_LIMITS.aclMembers)
    .transform((ids) => [...new Set(ids)]),
  acl_roles: z
    .array(z.enum(ROLES))
    .max(ROLES.length)
    .transform((r) => [...new Set(r)]),
  tags: tagsSchema,
  lead_source: optionalText(100),
  custom_fields: customFieldsSchema,
};

export const createDealSchema = z.strictObject({
  name: dealFields.name,
  description: dealFields.description,
  account_id: dealFields.account_id.optional(),
  primary_contact_id: dealFields.primary_contact_id.optional(),
  contacts: dealFields.contacts.default([]),
  amount_minor: dealFields.amount_minor.optional(),
  currency: dealFields.currency.optional(),
  pipeline_id: z.uuid().optional(),
  stage_id: z.uuid().optional(),
  probability: dealFields.probability.optional(),
  expected_close_date: dealFields.expected_close_date.optional(),
  owner_id: dealFields.owner_id.optional(),
  acl_mode: dealFields.acl_mode.default('default'),
  acl_member_ids: dealFields.acl_member_ids.default([]),
  acl_roles: dealFields.acl_roles.default([]),
  tags: dealFields.tags.default([]),
  lead_source: dealFields.lead_source,
  custom_fields: dealFields.custom_fields.default({}),
  /** Only when the deal is created straight into a lost stage. */
  lost_reason: optionalText(DEAL_LIMITS.lostReason),
});
export type CreateDealInput = z.input<typeof createDealSchema>;
export type CreateDealParsed = z.infer<typeof createDealSchema>;

export const updateDealSchema = z
  .strictObject({
    name: dealFields.name,
    description: dealFields.description,
    account_id: dealFields.account_id,
    primary_contact_id: dealFields.primary_contact_id,
    contacts: dealFields.contacts,
    amount_minor: dealFields.amount_minor,
    currency: dealFields.currency,
    /** null: back to the stage's default probability. */
    probability: dealFields.probability.nullable(),
    expected_close_date: dealFields.expected_close_date,
    owner_id: dealFields.owner_id,
    acl_mode: dealFields.acl_mode,
    acl_member_ids: dealFields.acl_member_ids,
    acl_roles: dealFields.acl_roles,
    tags: dealFields.tags,
    lead_source: dealFields.lead_source,
    custom_fields: dealFields.custom_fields,
    /** Accepted only to answer with a clear 422: the stage changes through POST /deals/{id}/move. */
    stage_id: z.unknown(),
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateDealInput = z.infer<typeof updateDealSchema>;

/** Values a move may fill in the same request ("fill the missing fields and retry"). */
export const moveFieldsSchema = z.strictObject({
  amount_minor: amountMinorSchema.nullable().optional(),
  currency: z.enum(DEAL_CURRENCIES).optional(),
  primary_contact_id: z.uuid().nullable().optional(),
  expected_close_date: dateSchema.nullable().optional(),
  account_id: z.uuid().nullable().optional(),
  description: optionalText(DEAL_LIMITS.description),
  lost_reason: optionalText(DEAL_LIMITS.lostReason),
});
export type MoveFields = z.infer<typeof moveFieldsSchema>;

export const moveDealSchema = z.strictObject({
  stage_id: z.uuid(),
  /** Required unless If-Match is sent: a move without a version could silently undo someone's move. */
  version: z.number().int().positive().optional(),
  lost_reason: optionalText(DEAL_LIMITS.lostReason),
  fields: moveFieldsSchema.optional(),
  /**
   * Where the card goes in the target column: directly after this deal (a live deal of that stage),
   * or at the top when null. Omitted: the top when the stage changes, unchanged within the same stage.
   */
  after_id: z.uuid().nullable().optional().meta({
    description:
      'Place the card directly after this deal of the target stage; null = top of the column. Omitted: top when the stage changes, no reorder within the same stage.',
  }),
});
export type MoveDealInput = z.infer<typeof moveDealSchema>;

export const closeDealSchema = z.strictObject({
  outcome: z.enum(CLOSE_OUTCOMES),
  lost_reason: optionalText(DEAL_LIMITS.lostReason),
  stage_id: z.uuid().optional(),
  version: z.number().int().positive().optional(),
  fields: moveFieldsSchema.optional(),
});
export type CloseDealInput = z.infer<typeof closeDealSchema>;

export const DEAL_SORTS = [
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'expected_close_date',
  '-expected_close_date',
  'amount',
  '-amount',
  'name',
  '-name',
] as const;
export type DealSort = (typeof DEAL_SORTS)[number];

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const amountParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const listDealsQuerySchema = z.strictObject({
  q: text(LIMITS.searchQuery).optional(),
  pipeline_id: z.uuid().optional(),
  stage_id: z.uuid().optional(),
  status: z.enum(DEAL_STATUSES).optional(),
  owner_id: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  account_id: z.uuid().optional(),
  contact_id: z.uuid().optional(),
  tag: tagSchema.optional(),
  amount_min: amountParam.optional(),
  amount_max: amountParam.optional(),
  expected_close_from: dateSchema.optional(),
  expected_close_to: dateSchema.optional(),
  deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
  sort: z.enum(DEAL_SORTS).default('-created_at'),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
  include_total: boolParam.default(false),
});
export type ListDealsQuery = z.infer<typeof listDealsQuerySchema>;

export const BOARD_STATUSES = ['open', 'recent', 'all'] as const;

export const boardQuerySchema = z.strictObject({
  owner_id: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  amount_min: amountParam.optional(),
  amount_max: amountParam.optional(),
  expected_close_from: dateSchema.optional(),
  expected_close_to: dateSchema.optional(),
  q: text(LIMITS.searchQuery).optional(),
  /**
   * open: open deals only; recent (default): open deals plus those closed in the last 30 days (a won
   * column that keeps growing forever is noise, an empty one hides this month's wins); all: every deal.
   */
  status: z.enum(BOARD_STATUSES).default('recent'),
  per_stage: z.coerce
    .number()
    .int()
    .min(1)
    .max(DEAL_LIMITS.boardPerStageMax)
    .default(DEAL_LIMITS.boardPerStageDefault),
});
export type BoardQuery = z.infer<typeof boardQuerySchema>;

export const dealIdParamsSchema = z.strictObject({ id: z.uuid() });
export const pipelineIdParamsSchema = z.strictObject({ id: z.uuid() });
export const getDealQuerySchema = z.strictObject({ include_deleted: boolParam.default(false) });

export const DEAL_ABILITIES = ['update', 'delete', 'restore', 'move', 'close'] as const;
export type DealAbility = (typeof DEAL_ABILITIES)[number];

export const dealStageSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  name_vi: z.string(),
  name_en: z.string(),
  category: z.enum(STAGE_CATEGORIES),
});

export const dealContactSchema = z.object({
  contact_id: z.uuid(),
  role: z.enum(BUYING_ROLES).nullable(),
});

/** The public JSON shape (documentation; the presenter produces it). */
export const dealResponseSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  account_id: z.uuid().nullable(),
  primary_contact_id: z.uuid().nullable(),
  contacts: z.array(dealContactSchema),
  amount_minor: z.number().int().nullable(),
  currency: z.enum(DEAL_CURRENCIES),
  pipeline_id: z.uuid(),
  stage_id: z.uuid(),
  stage: dealStageSchema,
  probability: z.number().int(),
  probability_overridden: z.boolean(),
  expected_close_date: z.string().nullable(),
  status: z.enum(DEAL_STATUSES),
  lost_reason: z.string().nullable(),
  closed_at: z.iso.datetime().nullable(),
  owner_id: z.uuid().nullable(),
  acl_mode: z.enum(ACL_MODES),
  acl_member_ids: z.array(z.uuid()),
  acl_roles: z.array(z.enum(ROLES)),
  tags: z.array(z.string()),
  stage_entered_at: z.iso.datetime(),
  /** Decimal text; compare as numbers. */
  stage_rank: z.string().meta({
    description:
      'Place in the board column, smaller first (decimal text; compare numerically). Set by moves (`after_id`); a deal arriving in a stage without one goes to the top.',
  }),
  lead_source: z.string().nullable(),
  custom_fields: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  created_by: z.uuid().nullable(),
  updated_by: z.uuid().nullable(),
  version: z.number().int(),
  deleted_at: z.iso.datetime().nullable(),
  abilities: z.array(z.enum(DEAL_ABILITIES)),
});

export const dealListResponseSchema = z.object({
  data: z.array(dealResponseSchema),
  page: z.object({
    limit: z.number().int(),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
    total: z.number().int().optional(),
  }),
});

export const stageHistoryResponseSchema = z.object({
  data: z.array(
    z.object({
      id: z.uuid(),
      from_stage: dealStageSchema.nullable(),
      to_stage: dealStageSchema,
      from_status: z.enum(DEAL_STATUSES).nullable(),
      to_status: z.enum(DEAL_STATUSES),
      probability: z.number().int(),
      actor: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.uuid().nullable() }),
      occurred_at: z.iso.datetime(),
      /** Milliseconds the deal spent in from_stage before this move (null for the first row). */
      ms_in_from_stage: z.number().int().nullable(),
      /** Milliseconds spent in to_stage: until the next move, or until now for the last row. */
      ms_in_stage: z.number().int(),
    }),
  ),
});

export const BOARD_MARKERS = ['overdue', 'stalled', 'hot'] as const;

export const boardCardSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  account: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  amount_minor: z.number().int().nullable(),
  currency: z.enum(DEAL_CURRENCIES),
  probability: z.number().int(),
  owner_id: z.uuid().nullable(),
  stage_entered_at: z.iso.datetime(),
  stage_rank: z.string(),
  age_in_stage_days: z.number().int(),
  expected_close_date: z.string().nullable(),
  status: z.enum(DEAL_STATUSES),
  acl_mode: z.enum(ACL_MODES),
  version: z.number().int(),
  markers: z.array(z.enum(BOARD_MARKERS)),
});

export const boardResponseSchema = z.object({
  pipeline: z.object({ id: z.uuid(), name: z.string() }),
  as_of: z.string(),
  status: z.enum(BOARD_STATUSES),
  stages: z.array(
    z.object({
      id: z.uuid(),
      code: z.string(),
      name_vi: z.string(),
      name_en: z.string(),
      category: z.enum(STAGE_CATEGORIES),
      position: z.number().int(),
      default_probability: z.number().int(),
      rotting_days: z.number().int().nullable(),
      color: z.string().nullable(),
      deals: z.array(boardCardSchema),
      has_more: z.boolean(),
      count: z.number().int(),
      total: moneyTotalSchema,
      weighted_total: moneyTotalSchema,
    }),
  ),
  totals: z.object({ count: z.number().int(), total: moneyTotalSchema, weighted_total: moneyTotalSchema }),
});

export { moneyTotalSchema };
