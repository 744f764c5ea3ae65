import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for activities (being built this session). */
export const activityRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
