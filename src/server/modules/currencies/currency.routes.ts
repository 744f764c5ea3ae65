import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for currencies (being built this session). */
export const currencyRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
