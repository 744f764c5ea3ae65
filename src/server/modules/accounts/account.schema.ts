import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NAMED_SORTS } from '../../platform/db/keyset.js';
import { customFieldsSchema, NO_NUL, noNul, optionalText, text } from '../../platform/http/fields.js';
import { tagFilterParam, tagsSchema } from '../tags/tag.schema.js';

/** Inputs of the accounts API. zod picks fields, so nothing else can be mass-assigned. */

export const LEGAL_TYPES = ['sole_proprietor', 'llc', 'jsc', 'fdi', 'individual', 'other'] as const;
export type LegalType = (typeof LEGAL_TYPES)[number];
export const MST_STATUSES = ['unverified', 'valid', 'invalid', 'stale'] as const;
export type MstStatus = (typeof MST_STATUSES)[number];
export const ACCOUNT_SIZES = [
  '1-10',
  '11-50',
  '51-200',
  '201-500',
  '501-1000',
  '1001-5000',
  '5001+',
] as const;
export type AccountSize = (typeof ACCOUNT_SIZES)[number];
export const LIFECYCLES = ['lead', 'prospect', 'customer', 'partner', 'former_customer', 'other'] as const;
export type AccountLifecycle = (typeof LIFECYCLES)[number];
export const ADDRESS_KINDS = ['headquarters', 'billing', 'shipping', 'branch', 'other'] as const;

const DOMAIN_RE = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;

export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) =>
    v
      .replace(/^https?:\/\//, '')
      .replace(/^www\./, '')
      .replace(/\/.*$/, ''),
  )
  .pipe(z.string().regex(DOMAIN_RE, 'must be a domain name such as acme.vn'));

const countrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as VN');

export const addressSchema = z.strictObject({
  kind: z.enum(ADDRESS_KINDS).default('headquarters'),
  street: optionalText(LIMITS.shortText).default(null),
  ward: optionalText(LIMITS.shortText).default(null),
  district: optionalText(LIMITS.shortText).default(null),
  province: optionalText(LIMITS.shortText).default(null),
  country: countrySchema.default('VN'),
  postal_code: optionalText(16).default(null),
  /**
   * Official code of the 2025 ward/commune (Vietnamese addresses). Filled by the server from the written
   * parts; send it to choose among the candidates of an ambiguous address (null: read the text again).
   */
  ward_code: z
    .string()
    .trim()
    .regex(/^\d{5}$/, 'must be the 5-digit code of a 2025 ward or commune')
    .nullable()
    .optional(),
  /** Filled by the server (read back as you got it, ignored on input). */
  province_code: z.string().nullable().optional(),
  dataset_version: z.string().nullable().optional(),
});

const websiteSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(LIMITS.url)
  .refine(noNul, NO_NUL)
  .nullable()
  .optional();

const accountFields = {
  name: text(LIMITS.name),
  legal_type: z.enum(LEGAL_TYPES),
  // For country VN: checked (digits, then the GDT registry) and stored normalized; else as entered.
  vn_mst: optionalText(20),
  industry: optionalText(100),
  size: z.enum(ACCOUNT_SIZES).nullable(),
  website: websiteSchema,
  domains: z
    .array(domainSchema)
    .max(LIMITS.domainsPerAccount)
    .transform((d) => [...new Set(d)]),
  country: countrySchema.nullable(),
  phone: optionalText(32),
  email: z.email('must be an email address').max(LIMITS.email).toLowerCase().nullable(),
  addresses: z.array(addressSchema).max(LIMITS.addressesPerRecord),
  lifecycle: z.enum(LIFECYCLES),
  lead_source: optionalText(100),
  description: optionalText(LIMITS.longText),
  owner_id: z.uuid().nullable(),
  custom_fields: customFieldsSchema,
  tags: tagsSchema,
};

