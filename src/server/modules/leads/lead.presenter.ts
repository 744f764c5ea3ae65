import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { leadAbilities } from './lead.policy.js';
import type { leadResponseSchema } from './lead.schema.js';
import type { LeadRow } from './lead.table.js';

export type LeadJson = z.infer<typeof leadResponseSchema>;
export type LeadSnapshot = Omit<LeadJson, 'abilities'>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The one public shape of a lead, without abilities (for events and audit snapshots). */
export function leadSnapshot(row: LeadRow): LeadSnapshot {
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    display_name: row.display_name,
    title: row.title,
    company_name: row.company_name,
    email: row.email,
    phone: row.phone,
    phone_raw: row.phone_raw,
    vn_mst: row.vn_mst,
    country: row.country,
    source: row.source,
    source_detail: row.source_detail,
    status: row.status,
    qualified_at: iso(row.qualified_at),
    disqualified_at: iso(row.disqualified_at),
    disqualified_reason: row.disqualified_reason,
    score: row.score,
    estimated_amount_minor: row.estimated_amount_minor,
    currency: row.currency,
    description: row.description,
    owner_id: row.owner_id,
    converted_account_id: row.converted_account_id,
    converted_contact_id: row.converted_contact_id,
    converted_deal_id: row.converted_deal_id,
    converted_at: iso(row.converted_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

/** The lead as its reader sees it, with what that reader may do to it. */
export function presentLead(row: LeadRow, actor: Actor): LeadJson {
  return { ...leadSnapshot(row), abilities: leadAbilities(actor, row) };
}

export const leadEtag = (version: number): string => `"${version}"`;
