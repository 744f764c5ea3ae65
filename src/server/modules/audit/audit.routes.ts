import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses } from '../../platform/http/context.js';
import { auditListResponseSchema, listAuditQuerySchema, verifyResponseSchema } from './audit.schema.js';
import { listAudit, verifyWorkspaceAudit } from './audit.service.js';

export const auditRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['audit'];
    app.get(
      '/audit',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'The workspace’s audit log, newest first',
          querystring: listAuditQuerySchema,
          response: { 200: auditListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listAudit(p, ctxOf(request), request.query),
    );
    app.get(
      '/audit/verify',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Recompute the workspace’s audit hash chain and report the first broken row',
          response: { 200: verifyResponseSchema, ...problemResponses },
        },
      },
      async (request) => verifyWorkspaceAudit(p, ctxOf(request)),
    );
  };
