import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NAMED_SORTS } from '../../platform/db/keyset.js';
import { customFieldsSchema, optionalText, text } from '../../platform/http/fields.js';
import { tagFilterParam, tagsSchema } from '../tags/tag.schema.js';

/**
 * Inputs of the contacts API. zod checks shapes at the edge; channel values are normalized by the
 * service (contact.channel.ts), so every caller — routes, the demo seed, other modules — gets the same
 * normalization and the same 422 naming `channels.<i>.value`.
 */

export const BUYING_ROLES = [
  'decision_maker',
  'influencer',
  'technical',
  'finance',
  'user',
  'gatekeeper',
] as const;
/** Vietnamese forms of address; anh_chi / ong_ba are the neutral forms when the gender is unknown. */
export const SALUTATIONS = ['anh', 'chi', 'em', 'ban', 'ong', 'ba', 'anh_chi', 'ong_ba'] as const;
export const CHANNEL_KINDS = ['email', 'phone', 'linkedin', 'telegram', 'zalo'] as const;
export const MX_STATUSES = ['unchecked', 'valid', 'no_mx', 'unresolvable'] as const;

/** Most channels one contact may have (a person has a handful of ways to be reached). */
export const MAX_CHANNELS = 20;

export const channelInputSchema = z.strictObject({
  kind: z.enum(CHANNEL_KINDS),
  /** As typed; normalized by the service (E.164, lower-cased address, canonical URL, bare handle). */
  value: text(320),
  label: optionalText(50),
  is_primary: z.boolean().optional(),
});
export type ChannelInput = z.infer<typeof channelInputSchema>;

const contactFields = {
  first_name: optionalText(100),
  last_name: optionalText(100),
  display_name: optionalText(LIMITS.name),
  call_name: optionalText(100),
  /** A person's choice (kept); null hands it back to the automatic rule (name, gender, birth year). */
  salutation: z.enum(SALUTATIONS).nullable().optional(),
  gender: z.enum(['male', 'female']).nullable().optional(),
  birth_year: z.number().int().min(1900).max(2100).nullable().optional(),
  title: optionalText(LIMITS.shortText),
  buying_role: z.enum(BUYING_ROLES).nullable().optional(),
  is_primary: z.boolean().optional(),
  account_id: z.uuid().nullable().optional(),
  owner_id: z.uuid().nullable().optional(),
  email_opt_in: z.boolean().optional(),
  do_not_call: z.boolean().optional(),
  lead_source: optionalText(100),
  description: optionalText(LIMITS.longText),
  custom_fields: customFieldsSchema.optional(),
  tags: tagsSchema.optional(),
  channels: z.array(channelInputSchema).max(MAX_CHANNELS).optional(),
};

export const createContactSchema = z.strictObject(contactFields);
export type CreateContactInput = z.infer<typeof createContactSchema>;

export const updateContactSchema = z
  .strictObject({
    ...contactFields,
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive().optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateContactInput = z.infer<typeof updateContactSchema>;

export const CONTACT_SORTS = NAMED_SORTS;
export type ContactSort = (typeof CONTACT_SORTS)[number];

const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listContactsQuerySchema = z.strictObject({
  q: text(LIMITS.searchQuery).optional(),
  channel: text(320).optional(),
  account_id: z.uuid().optional(),
  owner_id: z.union([z.literal('me'), z.literal('none'), z.uuid()]).optional(),
  buying_role: z.enum(BUYING_ROLES).optional(),
  is_primary: boolParam.optional(),
  tag: tagFilterParam.optional(),
  deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
  sort: z.enum(CONTACT_SORTS).default('name'),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
  include_total: boolParam.default(false),
});
export type ListContactsQuery = z.infer<typeof listContactsQuerySchema>;

export const contactIdParamsSchema = z.strictObject({ id: z.uuid() });

export const getContactQuerySchema = z.strictObject({ include_deleted: boolParam.default(false) });

/** Optional body of claim/release: the version read, for clients that cannot send If-Match. */
export const ownershipActionSchema = z.strictObject({ version: z.number().int().positive().optional() });

export const CONTACT_ABILITIES = ['update', 'delete', 'restore', 'claim', 'release'] as const;
export type ContactAbility = (typeof CONTACT_ABILITIES)[number];

export const channelResponseSchema = z.object({
  id: z.uuid(),
  kind: z.enum(CHANNEL_KINDS),
  value: z.string(),
  raw_value: z.string(),
  label: z.string().nullable(),
  is_primary: z.boolean(),
  position: z.number().int(),
  /** Email only (null for other kinds). */
  mx_status: z.enum(MX_STATUSES).nullable(),
  mx_checked_at: z.iso.datetime().nullable(),
});

/** The public JSON shape (documentation; the presenter produces it). */
export const contactResponseSchema = z.object({
  id: z.uuid(),
  account_id: z.uuid().nullable(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  display_name: z.string(),
  call_name: z.string().nullable(),
  salutation: z.enum(SALUTATIONS).nullable(),
  salutation_source: z.enum(['auto', 'manual']),
  /** How to name the contact in the UI and templates: "Chị Lan", "Ông Tuấn", "Anh/Chị Minh". */
  salutation_display: z.string(),
  gender: z.enum(['male', 'female']).nullable(),
  birth_year: z.number().int().nullable(),
  title: z.string().nullable(),
  buying_role: z.enum(BUYING_ROLES).nullable(),
  is_primary: z.boolean(),
  owner_id: z.uuid().nullable(),
  claimed_at: z.iso.datetime().nullable(),
  email_opt_in: z.boolean(),
  do_not_call: z.boolean(),
  lead_source: z.string().nullable(),
  description: z.string().nullable(),
  custom_fields: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  channels: z.array(channelResponseSchema),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  created_by: z.uuid().nullable(),
  updated_by: z.uuid().nullable(),
  version: z.number().int(),
  deleted_at: z.iso.datetime().nullable(),
  abilities: z.array(z.enum(CONTACT_ABILITIES)),
});

export const contactListResponseSchema = z.object({
  data: z.array(contactResponseSchema),
  page: z.object({
    limit: z.number().int(),
    next_cursor: z.string().nullable(),
    has_more: z.boolean(),
    total: z.number().int().optional(),
  }),
});

export const mergeContactsSchema = z.strictObject({
  /** The duplicate: merged into the contact of the path, then deleted. */
  merge_id: z.uuid('must be a contact id'),
});

export const mergeResponseSchema = z
  .object({
    contact: contactResponseSchema,
    merged: z.object({
      id: z.uuid(),
      channels_moved: z.number().int(),
      deals_moved: z.array(z.uuid()),
      fields_filled: z.array(z.string()),
    }),
  })
  .meta({ id: 'ContactMerge' });
