import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { DealSnapshot } from './deal.presenter.js';

/**
 * Events of the deals module (topics `deal.*`). Each carries the deal snapshot, whose pipeline_id,
 * stage_id, owner_id and ACL fields let the WebSocket fan-out apply the per-deal ACL before delivering.
 * `deal.won` is the hook for the Vietnamese side effects of a win (e-invoice, VietQR), as an outbox
 * consumer.
 */
export const DEAL_EVENTS = {
  created: 'deal.created',
  updated: 'deal.updated',
  deleted: 'deal.deleted',
  restored: 'deal.restored',
  stageChanged: 'deal.stage_changed',
  won: 'deal.won',
  lost: 'deal.lost',
  cancelled: 'deal.cancelled',
} as const;

export interface StageChange {
  from_stage_id: string;
  to_stage_id: string;
  from_stage_code: string;
  to_stage_code: string;
  from_status: string;
  to_status: string;
}

const event = <T>(type: string, deal: DealSnapshot, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'deal',
  aggregateId: deal.id,
  data,
});

export const dealCreated = (deal: DealSnapshot) => event(DEAL_EVENTS.created, deal, { deal });
export const dealUpdated = (deal: DealSnapshot, changes: FieldDiff) =>
  event(DEAL_EVENTS.updated, deal, { deal, changes });
export const dealDeleted = (deal: DealSnapshot) => event(DEAL_EVENTS.deleted, deal, { deal });
export const dealRestored = (deal: DealSnapshot) => event(DEAL_EVENTS.restored, deal, { deal });
export const dealStageChanged = (deal: DealSnapshot, change: StageChange) =>
  event(DEAL_EVENTS.stageChanged, deal, { deal, change });
/** won / lost / cancelled, after the stage_changed event of the same move. */
export const dealClosed = (outcome: 'won' | 'lost' | 'cancelled', deal: DealSnapshot, change: StageChange) =>
  event(DEAL_EVENTS[outcome], deal, { deal, change });
