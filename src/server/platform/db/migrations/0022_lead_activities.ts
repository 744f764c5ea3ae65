import { type Kysely, sql } from 'kysely';

/**
 * Activities on leads: a lead is called, emailed and met before it is qualified, so a timeline entry may
 * link to a lead (`lead_id`), alone or with the other links. The key is composite with the workspace like
 * the other links, and takes their ON DELETE (none: leads are only soft-deleted, and the history must
 * outlive whatever happens to the lead). The index serves the lead's timeline, newest first, shaped like
 * the account/contact/deal ones of 0008.
 *
 * "At least one link" is the API's rule (activity.schema.ts, where a lead now counts); 0008 never made it
 * a CHECK, so there is no constraint to change here.
 *
 * Converting a lead fills the customer's links (account, contact, deal) into the lead's entries in the
 * converting transaction, so the history follows the customer. The timeline stays append-only otherwise:
 * crm_app gets UPDATE on those three columns only, and a trigger lets an UPDATE only fill a link that is
 * still empty — an entry's existing links, subject, body and times can never be rewritten.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_activities ADD COLUMN lead_id uuid;
  ALTER TABLE crm_core.crm_activities ADD CONSTRAINT crm_activities_tenant_id_lead_id_fkey
    FOREIGN KEY (tenant_id, lead_id) REFERENCES crm_core.crm_leads (tenant_id, id);
  CREATE INDEX crm_activities_lead_idx ON crm_core.crm_activities (tenant_id, lead_id, occurred_at DESC, id DESC)
    WHERE lead_id IS NOT NULL;

  CREATE FUNCTION crm_core.crm_activities_fill_links_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
  BEGIN
    IF (OLD.account_id IS NOT NULL AND NEW.account_id IS DISTINCT FROM OLD.account_id)
      OR (OLD.contact_id IS NOT NULL AND NEW.contact_id IS DISTINCT FROM OLD.contact_id)
      OR (OLD.deal_id IS NOT NULL AND NEW.deal_id IS DISTINCT FROM OLD.deal_id) THEN
      RAISE EXCEPTION 'timeline entries are append-only: a link may be filled in, never changed'
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER crm_activities_fill_links_only BEFORE UPDATE ON crm_core.crm_activities
    FOR EACH ROW EXECUTE FUNCTION crm_core.crm_activities_fill_links_only();

  GRANT UPDATE (account_id, contact_id, deal_id) ON crm_core.crm_activities TO crm_app;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  REVOKE UPDATE (account_id, contact_id, deal_id) ON crm_core.crm_activities FROM crm_app;
  DROP TRIGGER crm_activities_fill_links_only ON crm_core.crm_activities;
  DROP FUNCTION crm_core.crm_activities_fill_links_only();
  DROP INDEX crm_core.crm_activities_lead_idx;
  ALTER TABLE crm_core.crm_activities DROP COLUMN lead_id;
  `)
    .execute(db);
}
