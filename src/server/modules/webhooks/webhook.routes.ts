import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { webhookEtag } from './webhook.presenter.js';
import {
  createWebhookSchema,
  deliveryDetailSchema,
  deliveryListResponseSchema,
  deliveryParamsSchema,
  deliveryResponseSchema,
  listDeliveriesQuerySchema,
  listWebhooksQuerySchema,
  updateWebhookSchema,
  webhookIdParamsSchema,
  webhookListResponseSchema,
  webhookResponseSchema,
  webhookWithSecretSchema,
} from './webhook.schema.js';
import {
  createWebhook,
  deleteWebhook,
  getDelivery,
  getWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateSecret,
  testWebhook,
  updateWebhook,
  type WebhookRuntime,
} from './webhook.service.js';

/**
 * REST transport for outbound webhooks: subscriptions, their deliveries, redelivery and a test ping.
 * Admin only (role permission crm.settings.manage, API-key scope crm.admin), reads included: URLs often
 * carry the receiver's token and deliveries are copies of events. How to verify a signature: docs/api.md.
 */
export const webhookRoutes =
  (p: AppPlatform, rt: WebhookRuntime): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['webhooks'];
    const config = { scope: 'crm.admin' as const };

    app.get(
      '/webhooks',
      {
        config,
        schema: {
          tags,
          summary: 'List webhooks',
          description: 'Newest first, cursor-paginated. The secret is never listed (only `secret_hint`).',
          querystring: listWebhooksQuerySchema,
          response: { 200: webhookListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listWebhooks(p, ctxOf(request), request.query),
    );

    app.post(
      '/webhooks',
      {
        config,
        schema: {
          tags,
          summary: 'Create a webhook',
          description:
            'Subscribes a URL to events (`event_types`: exact types such as `deal.won`, patterns such as ' +
            '`deal.*`, or `*`). The URL must be https and resolve to public addresses only (SSRF guard: ' +
            '422 naming `url`). The answer carries the signing `secret` (whsec_…): shown this once.',
          body: createWebhookSchema,
          response: { 201: webhookWithSecretSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const created = await createWebhook(p, rt, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/webhooks/${created.id}`)
          .header('etag', webhookEtag(created.version));
        return created;
      },
    );

    app.get(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Get a webhook',
          params: webhookIdParamsSchema,
          response: { 200: webhookResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const hook = await getWebhook(p, ctxOf(request), request.params.id);
        reply.header('etag', webhookEtag(hook.version));
        return hook;
      },
    );

    app.patch(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Change a webhook',
          description:
            'url, event_types, description, active (false pauses: deliveries wait until it is switched ' +
            'on again; switching on clears `disabled_reason`). Send If-Match or `version`; stale → 412.',
          params: webhookIdParamsSchema,
          body: updateWebhookSchema,
          response: {
            200: webhookResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const hook = await updateWebhook(
          p,
          rt,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', webhookEtag(hook.version));
        return hook;
      },
    );

    app.delete(
      '/webhooks/:id',
      {
        config,
        schema: {
          tags,
          summary: 'Delete a webhook',
          description: 'Soft delete; its queued deliveries are cancelled.',
          params: webhookIdParamsSchema,
          response: { 200: webhookResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request) => deleteWebhook(p, ctxOf(request), request.params.id, ifMatchVersion(request)),
    );

    app.post(
      '/webhooks/:id/rotate-secret',
      {
        config,
        schema: {
          tags,
          summary: "Rotate a webhook's signing secret",
          description:
            'Answers with the new `secret` (shown once). For 24 hours messages carry two signatures, ' +
            'new and previous, so the receiver can switch without dropping messages.',
          params: webhookIdParamsSchema,
          response: { 200: webhookWithSecretSchema, ...problemResponses },
        },
      },
      async (request) => rotateSecret(p, ctxOf(request), request.params.id),
    );

    app.post(
      '/webhooks/:id/test',
      {
        config,
        schema: {
          tags,
          summary: 'Send a test ping',
          description:
            'POSTs a signed `webhook.ping` event now and answers with the delivery and its attempt ' +
            '(status code, latency, error, start of the response). One try, no retries.',
          params: webhookIdParamsSchema,
          response: { 200: deliveryDetailSchema, ...problemResponses },
        },
      },
      async (request) => testWebhook(p, rt, ctxOf(request), request.params.id),
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        config,
        schema: {
          tags,
          summary: "List a webhook's deliveries",
          description:
            'Newest first, cursor-paginated; `status` = pending | failed (retry scheduled) | delivered | ' +
            'dead (gave up: a dead letter) | cancelled (webhook deleted).',
          params: webhookIdParamsSchema,
          querystring: listDeliveriesQuerySchema,
          response: { 200: deliveryListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listDeliveries(p, ctxOf(request), request.params.id, request.query),
    );

    app.get(
      '/webhooks/:id/deliveries/:deliveryId',
      {
        config,
        schema: {
          tags,
          summary: 'Get a delivery with its payload and every attempt',
          params: deliveryParamsSchema,
          response: { 200: deliveryDetailSchema, ...problemResponses },
        },
      },
      async (request) => getDelivery(p, ctxOf(request), request.params.id, request.params.deliveryId),
    );

    app.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        config,
        schema: {
          tags,
          summary: 'Send a delivery again',
          description:
            'A dead, failed or delivered delivery is queued again, due now (same event id: receivers ' +
            'deduplicate by Webhook-Id). Pending or cancelled → 409 webhook_delivery_not_redeliverable.',
          params: deliveryParamsSchema,
          response: { 200: deliveryResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request) => redeliver(p, rt, ctxOf(request), request.params.id, request.params.deliveryId),
    );
  };
