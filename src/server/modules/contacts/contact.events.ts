import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { ContactSnapshot } from './contact.presenter.js';

/** Events of the contacts module (topics `contact.*`), as published on the bus and to webhooks. */
export const CONTACT_EVENTS = {
  created: 'contact.created',
  updated: 'contact.updated',
  deleted: 'contact.deleted',
  restored: 'contact.restored',
  claimed: 'contact.claimed',
  released: 'contact.released',
} as const;

type ContactData = { contact: ContactSnapshot };

const event = <D extends ContactData>(type: string, contact: ContactSnapshot, data: D): DomainEvent<D> => ({
  type,
  aggregateType: 'contact',
  aggregateId: contact.id,
  data,
});

export const contactCreated = (contact: ContactSnapshot): DomainEvent<ContactData> =>
  event(CONTACT_EVENTS.created, contact, { contact });

export const contactUpdated = (
  contact: ContactSnapshot,
  changes: FieldDiff,
): DomainEvent<ContactData & { changes: FieldDiff }> =>
  event(CONTACT_EVENTS.updated, contact, { contact, changes });

export const contactDeleted = (contact: ContactSnapshot): DomainEvent<ContactData> =>
  event(CONTACT_EVENTS.deleted, contact, { contact });

export const contactRestored = (contact: ContactSnapshot): DomainEvent<ContactData> =>
  event(CONTACT_EVENTS.restored, contact, { contact });

/** `previous_owner_id` is set when a manager took the contact over from someone else. */
export const contactClaimed = (
  contact: ContactSnapshot,
  previousOwnerId: string | null,
): DomainEvent<ContactData & { owner_id: string | null; previous_owner_id: string | null }> =>
  event(CONTACT_EVENTS.claimed, contact, {
    contact,
    owner_id: contact.owner_id,
    previous_owner_id: previousOwnerId,
  });

export const contactReleased = (
  contact: ContactSnapshot,
  previousOwnerId: string | null,
): DomainEvent<ContactData & { previous_owner_id: string | null }> =>
  event(CONTACT_EVENTS.released, contact, { contact, previous_owner_id: previousOwnerId });
