import type { DomainEvent } from '../../platform/events/outbox.js';
import type { ActivitySnapshot } from './activity.presenter.js';

/**
 * Events of the activities module. One topic: the timeline only grows. Consumers that fan out to
 * people must apply the deal ACL to entries that carry a `deal_id`.
 */
export const ACTIVITY_EVENTS = { logged: 'activity.logged' } as const;

export const activityLogged = (activity: ActivitySnapshot): DomainEvent<{ activity: ActivitySnapshot }> => ({
  type: ACTIVITY_EVENTS.logged,
  aggregateType: 'activity',
  aggregateId: activity.id,
  data: { activity },
});
