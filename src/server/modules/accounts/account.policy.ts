import { WRITE_ALL_ROLES } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { AccountAbility } from './account.schema.js';
import type { AccountRow } from './account.table.js';

/**
 * Record rules for accounts, as pure functions (seed 003 ownership): every member reads the whole
 * workspace; a member writes what they own or what nobody owns; managers and admins write everything.
 * Role permissions (crm.account.update…) are checked on top of these.
 */

type Owned = Pick<AccountRow, 'owner_id' | 'deleted_at'>;

export function writesRecord(actor: Actor, account: Owned): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || account.owner_id === null || account.owner_id === actor.userId;
}

/** Giving a record to someone else is a manager's move; anyone may take it or let it go. */
export function mayAssignOwner(actor: Actor, ownerId: string | null): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || ownerId === null || ownerId === actor.userId;
}

export function canUpdate(actor: Actor, account: Owned): boolean {
  return account.deleted_at === null && can(actor, 'crm.account.update') && writesRecord(actor, account);
}

export function canDelete(actor: Actor, account: Owned): boolean {
  return account.deleted_at === null && can(actor, 'crm.account.delete') && writesRecord(actor, account);
}

export function canRestore(actor: Actor, account: Owned): boolean {
  return account.deleted_at !== null && can(actor, 'crm.account.delete') && writesRecord(actor, account);
}

/** What the UI may offer for this record (it never re-implements these rules). */
export function accountAbilities(actor: Actor, account: Owned): AccountAbility[] {
  const out: AccountAbility[] = [];
  if (canUpdate(actor, account)) out.push('update');
  if (canDelete(actor, account)) out.push('delete');
  if (canRestore(actor, account)) out.push('restore');
  return out;
}
