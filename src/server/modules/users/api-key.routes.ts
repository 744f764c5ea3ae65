import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses } from '../../platform/http/context.js';
import {
  apiKeyParamsSchema,
  apiKeyResponseSchema,
  createApiKeySchema,
  createdApiKeyResponseSchema,
} from './api-key.schema.js';
import { type ApiKeyAuthenticator, createApiKey, listApiKeys, revokeApiKey } from './api-key.service.js';

export const apiKeyRoutes =
  (p: AppPlatform, auth: ApiKeyAuthenticator): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['api-keys'];
    app.post(
      '/api-keys',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Create an API key',
          description:
            'The token is in this response only. Send it as `Authorization: Bearer <token>` or `X-API-Key`.',
          body: createApiKeySchema,
          response: { 201: createdApiKeyResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return createApiKey(p, ctxOf(request), request.body);
      },
    );
    app.get(
      '/api-keys',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'API keys of the workspace',
          response: { 200: z.object({ data: z.array(apiKeyResponseSchema) }), ...problemResponses },
        },
      },
      async (request) => listApiKeys(p, ctxOf(request)),
    );
    app.delete(
      '/api-keys/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Revoke an API key',
          params: apiKeyParamsSchema,
          response: { 200: apiKeyResponseSchema, ...problemResponses },
        },
      },
      async (request) => revokeApiKey(p, ctxOf(request), request.params.id, auth),
    );
  };
