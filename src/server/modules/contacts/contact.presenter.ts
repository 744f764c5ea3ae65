import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { salutationDisplay } from '../vietnam/salutation.service.js';
import { contactAbilities } from './contact.policy.js';
import type { channelResponseSchema, contactResponseSchema } from './contact.schema.js';
import type { ContactChannelRow, ContactRow } from './contact.table.js';

export type ContactJson = z.infer<typeof contactResponseSchema>;
/** Events and audit carry the stored fields; derived ones (abilities, salutation_display) are for readers. */
export type ContactSnapshot = Omit<ContactJson, 'abilities' | 'salutation_display'>;
export type ContactChannelJson = z.infer<typeof channelResponseSchema>;

/** A contact in a few fields, for other modules' responses (deal contacts, search hits, timelines). */
export interface ContactSummary {
  id: string;
  display_name: string;
  call_name: string | null;
  /** "Chị Lan": how to name the contact wherever it appears. */
  salutation_display: string;
  title: string | null;
  account_id: string | null;
  buying_role: ContactRow['buying_role'];
  is_primary: boolean;
  owner_id: string | null;
  /** The primary email and phone (normalized), when the contact has them. */
  email: string | null;
  phone: string | null;
  deleted_at: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentChannel(c: ContactChannelRow): ContactChannelJson {
  return {
    id: c.id,
    kind: c.kind,
    value: c.value,
    raw_value: c.raw_value,
    label: c.label,
    is_primary: c.is_primary,
    position: c.position,
    mx_status: c.mx_status,
    mx_checked_at: iso(c.mx_checked_at),
  };
}

const byPosition = (a: ContactChannelRow, b: ContactChannelRow) => a.position - b.position;

/** The one public shape of a contact, without abilities (for events and audit snapshots). */
export function contactSnapshot(row: ContactRow, channels: readonly ContactChannelRow[]): ContactSnapshot {
  return {
    id: row.id,
    account_id: row.account_id,
    first_name: row.first_name,
    last_name: row.last_name,
    display_name: row.display_name,
    call_name: row.call_name,
    salutation: row.salutation,
    salutation_source: row.salutation_source,
    gender: row.gender,
    birth_year: row.birth_year,
    title: row.title,
    buying_role: row.buying_role,
    is_primary: row.is_primary,
    owner_id: row.owner_id,
    claimed_at: iso(row.claimed_at),
    email_opt_in: row.email_opt_in,
    do_not_call: row.do_not_call,
    lead_source: row.lead_source,
    description: row.description,
    custom_fields: row.custom_fields,
    tags: row.tags,
    channels: [...channels].sort(byPosition).map(presentChannel),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

/** The contact as its reader sees it, with what that reader may do to it. */
export function presentContact(
  row: ContactRow,
  channels: readonly ContactChannelRow[],
  actor: Actor,
): ContactJson {
  return {
    ...contactSnapshot(row, channels),
    salutation_display: salutationDisplay(row.salutation, row.call_name, row.display_name),
    abilities: contactAbilities(actor, row),
  };
}

function primaryValue(
  channels: readonly ContactChannelRow[],
  kind: ContactChannelRow['kind'],
): string | null {
  const of = channels.filter((c) => c.kind === kind).sort(byPosition);
  return (of.find((c) => c.is_primary) ?? of[0])?.value ?? null;
}

/** The short form of a contact for other modules (pass its channels to get the primary email/phone). */
export function contactSummary(row: ContactRow, channels: readonly ContactChannelRow[] = []): ContactSummary {
  return {
    id: row.id,
    display_name: row.display_name,
    call_name: row.call_name,
    salutation_display: salutationDisplay(row.salutation, row.call_name, row.display_name),
    title: row.title,
    account_id: row.account_id,
    buying_role: row.buying_role,
    is_primary: row.is_primary,
    owner_id: row.owner_id,
    email: primaryValue(channels, 'email'),
    phone: primaryValue(channels, 'phone'),
    deleted_at: iso(row.deleted_at),
  };
}

export const contactEtag = (version: number): string => `"${version}"`;
