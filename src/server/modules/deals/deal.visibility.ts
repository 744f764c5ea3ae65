import { type RawBuilder, sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import type { DealRow } from './deal.table.js';

/**
 * Per-deal ACL (DESIGN §6): a restricted deal is visible only to its owner, the allow-listed members and
 * roles, and admins — in lists, search, counts, totals, timelines, boards and events. Every query that
 * touches deals (or what hangs off them) takes this one predicate; `canSeeDeal` is the same rule in
 * memory, for events and single rows.
 */

type AclFields = Pick<DealRow, 'acl_mode' | 'owner_id' | 'acl_member_ids' | 'acl_roles'>;

export function canSeeDeal(actor: Actor, deal: AclFields): boolean {
  if (deal.acl_mode === 'default' || actor.role === 'admin') return true;
  if (
    actor.userId !== null &&
    (deal.owner_id === actor.userId || deal.acl_member_ids.includes(actor.userId))
  ) {
    return true;
  }
  return deal.acl_roles.includes(actor.role);
}

/**
 * The predicate as SQL over the deal columns of `alias` (default `d`). For a LEFT JOINed deal that may be
 * absent (an activity without a deal), wrap it: `(d.id IS NULL OR <predicate>)`.
 */
export function dealVisibleSql(actor: Actor, alias = 'd'): RawBuilder<boolean> {
  if (actor.role === 'admin') return sql<boolean>`true`;
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  const me = actor.userId;
  return sql<boolean>`(${col('acl_mode')} = 'default'
    OR ${col('owner_id')} = ${me}::uuid
    OR ${me}::uuid = ANY(${col('acl_member_ids')})
    OR ${actor.role}::text = ANY(${col('acl_roles')}))`;
}
