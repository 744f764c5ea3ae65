import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { WorkflowSnapshot } from './workflow.presenter.js';

/**
 * Events of automation configuration (topics `workflow.*`), for the audit trail, webhooks and the
 * WebSocket. They are not triggers: the catalogue offers none, so a workflow cannot react to workflows.
 */
export const WORKFLOW_EVENTS = {
  created: 'workflow.created',
  updated: 'workflow.updated',
  deleted: 'workflow.deleted',
} as const;

const ev = <T>(type: string, w: WorkflowSnapshot, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'workflow',
  aggregateId: w.id,
  data,
});

export const workflowCreated = (w: WorkflowSnapshot) => ev(WORKFLOW_EVENTS.created, w, { workflow: w });
export const workflowUpdated = (w: WorkflowSnapshot, changes: FieldDiff) =>
  ev(WORKFLOW_EVENTS.updated, w, { workflow: w, changes });
export const workflowDeleted = (w: WorkflowSnapshot) => ev(WORKFLOW_EVENTS.deleted, w, { workflow: w });
