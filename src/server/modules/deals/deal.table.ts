import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from 'kysely';
import type { Role } from '../../../shared/auth.js';
import type { BuyingRole } from '../contacts/contact.table.js';

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()` (drivers disagree on JSON params). */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export type DealCurrency = 'VND' | 'USD';
export type DealStatus = 'open' | 'won' | 'lost' | 'cancelled';
export type AclMode = 'default' | 'restricted';

/** bigint columns: pg returns strings, PGlite bigint/number; repositories convert with Number() (≤ 2^53). */
type Bigint = ColumnType<string | number | bigint, number | bigint, number | bigint>;

export interface DealTable {
  tenant_id: string;
  id: string;
  account_id: string | null;
  primary_contact_id: string | null;
  name: string;
  description: string | null;
  amount_minor: Bigint | null;
  currency: Generated<DealCurrency>;
  pipeline_id: string;
  stage_id: string;
  probability: number;
  probability_overridden: Generated<boolean>;
  /** date: read as 'YYYY-MM-DD' text (the database casts; see deal.repository.ts). */
  expected_close_date: ColumnType<string | null, string | null, string | null>;
  status: Generated<DealStatus>;
  lost_reason: string | null;
  closed_at: Date | null;
  owner_id: string | null;
  acl_mode: Generated<AclMode>;
  acl_member_ids: Generated<string[]>;
  acl_roles: Generated<Role[]>;
  tags: Generated<string[]>;
  stage_entered_at: Generated<Date>;
  /** numeric, read as decimal text: the deal's place in its board column, smaller first (migration 0018). */
  stage_rank: ColumnType<string, string | undefined, string | RawBuilder<string>>;
  lead_source: string | null;
  custom_fields: Json<Record<string, unknown>>;
  name_fold: ColumnType<string, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface DealContactTable {
  tenant_id: string;
  deal_id: string;
  contact_id: string;
  role: BuyingRole | null;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface StageTransitionTable {
  tenant_id: string;
  id: string;
  deal_id: string;
  pipeline_id: string;
  from_stage_id: string | null;
  to_stage_id: string;
  from_status: DealStatus | null;
  to_status: DealStatus;
  probability: number;
  ms_in_from_stage: Bigint | null;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  occurred_at: Generated<Date>;
}

export interface DealTables {
  'crm_core.crm_deals': DealTable;
  'crm_core.crm_deal_contacts': DealContactTable;
  'crm_core.crm_stage_transitions': StageTransitionTable;
}

export type DealRow = Selectable<DealTable>;
export type NewDealRow = Insertable<DealTable>;
export type DealRowUpdate = Updateable<DealTable>;
export type DealContactRow = Selectable<DealContactTable>;
export type StageTransitionRow = Selectable<StageTransitionTable>;
