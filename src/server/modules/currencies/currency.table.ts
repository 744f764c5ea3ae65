import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ExchangeRateTable {
  tenant_id: string;
  id: string;
  base_currency: string;
  currency: string;
  /** numeric(24,10): read and written as a decimal string, never a float. */
  rate: ColumnType<string, string, string>;
  /** date: 'YYYY-MM-DD' text (the repository casts). */
  effective_date: ColumnType<string, string, string>;
  source: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  created_by: string | null;
  updated_by: string | null;
  version: Generated<number>;
  deleted_at: Date | null;
}

export interface CurrencyTables {
  'crm_core.crm_exchange_rates': ExchangeRateTable;
}

export type ExchangeRateRow = Selectable<ExchangeRateTable>;
export type NewExchangeRateRow = Insertable<ExchangeRateTable>;
export type ExchangeRateRowUpdate = Updateable<ExchangeRateTable>;
