import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { updateWorkspaceSchema, workspaceResponseSchema } from './workspace.schema.js';
import { getWorkspace, updateWorkspace } from './workspace.service.js';

export const workspaceRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['workspace'];
    app.get(
      '/workspace',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'The current workspace',
          response: { 200: workspaceResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const w = await getWorkspace(p, ctxOf(request));
        reply.header('etag', `"${w.version}"`);
        return w;
      },
    );
    app.patch(
      '/workspace',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Update workspace settings',
          body: updateWorkspaceSchema,
          response: { 200: workspaceResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const w = await updateWorkspace(p, ctxOf(request), request.body, ifMatchVersion(request));
        reply.header('etag', `"${w.version}"`);
        return w;
      },
    );
  };
