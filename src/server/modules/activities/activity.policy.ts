import { WRITE_ALL_ROLES } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { ActivityAbility } from './activity.schema.js';
import type { ActivityRow } from './activity.table.js';

/**
 * Record rules for timeline entries, as pure functions. Entries are append-only, so the only record
 * action is completing a task: its owner (or whoever created an unowned one), or a manager/admin.
 * Seeing an entry is the deal ACL's business (deal.visibility.ts), applied in the queries.
 */

type TaskFields = Pick<ActivityRow, 'kind' | 'owner_id' | 'created_by'>;

/** Giving an entry to someone else is a manager's move; anyone may log their own or an unowned one. */
export function mayAssignOwner(actor: Actor, ownerId: string | null): boolean {
  return WRITE_ALL_ROLES.has(actor.role) || ownerId === null || ownerId === actor.userId;
}

export function canComplete(actor: Actor, task: TaskFields, done: boolean): boolean {
  if (task.kind !== 'task' || done || !can(actor, 'crm.activity.create')) return false;
  if (WRITE_ALL_ROLES.has(actor.role)) return true;
  const responsible = task.owner_id ?? task.created_by;
  return responsible === null || responsible === actor.userId;
}

export function activityAbilities(actor: Actor, row: TaskFields, done: boolean): ActivityAbility[] {
  return canComplete(actor, row, done) ? ['complete'] : [];
}
