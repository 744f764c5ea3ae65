import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { DealCurrency } from '../deals/deal.table.js';
import type { LeadSource, LeadStatus } from './lead.schema.js';

/** bigint columns: pg returns strings, PGlite bigint/number; the repository converts with Number() (≤ 2^53). */
type Bigint = ColumnType<string | number | bigint, number | bigint, number | bigint>;

export interface LeadTable {
  tenant_id: string;
  id: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string;
  title: string | null;
  company_name: string | null;
  /** Normalized (lower-cased) address. */
  email: string | null;
  /** E.164. */
  phone: string | null;
  /** The phone as typed. */
  phone_raw: string | null;
  vn_mst: string | null;
  country: string | null;
  source: Generated<LeadSource>;
  source_detail: string | null;
  status: Generated<LeadStatus>;
  qualified_at: Date | null;
  disqualified_at: Date | null;
  disqualified_reason: string | null;
  score: Generated<number>;
  estimated_amount_minor: Bigint | null;
  currency: Generated<DealCurrency>;
  description: string | null;
  owner_id: string | null;
  converted_account_id: string | null;
  converted_contact_id: string | null;
  converted_deal_id: string | null;
  converted_at: Date | null;
  name_fold: ColumnType<string, never, never>;
  search_text: ColumnType<string, never, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface LeadTables {
  'crm_core.crm_leads': LeadTable;
}

type RawLeadRow = Selectable<LeadTable>;
/** A lead as the module sees it: the bigint amount already a number. */
export interface LeadRow extends Omit<RawLeadRow, 'estimated_amount_minor'> {
  estimated_amount_minor: number | null;
}
export type NewLeadRow = Insertable<LeadTable>;
export type LeadRowUpdate = Updateable<LeadTable>;
