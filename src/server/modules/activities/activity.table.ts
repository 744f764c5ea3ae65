import type { ColumnType, Generated, Insertable, RawBuilder, Selectable } from 'kysely';

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()` (drivers disagree on JSON params). */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export type ActivitySource = 'manual' | 'email' | 'chat' | 'calendar' | 'mcp' | 'system';

/**
 * Append-only: no Updateable type on purpose. The one exception is a lead's conversion filling the empty
 * account/contact/deal links of the lead's entries (migration 0022: crm_app may UPDATE those three columns
 * only, and a trigger refuses to change a link already set).
 */
export interface ActivityTable {
  tenant_id: string;
  id: string;
  kind: string;
  subject: string;
  body_markdown: string | null;
  occurred_at: Date;
  due_at: Date | null;
  related_activity_id: string | null;
  account_id: string | null;
  contact_id: string | null;
  deal_id: string | null;
  /** A lead the entry was logged on (before or without qualification); kept after its conversion. */
  lead_id: string | null;
  source: Generated<ActivitySource>;
  source_event_id: string | null;
  metadata: Json<Record<string, unknown>>;
  owner_id: string | null;
  actor_type: 'user' | 'api_key' | 'system';
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface ActivityTables {
  'crm_core.crm_activities': ActivityTable;
}

export type ActivityRow = Selectable<ActivityTable>;
export type NewActivityRow = Insertable<ActivityTable>;
