import { LIMITS } from '../../shared/limits.js';
import { timeline } from '../modules/activities/activity.service.js';
import type { DealJson } from '../modules/deals/deal.presenter.js';
import {
  closeDealSchema,
  createDealSchema,
  listDealsQuerySchema,
  moveDealSchema,
} from '../modules/deals/deal.schema.js';
import { closeDeal, createDeal, getDeal, listDeals, moveDeal } from '../modules/deals/deal.service.js';
import { listInvoices } from '../modules/vietnam/invoice.service.js';
import { listDealQrs } from '../modules/vietnam/vietqr.service.js';
import { AppError } from '../platform/errors.js';
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
import type { GqlContext } from './context.js';
import {
  AccountRef,
  ActivityRef,
  BuyingRole,
  ContactRef,
  Currency,
  connection,
  DealAclMode,
  DealRef,
  DealSort,
  DealStatus,
  HoaDonRef,
  PipelineRef,
  pageInfo,
  Role,
  StageRef,
  type StageShape,
  VietQrRef,
} from './refs.js';

/** Deals: the Deal entity (federation key `id`), lists under the deal ACL, create, move and close. */

const DealContact = builder.objectRef<DealJson['contacts'][number]>('DealContact').implement({
  fields: (t) => ({
    contactId: t.exposeID('contact_id'),
    role: t.expose('role', { type: BuyingRole, nullable: true }),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (c, _args, ctx) => ctx.loaders.contact.load(c.contact_id),
    }),
  }),
});

const DealAcl = builder
  .objectRef<Pick<DealJson, 'acl_mode' | 'acl_member_ids' | 'acl_roles'>>('DealACL')
  .implement({
    description: 'Who may see a restricted deal besides its owner and admins.',
    fields: (t) => ({
      mode: t.expose('acl_mode', { type: DealAclMode }),
      memberIds: t.exposeIDList('acl_member_ids'),
      roles: t.field({ type: [Role], resolve: (a) => a.acl_roles }),
    }),
  });

/** The deal's stage with its pipeline's details (the pipelines are read once per request). */
async function stageOf(d: DealJson, ctx: GqlContext): Promise<StageShape> {
  const pipeline = (await ctx.loaders.pipelines()).find((p) => p.id === d.pipeline_id);
  const s = pipeline?.stages.find((st) => st.id === d.stage_id);
  if (s) return s;
  return { ...d.stage, pipeline_id: d.pipeline_id, outcome: null, position: null, default_probability: null };
}

DealRef.implement({
  description: 'An opportunity in a pipeline.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (d, _args, ctx) => (d.account_id ? ctx.loaders.account.load(d.account_id) : null),
    }),
    accountId: t.exposeID('account_id', { nullable: true }),
    primaryContact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (d, _args, ctx) =>
        d.primary_contact_id ? ctx.loaders.contact.load(d.primary_contact_id) : null,
    }),
    contacts: t.field({ type: [DealContact], resolve: (d) => d.contacts }),
    amountMinor: t.expose('amount_minor', {
      type: 'SafeInt',
      nullable: true,
      description: 'Amount in minor units of `currency` (VND has none; USD cents).',
    }),
    currency: t.expose('currency', { type: Currency }),
    pipeline: t.field({
      type: PipelineRef,
      resolve: async (d, _args, ctx) => {
        const p = (await ctx.loaders.pipelines()).find((x) => x.id === d.pipeline_id);
        if (!p) throw new AppError('pipeline_not_found', 'The deal’s pipeline is gone');
        return p;
      },
    }),
    stage: t.field({ type: StageRef, resolve: (d, _args, ctx) => stageOf(d, ctx) }),
    probabilityPct: t.exposeInt('probability'),
    probabilityOverridden: t.exposeBoolean('probability_overridden'),
    expectedCloseDate: t.expose('expected_close_date', { type: 'Date', nullable: true }),
    status: t.expose('status', { type: DealStatus }),
    lostReason: t.exposeString('lost_reason', { nullable: true }),
    closedAt: t.expose('closed_at', { type: 'DateTime', nullable: true }),
    stageEnteredAt: t.expose('stage_entered_at', { type: 'DateTime' }),
    ownerId: t.exposeID('owner_id', { nullable: true }),
    acl: t.field({ type: DealAcl, resolve: (d) => d }),
    tags: t.exposeStringList('tags'),
    leadSource: t.exposeString('lead_source', { nullable: true }),
    customFields: t.expose('custom_fields', { type: 'JSON' }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    version: t.exposeInt('version'),
    abilities: t.exposeStringList('abilities'),
    activities: t.field({
      type: [ActivityRef],
      args: { limit: t.arg.int({ required: false, defaultValue: 50 }) },
      resolve: async (d, args, ctx) =>
        (
          await timeline(
            ctx.p,
            ctx.ctx,
            { kind: 'deal', id: d.id },
            { limit: limitArg(args.limit, 'limit', 50) },
          )
        ).data,
    }),
    vietqr: t.field({
      type: VietQrRef,
      nullable: true,
      description: 'The latest VietQR payment request of the deal.',
      resolve: async (d, _args, ctx) => (await listDealQrs(ctx.p, ctx.ctx, d.id)).data[0] ?? null,
    }),
    vietqrCodes: t.field({
      type: [VietQrRef],
      description: 'Every VietQR payment request of the deal, newest first.',
      resolve: async (d, _args, ctx) => (await listDealQrs(ctx.p, ctx.ctx, d.id)).data,
    }),
    hoaDon: t.field({
      type: HoaDonRef,
      nullable: true,
      description: 'The latest e-invoice (hóa đơn) issued for the deal.',
      resolve: async (d, _args, ctx) =>
        (await listInvoices(ctx.p, ctx.ctx, { deal_id: d.id, limit: 1 })).data[0] ?? null,
    }),
  }),
});

