import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppPlatform } from '../../db.js';
import { ctxOf, ifMatchVersion, problemResponses, problemSchema } from '../../platform/http/context.js';
import { mergeContacts } from './contact.merge.js';
import { contactEtag } from './contact.presenter.js';
import {
  contactIdParamsSchema,
  contactListResponseSchema,
  contactResponseSchema,
  createContactSchema,
  getContactQuerySchema,
  listContactsQuerySchema,
  mergeContactsSchema,
  mergeResponseSchema,
  ownershipActionSchema,
  updateContactSchema,
} from './contact.schema.js';
import {
  claimContact,
  createContact,
  deleteContact,
  getContact,
  listContacts,
  releaseContact,
  restoreContact,
  updateContact,
} from './contact.service.js';

/** REST transport for contacts: parse, call the service, shape the HTTP reply. No rules here. */
export const contactRoutes =
  (p: AppPlatform): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['contacts'];

    app.get(
      '/contacts',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'List contacts',
          description:
            'Cursor-paginated. `q` is a diacritic-insensitive name PREFIX ("nguyen th" finds "Nguyễn Thị Lan"); ' +
            'ranked substring search is `GET /search`. `channel` finds contacts by one channel value, ' +
            'normalized first: `0912 345 678`, `+84912345678` and `84912345678` are the same phone; emails ' +
            'are case-insensitive; LinkedIn URLs and Telegram handles in any usual spelling.',
          querystring: listContactsQuerySchema,
          response: { 200: contactListResponseSchema, ...problemResponses },
        },
      },
      async (request) => listContacts(p, ctxOf(request), request.query),
    );

    app.post(
      '/contacts',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Create a contact',
          description:
            'display_name defaults to the Vietnamese order "last_name first_name" (last_name "Nguyễn", ' +
            'first_name "Thị Lan" → "Nguyễn Thị Lan"); call_name to the last syllable of first_name ("Lan"). ' +
            'Channels are normalized (phones to E.164, old 11-digit Vietnamese mobiles rewritten); the ' +
            'typed form is kept in `raw_value`. Email domains get an MX check that never blocks the save.',
          body: createContactSchema,
          response: { 201: contactResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const contact = await createContact(p, ctxOf(request), request.body);
        reply
          .code(201)
          .header('location', `/crm/v1/contacts/${contact.id}`)
          .header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.get(
      '/contacts/:id',
      {
        config: { scope: 'crm.read' },
        schema: {
          tags,
          summary: 'Get a contact',
          params: contactIdParamsSchema,
          querystring: getContactQuerySchema,
          response: { 200: contactResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const contact = await getContact(p, ctxOf(request), request.params.id, {
          includeDeleted: request.query.include_deleted,
        });
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.patch(
      '/contacts/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Update a contact',
          description:
            'Send If-Match with the ETag you read (or `version` in the body); a stale one gets 412. ' +
            '`channels`, when sent, replaces the whole set. Setting `is_primary` unsets it on the ' +
            "account's other contacts.",
          params: contactIdParamsSchema,
          body: updateContactSchema,
          response: {
            200: contactResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const contact = await updateContact(
          p,
          ctxOf(request),
          request.params.id,
          request.body,
          ifMatchVersion(request),
        );
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.delete(
      '/contacts/:id',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Delete a contact (soft; restorable)',
          params: contactIdParamsSchema,
          response: { 200: contactResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const contact = await deleteContact(p, ctxOf(request), request.params.id, ifMatchVersion(request));
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.post(
      '/contacts/:id/restore',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Restore a deleted contact',
          params: contactIdParamsSchema,
          response: { 200: contactResponseSchema, 409: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const contact = await restoreContact(p, ctxOf(request), request.params.id);
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.post(
      '/contacts/:id/merge',
      {
        config: { scope: 'crm.contact.merge' },
        schema: {
          tags,
          summary: 'Merge a duplicate contact into this one',
          description:
            "This contact's values win; its empty fields take the duplicate's. The duplicate's channels " +
            '(unless already here), deal roles and primary-contact places move over; it is deleted with ' +
            '`merged_into_id` and its timeline shows here. Needs the crm.contact.merge scope.',
          params: contactIdParamsSchema,
          body: mergeContactsSchema,
          response: { 200: mergeResponseSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const r = await mergeContacts(p, ctxOf(request), request.params.id, request.body.merge_id);
        reply.header('etag', contactEtag(r.contact.version));
        return r;
      },
    );

    app.post(
      '/contacts/:id/claim',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Claim a contact (become its owner)',
          description:
            'Takes an unowned contact. One owned by someone else answers 409 `contact_claimed`, except for ' +
            'managers and admins, who take it over (recorded). Claiming your own contact changes nothing.',
          params: contactIdParamsSchema,
          body: ownershipActionSchema.nullish(),
          response: {
            200: contactResponseSchema,
            409: problemSchema,
            412: problemSchema,
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const contact = await claimContact(
          p,
          ctxOf(request),
          request.params.id,
          ifMatchVersion(request) ?? request.body?.version,
        );
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );

    app.post(
      '/contacts/:id/release',
      {
        config: { scope: 'crm.write' },
        schema: {
          tags,
          summary: 'Release a contact (no owner)',
          description: 'By its owner, a manager or an admin. Releasing an unowned contact changes nothing.',
          params: contactIdParamsSchema,
          body: ownershipActionSchema.nullish(),
          response: { 200: contactResponseSchema, 412: problemSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const contact = await releaseContact(
          p,
          ctxOf(request),
          request.params.id,
          ifMatchVersion(request) ?? request.body?.version,
        );
        reply.header('etag', contactEtag(contact.version));
        return contact;
      },
    );
  };
