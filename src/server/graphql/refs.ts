import type { ObjectRef } from '@pothos/core';
import { ROLES } from '../../shared/auth.js';
import type { AccountJson } from '../modules/accounts/account.presenter.js';
import {
  ACCOUNT_SIZES,
  ACCOUNT_SORTS,
  LEGAL_TYPES,
  LIFECYCLES,
  MST_STATUSES,
} from '../modules/accounts/account.schema.js';
import type { ActivityJson } from '../modules/activities/activity.presenter.js';
import { ACTIVITY_KINDS } from '../modules/activities/activity.schema.js';
import type { ContactJson } from '../modules/contacts/contact.presenter.js';
import {
  BUYING_ROLES,
  CHANNEL_KINDS,
  CONTACT_SORTS,
  SALUTATIONS,
} from '../modules/contacts/contact.schema.js';
import type { DealJson } from '../modules/deals/deal.presenter.js';
import {
  ACL_MODES,
  DEAL_CURRENCIES,
  DEAL_SORTS,
  DEAL_STATUSES,
  STAGE_CATEGORIES,
} from '../modules/deals/deal.schema.js';
import type { PipelineJson } from '../modules/pipelines/pipeline.presenter.js';
import { PIPELINE_KINDS, STAGE_OUTCOMES } from '../modules/pipelines/pipeline.schema.js';
import type { InvoiceJson } from '../modules/vietnam/invoice.service.js';
import type { VietQrJson } from '../modules/vietnam/vietqr.service.js';
import { builder } from './builder.js';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer X> ? X : never;

/**
 * Type references shared by the per-module files (declared here, implemented there), and the enums: each
 * GraphQL enum value is the REST value upper-cased (`sole_proprietor` ↔ `SOLE_PROPRIETOR`), so the two
 * surfaces name the same things.
 */

function enumOf<const V extends string>(name: string, values: readonly V[], description: string) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(values.map((v) => [v.toUpperCase(), { value: v }])) as Record<
      string,
      { value: V }
    >,
  });
}

export const AccountType = enumOf('AccountType', LEGAL_TYPES, 'Legal form of an account.');
export const MstStatus = enumOf('MstStatus', MST_STATUSES, 'Outcome of the last tax-code (MST) check.');
export const AccountSize = builder.enumType('AccountSize', {
  description: 'Head count band.',
  values: Object.fromEntries(
    ACCOUNT_SIZES.map((v) => [`SIZE_${v.replace('-', '_').replace('+', '_PLUS')}`, { value: v }]),
  ) as Record<string, { value: (typeof ACCOUNT_SIZES)[number] }>,
});
export const Lifecycle = enumOf('Lifecycle', LIFECYCLES, 'Where the account stands with us.');
export const Salutation = enumOf(
  'Salutation',
  SALUTATIONS,
  'Vietnamese form of address (anh, chị, em, bạn, ông, bà, anh/chị, ông/bà).',
);
export const BuyingRole = enumOf('BuyingRole', BUYING_ROLES, "A contact's part in a buying decision.");
export const ChannelKind = enumOf('ChannelKind', CHANNEL_KINDS, 'Kind of contact channel.');
export const DealStatus = enumOf('DealStatus', DEAL_STATUSES, 'Status of a deal.');
export const Currency = enumOf('Currency', DEAL_CURRENCIES, 'Deal currency.');
export const DealAclMode = enumOf(
  'DealAclMode',
  ACL_MODES,
  'default: the workspace sees it; restricted: only the listed.',
);
export const Role = enumOf('Role', ROLES, 'Workspace role.');
export const StageCategory = enumOf('StageCategory', STAGE_CATEGORIES, 'Open, won or lost column.');
export const StageOutcome = enumOf(
  'StageOutcome',
  STAGE_OUTCOMES,
  'What entering a closed stage makes the deal.',
);
export const PipelineKind = enumOf('PipelineKind', PIPELINE_KINDS, 'Kind of pipeline.');
export const ActivityKind = enumOf(
  'ActivityKind',
  ACTIVITY_KINDS,
  'Kind of timeline entry; system kinds are written by the CRM itself and cannot be logged.',
);

/** A sort enum: `name` ↔ NAME, `-name` ↔ NAME_DESC (the REST `sort` values). */
function sortEnum<const V extends string>(name: string, values: readonly V[]) {
  return builder.enumType(name, {
    description: 'List order; *_DESC is descending.',
    values: Object.fromEntries(
      values.map((v) => [
        v.startsWith('-') ? `${v.slice(1).toUpperCase()}_DESC` : v.toUpperCase(),
        { value: v },
      ]),
    ) as Record<string, { value: V }>,
  });
}

export const AccountSort = sortEnum('AccountSort', ACCOUNT_SORTS);
export const ContactSort = sortEnum('ContactSort', CONTACT_SORTS);
export const DealSort = sortEnum('DealSort', DEAL_SORTS);

/** A stage as deals and pipelines show it; position/defaultProbability are null only if the stage is gone. */
export interface StageShape {
  id: string;
  pipeline_id: string;
  code: string;
  name_vi: string;
  name_en: string;
  category: (typeof STAGE_CATEGORIES)[number];
  outcome: (typeof STAGE_OUTCOMES)[number] | null;
  position: number | null;
  default_probability: number | null;
}

export const AccountRef = builder.objectRef<AccountJson>('Account');
export const ContactRef = builder.objectRef<ContactJson>('Contact');
export const DealRef = builder.objectRef<DealJson>('Deal');
export const PipelineRef = builder.objectRef<PipelineJson>('Pipeline');
export const StageRef = builder.objectRef<StageShape>('Stage');
export const ActivityRef = builder.objectRef<ActivityJson>('Activity');
export const VietQrRef = builder.objectRef<VietQrJson>('VietQR');
export const HoaDonRef = builder.objectRef<InvoiceJson>('HoaDon');

export interface PageShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  endCursor: string | null;
  startCursor: string | null;
}

export const PageInfo = builder.objectRef<PageShape>('PageInfo').implement({
  description:
    'Forward keyset paging: pass `endCursor` as `after` for the next page. Backward paging is not offered.',
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage', {
      description: 'True when this page was read with `after` (there are rows before it).',
    }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
    startCursor: t.exposeString('startCursor', {
      nullable: true,
      description: 'Always null: the lists page forward only.',
    }),
  }),
});

/** pageInfo of a REST-style page. */
export function pageInfo(
  page: { next_cursor: string | null; has_more: boolean },
  after: string | null | undefined,
) {
  return {
    hasNextPage: page.has_more,
    hasPreviousPage: after !== null && after !== undefined,
    endCursor: page.next_cursor,
    startCursor: null,
  };
}

/** A relay-style connection over items of `ref`: edges { node }, nodes, pageInfo, totalCount. */
export function connection<T>(name: string, ref: ObjectRef<Types, T>) {
  const Edge = builder.objectRef<{ node: T }>(`${name}Edge`).implement({
    fields: (t) => ({ node: t.expose('node', { type: ref }) }),
  });
  return builder
    .objectRef<{ nodes: T[]; pageInfo: PageShape; totalCount: number | null }>(`${name}Connection`)
    .implement({
      fields: (t) => ({
        edges: t.field({ type: [Edge], resolve: (c) => c.nodes.map((node) => ({ node })) }),
        nodes: t.field({ type: [ref], resolve: (c) => c.nodes }),
        pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
        totalCount: t.int({
          nullable: true,
          description: 'Only when asked for with `withTotal: true` (a count costs a query).',
          resolve: (c) => c.totalCount,
        }),
      }),
    });
}
