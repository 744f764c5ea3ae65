import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NO_NUL, noNul, optionalText } from '../../platform/http/fields.js';
import { DELIVERY_STATUSES } from './webhook.table.js';

/** Inputs and outputs of the webhooks API. The URL's safety (SSRF guard) is checked in the service. */

/**
 * `*`, an exact type (`deal.won`) or a prefix pattern (`deal.*`). `webhook.*` is refused: webhook
 * configuration events are never delivered to webhooks (a receiver reacting to them could loop).
 */
export const eventTypeSchema = z
  .string()
  .trim()
  .max(100)
  .regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/, {
    message: 'must be *, an event type such as deal.won, or a pattern such as deal.*',
    abort: true,
  })
  .refine((v) => v !== 'webhook.*' && !v.startsWith('webhook.'), {
    message: 'webhook.* events are never delivered to webhooks',
  });

const eventTypesSchema = z
  .array(eventTypeSchema)
  .min(1, 'name at least one event type (or *)')
  .max(50)
  .transform((v) => [...new Set(v)]);

const urlSchema = z.string().trim().min(1).max(LIMITS.url).refine(noNul, NO_NUL);

export const createWebhookSchema = z.strictObject({
  /** https (http only in development); checked by the SSRF guard: public addresses only. */
  url: urlSchema,
  event_types: eventTypesSchema,
  description: optionalText(500),
  active: z.boolean().default(true),
});
export type CreateWebhookInput = z.infer<typeof createWebhookSchema>;

export const updateWebhookSchema = z
  .strictObject({
    url: urlSchema,
    event_types: eventTypesSchema,
    description: optionalText(500),
    active: z.boolean(),
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateWebhookInput = z.infer<typeof updateWebhookSchema>;

export const listWebhooksQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
});
export type ListWebhooksQuery = z.infer<typeof listWebhooksQuerySchema>;

export const listDeliveriesQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
});
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuerySchema>;

export const webhookIdParamsSchema = z.strictObject({ id: z.uuid() });
export const deliveryParamsSchema = z.strictObject({ id: z.uuid(), deliveryId: z.uuid() });

export const WEBHOOK_ABILITIES = ['update', 'delete', 'rotate_secret', 'test'] as const;
export type WebhookAbility = (typeof WEBHOOK_ABILITIES)[number];

export const webhookResponseSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()),
    active: z.boolean(),
    /** `whsec_…` and the secret's last 4 characters: enough to tell secrets apart, never the secret. */
    secret_hint: z.string(),
    /** `encrypted` when WEBHOOK_SECRET_KEY sealed it at rest, else `plaintext`. */
    secret_storage: z.enum(['encrypted', 'plaintext']),
    secret_rotated_at: z.iso.datetime().nullable(),
    /** Until then messages carry a second signature made with the previous secret. */
    previous_secret_expires_at: z.iso.datetime().nullable(),
    consecutive_dead: z.number().int(),
    /** Why the CRM switched it off (too many dead letters); null when an admin did or it is active. */
    disabled_reason: z.string().nullable(),
    disabled_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    created_by: z.uuid().nullable(),
    updated_by: z.uuid().nullable(),
    version: z.number().int(),
    deleted_at: z.iso.datetime().nullable(),
    abilities: z.array(z.enum(WEBHOOK_ABILITIES)),
  })
  .meta({ id: 'Webhook' });

/** Create and rotate-secret answers: the only times the secret is shown. */
export const webhookWithSecretSchema = webhookResponseSchema
  .extend({ secret: z.string().describe('The signing secret (whsec_…). Shown once: store it now.') })
  .meta({ id: 'WebhookWithSecret' });

const pageSchema = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
});

export const webhookListResponseSchema = z.object({ data: z.array(webhookResponseSchema), page: pageSchema });

export const attemptResponseSchema = z.object({
  attempt: z.number().int(),
  started_at: z.iso.datetime(),
  ip: z.string().nullable(),
  status_code: z.number().int().nullable(),
  latency_ms: z.number().int(),
  outcome: z.enum(['delivered', 'failed']),
  error: z.string().nullable(),
  /** The first 4 KB of the receiver's answer. */
  response_body: z.string().nullable(),
});

export const deliveryResponseSchema = z
  .object({
    id: z.uuid(),
    subscription_id: z.uuid(),
    event_id: z.uuid(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    /** When the next try is due (pending/failed); null once final. */
    next_attempt_at: z.iso.datetime().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryDetailSchema = deliveryResponseSchema
  .extend({
    /** The event envelope exactly as POSTed. */
    payload: z.record(z.string(), z.unknown()),
    attempt_log: z.array(attemptResponseSchema),
  })
  .meta({ id: 'WebhookDeliveryDetail' });

export const deliveryListResponseSchema = z.object({
  data: z.array(deliveryResponseSchema),
  page: pageSchema,
});
