import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { RateSnapshot } from './currency.presenter.js';

/** Events of exchange rates (topics `exchange_rate.*`): a consumer caching converted totals refreshes. */
export const RATE_EVENTS = {
  created: 'exchange_rate.created',
  updated: 'exchange_rate.updated',
  deleted: 'exchange_rate.deleted',
} as const;

const ev = <T>(type: string, rate: RateSnapshot, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'exchange_rate',
  aggregateId: rate.id,
  data,
});

export const rateCreated = (rate: RateSnapshot) => ev(RATE_EVENTS.created, rate, { exchange_rate: rate });
export const rateUpdated = (rate: RateSnapshot, changes: FieldDiff) =>
  ev(RATE_EVENTS.updated, rate, { exchange_rate: rate, changes });
export const rateDeleted = (rate: RateSnapshot) => ev(RATE_EVENTS.deleted, rate, { exchange_rate: rate });
