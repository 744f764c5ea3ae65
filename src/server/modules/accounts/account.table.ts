import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from 'kysely';
import type { AccountLifecycle, AccountSize, LegalType, MstStatus } from './account.schema.js';

export interface AccountAddress {
  kind: 'headquarters' | 'billing' | 'shipping' | 'branch' | 'other';
  street: string | null;
  ward: string | null;
  /** Pre-2025 three-level addresses only; the 2025 reform removed districts. */
  district: string | null;
  province: string | null;
  country: string;
  postal_code: string | null;
  /** 2025 unit codes (Vietnamese addresses), filled on write; absent on rows written before them. */
  ward_code?: string | null;
  province_code?: string | null;
  dataset_version?: string | null;
}

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()` (drivers disagree on JSON params). */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export interface AccountTable {
  tenant_id: string;
  id: string;
  name: string;
  legal_type: Generated<LegalType>;
  vn_mst: string | null;
  mst_status: Generated<MstStatus>;
  mst_checked_at: Date | null;
  industry: string | null;
  size: AccountSize | null;
  website: string | null;
  domains: Generated<string[]>;
  country: string | null;
  phone: string | null;
  email: string | null;
  addresses: Json<AccountAddress[]>;
  lifecycle: Generated<AccountLifecycle>;
  lead_source: string | null;
  description: string | null;
  owner_id: string | null;
  custom_fields: Json<Record<string, unknown>>;
  tags: Generated<string[]>;
  name_fold: ColumnType<string, never, never>;
  search_text: ColumnType<string, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface AccountTables {
  'crm_core.crm_accounts': AccountTable;
}

export type AccountRow = Selectable<AccountTable>;
export type NewAccountRow = Insertable<AccountTable>;
export type AccountRowUpdate = Updateable<AccountTable>;
