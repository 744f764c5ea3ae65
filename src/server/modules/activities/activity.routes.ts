import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses, problemSchema } from '../../platform/http/context.js';
import {
  activityIdParamsSchema,
  activityPageSchema,
  activityResponseSchema,
  completeTaskSchema,
  createActivitySchema,
  listActivitiesQuerySchema,
  timelineQuerySchema,
} from './activity.schema.js';
import { completeTask, createActivity, getActivity, listActivities, timeline } from './activity.service.js';

/** Set on a 200 answer to a write that repeated an earlier one (same source event, or a task completed twice). */
export const REPLAYED_HEADER = 'activity-replayed';

const entityParams = z.strictObject({ id: z.uuid() });

/**
 * REST transport for the timeline: parse, call the service, shape the HTTP reply. There is no PATCH or
 * DELETE on purpose (entries are append-only; the router answers 405 on a known path).
 */
export const activityRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['activities'];

    app.post(
      '/activities',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Log a timeline entry',
          description:
            'Link at least one of account_id, contact_id, deal_id, lead_id (a lead alone is enough: it is worked ' +
            'before it has an account); account_id defaults to the deal’s, else the ' +
            'contact’s account. A repeated (source, source_event_id) answers 200 with the entry already ' +
            `recorded and the header \`${REPLAYED_HEADER}: true\`, never a duplicate. Entries cannot be edited ` +
            'or deleted: log a correction instead.',
          body: createActivitySchema,
          response: {
            200: activityResponseSchema,
            201: activityResponseSchema,
            409: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const { activity, replayed } = await createActivity(p, ctxOf(request), request.body);
        reply.header('location', `/crm/v1/activities/${activity.id}`);
        if (replayed) reply.code(200).header(REPLAYED_HEADER, 'true');
        else reply.code(201);
        return activity;
      },
    );

    app.get(
      '/activities',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List timeline entries',
          description:
            'Newest first, cursor-paginated. `lead_id` keeps the entries logged on that lead. `due` filters tasks: overdue (open, due before now), today (open, ' +
            'due today in the workspace time zone), upcoming (open, due now or later), open, done.',
          querystring: listActivitiesQuerySchema,
          response: { 200: activityPageSchema, ...problemResponses },
        },
      },
      async (request) => listActivities(p, ctxOf(request), request.query),
    );

    app.get(
      '/activities/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get a timeline entry',
          params: activityIdParamsSchema,
          response: { 200: activityResponseSchema, ...problemResponses },
        },
      },
      async (request) => getActivity(p, ctxOf(request), request.params.id),
    );

    app.post(
      '/activities/:id/complete',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Complete a task',
          description:
            'Logs a `task_completed` entry pointing at the task (related_activity_id). Completing a completed ' +
            `task answers 200 with the first completion and \`${REPLAYED_HEADER}: true\`.`,
          params: activityIdParamsSchema,
          body: completeTaskSchema,
          response: {
            200: activityResponseSchema,
            201: activityResponseSchema,
            409: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const { activity, replayed } = await completeTask(p, ctxOf(request), request.params.id, request.body);
        if (replayed) reply.code(200).header(REPLAYED_HEADER, 'true');
        else reply.code(201).header('location', `/crm/v1/activities/${activity.id}`);
        return activity;
      },
    );

    for (const entity of ['account', 'contact', 'deal', 'lead'] as const) {
      app.get(
        `/${entity}s/:id/timeline`,
        {
          config: { scope: 'crm.read' },
          schema: {
            tags,
            summary: `Timeline of a ${entity}`,
            description:
              entity === 'account'
                ? 'Newest first; includes the entries of the account’s contacts and deals.'
                : entity === 'contact'
                  ? 'Newest first; includes the entries of contacts merged into it and of deals where the contact is primary or a deal contact.'
                  : entity === 'lead'
                    ? 'Newest first; the entries logged on the lead, kept (and linked to the customer) after its conversion.'
                    : 'Newest first.',
            params: entityParams,
            querystring: timelineQuerySchema,
            response: { 200: activityPageSchema, ...problemResponses },
          },
        },
        async (request) =>
          timeline(p, ctxOf(request), { kind: entity, id: request.params.id }, request.query),
      );
    }
  };
