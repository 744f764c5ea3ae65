import { z } from 'zod';
import { normalizeTag, TAG_LIMITS } from '../../../shared/tags.js';
import { NO_NUL, noNul } from '../../platform/http/fields.js';

/**
 * Tag inputs shared by accounts, contacts and deals (one rule set: src/shared/tags.ts). A bad tag is a
 * 422 naming its place (`tags.3`, `add.0`); the length is checked after normalization, so what is
 * counted is what is stored.
 */

export const tagSchema = z
  .string()
  .refine(noNul, NO_NUL)
  .transform(normalizeTag)
  .pipe(
    z.string().min(1, 'must not be empty').max(TAG_LIMITS.length, `at most ${TAG_LIMITS.length} characters`),
  );

const dedupe = (tags: string[]): string[] => [...new Set(tags)];

/** A record's whole tag set: normalized, deduplicated (first spelling kept), at most perRecord. */
export const tagsSchema = z
  .array(tagSchema)
  .max(TAG_LIMITS.perRecord * 4, `at most ${TAG_LIMITS.perRecord} distinct tags`)
  .transform(dedupe)
  .pipe(z.array(z.string()).max(TAG_LIMITS.perRecord, `at most ${TAG_LIMITS.perRecord} distinct tags`));

/**
 * List filter `tag`: repeatable (`?tag=vip&tag=q4`), a record must have every one. Read as a list
 * whatever the count.
 */
export const tagFilterParam = z
  .union([tagSchema, z.array(tagSchema).max(10, 'at most 10 tags')])
  .transform((v) => dedupe(Array.isArray(v) ? v : [v]))
  .describe('Repeatable: records having every listed tag');

const tagListSchema = z
  .array(tagSchema)
  .max(TAG_LIMITS.bulkTags, `at most ${TAG_LIMITS.bulkTags} tags`)
  .transform(dedupe);

/** POST /{accounts|contacts}/bulk/tags. */
export const bulkTagsSchema = z
  .strictObject({
    ids: z
      .array(z.uuid())
      .min(1)
      .max(TAG_LIMITS.bulkIds, `at most ${TAG_LIMITS.bulkIds} ids`)
      .transform(dedupe),
    add: tagListSchema.default([]),
    remove: tagListSchema.default([]),
  })
  .superRefine((v, ctx) => {
    if (v.add.length === 0 && v.remove.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['add'], message: 'give tags to add and/or to remove' });
    }
    v.remove.forEach((t, i) => {
      if (v.add.includes(t)) {
        ctx.addIssue({ code: 'custom', path: ['remove', i], message: `"${t}" is also in add` });
      }
    });
  });
export type BulkTagsInput = z.infer<typeof bulkTagsSchema>;

export const bulkTagsResponseSchema = z
  .object({
    updated: z.array(
      z.object({
        id: z.uuid(),
        tags: z.array(z.string()),
        version: z.number().int(),
        /** false: the record already had (or lacked) these tags; nothing was written. */
        changed: z.boolean(),
      }),
    ),
    failed: z.array(z.object({ id: z.uuid(), code: z.string(), message: z.string() })),
  })
  .meta({ id: 'BulkTagsResult' });
export type BulkTagsResult = z.infer<typeof bulkTagsResponseSchema>;

export const TAG_ENTITIES = ['account', 'contact', 'deal'] as const;
export type TagEntity = (typeof TAG_ENTITIES)[number];

export const tagSuggestionsQuerySchema = z.strictObject({
  entity: z.enum(TAG_ENTITIES),
  /** Tags starting with this (case- and diacritic-insensitive); empty: the most used. */
  q: z.string().max(TAG_LIMITS.length).refine(noNul, NO_NUL).optional(),
  limit: z.coerce.number().int().min(1).max(TAG_LIMITS.suggestionsMax).default(TAG_LIMITS.suggestionsDefault),
});
export type TagSuggestionsQuery = z.infer<typeof tagSuggestionsQuerySchema>;

export const tagSuggestionsResponseSchema = z
  .object({ data: z.array(z.object({ tag: z.string(), count: z.number().int() })) })
  .meta({ id: 'TagSuggestions' });
