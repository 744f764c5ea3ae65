import { z } from 'zod';
import { SCOPES } from '../../../shared/auth.js';

export const createApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(SCOPES))
    .min(1)
    .transform((s) => [...new Set(s)]),
  expires_at: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .refine((d) => d.getTime() > Date.now(), { message: 'must be in the future' })
    .optional(),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeySchema>;

export const apiKeyParamsSchema = z.strictObject({ id: z.uuid() });

export const apiKeyResponseSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  token_prefix: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  created_by: z.uuid(),
  created_at: z.iso.datetime(),
  last_used_at: z.iso.datetime().nullable(),
  expires_at: z.iso.datetime().nullable(),
  revoked_at: z.iso.datetime().nullable(),
});

export const createdApiKeyResponseSchema = z.object({
  api_key: apiKeyResponseSchema,
  /** Shown once; only its hash is stored. */
  token: z.string(),
});
