import type { Role } from '../../../shared/auth.js';
import type { DomainEvent } from '../../platform/events/outbox.js';

/** Events of the people-and-access module. Secrets (tokens) never appear in events. */

export const workspaceCreated = (w: { id: string; slug: string; name: string }): DomainEvent => ({
  type: 'workspace.created',
  aggregateType: 'workspace',
  aggregateId: w.id,
  data: { workspace: w },
});

export const memberAdded = (m: { user_id: string; email: string; role: Role }): DomainEvent => ({
  type: 'member.added',
  aggregateType: 'member',
  aggregateId: m.user_id,
  data: { member: m },
});

export const memberUpdated = (userId: string, changes: Record<string, unknown>): DomainEvent => ({
  type: 'member.updated',
  aggregateType: 'member',
  aggregateId: userId,
  data: { user_id: userId, changes },
});

export const invitationEvent = (
  type: 'invitation.created' | 'invitation.accepted' | 'invitation.revoked',
  inv: { id: string; email: string; role: Role },
): DomainEvent => ({ type, aggregateType: 'invitation', aggregateId: inv.id, data: { invitation: inv } });

export const apiKeyEvent = (
  type: 'api_key.created' | 'api_key.revoked',
  key: { id: string; name: string; scopes: string[] },
): DomainEvent => ({ type, aggregateType: 'api_key', aggregateId: key.id, data: { api_key: key } });
