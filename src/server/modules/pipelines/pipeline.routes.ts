import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';

/** REST transport for pipelines (being built this session). */
export const pipelineRoutes =
  (_p: AppPlatform): FastifyPluginAsyncZod =>
  async (_app) => {};
