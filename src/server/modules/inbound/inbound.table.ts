import type { ColumnType, Generated, Insertable, RawBuilder, Selectable } from 'kysely';

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()` (drivers disagree on JSON params). */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export type InboundChannel = 'email' | 'calendar' | 'chat';
export type InboundOutcome = 'logged' | 'skipped';
export type SkipReason =
  | 'no_tracked_domain'
  | 'personal_domain'
  | 'duplicate'
  | 'cancelled'
  | 'no_participants';

export interface InboundSettingsTable {
  tenant_id: string;
  own_domains: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Generated<Date | null>;
}

export interface TrackedDomainTable {
  tenant_id: string;
  id: string;
  account_id: string;
  domain: string;
  created_at: Generated<Date>;
  created_by: string | null;
}

/** Append-only: one row per received unit (message, calendar event, chat note). */
export interface InboundItemTable {
  tenant_id: string;
  id: string;
  channel: InboundChannel;
  external_id: string;
  received_at: Generated<Date>;
  occurred_at: Date | null;
  outcome: InboundOutcome;
  reason: SkipReason | null;
  direction: 'in' | 'out' | null;
  activity_id: string | null;
  account_id: string | null;
  contact_id: string | null;
  deal_id: string | null;
  detail: Json<Record<string, unknown>>;
  actor_type: 'user' | 'api_key' | 'system';
  created_by: string | null;
}

export interface InboundTables {
  'crm_core.crm_inbound_settings': InboundSettingsTable;
  'crm_core.crm_inbound_tracked_domains': TrackedDomainTable;
  'crm_core.crm_inbound_items': InboundItemTable;
}

export type TrackedDomainRow = Selectable<TrackedDomainTable>;
export type InboundItemRow = Selectable<InboundItemTable>;
export type NewInboundItemRow = Insertable<InboundItemTable>;
