import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { accountAbilities } from './account.policy.js';
import type { accountResponseSchema } from './account.schema.js';
import type { AccountRow } from './account.table.js';

export type AccountJson = z.infer<typeof accountResponseSchema>;
export type AccountSnapshot = Omit<AccountJson, 'abilities'>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The one public shape of an account, without abilities (for events and audit snapshots). */
export function accountSnapshot(row: AccountRow): AccountSnapshot {
  return {
    id: row.id,
    name: row.name,
    legal_type: row.legal_type,
    vn_mst: row.vn_mst,
    mst_status: row.mst_status,
    mst_checked_at: iso(row.mst_checked_at),
    industry: row.industry,
    size: row.size,
    website: row.website,
    domains: row.domains,
    country: row.country,
    phone: row.phone,
    email: row.email,
    addresses: row.addresses,
    lifecycle: row.lifecycle,
    lead_source: row.lead_source,
    description: row.description,
    owner_id: row.owner_id,
    custom_fields: row.custom_fields,
    tags: row.tags,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

/** The account as its reader sees it, with what that reader may do to it. */
export function presentAccount(row: AccountRow, actor: Actor): AccountJson {
  return { ...accountSnapshot(row), abilities: accountAbilities(actor, row) };
}

export const accountEtag = (version: number): string => `"${version}"`;
