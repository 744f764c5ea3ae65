import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { rateEtag } from './currency.presenter.js';
import {
  convertQuerySchema,
  convertResponseSchema,
  createRateSchema,
  listRatesQuerySchema,
  rateIdParamsSchema,
  rateListResponseSchema,
  rateResponseSchema,
  updateRateSchema,
} from './currency.schema.js';
import { convertAmount, createRate, deleteRate, getRate, listRates, updateRate } from './currency.service.js';

/**
 * REST transport for the workspace's exchange rates. Every member reads them (they explain every total);
 * changing one is a workspace setting (admin role, crm.admin scope).
 */
export const currencyRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['exchange rates'];

    app.get(
      '/exchange-rates',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List exchange rates',
          description: 'Newest effective date first, cursor-paginated; filter by `currency`.',
          querystring: listRatesQuerySchema,
          response: { 200: rateListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listRates(p, ctxOf(request), request.query),
    );

    app.get(
      '/exchange-rates/convert',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Convert an amount into the base currency',
          description:
            'Exact integer arithmetic at the rate valid on `date` (the latest effective on or before it; ' +
            "default today in the workspace's time zone); the rate used is returned beside the result.",
          querystring: convertQuerySchema,
          response: { 200: convertResponseSchema, ...problemResponses },
        },
      },
      async (request) => convertAmount(p, ctxOf(request), request.query),
    );

    app.get(
      '/exchange-rates/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get an exchange rate',
          params: rateIdParamsSchema,
          response: { 200: rateResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const rate = await getRate(p, ctxOf(request), request.params.id);
        reply.header('etag', rateEtag(rate.version));
        return rate;
      },
    );

    app.post(
      '/exchange-rates',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Add an exchange rate',
          description:
            '`rate` is a decimal string (units of the base currency per one unit of `currency`, e.g. "25400.55"), ' +
            'never a number. One rate per currency and day (409).',
          body: createRateSchema,
          response: { 201: rateResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const rate = await createRate(p, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/exchange-rates/${rate.id}`)
          .header('etag', rateEtag(rate.version));
        return rate;
      },
    );

    app.patch(
      '/exchange-rates/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Correct an exchange rate',
          description:
            'Send If-Match with the ETag you read (or `version` in the body); a stale one gets 412.',
          params: rateIdParamsSchema,
          body: updateRateSchema,
          response: { 200: rateResponseSchema, 409: problemSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const rate = await updateRate(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', rateEtag(rate.version));
        return rate;
      },
    );

    app.delete(
      '/exchange-rates/:id',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Delete an exchange rate (soft)',
          params: rateIdParamsSchema,
          response: { 200: rateResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request) => deleteRate(p, ctxOf(request), request.params.id, ifMatchVersion(request)),
    );
  };
