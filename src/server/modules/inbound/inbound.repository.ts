import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import { jsonb } from '../../platform/db/sql.js';
import type { InboundChannel, InboundItemRow, NewInboundItemRow, TrackedDomainRow } from './inbound.table.js';

/** Queries of the auto-log module. Every function runs inside the caller's workspace scope. */

export async function ownDomains(db: Kysely<DB>, tenantId: string): Promise<string[]> {
  const r = await db
    .selectFrom('crm_core.crm_inbound_settings')
    .select('own_domains')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r?.own_domains ?? [];
}

/** Tracked domains among `domains` whose account is live. */
export async function trackedAmong(
  db: Kysely<DB>,
  tenantId: string,
  domains: string[],
): Promise<Array<{ domain: string; account_id: string }>> {
  if (domains.length === 0) return [];
  return db
    .selectFrom('crm_core.crm_inbound_tracked_domains as t')
    .innerJoin('crm_core.crm_accounts as a', (j) =>
      j.onRef('a.tenant_id', '=', 't.tenant_id').onRef('a.id', '=', 't.account_id'),
    )
    .select(['t.domain', 't.account_id'])
    .where('t.tenant_id', '=', tenantId)
    .where('t.domain', 'in', domains)
    .where('a.deleted_at', 'is', null)
    .execute();
}

/**
 * Live contacts having one of `addresses` as an email channel. The values are compared in the "C"
 * collation of the channel-value index (an equality means the same either way): compared in the
 * default collation, the index could not serve and every message scanned all the workspace's channels
 * (75–220 ms per message with 600k channels; docs/benchmarks.md).
 */
export function contactsByAddressQuery(db: Kysely<DB>, tenantId: string, addresses: readonly string[]) {
  return db
    .selectFrom('crm_core.crm_contact_channels as ch')
    .innerJoin('crm_core.crm_contacts as c', (j) =>
      j.onRef('c.tenant_id', '=', 'ch.tenant_id').onRef('c.id', '=', 'ch.contact_id'),
    )
    .select(['c.id', 'c.account_id', 'ch.value as address'])
    .where('ch.tenant_id', '=', tenantId)
    .where(sql<boolean>`ch.value COLLATE "C" IN (${sql.join(addresses.map((a) => sql`${a} COLLATE "C"`))})`)
    .where('ch.kind', '=', 'email')
    .where('c.deleted_at', 'is', null)
    .orderBy('c.created_at')
    .orderBy('c.id');
}

export async function contactsByAddress(
  db: Kysely<DB>,
  tenantId: string,
  addresses: string[],
): Promise<Array<{ id: string; account_id: string | null; address: string }>> {
  if (addresses.length === 0) return [];
  return contactsByAddressQuery(db, tenantId, addresses).execute();
}

/** The account's open deals (at most 2: enough to tell one from several), with their ACL fields. */
export async function openDeals(db: Kysely<DB>, tenantId: string, accountId: string) {
  return db
    .selectFrom('crm_core.crm_deals')
    .select(['id', 'acl_mode', 'owner_id', 'acl_member_ids', 'acl_roles'])
    .where('tenant_id', '=', tenantId)
    .where('account_id', '=', accountId)
    .where('status', '=', 'open')
    .where('deleted_at', 'is', null)
    .limit(2)
    .execute();
}

/** Whether an item of this channel and external id was already counted as logged (and its highest SEQUENCE). */
export async function loggedBefore(
  db: Kysely<DB>,
  tenantId: string,
  channel: InboundChannel,
  externalId: string,
): Promise<{ logged: boolean; sequence: number | null }> {
  const r = await db
    .selectFrom('crm_core.crm_inbound_items')
    .select([
      sql<number>`count(*)::int`.as('n'),
      sql<number | null>`max((detail->>'sequence')::int)`.as('seq'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('channel', '=', channel)
    .where('external_id', '=', externalId)
    .where('outcome', '=', 'logged')
    .executeTakeFirst();
  return {
    logged: Number(r?.n ?? 0) > 0,
    sequence: r?.seq === null || r?.seq === undefined ? null : Number(r.seq),
  };
}

/** Records an item; a second 'logged' row for the same entry (a race) is not inserted: answers false. */
export async function insertItem(
  db: Kysely<DB>,
  row: Omit<NewInboundItemRow, 'detail'> & { detail: Record<string, unknown> },
): Promise<boolean> {
  const r = await db
    .insertInto('crm_core.crm_inbound_items')
    .values({ ...row, detail: jsonb(row.detail) })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function listTracked(
  db: Kysely<DB>,
  tenantId: string,
  accountId?: string,
): Promise<TrackedDomainRow[]> {
  let q = db.selectFrom('crm_core.crm_inbound_tracked_domains').selectAll().where('tenant_id', '=', tenantId);
  if (accountId) q = q.where('account_id', '=', accountId);
  return q.orderBy('domain').limit(1000).execute();
}

export interface CountRow {
  hour: string;
  channel: InboundChannel;
  outcome: 'logged' | 'skipped';
  reason: string | null;
  n: number;
}

export async function hourlyCounts(
  db: Kysely<DB>,
  tenantId: string,
  from: Date,
  to: Date,
  channel: InboundChannel | undefined,
): Promise<CountRow[]> {
  const r = await sql<CountRow>`
    SELECT to_char(date_trunc('hour', received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour, channel, outcome, reason,
           count(*)::int AS n
    FROM crm_core.crm_inbound_items
    WHERE tenant_id = ${tenantId} AND received_at >= ${from} AND received_at < ${to}
      ${channel ? sql`AND channel = ${channel}` : sql``}
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2`.execute(db);
  return r.rows;
}

/** Active members of the workspace whose sign-in address is one of `addresses` (lower-cased). */
export async function membersByAddress(
  db: Kysely<DB>,
  tenantId: string,
  addresses: string[],
): Promise<Array<{ user_id: string; email: string }>> {
  if (addresses.length === 0) return [];
  return db
    .selectFrom('crm_core.crm_memberships as m')
    .innerJoin('crm_core.crm_users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', sql<string>`lower(u.email)`.as('email')])
    .where('m.tenant_id', '=', tenantId)
    .where('m.status', '=', 'active')
    .where(sql<boolean>`lower(u.email) IN (${sql.join(addresses)})`)
    .execute();
}

export interface ItemFilters {
  channel?: InboundChannel;
  outcome?: 'logged' | 'skipped';
  reason?: string;
  externalId?: string;
  from?: Date;
  to?: Date;
}

/** Received items, newest first, after the (received_at, id) key of the previous page. */
export async function listItems(
  db: Kysely<DB>,
  tenantId: string,
  f: ItemFilters,
  after: readonly [string, string] | null,
  limit: number,
): Promise<InboundItemRow[]> {
  let q = db.selectFrom('crm_core.crm_inbound_items').selectAll().where('tenant_id', '=', tenantId);
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.reason) q = q.where(sql<boolean>`reason = ${f.reason}`);
  if (f.externalId) q = q.where('external_id', '=', f.externalId);
  if (f.from) q = q.where('received_at', '>=', f.from);
  if (f.to) q = q.where('received_at', '<', f.to);
  if (after) {
    q = q.where(sql<boolean>`(received_at, id) < (${new Date(after[0])}::timestamptz, ${after[1]}::uuid)`);
  }
  return q.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
