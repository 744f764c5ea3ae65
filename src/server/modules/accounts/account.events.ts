import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { AccountSnapshot } from './account.presenter.js';

/** Events of the accounts module (topics `account.*`), as published on the bus and to webhooks. */
export const ACCOUNT_EVENTS = {
  created: 'account.created',
  updated: 'account.updated',
  deleted: 'account.deleted',
  restored: 'account.restored',
} as const;

export const accountCreated = (account: AccountSnapshot): DomainEvent<{ account: AccountSnapshot }> => ({
  type: ACCOUNT_EVENTS.created,
  aggregateType: 'account',
  aggregateId: account.id,
  data: { account },
});

export const accountUpdated = (
  account: AccountSnapshot,
  changes: FieldDiff,
): DomainEvent<{ account: AccountSnapshot; changes: FieldDiff }> => ({
  type: ACCOUNT_EVENTS.updated,
  aggregateType: 'account',
  aggregateId: account.id,
  data: { account, changes },
});

export const accountDeleted = (account: AccountSnapshot): DomainEvent<{ account: AccountSnapshot }> => ({
  type: ACCOUNT_EVENTS.deleted,
  aggregateType: 'account',
  aggregateId: account.id,
  data: { account },
});

export const accountRestored = (account: AccountSnapshot): DomainEvent<{ account: AccountSnapshot }> => ({
  type: ACCOUNT_EVENTS.restored,
  aggregateType: 'account',
  aggregateId: account.id,
  data: { account },
});
