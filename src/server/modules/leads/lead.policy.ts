import { WRITE_ALL_ROLES } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { LeadAbility } from './lead.schema.js';
import type { LeadRow } from './lead.table.js';

/**
 * Record rules for leads, as pure functions, the same ownership rules as accounts: every member reads
 * the whole workspace; a member writes what they own or what nobody owns; managers and admins write
 * everything. Role permissions (crm.lead.update, .convert, .disqualify…) are checked on top. A converted
 * lead is frozen: nothing but reading it (and deleting it, for erasure) is offered.
 */

type Owned = Pick<LeadRow, 'owner_id' | 'deleted_at' | 'status'>;

export function writesRecord(actor: Actor, lead: Pick<LeadRow, 'owner_id'>): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || lead.owner_id === null || lead.owner_id === actor.userId;
}

/**
 * Giving a lead to someone else is for managers, admins and whoever holds crm.lead.assign (marketing
 * routes the leads it captures to the sales reps); anyone may take a lead or let it go.
 */
export function mayAssignOwner(actor: Actor, ownerId: string | null): boolean {
  return (
    WRITE_ALL_ROLES.has(actor.role) ||
    can(actor, 'crm.lead.assign') ||
    ownerId === null ||
    ownerId === actor.userId
  );
}

const live = (lead: Owned) => lead.deleted_at === null;
const open = (lead: Owned) => live(lead) && lead.status !== 'converted';

export function canUpdate(actor: Actor, lead: Owned): boolean {
  return open(lead) && can(actor, 'crm.lead.update') && writesRecord(actor, lead);
}

/** Scores are the scoring model's or a manager's call (crm.lead.score), not the lead owner's. */
export function canScore(actor: Actor, lead: Owned): boolean {
  return open(lead) && can(actor, 'crm.lead.score') && writesRecord(actor, lead);
}

export function canQualify(actor: Actor, lead: Owned): boolean {
  return (
    open(lead) &&
    lead.status !== 'qualified' &&
    lead.status !== 'disqualified' &&
    can(actor, 'crm.lead.update') &&
    writesRecord(actor, lead)
  );
}

export function canDisqualify(actor: Actor, lead: Owned): boolean {
  return (
    open(lead) &&
    lead.status !== 'disqualified' &&
    can(actor, 'crm.lead.disqualify') &&
    writesRecord(actor, lead)
  );
}

/** Converting also creates an account, a contact and maybe a deal: their permissions are checked too. */
export function canConvert(actor: Actor, lead: Owned): boolean {
  return (
    open(lead) &&
    lead.status !== 'disqualified' &&
    can(actor, 'crm.lead.convert') &&
    writesRecord(actor, lead)
  );
}

export function canDelete(actor: Actor, lead: Owned): boolean {
  return live(lead) && can(actor, 'crm.lead.delete') && writesRecord(actor, lead);
}

export function canRestore(actor: Actor, lead: Owned): boolean {
  return lead.deleted_at !== null && can(actor, 'crm.lead.delete') && writesRecord(actor, lead);
}

/** What the UI may offer for this record (it never re-implements these rules). */
export function leadAbilities(actor: Actor, lead: Owned): LeadAbility[] {
  const out: LeadAbility[] = [];
  if (canUpdate(actor, lead)) out.push('update');
  if (canDelete(actor, lead)) out.push('delete');
  if (canRestore(actor, lead)) out.push('restore');
  if (canQualify(actor, lead)) out.push('qualify');
  if (canDisqualify(actor, lead)) out.push('disqualify');
  if (canConvert(actor, lead)) out.push('convert');
  if (canScore(actor, lead)) out.push('score');
  if (canUpdate(actor, lead) && (WRITE_ALL_ROLES.has(actor.role) || can(actor, 'crm.lead.assign'))) {
    out.push('assign');
  }
  return out;
}
