import { WRITE_ALL_ROLES } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { DealAbility } from './deal.schema.js';
import type { DealRow } from './deal.table.js';
import { canSeeDeal } from './deal.visibility.js';

/**
 * Record rules for deals, as pure functions (seed 003 ownership, as for accounts): a member writes the
 * deals they own or that nobody owns; managers and admins write everything; viewers write nothing (the
 * role matrix grants them no crm.deal.* write). Seeing a deal at all is `canSeeDeal` (the per-deal ACL);
 * a deal the actor cannot see is "not found", never "forbidden".
 */

type Owned = Pick<DealRow, 'owner_id' | 'deleted_at' | 'acl_mode' | 'acl_member_ids' | 'acl_roles'>;

export function writesDeal(actor: Actor, deal: Pick<DealRow, 'owner_id'>): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || deal.owner_id === null || deal.owner_id === actor.userId;
}

/** Giving a deal to someone else is a manager's move; anyone may take it or let it go. */
export function mayAssignOwner(actor: Actor, ownerId: string | null): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || ownerId === null || ownerId === actor.userId;
}

const live = (actor: Actor, deal: Owned) => deal.deleted_at === null && canSeeDeal(actor, deal);

export function canUpdate(actor: Actor, deal: Owned): boolean {
  return live(actor, deal) && can(actor, 'crm.deal.update') && writesDeal(actor, deal);
}

export function canDelete(actor: Actor, deal: Owned): boolean {
  return live(actor, deal) && can(actor, 'crm.deal.delete') && writesDeal(actor, deal);
}

export function canRestore(actor: Actor, deal: Owned): boolean {
  return (
    deal.deleted_at !== null &&
    canSeeDeal(actor, deal) &&
    can(actor, 'crm.deal.delete') &&
    writesDeal(actor, deal)
  );
}

export function canMove(actor: Actor, deal: Owned): boolean {
  return live(actor, deal) && can(actor, 'crm.deal.stage_change') && writesDeal(actor, deal);
}

/** Closing (entering a won/lost stage) needs crm.deal.close (scope crm.close) on top of moving. */
export function canClose(actor: Actor, deal: Owned): boolean {
  return canMove(actor, deal) && can(actor, 'crm.deal.close');
}

/** What the UI may offer for this deal (it never re-implements these rules). */
export function dealAbilities(actor: Actor, deal: Owned): DealAbility[] {
  const out: DealAbility[] = [];
  if (canUpdate(actor, deal)) out.push('update');
  if (canDelete(actor, deal)) out.push('delete');
  if (canRestore(actor, deal)) out.push('restore');
  if (canMove(actor, deal)) out.push('move');
  if (canClose(actor, deal)) out.push('close');
  return out;
}
