import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { pipelineEtag } from './pipeline.presenter.js';
import {
  createPipelineSchema,
  createStageSchema,
  deleteStageQuerySchema,
  pipelineIdParamsSchema,
  pipelineListResponseSchema,
  pipelineResponseSchema,
  reorderStagesSchema,
  replaceTransitionsSchema,
  stageIdParamsSchema,
  stageResponseSchema,
  updatePipelineSchema,
  updateStageSchema,
} from './pipeline.schema.js';
import {
  createPipeline,
  createStage,
  deletePipeline,
  deleteStage,
  getPipeline,
  listPipelines,
  reorderStages,
  replaceTransitions,
  updatePipeline,
  updateStage,
} from './pipeline.service.js';

/**
 * REST transport for pipelines, their stages and transition rules: parse, call the service, shape the
 * HTTP reply. Reading needs crm.read; every write is workspace configuration (admin role, crm.admin scope).
 */
export const pipelineRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['pipelines'];
    const admin = { scope: 'crm.admin' } as const;

    app.get(
      '/pipelines',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List pipelines',
          description:
            'Every live pipeline of the workspace with its stages (board order) and allowed moves.',
          response: { 200: pipelineListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listPipelines(p, ctxOf(request)),
    );

    app.get(
      '/pipelines/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get a pipeline',
          params: pipelineIdParamsSchema,
          response: { 200: pipelineResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const pipeline = await getPipeline(p, ctxOf(request), request.params.id);
        reply.header('etag', pipelineEtag(pipeline.version));
        return pipeline;
      },
    );

    app.post(
      '/pipelines',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Create a pipeline',
          description:
            'Give `stages` explicitly, or a `template` (sales, partner, inbound, outbound, custom; default: the ' +
            "kind's preset; `sales` is the default sales pipeline). `transitions`: a list of {from, to} stage " +
            'codes, or "linear" (each open stage to the next and back, every open stage to every closed one).',
          body: createPipelineSchema,
          response: { 201: pipelineResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const pipeline = await createPipeline(p, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/pipelines/${pipeline.id}`)
          .header('etag', pipelineEtag(pipeline.version));
        return pipeline;
      },
    );

    app.patch(
      '/pipelines/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Update a pipeline',
          description:
            'Setting `is_default` unsets the previous default in the same transaction. Send If-Match with the ' +
            'ETag you read (or `version` in the body); a stale one gets 412.',
          params: pipelineIdParamsSchema,
          body: updatePipelineSchema,
          response: {
            200: pipelineResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const pipeline = await updatePipeline(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', pipelineEtag(pipeline.version));
        return pipeline;
      },
    );

    app.delete(
      '/pipelines/:id',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Delete a pipeline (soft)',
          description:
            '409 `pipeline_has_deals` while any deal is in it; the default pipeline cannot be deleted (409).',
          params: pipelineIdParamsSchema,
          response: {
            200: pipelineResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request) => deletePipeline(p, ctxOf(request), request.params.id, ifMatchVersion(request)),
    );

    app.post(
      '/pipelines/:id/stages',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Add a stage',
          description:
            '`position` inserts at that index (the stages after it shift); without it an open stage goes after ' +
            'the last open one and a closed stage last. A new stage has no allowed moves until you add them ' +
            '(PUT /transitions) when the pipeline enforces transitions.',
          params: pipelineIdParamsSchema,
          body: createStageSchema,
          response: { 201: stageResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const stage = await createStage(p, ctxOf(request), request.params.id, request.body);
        reply.code(201).header('etag', pipelineEtag(stage.version));
        return stage;
      },
    );

    app.patch(
      '/pipelines/:id/stages/:stageId',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Update a stage',
          description:
            'Category and outcome cannot change while deals are in the stage (409 `stage_has_deals`). ' +
            "If-Match (or `version`) is the stage's version.",
          params: stageIdParamsSchema,
          body: updateStageSchema,
          response: {
            200: stageResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const stage = await updateStage(
          p,
          ctxOf(request),
          request.params.id,
          request.params.stageId,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', pipelineEtag(stage.version));
        return stage;
      },
    );

    app.post(
      '/pipelines/:id/stages/reorder',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Reorder the stages',
          description: "`stage_ids` must be exactly the pipeline's live stages, in the new board order.",
          params: pipelineIdParamsSchema,
          body: reorderStagesSchema,
          response: { 200: pipelineResponseSchema, ...problemResponses },
        },
      },
      async (request) => reorderStages(p, ctxOf(request), request.params.id, request.body),
    );

    app.delete(
      '/pipelines/:id/stages/:stageId',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Remove a stage',
          description:
            'A stage with deals answers 409 `stage_has_deals` unless `move_deals_to` names another stage of ' +
            'the pipeline: then its deals move there in the same transaction (history row, event and audit ' +
            'row per deal). The stage is soft-deleted (history keeps pointing at it) and its moves removed.',
          params: stageIdParamsSchema,
          querystring: deleteStageQuerySchema,
          response: {
            200: z.object({ pipeline: pipelineResponseSchema, moved_deals: z.number().int() }),
            409: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request) =>
        deleteStage(
          p,
          ctxOf(request),
          request.params.id,
          request.params.stageId,
          request.query.move_deals_to,
        ),
    );

    app.put(
      '/pipelines/:id/transitions',
      {
        config: admin,
        schema: {
          tags,
          summary: 'Replace the allowed stage moves',
          description:
            'The whole set of allowed from→to moves (stages of this pipeline, from ≠ to). Applied to deal ' +
            'moves while the pipeline has enforce_transitions = true.',
          params: pipelineIdParamsSchema,
          body: replaceTransitionsSchema,
          response: { 200: pipelineResponseSchema, ...problemResponses },
        },
      },
      async (request) => replaceTransitions(p, ctxOf(request), request.params.id, request.body),
    );
  };
