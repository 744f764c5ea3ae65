import { type Kysely, sql } from 'kysely';

/**
 * The seller's VAT method (ADR 0023): 'deduction' (phương pháp khấu trừ) or 'direct' (phương pháp trực
 * tiếp). Under Decree 123/2020 it is the seller's method that decides the e-invoice form, so the
 * workspace may declare it on its seller profile. NULL = not declared: the form keeps following the
 * buyer's legal type (the seed mapping), so existing workspaces invoice exactly as before.
 *
 * A plain nullable column with a named CHECK: no rewrite of the table, no default to back-fill.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_vn_settings ADD COLUMN vat_method text
    CONSTRAINT crm_vn_settings_vat_method_check CHECK (vat_method IN ('deduction', 'direct'));
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE crm_core.crm_vn_settings DROP COLUMN vat_method;').execute(db);
}
