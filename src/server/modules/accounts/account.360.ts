import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../db.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import type { ActivityJson } from '../activities/activity.presenter.js';
import { lastContactAt } from '../activities/activity.repository.js';
import { activityResponseSchema, CONTACT_KINDS } from '../activities/activity.schema.js';
import { activityPage } from '../activities/activity.service.js';
import {
  type Amount,
  dateIn,
  loadRateHistory,
  rateOn,
  totalInBase,
  totalInBaseDated,
} from '../currencies/currency.money.js';
import { moneyTotalSchema } from '../currencies/currency.schema.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';
import type { AccountInclude } from './account.schema.js';
import { accountResponseSchema } from './account.schema.js';

/**
 * Account 360: what a salesperson opens an account for, in one request — its people, its open deals,
 * its latest timeline entries and its money. Every part runs inside one read, in parallel; every part
 * over deals applies the deal ACL (a restricted deal the reader cannot see is absent from the deals
 * AND from the counts and sums), and activities of such deals are invisible as everywhere else.
 */

export const ACCOUNT_360_LIMITS = { contacts: 50, deals: 50, activities: 20 } as const;

export const account360ContactSchema = z.object({
  id: z.uuid(),
  display_name: z.string(),
  title: z.string().nullable(),
  buying_role: z.string().nullable(),
  is_primary: z.boolean(),
  email: z.string().nullable().describe('Primary email channel'),
  phone: z.string().nullable().describe('Primary phone channel (E.164)'),
});

export const account360DealSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  amount_minor: z.number().int().nullable(),
  currency: z.string(),
  stage: z.object({ id: z.uuid(), code: z.string(), name_vi: z.string(), name_en: z.string() }),
  probability: z.number().int(),
  expected_close_date: z.string().nullable(),
  owner_id: z.uuid().nullable(),
  status: z.string(),
});

export const account360StatsSchema = z.object({
  contacts_count: z.number().int(),
  open_deals_count: z.number().int(),
  open_pipeline_value: moneyTotalSchema.describe("Open deals at today's rates"),
  weighted_pipeline_value: moneyTotalSchema.describe('Σ amount × probability of open deals'),
  won_value: moneyTotalSchema.describe('Won deals, each at the rate valid on the day it closed'),
  won_deals_count: z.number().int(),
  last_contact_at: z.iso
    .datetime()
    .nullable()
    .describe('Latest email, call, meeting or site visit on the account timeline'),
});

/** GET /accounts/{id}: the account, plus the parts named by `include`. */
export const account360ResponseSchema = accountResponseSchema.extend({
  contacts: z.array(account360ContactSchema).optional().describe('Live contacts, primary first (up to 50)'),
  deals: z.array(account360DealSchema).optional().describe('Open deals visible to you (up to 50)'),
  activities: z.array(activityResponseSchema).optional().describe('The 20 latest timeline entries'),
  stats: account360StatsSchema.optional(),
});

export type Account360Contact = z.infer<typeof account360ContactSchema>;
export type Account360Deal = z.infer<typeof account360DealSchema>;
export type Account360Stats = z.infer<typeof account360StatsSchema>;

export interface Account360Parts {
  contacts?: Account360Contact[];
  deals?: Account360Deal[];
  activities?: ActivityJson[];
  stats?: Account360Stats;
}

function primaryChannel(kind: 'email' | 'phone') {
  return sql<string | null>`(SELECT ch.value FROM crm_core.crm_contact_channels ch
    WHERE ch.tenant_id = c.tenant_id AND ch.contact_id = c.id AND ch.kind = ${kind}
    ORDER BY ch.is_primary DESC, ch.position, ch.id LIMIT 1)`;
}

async function contactsOf(db: Kysely<DB>, tenantId: string, accountId: string): Promise<Account360Contact[]> {
  const rows = await db
    .selectFrom('crm_core.crm_contacts as c')
    .select([
      'c.id',
      'c.display_name',
      'c.title',
      'c.buying_role',
      'c.is_primary',
      primaryChannel('email').as('email'),
      primaryChannel('phone').as('phone'),
    ])
    .where('c.tenant_id', '=', tenantId)
    .where('c.account_id', '=', accountId)
    .where('c.deleted_at', 'is', null)
    .orderBy('c.is_primary', 'desc')
    .orderBy(sql`c.name_fold collate "C"`)
    .orderBy('c.id')
    .limit(ACCOUNT_360_LIMITS.contacts)
    .execute();
  return rows;
}

/** The account's live deals the reader may see (the ACL predicate is applied by every caller). */
function visibleDealsOf(db: Kysely<DB>, actor: Actor, accountId: string) {
  return db
    .selectFrom('crm_core.crm_deals as d')
    .where('d.tenant_id', '=', actor.workspaceId)
    .where('d.account_id', '=', accountId)
    .where('d.deleted_at', 'is', null)
    .where(dealVisibleSql(actor, 'd'));
}

