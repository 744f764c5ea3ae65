import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import type { AccountRow } from '../accounts/account.table.js';
import type { ContactRow } from '../contacts/contact.table.js';
import { dealVisibleSql } from '../deals/deal.visibility.js';
import type { TagEntity } from './tag.schema.js';

/** SQL of the tags capability: rows locked for a bulk change, and the workspace's tag counts. */

/**
 * The workspace's accounts among `ids`, locked for update in id order (two bulk requests over
 * overlapping sets take their locks in the same order, so they queue instead of deadlocking).
 * Ids of another workspace are simply absent.
 */
export async function lockAccounts(
  db: Kysely<DB>,
  tenantId: string,
  ids: readonly string[],
): Promise<AccountRow[]> {
  return db
    .selectFrom('crm_core.crm_accounts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** As lockAccounts, for contacts. */
export async function lockContacts(
  db: Kysely<DB>,
  tenantId: string,
  ids: readonly string[],
): Promise<ContactRow[]> {
  return db
    .selectFrom('crm_core.crm_contacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forUpdate()
    .execute();
}

const TABLES = {
  account: 'crm_core.crm_accounts',
  contact: 'crm_core.crm_contacts',
  deal: 'crm_core.crm_deals',
} as const satisfies Record<TagEntity, string>;

/**
 * The most used tags of one entity's live records, most used first (then by tag), optionally only
 * those starting with `prefix` (folded: case and diacritics ignored, "hoi" finds "Hội chợ"). Deals
 * count only those the actor may see: a restricted deal's tags are not leaked through suggestions.
 */
export async function tagCounts(
  db: Kysely<DB>,
  tenantId: string,
  actor: Actor,
  entity: TagEntity,
  prefix: string | null,
  limit: number,
): Promise<{ tag: string; count: number }[]> {
  const prefixCond =
    prefix === null ? sql`` : sql`AND starts_with(crm_core.fold_text(t.tag), crm_core.fold_text(${prefix}))`;
  const visible = entity === 'deal' ? sql`AND ${dealVisibleSql(actor, 'r')}` : sql``;
  const r = await sql<{ tag: string; count: number }>`
    SELECT t.tag, count(*)::int AS count
    FROM ${sql.table(TABLES[entity])} r CROSS JOIN LATERAL unnest(r.tags) AS t(tag)
    WHERE r.tenant_id = ${tenantId} AND r.deleted_at IS NULL ${visible} ${prefixCond}
    GROUP BY t.tag
    ORDER BY count(*) DESC, t.tag
    LIMIT ${limit}`.execute(db);
  return r.rows.map((row) => ({ tag: row.tag, count: Number(row.count) }));
}