export const createAccountSchema = z.strictObject({
  ...accountFields,
  legal_type: accountFields.legal_type.default('other'),
  lifecycle: accountFields.lifecycle.default('prospect'),
  domains: accountFields.domains.default([]),
  addresses: accountFields.addresses.default([]),
  custom_fields: accountFields.custom_fields.default({}),
  // Optional (not defaulted) so the callers that build inputs in code need not name it.
  tags: accountFields.tags.optional(),
  size: accountFields.size.optional(),
  country: accountFields.country.optional(),
  email: accountFields.email.optional(),
  owner_id: accountFields.owner_id.optional(),
});
export type CreateAccountInput = z.infer<typeof createAccountSchema>;

export const updateAccountSchema = z
  .strictObject({
    ...accountFields,
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateAccountInput = z.infer<typeof updateAccountSchema>;

export const ACCOUNT_SORTS = NAMED_SORTS;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listAccountsQuerySchema = z.strictObject({
  q: text(LIMITS.searchQuery).optional(),
  owner_id: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  lifecycle: z.enum(LIFECYCLES).optional(),
  legal_type: z.enum(LEGAL_TYPES).optional(),
  industry: text(100).optional(),
  country: countrySchema.optional(),
  tag: tagFilterParam.optional(),
  deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
  sort: z.enum(ACCOUNT_SORTS).default('name'),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
  include_total: boolParam.default(false),
});
export type ListAccountsQuery = z.infer<typeof listAccountsQuerySchema>;

export const accountIdParamsSchema = z.strictObject({ id: z.uuid() });

/** Parts of Account 360 (`?include=contacts,deals,activities,stats`); see account.360.ts. */
export const ACCOUNT_INCLUDES = ['contacts', 'deals', 'activities', 'stats'] as const;
export type AccountInclude = (typeof ACCOUNT_INCLUDES)[number];

const includeParam = z
  .string()
  .max(200)
  .transform((v, ctx) => {
    const parts = [...new Set(v.split(',').map((s) => s.trim()))].filter((s) => s !== '');
    const unknown = parts.filter((s) => !(ACCOUNT_INCLUDES as readonly string[]).includes(s));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown part(s) ${unknown.join(', ')}; use a comma list of ${ACCOUNT_INCLUDES.join(', ')}`,
      });
      return z.NEVER;
    }
    return parts as AccountInclude[];
  })
  .describe(`Comma list of ${ACCOUNT_INCLUDES.join(', ')} (Account 360, one round trip)`);

export const getAccountQuerySchema = z.strictObject({
  include_deleted: boolParam.default(false),
  include: includeParam.optional(),
});

export const ACCOUNT_ABILITIES = ['update', 'delete', 'restore'] as const;
export type AccountAbility = (typeof ACCOUNT_ABILITIES)[number];

/** The public JSON shape (documentation; the presenter produces it). */
export const accountResponseSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  legal_type: z.enum(LEGAL_TYPES),
  vn_mst: z.string().nullable(),
  mst_status: z.enum(MST_STATUSES),
  mst_checked_at: z.iso.datetime().nullable(),
  industry: z.string().nullable(),
  size: z.enum(ACCOUNT_SIZES).nullable(),
  website: z.string().nullable(),
  domains: z.array(z.string()),
  country: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  addresses: z.array(addressSchema),
  lifecycle: z.enum(LIFECYCLES),
  lead_source: z.string().nullable(),
  description: z.string().nullable(),
  owner_id: z.uuid().nullable(),
  custom_fields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  created_by: z.uuid().nullable(),
  updated_by: z.uuid().nullable(),
  version: z.number().int(),
  deleted_at: z.iso.datetime().nullable(),
  abilities: z.array(z.enum(ACCOUNT_ABILITIES)),
  /** Only on writes: what the MST check changed or could not do (registry down, name normalized…). */
  warnings: z.array(z.object({ code: z.string(), field: z.string(), message: z.string() })).optional(),
});

export const accountListResponseSchema = z.object({
  data: z.array(accountResponseSchema),
  page: z.object({
    limit: z.number().int(),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
    total: z.number().int().optional(),
  }),
});
