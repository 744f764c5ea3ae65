import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { dealAbilities } from './deal.policy.js';
import type { DealView } from './deal.repository.js';
import type { dealResponseSchema } from './deal.schema.js';

export type DealJson = z.infer<typeof dealResponseSchema>;
/** The deal without the reader's abilities and without the embedded stage: events and audit diffs. */
export type DealSnapshot = Omit<DealJson, 'abilities' | 'stage'>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * The one public shape of a deal, without abilities (events and audit snapshots). It carries
 * pipeline_id, stage_id, owner_id and the ACL fields so consumers (WebSocket fan-out) can filter
 * events by the same rule as reads (`canSeeDeal`).
 */
export function dealSnapshot(d: Omit<DealView, 'stage' | 'stage_default_probability'>): DealSnapshot {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    account_id: d.account_id,
    primary_contact_id: d.primary_contact_id,
    contacts: d.contacts.map((c) => ({ contact_id: c.contact_id, role: c.role })),
    amount_minor: d.amount_minor === null ? null : Number(d.amount_minor),
    currency: d.currency,
    pipeline_id: d.pipeline_id,
    stage_id: d.stage_id,
    probability: d.probability,
    probability_overridden: d.probability_overridden,
    expected_close_date: d.expected_close_date,
    status: d.status,
    lost_reason: d.lost_reason,
    closed_at: iso(d.closed_at),
    owner_id: d.owner_id,
    acl_mode: d.acl_mode,
    acl_member_ids: d.acl_member_ids,
    acl_roles: d.acl_roles,
    tags: d.tags,
    stage_entered_at: d.stage_entered_at.toISOString(),
    stage_rank: String(d.stage_rank),
    lead_source: d.lead_source,
    custom_fields: d.custom_fields,
    created_at: d.created_at.toISOString(),
    updated_at: d.updated_at.toISOString(),
    created_by: d.created_by,
    updated_by: d.updated_by,
    version: d.version,
    deleted_at: iso(d.deleted_at),
  };
}

/** The deal as its reader sees it: its stage embedded, and what that reader may do to it. */
export function presentDeal(d: DealView, actor: Actor): DealJson {
  const { id, code, name_vi, name_en, category } = d.stage;
  return {
    ...dealSnapshot(d),
    stage: { id, code, name_vi, name_en, category },
    abilities: dealAbilities(actor, d),
  };
}

/** A small deal reference for other modules' JSON (Account 360, search, timelines). */
export interface DealSummary {
  id: string;
  name: string;
  amount_minor: number | null;
  currency: string;
  pipeline_id: string;
  stage_id: string;
  probability: number;
  status: string;
  expected_close_date: string | null;
  owner_id: string | null;
  account_id: string | null;
}

export function presentDealSummary(
  d: Pick<
    DealView,
    | 'id'
    | 'name'
    | 'amount_minor'
    | 'currency'
    | 'pipeline_id'
    | 'stage_id'
    | 'probability'
    | 'status'
    | 'expected_close_date'
    | 'owner_id'
    | 'account_id'
  >,
): DealSummary {
  return {
    id: d.id,
    name: d.name,
    amount_minor: d.amount_minor === null ? null : Number(d.amount_minor),
    currency: String(d.currency).trim(),
    pipeline_id: d.pipeline_id,
    stage_id: d.stage_id,
    probability: d.probability,
    status: d.status,
    expected_close_date: d.expected_close_date,
    owner_id: d.owner_id,
    account_id: d.account_id,
  };
}

export const dealEtag = (version: number): string => `"${version}"`;
