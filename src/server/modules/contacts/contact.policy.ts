import { WRITE_ALL_ROLES } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { ContactAbility } from './contact.schema.js';
import type { ContactRow } from './contact.table.js';

/**
 * Record rules for contacts, as pure functions (seed 003 ownership, as for accounts): every member reads
 * the whole workspace; a member writes the contacts they own or that nobody owns; managers and admins
 * write everything. Role permissions (crm.contact.update…) are checked on top of these.
 */

type Owned = Pick<ContactRow, 'owner_id' | 'deleted_at'>;

export function writesRecord(actor: Actor, contact: Owned): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || contact.owner_id === null || contact.owner_id === actor.userId;
}

/** Giving a contact to someone else is a manager's move; anyone may take it or let it go. */
export function mayAssignOwner(actor: Actor, ownerId: string | null): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || ownerId === null || ownerId === actor.userId;
}

export function canUpdate(actor: Actor, contact: Owned): boolean {
  return contact.deleted_at === null && can(actor, 'crm.contact.update') && writesRecord(actor, contact);
}

export function canDelete(actor: Actor, contact: Owned): boolean {
  return contact.deleted_at === null && can(actor, 'crm.contact.delete') && writesRecord(actor, contact);
}

export function canRestore(actor: Actor, contact: Owned): boolean {
  return contact.deleted_at !== null && can(actor, 'crm.contact.delete') && writesRecord(actor, contact);
}

/**
 * Claiming: anyone who may update contacts takes an unowned one; taking over a contact someone else owns
 * is for managers and admins only (the others get 409 contact_claimed). Claiming one's own is a no-op.
 */
export function canClaim(actor: Actor, contact: Owned): boolean {
  return (
    contact.deleted_at === null &&
    can(actor, 'crm.contact.update') &&
    contact.owner_id !== actor.userId &&
    (contact.owner_id === null || WRITE_ALL_ROLES.has(actor.role))
  );
}

/** Releasing: the owner, or a manager/admin, hands the contact back to "nobody". */
export function canRelease(actor: Actor, contact: Owned): boolean {
  return (
    contact.deleted_at === null &&
    can(actor, 'crm.contact.update') &&
    contact.owner_id !== null &&
    (contact.owner_id === actor.userId || WRITE_ALL_ROLES.has(actor.role))
  );
}

/** What the UI may offer for this record (it never re-implements these rules). */
export function contactAbilities(actor: Actor, contact: Owned): ContactAbility[] {
  const out: ContactAbility[] = [];
  if (canUpdate(actor, contact)) out.push('update');
  if (canDelete(actor, contact)) out.push('delete');
  if (canRestore(actor, contact)) out.push('restore');
  if (canClaim(actor, contact)) out.push('claim');
  if (canRelease(actor, contact)) out.push('release');
  return out;
}
