import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';

export const CURRENCIES = ['VND', 'USD'] as const;
export const LOCALES = ['vi', 'en'] as const;

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{1,47}$/, 'use 2–48 lowercase letters, digits and dashes');

export const updateWorkspaceSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(LIMITS.name),
    base_currency: z.enum(CURRENCIES),
    locale: z.enum(LOCALES),
    timezone: z.string().trim().min(1).max(64),
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateWorkspaceInput = z.infer<typeof updateWorkspaceSchema>;

export const workspaceResponseSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  base_currency: z.string(),
  locale: z.string(),
  timezone: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  version: z.number().int(),
});
