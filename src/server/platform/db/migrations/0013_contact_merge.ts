import { type Kysely, sql } from 'kysely';

/**
 * Contact merge: the merged (duplicate) contact is soft-deleted and points at the one kept, so the kept
 * contact's timeline can include the merged one's entries (activities are append-only: their contact_id is
 * never rewritten) and a merged contact is never restored by mistake.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_contacts ADD COLUMN merged_into_id uuid;
  ALTER TABLE crm_core.crm_contacts ADD CONSTRAINT crm_contacts_merged_into_fk
    FOREIGN KEY (tenant_id, merged_into_id) REFERENCES crm_core.crm_contacts (tenant_id, id);
  ALTER TABLE crm_core.crm_contacts ADD CONSTRAINT crm_contacts_merged_deleted_check
    CHECK (merged_into_id IS NULL OR (deleted_at IS NOT NULL AND merged_into_id <> id));
  CREATE INDEX crm_contacts_merged_into_idx ON crm_core.crm_contacts (tenant_id, merged_into_id)
    WHERE merged_into_id IS NOT NULL;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP INDEX crm_core.crm_contacts_merged_into_idx;
  ALTER TABLE crm_core.crm_contacts DROP CONSTRAINT crm_contacts_merged_deleted_check;
  ALTER TABLE crm_core.crm_contacts DROP CONSTRAINT crm_contacts_merged_into_fk;
  ALTER TABLE crm_core.crm_contacts DROP COLUMN merged_into_id;
  `)
    .execute(db);
}
