import { createActivitySchema } from '../modules/activities/activity.schema.js';
import { createActivity } from '../modules/activities/activity.service.js';
import { builder, idArg, parseWith, present, renamingFields, requireScope, under } from './builder.js';
import { AccountRef, ActivityKind, ActivityRef, ContactRef, DealRef } from './refs.js';

/** The timeline: Activity entries and logActivity. */

ActivityRef.implement({
  description: 'A timeline entry (append-only).',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind', {
      description: 'An ActivityKind value in lower case (call, email, deal_created…).',
    }),
    subject: t.exposeString('subject'),
    bodyMarkdown: t.exposeString('body_markdown', { nullable: true }),
    bodyHtml: t.exposeString('body_html', { nullable: true, description: 'Rendered safely (no raw HTML).' }),
    occurredAt: t.expose('occurred_at', { type: 'DateTime' }),
    dueAt: t.expose('due_at', { type: 'DateTime', nullable: true }),
    taskState: t.exposeString('task_state', { nullable: true, description: 'Tasks: open or done.' }),
    source: t.exposeString('source'),
    sourceEventId: t.exposeString('source_event_id', { nullable: true }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    ownerId: t.exposeID('owner_id', { nullable: true }),
    accountId: t.exposeID('account_id', { nullable: true }),
    contactId: t.exposeID('contact_id', { nullable: true }),
    dealId: t.exposeID('deal_id', { nullable: true }),
    leadId: t.exposeID('lead_id', { nullable: true }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (a, _args, ctx) => (a.account_id ? ctx.loaders.account.load(a.account_id) : null),
    }),
    contact: t.field({
      type: ContactRef,
      nullable: true,
      resolve: (a, _args, ctx) => (a.contact_id ? ctx.loaders.contact.load(a.contact_id) : null),
    }),
    deal: t.field({
      type: DealRef,
      nullable: true,
      resolve: (a, _args, ctx) => (a.deal_id ? ctx.loaders.deal.load(a.deal_id) : null),
    }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
  }),
});

const ActivityInput = builder.inputType('ActivityInput', {
  fields: (t) => ({
    kind: t.field({
      type: ActivityKind,
      required: true,
      description: 'EMAIL, CALL, MEETING, NOTE, TASK or SITE_VISIT.',
    }),
    subject: t.string({ required: true }),
    bodyMarkdown: t.string({ required: false }),
    occurredAt: t.field({ type: 'DateTime', required: false }),
    dueAt: t.field({ type: 'DateTime', required: false, description: 'Tasks only.' }),
    accountId: t.id({ required: false }),
    contactId: t.id({ required: false }),
    dealId: t.id({ required: false }),
    leadId: t.id({ required: false, description: 'At least one of accountId, contactId, dealId, leadId.' }),
    source: t.string({ required: false, description: 'manual (default), email, chat, calendar or mcp.' }),
    sourceEventId: t.string({
      required: false,
      description: 'The source system’s event id: a repeat answers the recorded entry, writing nothing.',
    }),
    metadata: t.field({ type: 'JSON', required: false }),
    ownerId: t.id({ required: false }),
  }),
});

const names = under('input');

builder.mutationFields((t) => ({
  logActivity: t.field({
    type: ActivityRef,
    requiresScopes: [['crm.write']],
    args: { input: t.arg({ type: ActivityInput, required: true }) },
    resolve: async (_root, { input: i }, ctx) => {
      requireScope(ctx, 'crm.write');
      const id = (v: string | number | null | undefined, field: string) =>
        v === undefined ? undefined : v === null ? null : idArg(v, field);
      const body = parseWith(
        createActivitySchema,
        present({
          kind: i.kind,
          subject: i.subject,
          body_markdown: i.bodyMarkdown,
          occurred_at: i.occurredAt,
          due_at: i.dueAt,
          account_id: id(i.accountId, 'input.accountId'),
          contact_id: id(i.contactId, 'input.contactId'),
          deal_id: id(i.dealId, 'input.dealId'),
          lead_id: id(i.leadId, 'input.leadId'),
          source: i.source,
          source_event_id: i.sourceEventId,
          metadata: i.metadata,
          owner_id: id(i.ownerId, 'input.ownerId'),
        }),
        names,
      );
      return (await renamingFields(names, () => createActivity(ctx.p, ctx.ctx, body))).activity;
    },
  }),
}));
