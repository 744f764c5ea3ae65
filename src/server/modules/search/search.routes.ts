import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for search (being built this session). */
export const searchRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
