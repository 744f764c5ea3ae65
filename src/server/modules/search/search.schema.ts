import { z } from 'zod';
import { NO_NUL, noNul } from '../../platform/http/fields.js';
import { LEAD_STATUSES } from '../leads/lead.schema.js';

/** Input and output of global search (`GET /crm/v1/search`). */

export const SEARCH_TYPES = ['accounts', 'contacts', 'deals', 'leads'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export const SEARCH_LIMIT_DEFAULT = 5;
export const SEARCH_LIMIT_MAX = 20;
export const SEARCH_QUERY_MAX = 200;

export const searchQuerySchema = z.strictObject({
  q: z.string().trim().min(1).max(SEARCH_QUERY_MAX).refine(noNul, NO_NUL),
  /** Comma-separated subset of accounts, contacts, deals, leads; all of them when absent. */
  types: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return [...SEARCH_TYPES];
      const parts = [...new Set(v.split(',').map((x) => x.trim()))];
      const bad = parts.filter((x) => !(SEARCH_TYPES as readonly string[]).includes(x));
      if (parts.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of ${SEARCH_TYPES.join(', ')}`,
        });
        return z.NEVER;
      }
      return parts as SearchType[];
    }),
  limit: z.coerce.number().int().min(1).max(SEARCH_LIMIT_MAX).default(SEARCH_LIMIT_DEFAULT),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const accountHitSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  vn_mst: z.string().nullable(),
  legal_type: z.string(),
});
export type AccountHit = z.infer<typeof accountHitSchema>;

export const contactHitSchema = z.object({
  id: z.uuid(),
  display_name: z.string(),
  title: z.string().nullable(),
  account: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  /** The channel the query matched (phone or email lookups); null for a match on the name. */
  matched_channel: z.object({ id: z.uuid(), kind: z.string(), value: z.string() }).nullable(),
});
export type ContactHit = z.infer<typeof contactHitSchema>;

export const dealHitSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  amount_minor: z.number().int().nullable(),
  currency: z.string(),
  status: z.string(),
  stage: z.object({ id: z.uuid(), code: z.string(), name_vi: z.string(), name_en: z.string() }),
  account: z.object({ id: z.uuid(), name: z.string() }).nullable(),
});
export type DealHit = z.infer<typeof dealHitSchema>;

/**
 * A lead: open ones (new, contacted, qualified) rank before disqualified and converted ones, and the
 * status says which it is. `email` and `phone` are the normalized values (lower case, E.164).
 */
export const leadHitSchema = z
  .object({
    id: z.uuid(),
    display_name: z.string(),
    company_name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    status: z.enum(LEAD_STATUSES),
  })
  .meta({ id: 'LeadSearchHit' });
export type LeadHit = z.infer<typeof leadHitSchema>;

const group = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), has_more: z.boolean() });

export const searchResponseSchema = z.object({
  q: z.string(),
  /** Groups the caller may not view, or did not ask for, are absent. */
  accounts: group(accountHitSchema).optional(),
  contacts: group(contactHitSchema).optional(),
  deals: group(dealHitSchema).optional(),
  leads: group(leadHitSchema).optional(),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;
export interface SearchGroup<T> {
  data: T[];
  has_more: boolean;
}
