import { z } from 'zod';
import { PERMISSIONS, ROLES, SCOPES } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';
import { LOCALES, slugSchema, workspaceResponseSchema } from '../workspaces/workspace.schema.js';

const email = z.email('must be an email address').max(LIMITS.email).toLowerCase();
const password = z
  .string()
  .min(LIMITS.password.min, `must be at least ${LIMITS.password.min} characters`)
  .max(LIMITS.password.max);
const displayName = z.string().trim().min(1).max(LIMITS.name);

export const signUpSchema = z.strictObject({
  workspace_name: z.string().trim().min(1).max(LIMITS.name),
  workspace_slug: slugSchema.optional(),
  email,
  password,
  display_name: displayName,
  locale: z.enum(LOCALES).default('vi'),
});
export type SignUpInput = z.infer<typeof signUpSchema>;

export const createWorkspaceSchema = z.strictObject({
  name: z.string().trim().min(1).max(LIMITS.name),
  slug: slugSchema.optional(),
});
export type CreateWorkspaceInput = z.infer<typeof createWorkspaceSchema>;

export const logInSchema = z.strictObject({
  email,
  // No length rule here: a login must not reveal the password policy of an existing account.
  password: z.string().min(1).max(LIMITS.password.max),
  workspace_id: z.uuid().optional(),
});
export type LogInInput = z.infer<typeof logInSchema>;

export const refreshSchema = z.strictObject({ refresh_token: z.string().min(1).max(512) });
export const logOutSchema = z.strictObject({ refresh_token: z.string().min(1).max(512).optional() });
export const switchWorkspaceSchema = z.strictObject({ workspace_id: z.uuid() });

export const acceptInvitationSchema = z.strictObject({
  token: z.string().min(1).max(512),
  display_name: displayName.optional(),
  password: z.string().min(1).max(LIMITS.password.max),
});
export type AcceptInvitationInput = z.infer<typeof acceptInvitationSchema>;

export const userResponseSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  display_name: z.string(),
  locale: z.string(),
});

export const tokensResponseSchema = z.object({
  token_type: z.literal('Bearer'),
  access_token: z.string(),
  expires_in: z.number().int(),
  refresh_token: z.string(),
  refresh_expires_in: z.number().int(),
});

export const workspaceSummarySchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
});

export const sessionResponseSchema = z.object({
  user: userResponseSchema,
  workspace: workspaceResponseSchema,
  role: z.enum(ROLES),
  workspaces: z.array(workspaceSummarySchema),
  tokens: tokensResponseSchema,
});

export const meResponseSchema = z.object({
  user: userResponseSchema.nullable(),
  workspace: workspaceResponseSchema,
  role: z.enum(ROLES),
  via: z.enum(['session', 'api_key', 'oidc', 'system']),
  scopes: z.array(z.enum(SCOPES)),
  permissions: z.array(z.enum(PERMISSIONS as [string, ...string[]])),
  workspaces: z.array(workspaceSummarySchema),
});
