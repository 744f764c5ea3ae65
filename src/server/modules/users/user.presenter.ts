import type { z } from 'zod';
import type { tokensResponseSchema, userResponseSchema } from './user.schema.js';

export type UserJson = z.infer<typeof userResponseSchema>;
export type TokensJson = z.infer<typeof tokensResponseSchema>;

export function presentUser(u: {
  id: string;
  email: string;
  display_name: string;
  locale: string;
}): UserJson {
  return { id: u.id, email: u.email, display_name: u.display_name, locale: u.locale };
}