builder.asEntity(DealRef, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: (ref, ctx) => ctx.loaders.deal.load(idArg(ref.id, 'id')),
});

const DealFilter = builder.inputType('DealFilter', {
  fields: (t) => ({
    q: t.string({ required: false, description: 'Words of the deal name (accent-insensitive).' }),
    status: t.field({ type: DealStatus, required: false }),
    pipelineId: t.id({ required: false }),
    stageId: t.id({ required: false }),
    accountId: t.id({ required: false }),
    contactId: t.id({ required: false }),
    ownerId: t.string({ required: false, description: 'A member id, `me` or `none`.' }),
    tag: t.string({ required: false }),
    amountMin: t.field({ type: 'SafeInt', required: false }),
    amountMax: t.field({ type: 'SafeInt', required: false }),
    expectedCloseFrom: t.field({ type: 'Date', required: false }),
    expectedCloseTo: t.field({ type: 'Date', required: false }),
  }),
});

const DealConnection = connection('Deal', DealRef);

const idOrUndefined = (v: string | number | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);

builder.queryFields((t) => ({
  deal: t.field({
    type: DealRef,
    nullable: true,
    description: 'One deal; null when missing, of another workspace, or restricted from you.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      orNull(() => getDeal(ctx.p, ctx.ctx, idArg(args.id, 'id')), 'deal_not_found'),
  }),
  deals: t.field({
    type: DealConnection,
    description: 'Deals you may see (restricted deals of others are absent), newest first.',
    args: {
      filter: t.arg({ type: DealFilter, required: false }),
      first: t.arg.int({ required: false, defaultValue: LIMITS.pageSizeDefault }),
      after: t.arg.string({ required: false }),
      withTotal: t.arg.boolean({ required: false, defaultValue: false }),
      sort: t.arg({ type: DealSort, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const f = args.filter ?? {};
      const query = parseWith(
        listDealsQuerySchema,
        given({
          q: f.q,
          status: f.status,
          pipeline_id: idOrUndefined(f.pipelineId),
          stage_id: idOrUndefined(f.stageId),
          account_id: idOrUndefined(f.accountId),
          contact_id: idOrUndefined(f.contactId),
          owner_id: f.ownerId,
          tag: f.tag,
          amount_min: f.amountMin,
          amount_max: f.amountMax,
          expected_close_from: f.expectedCloseFrom,
          expected_close_to: f.expectedCloseTo,
          limit: args.first,
          cursor: args.after,
          include_total: args.withTotal ? 'true' : undefined,
          sort: args.sort,
        }),
        listArg(),
      );
      const page = await listDeals(ctx.p, ctx.ctx, query);
      return {
        nodes: page.data,
        pageInfo: pageInfo(page.page, args.after),
        totalCount: page.page.total ?? null,
      };
    },
  }),
}));

const DealContactInput = builder.inputType('DealContactInput', {
  fields: (t) => ({
    contactId: t.id({ required: true }),
    role: t.field({ type: BuyingRole, required: false }),
  }),
});

const CreateDealInput = builder.inputType('CreateDealInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string({ required: false }),
    accountId: t.id({ required: false }),
    primaryContactId: t.id({ required: false }),
    contacts: t.field({ type: [DealContactInput], required: false }),
    amountMinor: t.field({ type: 'SafeInt', required: false }),
    currency: t.field({ type: Currency, required: false }),
    pipelineId: t.id({ required: false, description: "Default: the workspace's default pipeline." }),
    stageId: t.id({ required: false, description: 'Default: its first open stage.' }),
    probabilityPct: t.int({ required: false }),
    expectedCloseDate: t.field({ type: 'Date', required: false }),
    ownerId: t.id({ required: false }),
    aclMode: t.field({ type: DealAclMode, required: false }),
    aclMemberIds: t.idList({ required: false }),
    aclRoles: t.field({ type: [Role], required: false }),
    tags: t.stringList({ required: false }),
    leadSource: t.string({ required: false }),
    customFields: t.field({ type: 'JSON', required: false }),
  }),
});

