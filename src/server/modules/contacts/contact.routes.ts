import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for contacts (being built this session). */
export const contactRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
