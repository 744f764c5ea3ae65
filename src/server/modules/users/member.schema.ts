import { z } from 'zod';
import { ROLES } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';

export const memberParamsSchema = z.strictObject({ userId: z.uuid() });
export const updateMemberSchema = z
  .strictObject({ role: z.enum(ROLES), status: z.enum(['active', 'disabled']) })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'send role or status' });
export type UpdateMemberInput = z.infer<typeof updateMemberSchema>;

export const memberResponseSchema = z.object({
  user_id: z.uuid(),
  email: z.string(),
  display_name: z.string(),
  role: z.enum(ROLES),
  status: z.enum(['active', 'disabled']),
  joined_at: z.iso.datetime(),
  version: z.number().int(),
});

export const createInvitationSchema = z.strictObject({
  email: z.email('must be an email address').max(LIMITS.email).toLowerCase(),
  role: z.enum(ROLES),
  expires_in_days: z.number().int().min(1).max(30).default(7),
});
export type CreateInvitationInput = z.infer<typeof createInvitationSchema>;

export const invitationParamsSchema = z.strictObject({ id: z.uuid() });

export const invitationResponseSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  expires_at: z.iso.datetime(),
  created_at: z.iso.datetime(),
});

export const createdInvitationResponseSchema = z.object({
  invitation: invitationResponseSchema,
  /** Shown once: the invitee needs it to accept. */
  token: z.string(),
  accept_path: z.string(),
});
