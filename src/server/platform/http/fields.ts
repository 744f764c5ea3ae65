import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';

/**
 * Field schemas every module's inputs share. PostgreSQL text and jsonb cannot hold U+0000: such input
 * used to reach the database and answer 500, so it is refused here with the field named (DESIGN rule 6:
 * bad input is a 4xx, never a 500).
 */

export const NO_NUL = { message: 'must not contain the NUL character (U+0000)' } as const;

export const noNul = (v: string): boolean => !v.includes('\u0000');

/** True when a string anywhere in a JSON value (keys included) holds U+0000. */
export function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return !noNul(v);
  if (Array.isArray(v)) return v.some(hasNul);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => !noNul(k) || hasNul(x));
  return false;
}

/** Required text: trimmed, 1..max characters. */
export const text = (max: number) => z.string().trim().min(1).max(max).refine(noNul, NO_NUL);

/** Optional text: trimmed, at most max characters; '' and null clear the value (null). */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine(noNul, NO_NUL)
    .transform((v) => (v === '' ? null : v))
    .nullable()
    .optional();

/** Free-form custom fields: a small JSON object. */
export const customFieldsSchema = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine((v) => JSON.stringify(v).length <= LIMITS.customFieldsBytes, {
    message: `must serialize to at most ${LIMITS.customFieldsBytes} bytes`,
  })
  .refine((v) => !hasNul(v), NO_NUL);