async function openDealsOf(db: Kysely<DB>, actor: Actor, accountId: string): Promise<Account360Deal[]> {
  const rows = await visibleDealsOf(db, actor, accountId)
    .innerJoin('crm_core.crm_pipeline_stages as s', (j) =>
      j.onRef('s.tenant_id', '=', 'd.tenant_id').onRef('s.id', '=', 'd.stage_id'),
    )
    .select([
      'd.id',
      'd.name',
      'd.amount_minor',
      'd.currency',
      'd.probability',
      sql<string | null>`to_char(d.expected_close_date, 'YYYY-MM-DD')`.as('expected_close_date'),
      'd.owner_id',
      'd.status',
      's.id as stage_id',
      's.code as stage_code',
      's.name_vi as stage_name_vi',
      's.name_en as stage_name_en',
    ])
    .where('d.status', '=', 'open')
    // Soonest to close first; undated ones after, in name order.
    .orderBy(sql`d.expected_close_date asc nulls last`)
    .orderBy(sql`d.name_fold collate "C"`)
    .orderBy('d.id')
    .limit(ACCOUNT_360_LIMITS.deals)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    amount_minor: r.amount_minor === null ? null : Number(r.amount_minor),
    currency: r.currency.trim(),
    stage: { id: r.stage_id, code: r.stage_code, name_vi: r.stage_name_vi, name_en: r.stage_name_en },
    probability: r.probability,
    expected_close_date: r.expected_close_date,
    owner_id: r.owner_id,
    status: r.status,
  }));
}

/** Σ amount × probability / 100 per currency, rounded half up once (sums arrive ×100, exact). */
const fromX100 = (x100: string): number => Number((BigInt(x100.split('.')[0] ?? '0') + 50n) / 100n);

async function statsOf(db: Kysely<DB>, actor: Actor, accountId: string): Promise<Account360Stats> {
  const tenantId = actor.workspaceId;
  const ws = await db
    .selectFrom('crm_core.crm_workspaces')
    .select(['base_currency', 'timezone'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const base = ws.base_currency.trim();
  const [contacts, open, won, last, history] = await Promise.all([
    db
      .selectFrom('crm_core.crm_contacts')
      .select(sql<string>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId)
      .where('account_id', '=', accountId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    visibleDealsOf(db, actor, accountId)
      .select([
        'd.currency',
        sql<string>`count(*)`.as('n'),
        sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
        sql<string>`coalesce(sum(d.amount_minor::numeric * d.probability), 0)::text`.as('weighted_x100'),
      ])
      .where('d.status', '=', 'open')
      .groupBy('d.currency')
      .execute(),
    // Won money converts at the rate of the day each deal closed (in the workspace's zone).
    visibleDealsOf(db, actor, accountId)
      .select([
        'd.currency',
        sql<string>`to_char(d.closed_at AT TIME ZONE ${ws.timezone}, 'YYYY-MM-DD')`.as('closed_on'),
        sql<string>`count(*)`.as('n'),
        sql<string>`coalesce(sum(d.amount_minor), 0)::text`.as('amount'),
      ])
      .where('d.status', '=', 'won')
      .groupBy(['d.currency', sql`2`])
      .execute(),
    lastContactAt(db, actor, accountId, CONTACT_KINDS),
    loadRateHistory(db, base),
  ]);
  const today = dateIn(ws.timezone);
  const todayRates = new Map(
    [...history.keys()].flatMap((c) => {
      const r = rateOn(history, c, today);
      return r ? [[c, r] as const] : [];
    }),
  );
  const openAmounts = open.map(
    (r): Amount => ({ currency: r.currency.trim(), amount_minor: Number(r.amount) }),
  );
  const weighted = open.map(
    (r): Amount => ({ currency: r.currency.trim(), amount_minor: fromX100(r.weighted_x100) }),
  );
  return {
    contacts_count: Number(contacts.n),
    open_deals_count: open.reduce((n, r) => n + Number(r.n), 0),
    open_pipeline_value: totalInBase(base, openAmounts, todayRates),
    weighted_pipeline_value: totalInBase(base, weighted, todayRates),
    won_value: totalInBaseDated(
      base,
      won.map((r) => ({ currency: r.currency.trim(), amount_minor: Number(r.amount), on: r.closed_on })),
      history,
    ),
    won_deals_count: won.reduce((n, r) => n + Number(r.n), 0),
    last_contact_at: last ? last.toISOString() : null,
  };
}

/**
 * The included parts of an account, all read in parallel on `db` (one read of the caller's). Checks the
 * view permission of each part; the caller checks that the account exists (404 otherwise).
 */
export async function loadAccount360(
  db: Kysely<DB>,
  actor: Actor,
  accountId: string,
  include: readonly AccountInclude[],
): Promise<Account360Parts> {
  const want = new Set(include);
  if (want.has('contacts')) requirePermission(actor, 'crm.contact.view');
  if (want.has('deals') || want.has('stats')) requirePermission(actor, 'crm.deal.view');
  if (want.has('activities')) requirePermission(actor, 'crm.activity.view');
  const [contacts, deals, activities, stats] = await Promise.all([
    want.has('contacts') ? contactsOf(db, actor.workspaceId, accountId) : undefined,
    want.has('deals') ? openDealsOf(db, actor, accountId) : undefined,
    want.has('activities')
      ? activityPage(
          db,
          actor,
          { scope: { kind: 'account', id: accountId } },
          ACCOUNT_360_LIMITS.activities,
          undefined,
        )
      : undefined,
    want.has('stats') ? statsOf(db, actor, accountId) : undefined,
  ]);
  return {
    ...(contacts ? { contacts } : {}),
    ...(deals ? { deals } : {}),
    ...(activities ? { activities: activities.data } : {}),
    ...(stats ? { stats } : {}),
  };
}
