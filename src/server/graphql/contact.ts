import { LIMITS } from '../../shared/limits.js';
import { timeline } from '../modules/activities/activity.service.js';
import { mergeContacts } from '../modules/contacts/contact.merge.js';
import type { ContactJson } from '../modules/contacts/contact.presenter.js';
import { listContactsQuerySchema } from '../modules/contacts/contact.schema.js';
import { getContact, listContacts } from '../modules/contacts/contact.service.js';
import {
  builder,
  given,
  idArg,
  limitArg,
  listArg,
  orNull,
  parseWith,
  renamingFields,
  requireScope,
  under,
} from './builder.js';
import {
  AccountRef,
  ActivityRef,
  BuyingRole,
  ChannelKind,
  ContactRef,
  ContactSort,
  connection,
  pageInfo,
  Salutation,
} from './refs.js';

/** Contacts: the Contact entity (federation key `id`) and its list and lookup. */

type Channel = ContactJson['channels'][number];

const ContactChannel = builder.objectRef<Channel>('ContactChannel').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: ChannelKind }),
    value: t.exposeString('value', { description: 'Normalized: E.164 for phones, lower-case for email.' }),
    rawValue: t.exposeString('raw_value'),
    label: t.exposeString('label', { nullable: true }),
    isPrimary: t.exposeBoolean('is_primary'),
  }),
});

/** The primary channel of a kind, else the first of that kind. */
function channelValue(c: ContactJson, kind: Channel['kind']): string | null {
  const of = c.channels.filter((ch) => ch.kind === kind);
  return (of.find((ch) => ch.is_primary) ?? of[0])?.value ?? null;
}

ContactRef.implement({
  description: 'A person at an account (or on their own).',
  fields: (t) => ({
    id: t.exposeID('id'),
    account: t.field({
      type: AccountRef,
      nullable: true,
      description: 'The account the contact belongs to (batched).',
      resolve: (c, _args, ctx) => (c.account_id ? ctx.loaders.account.load(c.account_id) : null),
    }),
    accountId: t.exposeID('account_id', { nullable: true }),
    firstName: t.exposeString('first_name', { nullable: true }),
    lastName: t.exposeString('last_name', { nullable: true }),
    displayName: t.exposeString('display_name'),
    callName: t.exposeString('call_name', { nullable: true }),
    salutation: t.expose('salutation', { type: Salutation, nullable: true }),
    salutationDisplay: t.exposeString('salutation_display', {
      description: 'How to name the contact: "Chị Lan", "Ông Tuấn", "Anh/Chị Minh".',
    }),
    email: t.string({
      nullable: true,
      description: 'Primary email.',
      resolve: (c) => channelValue(c, 'email'),
    }),
    phoneE164: t.string({
      nullable: true,
      description: 'Primary phone, E.164.',
      resolve: (c) => channelValue(c, 'phone'),
    }),
    channels: t.field({ type: [ContactChannel], resolve: (c) => c.channels }),
    title: t.exposeString('title', { nullable: true }),
    buyingRole: t.expose('buying_role', { type: BuyingRole, nullable: true }),
    isPrimary: t.exposeBoolean('is_primary'),
    ownerId: t.exposeID('owner_id', { nullable: true }),
    emailOptIn: t.exposeBoolean('email_opt_in'),
    doNotCall: t.exposeBoolean('do_not_call'),
    leadSource: t.exposeString('lead_source', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    customFields: t.expose('custom_fields', { type: 'JSON' }),
    tags: t.exposeStringList('tags'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    version: t.exposeInt('version'),
    abilities: t.exposeStringList('abilities'),
    activities: t.field({
      type: [ActivityRef],
      description: "The contact's timeline (entries of its deals too), newest first.",
      args: { limit: t.arg.int({ required: false, defaultValue: 50 }) },
      resolve: async (c, args, ctx) =>
        (
          await timeline(
            ctx.p,
            ctx.ctx,
            { kind: 'contact', id: c.id },
            { limit: limitArg(args.limit, 'limit', 50) },
          )
        ).data,
    }),
  }),
});

builder.asEntity(ContactRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => ctx.loaders.contact.load(idArg(ref.id, 'id')),
});

const ContactFilter = builder.inputType('ContactFilter', {
  fields: (t) => ({
    q: t.string({ required: false, description: 'Name search (accent-insensitive).' }),
    channel: t.string({ required: false, description: 'An email or phone number, matched exactly.' }),
    accountId: t.id({ required: false }),
    ownerId: t.string({ required: false, description: 'A member id, `me` or `none`.' }),
    buyingRole: t.field({ type: BuyingRole, required: false }),
    isPrimary: t.boolean({ required: false }),
  }),
});

const ContactConnection = connection('Contact', ContactRef);

builder.queryFields((t) => ({
  contact: t.field({
    type: ContactRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      orNull(() => getContact(ctx.p, ctx.ctx, idArg(args.id, 'id')), 'contact_not_found'),
  }),
  contacts: t.field({
    type: ContactConnection,
    args: {
      filter: t.arg({ type: ContactFilter, required: false }),
      first: t.arg.int({ required: false, defaultValue: LIMITS.pageSizeDefault }),
      after: t.arg.string({ required: false }),
      withTotal: t.arg.boolean({ required: false, defaultValue: false }),
      sort: t.arg({
        type: ContactSort,
        required: false,
        description: 'Ignored with filter.q (relevance order).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const f = args.filter ?? {};
      const query = parseWith(
        listContactsQuerySchema,
        given({
          q: f.q,
          channel: f.channel,
          account_id: f.accountId === null || f.accountId === undefined ? undefined : String(f.accountId),
          owner_id: f.ownerId,
          buying_role: f.buyingRole,
          is_primary: f.isPrimary === null || f.isPrimary === undefined ? undefined : String(f.isPrimary),
          limit: args.first,
          cursor: args.after,
          include_total: args.withTotal ? 'true' : undefined,
          sort: args.sort,
        }),
        listArg(),
      );
      const page = await listContacts(ctx.p, ctx.ctx, query);
      return {
        nodes: page.data,
        pageInfo: pageInfo(page.page, args.after),
        totalCount: page.page.total ?? null,
      };
    },
  }),
}));

builder.mutationFields((t) => ({
  mergeContacts: t.field({
    type: ContactRef,
    requiresScopes: [['crm.contact.merge']],
    description:
      'Merges the duplicate `mergeId` into `keepId` (same rules as POST /contacts/{id}/merge): the kept ' +
      "contact's values win, empty fields are filled, channels and deal roles move; the duplicate is deleted.",
    args: { keepId: t.arg.id({ required: true }), mergeId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'crm.contact.merge');
      const keepId = idArg(args.keepId, 'keepId');
      const mergeId = idArg(args.mergeId, 'mergeId');
      const names = (f: string) => (f === 'merge_id' ? 'mergeId' : under('')(f));
      return (await renamingFields(names, () => mergeContacts(ctx.p, ctx.ctx, keepId, mergeId))).contact;
    },
  }),
}));
