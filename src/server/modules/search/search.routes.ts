import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses } from '../../platform/http/context.js';
import { searchQuerySchema, searchResponseSchema } from './search.schema.js';
import { globalSearch } from './search.service.js';

/** REST transport for global search: parse, call the service, return its groups. */
export const searchRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/search',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: ['search'],
          summary: 'Search accounts, contacts, deals and leads at once',
          description:
            'Grouped by type (`types=accounts,contacts,deals,leads`, all by default), `limit` per group (default 5, ' +
            'max 20), each group ranked: exact name, name prefix, word start, anywhere. Diacritic-insensitive ' +
            '("nguyen" finds "Nguyễn", "dai viet" finds "Đại Việt"). A phone number in any common spelling ' +
            '(`0912 345 678`, `+84912345678`, `84912345678`) finds the contact holding it; an email address ' +
            '(or its beginning) finds contacts by email. Leads match on name, company, phone and email; open ' +
            'leads (new, contacted, qualified) come before disqualified and converted ones, with their ' +
            '`status`. Restricted deals appear only to those allowed to see them; a group the caller may not ' +
            'view is left out.',
          querystring: searchQuerySchema,
          response: { 200: searchResponseSchema, ...problemResponses },
        },
      },
      async (request) => globalSearch(p, ctxOf(request), request.query),
    );
  };
