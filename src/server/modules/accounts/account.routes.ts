import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { account360ResponseSchema } from './account.360.js';
import { accountEtag } from './account.presenter.js';
import {
  accountIdParamsSchema,
  accountListResponseSchema,
  accountResponseSchema,
  createAccountSchema,
  getAccountQuerySchema,
  listAccountsQuerySchema,
  updateAccountSchema,
} from './account.schema.js';
import {
  createAccount,
  deleteAccount,
  getAccount,
  listAccounts,
  restoreAccount,
  updateAccount,
} from './account.service.js';

/** REST transport for accounts: parse, call the service, shape the HTTP reply. No rules here. */
export const accountRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['accounts'];

    app.get(
      '/accounts',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List and search accounts',
          description:
            'Cursor-paginated. With `q`, a diacritic-insensitive substring search on name, MST, website and ' +
            'domains ("nguyen" finds "Nguyễn"), ranked: exact name, name prefix, word start, anywhere.',
          querystring: listAccountsQuerySchema,
          response: { 200: accountListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listAccounts(p, ctxOf(request), request.query),
    );

    app.post(
      '/accounts',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Create an account',
          body: createAccountSchema,
          response: { 201: accountResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const account = await createAccount(p, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/accounts/${account.id}`)
          .header('etag', accountEtag(account.version));
        return account;
      },
    );

    app.get(
      '/accounts/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get an account (Account 360 with include)',
          description:
            '`include=contacts,deals,activities,stats` adds, in the same response: live contacts (primary ' +
            'first), open deals you may see, the 20 latest timeline entries, and counts and money (open, ' +
            'weighted and won value in the base currency with the per-currency breakdown, last contact date).',
          params: accountIdParamsSchema,
          querystring: getAccountQuerySchema,
          response: { 200: account360ResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const account = await getAccount(p, ctxOf(request), request.params.id, {
          includeDeleted: request.query.include_deleted,
          ...(request.query.include ? { include: request.query.include } : {}),
        });
        reply.header('etag', accountEtag(account.version));
        return account;
      },
    );

    app.patch(
      '/accounts/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Update an account',
          description:
            'Send If-Match with the ETag you read (or `version` in the body); a stale one gets 412.',
          params: accountIdParamsSchema,
          body: updateAccountSchema,
          response: {
            200: accountResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const account = await updateAccount(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', accountEtag(account.version));
        return account;
      },
    );

    app.delete(
      '/accounts/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Delete an account (soft; restorable)',
          params: accountIdParamsSchema,
          response: { 200: accountResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const account = await deleteAccount(p, ctxOf(request), request.params.id, ifMatchVersion(request));
        reply.header('etag', accountEtag(account.version));
        return account;
      },
    );

    app.post(
      '/accounts/:id/restore',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Restore a deleted account',
          params: accountIdParamsSchema,
          response: { 200: accountResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const account = await restoreAccount(p, ctxOf(request), request.params.id);
        reply.header('etag', accountEtag(account.version));
        return account;
      },
    );
  };
