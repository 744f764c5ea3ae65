import type { Permission } from '../../../shared/auth.js';
import { type Actor, can } from '../../platform/auth/actor.js';
import type { WORKFLOW_ABILITIES } from './workflow.schema.js';

/**
 * Who may see and change automation: admins (crm.settings.manage, API-key scope crm.admin), reads
 * included. A workflow acts as the system on every record of the workspace (it can reassign deals and
 * write into restricted deals' timelines), so reading its definition and run log is an admin's view too.
 */
export const WORKFLOW_MANAGE: Permission = 'crm.settings.manage';

export type WorkflowAbility = (typeof WORKFLOW_ABILITIES)[number];

export function workflowAbilities(actor: Actor): WorkflowAbility[] {
  return can(actor, WORKFLOW_MANAGE) ? ['update', 'delete'] : [];
}
