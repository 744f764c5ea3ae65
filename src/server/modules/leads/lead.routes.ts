import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { leadEtag } from './lead.presenter.js';
import {
  convertLeadResponseSchema,
  convertLeadSchema,
  createLeadSchema,
  disqualifyLeadSchema,
  getLeadQuerySchema,
  leadIdParamsSchema,
  leadListResponseSchema,
  leadResponseSchema,
  listLeadsQuerySchema,
  qualifyLeadSchema,
  updateLeadSchema,
} from './lead.schema.js';
import {
  convertLead,
  createLead,
  deleteLead,
  disqualifyLead,
  getLead,
  listLeads,
  qualifyLead,
  restoreLead,
  updateLead,
} from './lead.service.js';

/** REST transport for leads: parse, call the service, shape the HTTP reply. No rules here. */
export const leadRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['leads'];

    app.get(
      '/leads',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List and search leads',
          description:
            'Cursor-paginated, newest first by default. Filters: status, source, owner_id (me, none or an ' +
            'id), score_min/score_max; `q` is a diacritic-insensitive substring of name, company and email.',
          querystring: listLeadsQuerySchema,
          response: { 200: leadListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listLeads(p, ctxOf(request), request.query),
    );

    app.post(
      '/leads',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Create a lead',
          description:
            'Email is lower-cased, the phone stored as E.164 (raw kept), a Vietnamese MST checked (422 with ' +
            'its code when the digits are wrong). `score` needs crm.lead.score.',
          body: createLeadSchema,
          response: { 201: leadResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await createLead(p, ctxOf(request), request.body);
        reply.code(201).header('location', `/crm/v1/leads/${lead.id}`).header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.get(
      '/leads/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get a lead',
          params: leadIdParamsSchema,
          querystring: getLeadQuerySchema,
          response: { 200: leadResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await getLead(p, ctxOf(request), request.params.id, {
          includeDeleted: request.query.include_deleted,
        });
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.patch(
      '/leads/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Update a lead',
          description:
            'Send If-Match with the ETag you read (or `version` in the body); a stale one gets 412. `status` ' +
            'may be new or contacted (reopening a qualified or disqualified lead); a converted lead is 409 ' +
            '`lead_status_invalid`.',
          params: leadIdParamsSchema,
          body: updateLeadSchema,
          response: { 200: leadResponseSchema, 409: problemSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await updateLead(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.delete(
      '/leads/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Delete a lead (soft; restorable)',
          params: leadIdParamsSchema,
          response: { 200: leadResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await deleteLead(p, ctxOf(request), request.params.id, ifMatchVersion(request));
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.post(
      '/leads/:id/restore',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Restore a deleted lead',
          params: leadIdParamsSchema,
          response: { 200: leadResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await restoreLead(p, ctxOf(request), request.params.id);
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.post(
      '/leads/:id/qualify',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Qualify a lead',
          description:
            'new or contacted → qualified (a qualified lead answers 200 unchanged); disqualified or ' +
            'converted → 409 `lead_status_invalid`.',
          params: leadIdParamsSchema,
          body: qualifyLeadSchema.optional(),
          response: { 200: leadResponseSchema, 409: problemSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await qualifyLead(
          p,
          ctxOf(request),
          request.params.id,
          ifMatchVersion(request) ?? request.body?.version,
        );
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.post(
      '/leads/:id/disqualify',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Disqualify a lead with a reason',
          description: 'new, contacted or qualified → disqualified; others → 409 `lead_status_invalid`.',
          params: leadIdParamsSchema,
          body: disqualifyLeadSchema,
          response: { 200: leadResponseSchema, 409: problemSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const lead = await disqualifyLead(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', leadEtag(lead.version));
        return lead;
      },
    );

    app.post(
      '/leads/:id/convert',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Convert a lead into an account, a contact and optionally a deal',
          description:
            'One transaction: links `account_id` or creates the account from the company (name, MST, ' +
            "country); links `contact_id` or creates the account's primary contact from the person, email " +
            'and phone; with `deal`, creates a deal (default pipeline; amount and currency default to the ' +
            "lead's estimate) with that contact as primary. All or nothing. The lead becomes `converted`.",
          params: leadIdParamsSchema,
          body: convertLeadSchema,
          response: {
            201: convertLeadResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const result = await convertLead(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.code(201).header('etag', leadEtag(result.lead.version));
        return result;
      },
    );
  };
