import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses } from '../../platform/http/context.js';
import { dashboardQuerySchema, dashboardResponseSchema } from './dashboard.schema.js';
import { getDashboard } from './dashboard.service.js';

/** REST transport for the dashboard. */
export const dashboardRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/dashboard',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: ['dashboard'],
          summary: 'Dashboard figures',
          description:
            'Counts, open and weighted pipeline value, won this month, a forecast by expected close month and ' +
            'task figures. Money is in the workspace base currency (open value at today’s rates, won value at ' +
            'the rate of each close date) with the per-currency breakdown. Restricted deals count only for ' +
            'those allowed to see them.',
          querystring: dashboardQuerySchema,
          response: { 200: dashboardResponseSchema, ...problemResponses },
        },
      },
      async (request) => getDashboard(p, ctxOf(request), request.query),
    );
  };
