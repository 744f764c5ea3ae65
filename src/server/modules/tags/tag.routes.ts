import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses } from '../../platform/http/context.js';
import {
  bulkTagsResponseSchema,
  bulkTagsSchema,
  tagSuggestionsQuerySchema,
  tagSuggestionsResponseSchema,
} from './tag.schema.js';
import { bulkTagAccounts, bulkTagContacts, tagSuggestions } from './tag.service.js';

const BULK_DESCRIPTION =
  'Adds `add` and removes `remove` (normalized like `tags`: trimmed, NFC, deduplicated) on up to 500 ' +
  'records in one transaction. Each record is checked like a single update: one you may not change, or ' +
  'that does not exist in this workspace, is listed in `failed` with its code while the others are ' +
  'changed. Records that already had (or lacked) the tags are listed with `changed: false` and are not ' +
  'rewritten. Each changed record gets an audit entry and an `*.updated` event naming `tags`.';

/** REST transport for tags: bulk tagging of accounts and contacts, and tag suggestions. */
export const tagRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/accounts/bulk/tags',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags: ['accounts'],
          summary: 'Add or remove tags on many accounts',
          description: BULK_DESCRIPTION,
          body: bulkTagsSchema,
          response: { 200: bulkTagsResponseSchema, ...problemResponses },
        },
      },
      async (request) => bulkTagAccounts(p, ctxOf(request), request.body),
    );

    app.post(
      '/contacts/bulk/tags',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags: ['contacts'],
          summary: 'Add or remove tags on many contacts',
          description: BULK_DESCRIPTION,
          body: bulkTagsSchema,
          response: { 200: bulkTagsResponseSchema, ...problemResponses },
        },
      },
      async (request) => bulkTagContacts(p, ctxOf(request), request.body),
    );

    app.get(
      '/tags',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: ['tags'],
          summary: 'Most used tags (autocompletion)',
          description:
            "The workspace's tags on live accounts, contacts or deals, most used first, optionally those " +
            'starting with `q` (case and diacritics ignored). Deal tags count only deals you may see.',
          querystring: tagSuggestionsQuerySchema,
          response: { 200: tagSuggestionsResponseSchema, ...problemResponses },
        },
      },
      async (request) => tagSuggestions(p, ctxOf(request), request.query),
    );
  };