const CloseDealResult = builder.objectRef<{ deal: DealJson }>('CloseDealResult').implement({
  description:
    'The closed deal. A won deal then gets its VietQR code and hóa đơn from the won flow, shortly after ' +
    '(read them as deal.vietqr and deal.hoaDon).',
  fields: (t) => ({ deal: t.field({ type: DealRef, resolve: (r) => r.deal }) }),
});

const dealInput = under('input', {
  probability: 'probabilityPct',
  acl_member_ids: 'aclMemberIds',
  acl_roles: 'aclRoles',
});

builder.mutationFields((t) => ({
  createDeal: t.field({
    type: DealRef,
    requiresScopes: [['crm.write']],
    args: { input: t.arg({ type: CreateDealInput, required: true }) },
    resolve: (_root, { input: i }, ctx) => {
      requireScope(ctx, 'crm.write');
      const body = parseWith(
        createDealSchema,
        present({
          name: i.name,
          description: i.description,
          account_id: i.accountId === undefined ? undefined : (i.accountId?.toString() ?? null),
          primary_contact_id:
            i.primaryContactId === undefined ? undefined : (i.primaryContactId?.toString() ?? null),
          contacts: i.contacts?.map((c) => present({ contact_id: String(c.contactId), role: c.role })),
          amount_minor: i.amountMinor,
          currency: i.currency,
          pipeline_id: i.pipelineId?.toString(),
          stage_id: i.stageId?.toString(),
          probability: i.probabilityPct,
          expected_close_date: i.expectedCloseDate,
          owner_id: i.ownerId === undefined ? undefined : (i.ownerId?.toString() ?? null),
          acl_mode: i.aclMode,
          acl_member_ids: i.aclMemberIds?.map(String),
          acl_roles: i.aclRoles,
          tags: i.tags,
          lead_source: i.leadSource,
          custom_fields: i.customFields,
        }),
        dealInput,
      );
      return renamingFields(dealInput, () => createDeal(ctx.p, ctx.ctx, body));
    },
  }),
  moveDealStage: t.field({
    type: DealRef,
    requiresScopes: [['crm.write']],
    description:
      'Moves the deal to another stage of its pipeline, through the transition rules. `version` is the ' +
      "deal's version you read: a stale one is a version_conflict, never a silent overwrite.",
    args: {
      id: t.arg.id({ required: true }),
      toStageId: t.arg.id({ required: true }),
      version: t.arg.int({ required: true }),
      lostReason: t.arg.string({ required: false }),
    },
    resolve: (_root, args, ctx) => {
      requireScope(ctx, 'crm.write');
      const names = (f: string) => (f === 'stage_id' ? 'toStageId' : under('')(f));
      const body = parseWith(
        moveDealSchema,
        present({ stage_id: String(args.toStageId), version: args.version, lost_reason: args.lostReason }),
        names,
      );
      return renamingFields(names, () => moveDeal(ctx.p, ctx.ctx, idArg(args.id, 'id'), body, undefined));
    },
  }),
  closeDeal: t.field({
    type: CloseDealResult,
    requiresScopes: [['crm.close']],
    description:
      'Closes the deal as WON, LOST (needs lostReason) or CANCELLED. Closing it again with the same ' +
      'outcome answers the deal and writes nothing.',
    args: {
      id: t.arg.id({ required: true }),
      outcome: t.arg({ type: DealStatus, required: true }),
      lostReason: t.arg.string({ required: false }),
      version: t.arg.int({
        required: false,
        description: 'The version you read (optional, checked if sent).',
      }),
    },
    resolve: async (_root, args, ctx) => {
      requireScope(ctx, 'crm.close');
      if (args.outcome === 'open') {
        throw new AppError('validation_failed', 'outcome must be WON, LOST or CANCELLED', {
          fields: [
            {
              field: 'outcome',
              pointer: '/outcome',
              in: 'body',
              code: 'invalid',
              message: 'not a closing outcome',
            },
          ],
        });
      }
      const names = under('');
      const body = parseWith(
        closeDealSchema,
        present({ outcome: args.outcome, lost_reason: args.lostReason, version: args.version ?? undefined }),
        names,
      );
      return {
        deal: await renamingFields(names, () =>
          closeDeal(ctx.p, ctx.ctx, idArg(args.id, 'id'), body, undefined),
        ),
      };
    },
  }),
}));
