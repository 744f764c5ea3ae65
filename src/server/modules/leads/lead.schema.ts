import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NAMED_SORTS } from '../../platform/db/keyset.js';
import { optionalText, text } from '../../platform/http/fields.js';
import { accountResponseSchema } from '../accounts/account.schema.js';
import { contactResponseSchema } from '../contacts/contact.schema.js';
import { amountMinorSchema, DEAL_CURRENCIES, dealResponseSchema } from '../deals/deal.schema.js';

/**
 * Inputs of the leads API. zod picks fields, so nothing else can be mass-assigned. Email, phone and MST
 * are checked and normalized by the service (the same rules as contacts and accounts, one 422 naming the
 * field whichever transport called).
 */

export const LEAD_SOURCES = [
  'website',
  'referral',
  'event',
  'cold_call',
  'partner',
  'social',
  'email_campaign',
  'inbound_email',
  'other',
] as const;
export type LeadSource = (typeof LEAD_SOURCES)[number];

/** new → contacted → qualified; disqualified (with a reason) may be reopened; converted is terminal. */
export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'disqualified', 'converted'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** The statuses a PATCH may set; the others have their own actions (qualify, disqualify, convert). */
export const LEAD_OPEN_STATUSES = ['new', 'contacted'] as const;

const countrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as VN');

const leadFields = {
  first_name: optionalText(100),
  last_name: optionalText(100),
  display_name: optionalText(LIMITS.name),
  title: optionalText(LIMITS.shortText),
  company_name: optionalText(LIMITS.name),
  email: optionalText(LIMITS.email),
  phone: optionalText(64),
  vn_mst: optionalText(20),
  country: countrySchema.nullable().optional(),
  source: z.enum(LEAD_SOURCES).optional(),
  source_detail: optionalText(LIMITS.shortText),
  status: z.enum(LEAD_OPEN_STATUSES).optional(),
  score: z.number().int().min(0).max(100).optional(),
  estimated_amount_minor: amountMinorSchema.nullable().optional(),
  currency: z.enum(DEAL_CURRENCIES).optional(),
  description: optionalText(LIMITS.longText),
  owner_id: z.uuid().nullable().optional(),
};

export const createLeadSchema = z.strictObject(leadFields);
export type CreateLeadInput = z.infer<typeof createLeadSchema>;

export const updateLeadSchema = z
  .strictObject({
    ...leadFields,
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive().optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateLeadInput = z.infer<typeof updateLeadSchema>;

/** Optional body of qualify: the version read, for clients that cannot send If-Match. */
export const qualifyLeadSchema = z.strictObject({ version: z.number().int().positive().optional() });

export const disqualifyLeadSchema = z.strictObject({
  reason: text(1000),
  version: z.number().int().positive().optional(),
});
export type DisqualifyLeadInput = z.infer<typeof disqualifyLeadSchema>;

export const convertLeadSchema = z.strictObject({
  /** Link this account instead of creating one from the lead's company. */
  account_id: z.uuid().optional(),
  /** Name of the account to create (default: the company name, else the person's name). */
  account_name: optionalText(LIMITS.name),
  /** Link this contact instead of creating one from the lead's person, email and phone. */
  contact_id: z.uuid().optional(),
  /** Present: also create a deal, with the contact as primary contact. */
  deal: z
    .strictObject({
      /** Default: the account's name. */
      name: optionalText(LIMITS.name),
      /** Default: the workspace's default pipeline. */
      pipeline_id: z.uuid().optional(),
      stage_id: z.uuid().optional(),
      /** Default: the lead's estimated amount and currency. */
      amount_minor: amountMinorSchema.nullable().optional(),
      currency: z.enum(DEAL_CURRENCIES).optional(),
      expected_close_date: z.iso.date('must be a date YYYY-MM-DD').nullable().optional(),
    })
    .optional(),
  version: z.number().int().positive().optional(),
});
export type ConvertLeadInput = z.infer<typeof convertLeadSchema>;

export const LEAD_SORTS = [...NAMED_SORTS, 'score', '-score'] as const;
export type LeadSort = (typeof LEAD_SORTS)[number];

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const scoreParam = z.coerce.number().int().min(0).max(100);

export const listLeadsQuerySchema = z.strictObject({
  q: text(LIMITS.searchQuery).optional(),
  status: z.enum(LEAD_STATUSES).optional(),
  source: z.enum(LEAD_SOURCES).optional(),
  owner_id: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  score_min: scoreParam.optional(),
  score_max: scoreParam.optional(),
  deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
  sort: z.enum(LEAD_SORTS).default('-created_at'),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
  include_total: boolParam.default(false),
});
export type ListLeadsQuery = z.infer<typeof listLeadsQuerySchema>;

export const leadIdParamsSchema = z.strictObject({ id: z.uuid() });
export const getLeadQuerySchema = z.strictObject({ include_deleted: boolParam.default(false) });

export const LEAD_ABILITIES = [
  'update',
  'delete',
  'restore',
  'qualify',
  'disqualify',
  'convert',
  'score',
  'assign',
] as const;
export type LeadAbility = (typeof LEAD_ABILITIES)[number];

/** The public JSON shape (documentation; the presenter produces it). */
export const leadResponseSchema = z.object({
  id: z.uuid(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  display_name: z.string(),
  title: z.string().nullable(),
  company_name: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  phone_raw: z.string().nullable(),
  vn_mst: z.string().nullable(),
  country: z.string().nullable(),
  source: z.enum(LEAD_SOURCES),
  source_detail: z.string().nullable(),
  status: z.enum(LEAD_STATUSES),
  qualified_at: z.iso.datetime().nullable(),
  disqualified_at: z.iso.datetime().nullable(),
  disqualified_reason: z.string().nullable(),
  score: z.number().int(),
  estimated_amount_minor: z.number().int().nullable(),
  currency: z.enum(DEAL_CURRENCIES),
  description: z.string().nullable(),
  owner_id: z.uuid().nullable(),
  converted_account_id: z.uuid().nullable(),
  converted_contact_id: z.uuid().nullable(),
  converted_deal_id: z.uuid().nullable(),
  converted_at: z.iso.datetime().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  created_by: z.uuid().nullable(),
  updated_by: z.uuid().nullable(),
  version: z.number().int(),
  deleted_at: z.iso.datetime().nullable(),
  abilities: z.array(z.enum(LEAD_ABILITIES)),
});

export const leadListResponseSchema = z.object({
  data: z.array(leadResponseSchema),
  page: z.object({
    limit: z.number().int(),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
    total: z.number().int().optional(),
  }),
});

export const convertLeadResponseSchema = z.object({
  lead: leadResponseSchema,
  account: accountResponseSchema,
  contact: contactResponseSchema,
  deal: dealResponseSchema.nullable(),
});
