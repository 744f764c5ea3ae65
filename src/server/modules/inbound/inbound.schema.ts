import { z } from 'zod';
import { NO_NUL, noNul } from '../../platform/http/fields.js';

/** Inputs and documented outputs of the auto-log API (inbound feeds, tracked domains, settings). */

export const SKIP_REASONS = [
  'no_tracked_domain',
  'personal_domain',
  'duplicate',
  'cancelled',
  'no_participants',
] as const;
export const CHANNELS = ['email', 'calendar', 'chat'] as const;

const instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' })
  .transform((v) => new Date(v));

const domainText = z.string().trim().min(1).max(253).refine(noNul, NO_NUL);

export const trackedDomainInputSchema = z.strictObject({ domain: domainText });
export type TrackedDomainInput = z.infer<typeof trackedDomainInputSchema>;

export const accountParamsSchema = z.strictObject({ id: z.uuid() });
export const trackedDomainParamsSchema = z.strictObject({ id: z.uuid(), domainId: z.uuid() });

export const trackedDomainSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    domain: z.string(),
    created_at: z.iso.datetime(),
    created_by: z.uuid().nullable(),
  })
  .meta({ id: 'TrackedDomain' });
export type TrackedDomainJson = z.infer<typeof trackedDomainSchema>;
export const trackedDomainListSchema = z.object({ data: z.array(trackedDomainSchema) });

export const inboundSettingsInputSchema = z.strictObject({
  own_domains: z.array(domainText).max(50),
});
export type InboundSettingsInput = z.infer<typeof inboundSettingsInputSchema>;
export const inboundSettingsSchema = z
  .object({
    own_domains: z.array(z.string()),
    version: z.number().int(),
    updated_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'InboundSettings' });
export type InboundSettingsJson = z.infer<typeof inboundSettingsSchema>;

/** Meeting notes from CHAT: where to attach them (hints) or whom they involved (participants). */
export const chatNoteSchema = z
  .strictObject({
    message_id: z.string().trim().min(1).max(300).refine(noNul, NO_NUL),
    text: z.string().trim().min(1).max(100_000).refine(noNul, NO_NUL),
    occurred_at: instant,
    subject: z.string().trim().min(1).max(300).refine(noNul, NO_NUL).optional(),
    kind: z.enum(['meeting', 'note', 'call']).default('meeting'),
    account_id: z.uuid().optional(),
    contact_id: z.uuid().optional(),
    deal_id: z.uuid().optional(),
    participants: z.array(z.email().max(254)).max(100).default([]),
    channel_name: z.string().trim().max(200).refine(noNul, NO_NUL).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.account_id && !v.contact_id && !v.deal_id && v.participants.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['participants'],
        message: 'give participants’ emails or at least one of account_id, contact_id, deal_id',
      });
    }
  });
export type ChatNoteInput = z.infer<typeof chatNoteSchema>;

export const reconciliationQuerySchema = z
  .strictObject({
    from: instant.optional(),
    to: instant.optional(),
    channel: z.enum(CHANNELS).optional(),
  })
  .refine((v) => !v.from || !v.to || v.from < v.to, { path: ['to'], message: 'must be after from' })
  .refine((v) => !v.from || !v.to || v.to.getTime() - v.from.getTime() <= 31 * 86_400_000, {
    path: ['to'],
    message: 'the period may span at most 31 days',
  });
export type ReconciliationQuery = z.infer<typeof reconciliationQuerySchema>;

const itemSchema = z.object({
  channel: z.enum(CHANNELS),
  external_id: z.string(),
  outcome: z.enum(['logged', 'skipped']),
  reason: z.enum(SKIP_REASONS).nullable(),
  /** Email only: in (from outside) or out (from one of the workspace's own domains). */
  direction: z.enum(['in', 'out']).nullable(),
  activity_id: z.uuid().nullable(),
  account_id: z.uuid().nullable(),
  contact_id: z.uuid().nullable(),
  /** Every contact whose email address took part (the entry carries the first one). */
  contact_ids: z.array(z.uuid()),
  deal_id: z.uuid().nullable(),
  /** How the deal was chosen: the account's one open deal, none open, several open (ambiguous), or a hint. */
  deal_match: z.enum(['single_open', 'none_open', 'ambiguous', 'not_visible', 'hint']).nullable(),
  /** Tracked domains that matched, and personal-domain participants left out (R-CRM-003). */
  matched_domains: z.array(z.string()),
  personal_participants: z.number().int(),
});
export type InboundItemJson = z.infer<typeof itemSchema>;
export const inboundResultSchema = z
  .object({ items: z.array(itemSchema), logged: z.number().int(), skipped: z.number().int() })
  .meta({ id: 'InboundResult' });
export type InboundResultJson = z.infer<typeof inboundResultSchema>;

const countsSchema = z.object({
  received: z.number().int(),
  logged: z.number().int(),
  skipped: z.number().int(),
  skipped_by_reason: z.record(z.string(), z.number().int()),
});
export const reconciliationSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    totals: countsSchema,
    by_channel: z.record(z.string(), countsSchema),
    hours: z.array(countsSchema.extend({ hour: z.iso.datetime(), channel: z.enum(CHANNELS) })),
  })
  .meta({ id: 'InboundReconciliation' });
export type ReconciliationJson = z.infer<typeof reconciliationSchema>;

export const itemsQuerySchema = z
  .strictObject({
    channel: z.enum(CHANNELS).optional(),
    outcome: z.enum(['logged', 'skipped']).optional(),
    reason: z.enum(SKIP_REASONS).optional(),
    external_id: z.string().trim().min(1).max(1000).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
  })
  .refine((v) => !v.from || !v.to || v.from < v.to, { path: ['to'], message: 'must be after from' });
export type ItemsQuery = z.infer<typeof itemsQuerySchema>;

/** One received unit as recorded (what the reconciliation counts). */
export const receivedItemSchema = z
  .object({
    id: z.uuid(),
    channel: z.enum(CHANNELS),
    external_id: z.string(),
    received_at: z.iso.datetime(),
    occurred_at: z.iso.datetime().nullable(),
    outcome: z.enum(['logged', 'skipped']),
    reason: z.enum(SKIP_REASONS).nullable(),
    direction: z.enum(['in', 'out']).nullable(),
    activity_id: z.uuid().nullable(),
    account_id: z.uuid().nullable(),
    contact_id: z.uuid().nullable(),
    deal_id: z.uuid().nullable(),
    detail: z.record(z.string(), z.unknown()),
    actor_type: z.enum(['user', 'api_key', 'system']),
    created_by: z.uuid().nullable(),
  })
  .meta({ id: 'InboundItem' });
export type ReceivedItemJson = z.infer<typeof receivedItemSchema>;
export const receivedItemPageSchema = z.object({
  data: z.array(receivedItemSchema),
  page: z.object({ limit: z.number().int(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
});
export type ReceivedItemPage = z.infer<typeof receivedItemPageSchema>;
