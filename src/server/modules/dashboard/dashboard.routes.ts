import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for dashboard (being built this session). */
export const dashboardRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
