import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { LeadSnapshot } from './lead.presenter.js';

/**
 * Events of the leads module (topics `lead.*`), as published on the bus and to webhooks (whose
 * subscriptions take any `module.event` name or pattern, so no catalogue needs them listed).
 */
export const LEAD_EVENTS = {
  created: 'lead.created',
  updated: 'lead.updated',
  qualified: 'lead.qualified',
  disqualified: 'lead.disqualified',
  converted: 'lead.converted',
  deleted: 'lead.deleted',
  restored: 'lead.restored',
} as const;

type LeadData = { lead: LeadSnapshot };

const event = <D extends LeadData>(type: string, lead: LeadSnapshot, data: D): DomainEvent<D> => ({
  type,
  aggregateType: 'lead',
  aggregateId: lead.id,
  data,
});

export const leadCreated = (lead: LeadSnapshot) => event(LEAD_EVENTS.created, lead, { lead });
export const leadUpdated = (lead: LeadSnapshot, changes: FieldDiff) =>
  event(LEAD_EVENTS.updated, lead, { lead, changes });
export const leadQualified = (lead: LeadSnapshot, previousStatus: string) =>
  event(LEAD_EVENTS.qualified, lead, { lead, previous_status: previousStatus });
export const leadDisqualified = (lead: LeadSnapshot, previousStatus: string) =>
  event(LEAD_EVENTS.disqualified, lead, { lead, previous_status: previousStatus });
export const leadDeleted = (lead: LeadSnapshot) => event(LEAD_EVENTS.deleted, lead, { lead });
export const leadRestored = (lead: LeadSnapshot) => event(LEAD_EVENTS.restored, lead, { lead });

/** What a conversion created or linked (`created: false` means an existing record was linked). */
export interface ConversionLinks {
  account: { id: string; created: boolean };
  contact: { id: string; created: boolean };
  deal: { id: string } | null;
}

export const leadConverted = (lead: LeadSnapshot, links: ConversionLinks) =>
  event(LEAD_EVENTS.converted, lead, { lead, ...links });
