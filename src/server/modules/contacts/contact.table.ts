import type { ColumnType, Generated, Insertable, RawBuilder, Selectable, Updateable } from 'kysely';

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()` (drivers disagree on JSON params). */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;

export type BuyingRole = 'decision_maker' | 'influencer' | 'technical' | 'finance' | 'user' | 'gatekeeper';
export type Salutation = 'anh' | 'chi' | 'em' | 'ban' | 'ong' | 'ba' | 'anh_chi' | 'ong_ba';
export type ChannelKind = 'email' | 'phone' | 'linkedin' | 'telegram' | 'zalo';
export type MxStatus = 'unchecked' | 'valid' | 'no_mx' | 'unresolvable';

export interface ContactTable {
  tenant_id: string;
  id: string;
  account_id: string | null;
  first_name: string | null;
  last_name: string | null;
  display_name: string;
  call_name: string | null;
  salutation: Salutation | null;
  salutation_source: Generated<'auto' | 'manual'>;
  /** Set on a contact merged into another (it is deleted then); see mergeContacts. */
  merged_into_id: Generated<string | null>;
  gender: 'male' | 'female' | null;
  birth_year: number | null;
  title: string | null;
  buying_role: BuyingRole | null;
  is_primary: Generated<boolean>;
  owner_id: string | null;
  claimed_at: Date | null;
  email_opt_in: Generated<boolean>;
  do_not_call: Generated<boolean>;
  lead_source: string | null;
  description: string | null;
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

export interface ContactChannelTable {
  tenant_id: string;
  id: string;
  contact_id: string;
  kind: ChannelKind;
  /** Normalized: E.164 (phone, zalo), lower-cased address (email), canonical URL (linkedin), handle (telegram). */
  value: string;
  raw_value: string;
  label: string | null;
  is_primary: Generated<boolean>;
  position: Generated<number>;
  mx_status: MxStatus | null;
  mx_checked_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
}

export interface ContactTables {
  'crm_core.crm_contacts': ContactTable;
  'crm_core.crm_contact_channels': ContactChannelTable;
}

export type ContactRow = Selectable<ContactTable>;
export type NewContactRow = Insertable<ContactTable>;
export type ContactRowUpdate = Updateable<ContactTable>;
export type ContactChannelRow = Selectable<ContactChannelTable>;
export type NewContactChannelRow = Insertable<ContactChannelTable>;
