import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { workflowEtag } from './workflow.presenter.js';
import {
  catalogueResponseSchema,
  createWorkflowSchema,
  listRunsQuerySchema,
  listWorkflowsQuerySchema,
  runListResponseSchema,
  updateWorkflowSchema,
  workflowIdParamsSchema,
  workflowListResponseSchema,
  workflowResponseSchema,
} from './workflow.schema.js';
import {
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  listRuns,
  listWorkflows,
  updateWorkflow,
  workflowCatalogue,
} from './workflow.service.js';

/**
 * REST transport for automation (ADR 0020): workflow definitions, their runs, and the catalogue the
 * editor is built from. Admin only (crm.settings.manage; API-key scope crm.admin), reads included.
 */
export const workflowRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['workflows'];
    const config = { scope: 'crm.admin' as const };

    app.get(
      '/workflows/catalogue',
      {
        config,
        schema: {
          tags,
          summary: 'Workflow catalogue',
          description:
            'The triggers (event types) with the payload fields their conditions and `{{placeholders}}` ' +
            'may read, the condition operators, and the actions with their inputs.',
          response: { 200: catalogueResponseSchema, ...problemResponses },
        },
      },
      async (request) => workflowCatalogue(ctxOf(request)),
    );

    app.get(
      '/workflows',
      {
        config,
        schema: {
          tags,
          summary: 'List workflows',
          description: 'Newest first, cursor-paginated, each with its latest run.',
          querystring: listWorkflowsQuerySchema,
          response: { 200: workflowListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listWorkflows(p, ctxOf(request), request.query),
    );

    app.post(
      '/workflows',
      {
        config,
        schema: {
          tags,
          summary: 'Create a workflow',
          description:
            'When an event of type `trigger` happens and every condition holds, the actions run in order as ' +
            '"workflow: <name>". Conditions read the event payload by dot path (`deal.amount_minor`, ' +
            '`change.to_stage_code`); unknown fields, placeholders or actions the trigger does not support ' +
            'are 422 naming the field.',
          body: createWorkflowSchema,
          response: { 201: workflowResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const created = await createWorkflow(p, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/workflows/${created.id}`)
          .header('etag', workflowEtag(created.version));
        return created;
      },
    );

    app.get(
      '/workflows/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Get a workflow',
          params: workflowIdParamsSchema,
          response: { 200: workflowResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const wf = await getWorkflow(p, ctxOf(request), request.params.id);
        reply.header('etag', workflowEtag(wf.version));
        return wf;
      },
    );

    app.patch(
      '/workflows/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Change a workflow',
          description:
            'Any of name, description, enabled, trigger, conditions, actions; the resulting definition is ' +
            'validated as a whole. Send If-Match or `version`; stale → 412.',
          params: workflowIdParamsSchema,
          body: updateWorkflowSchema,
          response: {
            200: workflowResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const wf = await updateWorkflow(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', workflowEtag(wf.version));
        return wf;
      },
    );

    app.delete(
      '/workflows/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Delete a workflow',
          description: 'Soft delete: it stops running at once.',
          params: workflowIdParamsSchema,
          response: { 200: workflowResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request) => deleteWorkflow(p, ctxOf(request), request.params.id, ifMatchVersion(request)),
    );

    app.get(
      '/workflows/:id/runs',
      {
        config,
        schema: {
          tags,
          summary: "List a workflow's runs",
          description:
            'Newest first: one per event the workflow saw; `status` = running | succeeded | failed | skipped ' +
            "(conditions did not hold), with each action's outcome in `results`.",
          params: workflowIdParamsSchema,
          querystring: listRunsQuerySchema,
          response: { 200: runListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listRuns(p, ctxOf(request), request.params.id, request.query),
    );
  };
