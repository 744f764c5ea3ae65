import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, problemResponses, problemSchema } from '../../platform/http/context.js';
import {
  accountParamsSchema,
  chatNoteSchema,
  inboundResultSchema,
  inboundSettingsInputSchema,
  inboundSettingsSchema,
  itemsQuerySchema,
  receivedItemPageSchema,
  reconciliationQuerySchema,
  reconciliationSchema,
  trackedDomainInputSchema,
  trackedDomainListSchema,
  trackedDomainParamsSchema,
  trackedDomainSchema,
} from './inbound.schema.js';
import {
  addTrackedDomain,
  getInboundSettings,
  listReceivedItems,
  listTrackedDomains,
  putInboundSettings,
  receiveCalendar,
  receiveChat,
  receiveEmail,
  reconciliation,
  removeTrackedDomain,
} from './inbound.service.js';

/** Raw messages may carry attachments: they get a larger body limit than JSON requests. */
const MAIL_BODY_LIMIT = 25 * 1024 * 1024;

/**
 * REST transport of the auto-log: the feeds' inbound endpoints (raw RFC 822, iCalendar, JSON notes),
 * tracked domains per account, the workspace's own domains, and the reconciliation report.
 */
export const inboundRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['inbound'];
    // Encapsulated in this plugin: only these routes accept mail and calendar bodies. A message is kept
    // as a latin1 string (byte for byte) so the idempotency fingerprint stays cheap; the parser gets the
    // original bytes back.
    app.addContentTypeParser('message/rfc822', { parseAs: 'buffer' }, (_req, body: Buffer, done) =>
      done(null, body.toString('latin1')),
    );
    app.addContentTypeParser('text/calendar', { parseAs: 'string' }, (_req, body: string, done) =>
      done(null, body),
    );

    app.post(
      '/inbound/email',
      {
        config: { scope: 'crm.write' },
        bodyLimit: Math.max(MAIL_BODY_LIMIT, p.config.BODY_LIMIT_BYTES),
        schema: {
          tags,
          summary: 'Auto-log an email (raw RFC 822)',
          description:
            'Body: the raw message, `Content-Type: message/rfc822`. Logged as an `email` entry when a ' +
            'participant’s domain is tracked for an account (personal domains never are); matched to contacts ' +
            'by address and to the account’s open deal when it has exactly one. Idempotent by Message-ID ' +
            '(a message without one gets a stable `sha256:` id over its headers and text). Answers what it did.',
          consumes: ['message/rfc822'],
          body: z.string(),
          response: { 200: inboundResultSchema, ...problemResponses },
        },
      },
      async (request) => receiveEmail(p, ctxOf(request), Buffer.from(request.body, 'latin1')),
    );

    app.post(
      '/inbound/calendar',
      {
        config: { scope: 'crm.write' },
        bodyLimit: Math.max(MAIL_BODY_LIMIT, p.config.BODY_LIMIT_BYTES),
        schema: {
          tags,
          summary: 'Auto-log meetings (iCalendar)',
          description:
            'Body: an iCalendar file, `Content-Type: text/calendar`. Each VEVENT (and RECURRENCE-ID override) ' +
            'is logged as a `meeting` with attendees and attendance (PARTSTAT), idempotent by UID ' +
            '(+ RECURRENCE-ID); a higher SEQUENCE of a logged meeting adds an "updated"/"cancelled" note.',
          consumes: ['text/calendar'],
          body: z.string(),
          response: { 200: inboundResultSchema, ...problemResponses },
        },
      },
      async (request) => receiveCalendar(p, ctxOf(request), request.body),
    );

    app.post(
      '/inbound/chat',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Auto-log meeting notes from CHAT',
          description:
            'Hints (account_id, contact_id, deal_id) attach the notes explicitly; otherwise participants’ ' +
            'emails are matched like an email’s. Idempotent by message_id.',
          body: chatNoteSchema,
          response: { 200: inboundResultSchema, ...problemResponses },
        },
      },
      async (request) => receiveChat(p, ctxOf(request), request.body),
    );

    app.get(
      '/inbound/reconciliation',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Received vs logged per hour',
          description:
            'Items received in [from, to) (default: the last 24 hours; at most 31 days), per UTC hour and ' +
            'channel: received, logged, skipped by reason.',
          querystring: reconciliationQuerySchema,
          response: { 200: reconciliationSchema, ...problemResponses },
        },
      },
      async (request) => reconciliation(p, ctxOf(request), request.query),
    );

    app.get(
      '/inbound/items',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Received items',
          description:
            'Every unit the feeds delivered, newest first (cursor-paginated): logged with its entry, or ' +
            'skipped with the reason. Filter by channel, outcome, reason, external_id (Message-ID, UID, ' +
            'message_id) and period.',
          querystring: itemsQuerySchema,
          response: { 200: receivedItemPageSchema, ...problemResponses },
        },
      },
      async (request) => listReceivedItems(p, ctxOf(request), request.query),
    );

    app.get(
      '/inbound/settings',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'The workspace’s own mail domains',
          response: { 200: inboundSettingsSchema, ...problemResponses },
        },
      },
      async (request) => getInboundSettings(p, ctxOf(request)),
    );

    app.put(
      '/inbound/settings',
      {
        config: { scope: 'crm.admin' },
        schema: {
          tags,
          summary: 'Set the workspace’s own mail domains',
          description: 'Used for email direction (from an own domain = out). Admins only; audited.',
          body: inboundSettingsInputSchema,
          response: { 200: inboundSettingsSchema, ...problemResponses },
        },
      },
      async (request) => putInboundSettings(p, ctxOf(request), request.body),
    );

    app.get(
      '/inbound/tracked-domains',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'All tracked domains of the workspace',
          response: { 200: trackedDomainListSchema, ...problemResponses },
        },
      },
      async (request) => listTrackedDomains(p, ctxOf(request)),
    );

    app.get(
      '/accounts/:id/tracked-domains',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Tracked domains of an account',
          params: accountParamsSchema,
          response: { 200: trackedDomainListSchema, ...problemResponses },
        },
      },
      async (request) => listTrackedDomains(p, ctxOf(request), request.params.id),
    );

    app.post(
      '/accounts/:id/tracked-domains',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Track a mail domain for an account',
          description:
            'A domain belongs to one account per workspace (409 `tracked_domain_taken`). Personal mail ' +
            'providers (gmail.com, yahoo.com, outlook.com …) and the workspace’s own domains are refused ' +
            '(422). Sub-domains match too (mail from hn.acme.vn matches acme.vn). Audited.',
          params: accountParamsSchema,
          body: trackedDomainInputSchema,
          response: { 201: trackedDomainSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const row = await addTrackedDomain(p, ctxOf(request), request.params.id, request.body);
        reply.code(201).header('location', `/crm/v1/accounts/${row.account_id}/tracked-domains/${row.id}`);
        return row;
      },
    );

    app.delete(
      '/accounts/:id/tracked-domains/:domainId',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Stop tracking a domain',
          params: trackedDomainParamsSchema,
          response: { 204: z.null(), ...problemResponses },
        },
      },
      async (request, reply) => {
        await removeTrackedDomain(p, ctxOf(request), request.params.id, request.params.domainId);
        return reply.code(204).send(null);
      },
    );
  };
