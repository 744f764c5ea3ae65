import { LIMITS } from '../../shared/limits.js';
import { createAccountSchema, listAccountsQuerySchema } from '../modules/accounts/account.schema.js';
import {
  createAccount,
  getAccount,
  listAccounts,
  validateAccountMst,
} from '../modules/accounts/account.service.js';
import { timeline } from '../modules/activities/activity.service.js';
import { listDealsQuerySchema } from '../modules/deals/deal.schema.js';
import { listDeals } from '../modules/deals/deal.service.js';
import type { ValidateMstJson } from '../modules/vietnam/mst.service.js';
import {
  builder,
  given,
  idArg,
  limitArg,
  listArg,
  orNull,
  parseWith,
  present,
  renamingFields,
  requireScope,
  under,
} from './builder.js';
import {
  AccountRef,
  AccountSize,
  AccountSort,
  AccountType,
  ActivityRef,
  ContactRef,
  connection,
  DealRef,
  DealStatus,
  Lifecycle,
  MstStatus,
  pageInfo,
} from './refs.js';

/** Accounts: the Account entity (federation key `id`), its list and lookups, create and MST check. */

const Address = builder
  .objectRef<{
    kind: string;
    street: string | null;
    ward: string | null;
    district: string | null;
    province: string | null;
    country: string;
    postal_code: string | null;
  }>('Address')
  .implement({
    fields: (t) => ({
      kind: t.exposeString('kind'),
      street: t.exposeString('street', { nullable: true }),
      ward: t.exposeString('ward', { nullable: true }),
      district: t.exposeString('district', { nullable: true }),
      province: t.exposeString('province', { nullable: true }),
      country: t.exposeString('country'),
      postalCode: t.exposeString('postal_code', { nullable: true }),
    }),
  });

const Warning = builder.objectRef<{ code: string; field: string; message: string }>('Warning').implement({
  description: 'Something a write changed or could not check (registry down, name normalized…).',
  fields: (t) => ({
    code: t.exposeString('code'),
    field: t.exposeString('field'),
    message: t.exposeString('message'),
  }),
});

const MstCheck = builder.objectRef<ValidateMstJson>('MstCheck').implement({
  description: 'The outcome of a tax-code check: the digits, then the GDT registry.',
  fields: (t) => ({
    valid: t.exposeBoolean('valid', { description: 'Whether the digits form a valid MST.' }),
    normalized: t.exposeString('normalized'),
    display: t.exposeString('display', { nullable: true }),
    reason: t.string({ nullable: true, resolve: (m) => m.reason ?? null }),
    message: t.string({ nullable: true, resolve: (m) => m.message ?? null }),
    status: t.expose('status', { type: MstStatus }),
    registryStatus: t.string({
      nullable: true,
      description: 'found, not_found, unavailable or not_configured; null when the digits are invalid.',
      resolve: (m) => m.registry?.status ?? null,
    }),
    registryName: t.string({ nullable: true, resolve: (m) => m.registry?.name ?? null }),
    registryAddress: t.string({ nullable: true, resolve: (m) => m.registry?.address ?? null }),
  }),
});

AccountRef.implement({
  description: 'A company (or person) we sell to.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    accountType: t.expose('legal_type', { type: AccountType }),
    vnMst: t.exposeString('vn_mst', { nullable: true, description: 'Vietnamese tax code (mã số thuế).' }),
    vnMstValidated: t.boolean({
      description: 'True when the last MST check found the code valid.',
      resolve: (a) => a.mst_status === 'valid',
    }),
    mstStatus: t.expose('mst_status', { type: MstStatus }),
    mstCheckedAt: t.expose('mst_checked_at', { type: 'DateTime', nullable: true }),
    industry: t.exposeString('industry', { nullable: true }),
    size: t.expose('size', { type: AccountSize, nullable: true }),
    website: t.exposeString('website', { nullable: true }),
    domains: t.exposeStringList('domains'),
    country: t.exposeString('country', { nullable: true }),
    phone: t.exposeString('phone', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    addresses: t.field({ type: [Address], resolve: (a) => a.addresses }),
    lifecycle: t.expose('lifecycle', { type: Lifecycle }),
    leadSource: t.exposeString('lead_source', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    ownerId: t.exposeID('owner_id', { nullable: true }),
    customFields: t.expose('custom_fields', { type: 'JSON' }),
    tags: t.exposeStringList('tags'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    version: t.exposeInt('version'),
    abilities: t.exposeStringList('abilities', { description: 'What the reader may do: update, delete…' }),
    warnings: t.field({
      type: [Warning],
      description: 'Only on the answer of a write: what the MST check changed or could not do.',
      resolve: (a) => a.warnings ?? [],
    }),
    contacts: t.field({
      type: [ContactRef],
      description: 'Live contacts of the account, primary first (batched across accounts).',
      resolve: (a, _args, ctx) => ctx.loaders.contactsOfAccount.load(a.id),
    }),
    deals: t.field({
      type: [DealRef],
      description: 'Deals of the account the reader may see, newest first.',
      args: {
        status: t.arg({ type: DealStatus, required: false }),
        first: t.arg.int({ required: false, defaultValue: LIMITS.pageSizeDefault }),
      },
      resolve: async (a, args, ctx) => {
        const query = parseWith(
          listDealsQuerySchema,
          { account_id: a.id, ...given({ status: args.status, limit: args.first }) },
          (f) => (f === 'limit' ? 'first' : f),
        );
        return (await listDeals(ctx.p, ctx.ctx, query)).data;
      },
    }),
    activities: t.field({
      type: [ActivityRef],
      description: "The account's timeline (its contacts' and deals' entries too), newest first.",
      args: { limit: t.arg.int({ required: false, defaultValue: 50 }) },
      resolve: async (a, args, ctx) => {
        const limit = limitArg(args.limit, 'limit', 50);
        return (await timeline(ctx.p, ctx.ctx, { kind: 'account', id: a.id }, { limit })).data;
      },
    }),
  }),
});

builder.asEntity(AccountRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => ctx.loaders.account.load(idArg(ref.id, 'id')),
});

