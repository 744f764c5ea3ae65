import type { ColumnType, Generated, RawBuilder, Selectable } from 'kysely';
import type { VatMethod } from './hoadon/hoadon.model.js';

/** jsonb: read as T, written only through platform/db/sql.ts `jsonb()`. */
type Json<T> = ColumnType<T, RawBuilder<string>, RawBuilder<string>>;
/** numeric(21,6): drivers read it as a string; written as a decimal string. */
type Decimal = ColumnType<string, string, string>;

export interface VnSettingsTable {
  tenant_id: string;
  legal_name: string | null;
  mst: string | null;
  address: string | null;
  phone: string | null;
  email: string | null;
  bank_account: string | null;
  bank_name: string | null;
  invoice_with_code: Generated<boolean>;
  invoice_series: Generated<string>;
  provider_mst: string | null;
  payment_method: Generated<string>;
  vat_sector: string | null;
  /** How the seller declares VAT; decides the invoice form when set (migration 0019, ADR 0023). */
  vat_method: VatMethod | null;
  won_flow_vietqr: Generated<boolean>;
  won_flow_invoice: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface VnBankOverrideTable {
  tenant_id: string;
  bin: string;
  code: string | null;
  short_name: string | null;
  name: string | null;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface VnReceivingAccountTable {
  tenant_id: string;
  id: string;
  bank_bin: string;
  account_number: string;
  account_name: string;
  service: Generated<'QRIBFTTA' | 'QRIBFTTC'>;
  is_default: Generated<boolean>;
  confirmed_at: Date | null;
  confirmed_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface VnVietQrCodeTable {
  tenant_id: string;
  id: string;
  deal_id: string | null;
  receiving_account_id: string;
  bank_bin: string;
  account_number: string;
  amount_vnd: ColumnType<string | null, string | number | bigint | null, never>;
  purpose: string | null;
  reference: string;
  payload: string;
  origin: 'manual' | 'won_flow';
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface DealLineItemTable {
  tenant_id: string;
  deal_id: string;
  position: number;
  kind: Generated<number>;
  name: string;
  unit: string | null;
  quantity: Decimal;
  unit_price: Decimal;
  vat_rate: string;
  created_at: Generated<Date>;
  created_by: string | null;
}

export interface VnInvoiceSequenceTable {
  tenant_id: string;
  form: string;
  symbol: string;
  last_number: Generated<number>;
}

export interface VnInvoiceTable {
  tenant_id: string;
  id: string;
  deal_id: string | null;
  account_id: string | null;
  relation: 'original' | 'adjustment' | 'replacement';
  related_invoice_id: string | null;
  form: string;
  symbol: string;
  number: number;
  issue_date: ColumnType<string, string, never>;
  currency: string;
  exchange_rate: Decimal;
  buyer_name: string;
  buyer_mst: string | null;
  total_before_vat: Decimal;
  vat_total: Decimal;
  grand_total: Decimal;
  amount_in_words: string;
  xml: string;
  xml_sha256: string;
  xsd_version: string;
  signer_subject: string;
  signed_at: Date;
  retain_until: ColumnType<string, string, never>;
  origin: 'manual' | 'won_flow';
  created_at: Generated<Date>;
  created_by: string | null;
}

export const FLOW_STEPS = ['vietqr', 'invoice', 'engagement', 'brain', 'win_loss'] as const;
export type FlowStep = (typeof FLOW_STEPS)[number];
export const FLOW_STATUSES = ['pending', 'done', 'waiting', 'failed', 'skipped'] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];

export interface DealFlowStepTable {
  tenant_id: string;
  deal_id: string;
  step: FlowStep;
  position: number;
  status: Generated<FlowStatus>;
  attempts: Generated<number>;
  available_at: Generated<Date>;
  locked_until: Date | null;
  last_error: string | null;
  result: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  completed_at: Date | null;
}

export interface VietnamTables {
  'crm_core.crm_vn_settings': VnSettingsTable;
  'crm_core.crm_vn_bank_overrides': VnBankOverrideTable;
  'crm_core.crm_vn_receiving_accounts': VnReceivingAccountTable;
  'crm_core.crm_vn_vietqr_codes': VnVietQrCodeTable;
  'crm_core.crm_deal_line_items': DealLineItemTable;
  'crm_core.crm_vn_invoice_sequences': VnInvoiceSequenceTable;
  'crm_core.crm_vn_invoices': VnInvoiceTable;
  'crm_core.crm_deal_flow_steps': DealFlowStepTable;
}

export type VnSettingsRow = Selectable<VnSettingsTable>;
export type ReceivingAccountRow = Selectable<VnReceivingAccountTable>;
export type VietQrCodeRow = Selectable<VnVietQrCodeTable>;
export type InvoiceRow = Selectable<VnInvoiceTable>;
export type FlowStepRow = Selectable<DealFlowStepTable>;
export type LineItemRow = Selectable<DealLineItemTable>;
