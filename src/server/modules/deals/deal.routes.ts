import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for deals (being built this session). */
export const dealRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
