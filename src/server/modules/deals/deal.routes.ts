import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { getBoard } from './deal.board.js';
import { dealEtag } from './deal.presenter.js';
import {
  boardQuerySchema,
  boardResponseSchema,
  closeDealSchema,
  createDealSchema,
  dealIdParamsSchema,
  dealListResponseSchema,
  dealResponseSchema,
  getDealQuerySchema,
  listDealsQuerySchema,
  moveDealSchema,
  pipelineIdParamsSchema,
  stageHistoryResponseSchema,
  updateDealSchema,
} from './deal.schema.js';
import {
  closeDeal,
  createDeal,
  dealStageHistory,
  deleteDeal,
  getDeal,
  listDeals,
  moveDeal,
  restoreDeal,
  updateDeal,
} from './deal.service.js';

/** REST transport for deals and the pipeline board: parse, call the service, shape the reply. No rules here. */
export const dealRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['deals'];

    app.get(
      '/deals',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List deals',
          description:
            'Cursor-paginated, filtered; restricted deals you may not see are left out (and not counted in ' +
            '`include_total`). `q` is a diacritic-insensitive substring of the name.',
          querystring: listDealsQuerySchema,
          response: { 200: dealListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listDeals(p, ctxOf(request), request.query),
    );

    app.post(
      '/deals',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Create a deal',
          description:
            'Defaults: the workspace default pipeline, its first open stage, the stage probability, you as ' +
            'owner. Entering the first stage passes the pipeline rules (422 `stage_transition_blocked`).',
          body: createDealSchema,
          response: { 201: dealResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await createDeal(p, ctxOf(request), request.body);
        reply.code(201).header('location', `/crm/v1/deals/${deal.id}`).header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.get(
      '/deals/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get a deal',
          params: dealIdParamsSchema,
          querystring: getDealQuerySchema,
          response: { 200: dealResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await getDeal(p, ctxOf(request), request.params.id, {
          includeDeleted: request.query.include_deleted,
        });
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.patch(
      '/deals/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Update a deal',
          description:
            'Send If-Match (or `version`); a stale one gets 412. The stage is not changed here: use ' +
            '`POST /deals/{id}/move`. `probability` overrides the stage default; `probability: null` resets it.',
          params: dealIdParamsSchema,
          body: updateDealSchema,
          response: { 200: dealResponseSchema, 409: problemSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await updateDeal(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.delete(
      '/deals/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Delete a deal (soft; restorable)',
          params: dealIdParamsSchema,
          response: { 200: dealResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await deleteDeal(p, ctxOf(request), request.params.id, ifMatchVersion(request));
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.post(
      '/deals/:id/restore',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Restore a deleted deal',
          params: dealIdParamsSchema,
          response: { 200: dealResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await restoreDeal(p, ctxOf(request), request.params.id);
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.post(
      '/deals/:id/move',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Move a deal to another stage',
          description:
            '`version` (or If-Match) is required: if the deal changed meanwhile the answer is 409 ' +
            '`version_conflict` with `current` (the deal as it now is). A move the pipeline rules block is 422 ' +
            '`stage_transition_blocked` listing every unmet rule in `unmet`; `fields` may fill the missing ' +
            'values in the same request. Entering a won/lost stage also needs the crm.close scope.',
          params: dealIdParamsSchema,
          body: moveDealSchema,
          response: { 200: dealResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await moveDeal(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.post(
      '/deals/:id/close',
      {
        config: { scope: 'crm.close' },
        schema: {
          tags,
          summary: 'Close a deal as won, lost or cancelled',
          description:
            "Moves the deal into the pipeline's stage with that outcome (or `stage_id`), through the same " +
            'rules as a move. Lost needs `lost_reason`. Idempotent: closing a deal already closed with the same ' +
            'outcome answers 200 and writes nothing; another outcome is 409 `deal_closed`.',
          params: dealIdParamsSchema,
          body: closeDealSchema,
          response: { 200: dealResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const deal = await closeDeal(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', dealEtag(deal.version));
        return deal;
      },
    );

    app.get(
      '/deals/:id/stage-history',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: "A deal's stage history",
          description: 'Oldest first, with the actor, the time and how long the deal stayed in each stage.',
          params: dealIdParamsSchema,
          response: { 200: stageHistoryResponseSchema, ...problemResponses },
        },
      },
      async (request) => dealStageHistory(p, ctxOf(request), request.params.id),
    );

    app.get(
      '/pipelines/:id/board',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags: ['deals', 'pipelines'],
          summary: 'The pipeline board (kanban)',
          description:
            'Stages in order with their cards (newest arrival first, at most `per_stage`, `has_more` when cut) ' +
            'and per-stage and board `count`, `total` and `weighted_total` over ALL matching deals, in the ' +
            "base currency at today's rate with the per-currency breakdown. `status`: open, recent (default: " +
            'open plus closed in the last 30 days) or all. Markers: `overdue` (open, expected close before ' +
            'today in the workspace time zone), `stalled` (longer in the stage than its rotting_days), `hot` ' +
            '(probability ≥ 75 or closing within 7 days).',
          params: pipelineIdParamsSchema,
          querystring: boardQuerySchema,
          response: { 200: boardResponseSchema, ...problemResponses },
        },
      },
      async (request) => getBoard(p, ctxOf(request), request.params.id, request.query),
    );
  };