const AccountFilter = builder.inputType('AccountFilter', {
  fields: (t) => ({
    q: t.string({ required: false, description: 'Search by name, tax code or domain (relevance order).' }),
    accountType: t.field({ type: AccountType, required: false }),
    lifecycle: t.field({ type: Lifecycle, required: false }),
    industry: t.string({ required: false }),
    country: t.string({ required: false }),
    ownerId: t.string({ required: false, description: 'A member id, `me` or `none`.' }),
  }),
});

const AccountConnection = connection('Account', AccountRef);

builder.queryFields((t) => ({
  account: t.field({
    type: AccountRef,
    nullable: true,
    description: 'One account; null when it does not exist in this workspace.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      orNull(() => getAccount(ctx.p, ctx.ctx, idArg(args.id, 'id')), 'account_not_found'),
  }),
  accounts: t.field({
    type: AccountConnection,
    args: {
      filter: t.arg({ type: AccountFilter, required: false }),
      first: t.arg.int({ required: false, defaultValue: LIMITS.pageSizeDefault }),
      after: t.arg.string({ required: false }),
      withTotal: t.arg.boolean({ required: false, defaultValue: false }),
      sort: t.arg({
        type: AccountSort,
        required: false,
        description: 'Ignored with filter.q (relevance order).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const f = args.filter ?? {};
      const query = parseWith(
        listAccountsQuerySchema,
        given({
          q: f.q,
          legal_type: f.accountType,
          lifecycle: f.lifecycle,
          industry: f.industry,
          country: f.country,
          owner_id: f.ownerId,
          limit: args.first,
          cursor: args.after,
          include_total: args.withTotal ? 'true' : undefined,
          sort: args.sort,
        }),
        listArg({ legal_type: 'accountType' }),
      );
      const page = await listAccounts(ctx.p, ctx.ctx, query);
      return {
        nodes: page.data,
        pageInfo: pageInfo(page.page, args.after),
        totalCount: page.page.total ?? null,
      };
    },
  }),
}));

const AddressInput = builder.inputType('AddressInput', {
  fields: (t) => ({
    kind: t.string({ required: false }),
    street: t.string({ required: false }),
    ward: t.string({ required: false }),
    district: t.string({ required: false }),
    province: t.string({ required: false }),
    country: t.string({ required: false }),
    postalCode: t.string({ required: false }),
  }),
});

const CreateAccountInput = builder.inputType('CreateAccountInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    accountType: t.field({ type: AccountType, required: false }),
    vnMst: t.string({
      required: false,
      description: 'Checked (digits, then the GDT registry) for country VN.',
    }),
    industry: t.string({ required: false }),
    size: t.field({ type: AccountSize, required: false }),
    website: t.string({ required: false }),
    domains: t.stringList({ required: false }),
    country: t.string({ required: false }),
    phone: t.string({ required: false }),
    email: t.string({ required: false }),
    addresses: t.field({ type: [AddressInput], required: false }),
    lifecycle: t.field({ type: Lifecycle, required: false }),
    leadSource: t.string({ required: false }),
    description: t.string({ required: false }),
    ownerId: t.id({ required: false, description: 'Default: you; null: nobody.' }),
    customFields: t.field({ type: 'JSON', required: false }),
    tags: t.stringList({ required: false }),
  }),
});

const AccountMstResult = builder
  .objectRef<{ account: Awaited<ReturnType<typeof validateAccountMst>> }>('ValidateAccountMstResult')
  .implement({
    fields: (t) => ({
      account: t.field({ type: AccountRef, resolve: (r) => r.account }),
      check: t.field({ type: MstCheck, resolve: (r) => r.account.mst }),
    }),
  });

const accountInput = under('input', { legal_type: 'accountType' });

builder.mutationFields((t) => ({
  createAccount: t.field({
    type: AccountRef,
    requiresScopes: [['crm.write']],
    args: { input: t.arg({ type: CreateAccountInput, required: true }) },
    resolve: (_root, { input: i }, ctx) => {
      requireScope(ctx, 'crm.write');
      const body = parseWith(
        createAccountSchema,
        present({
          name: i.name,
          legal_type: i.accountType,
          vn_mst: i.vnMst,
          industry: i.industry,
          size: i.size,
          website: i.website,
          domains: i.domains,
          country: i.country,
          phone: i.phone,
          email: i.email,
          addresses: i.addresses?.map((a) =>
            present({
              kind: a.kind,
              street: a.street,
              ward: a.ward,
              district: a.district,
              province: a.province,
              country: a.country,
              postal_code: a.postalCode,
            }),
          ),
          lifecycle: i.lifecycle,
          lead_source: i.leadSource,
          description: i.description,
          owner_id: i.ownerId,
          custom_fields: i.customFields,
          tags: i.tags,
        }),
        accountInput,
      );
      return renamingFields(accountInput, () => createAccount(ctx.p, ctx.ctx, body));
    },
  }),
  validateAccountMst: t.field({
    type: AccountMstResult,
    requiresScopes: [['crm.write']],
    description: 'Checks the stored tax code again (digits, then the registry) and records the outcome.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'crm.write');
      const id = idArg(args.id, 'id');
      return { account: await renamingFields(under(''), () => validateAccountMst(ctx.p, ctx.ctx, id)) };
    },
  }),
}));
