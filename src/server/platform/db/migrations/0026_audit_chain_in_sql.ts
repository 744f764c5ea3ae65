import { type Kysely, sql } from 'kysely';

/**
 * The audit chain's links are computed by the database, so an append is one statement (ADR 0007,
 * amended 2026-11-22). Until now the writer locked the workspace's head (one round trip), hashed the
 * rows in Node, then inserted them and moved the head (a second round trip) — and the head stayed locked
 * across both and the commit. Now one statement takes the head, links the rows and moves it.
 *
 * Format 2 of a row's hash: SHA-256 (hex) of `prev_hash \n seq \n body`, where body is the canonical JSON
 * of the row's other fields (tenant_id, id, occurred_at, actor_type, actor_id, actor_label, action,
 * entity_type, entity_id, diff, request_id), made by the writer; `crm_core.audit_chain` links a batch.
 * Rows written before this migration keep format 1 (the canonical JSON of every field, hashed in Node);
 * the verifier reads `hash_format` and checks each row by its own format, so a chain may hold both.
 *
 * `batch_prev_hash` on the head is the hash the last append started from: the upsert that moves the head
 * returns the new row, and the rows of the batch need the old one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  -- DEFAULT 1: rows written by a writer that does not know the column (the previous release, during a
  -- rolling deploy) are format 1, which is what it hashes; the new writer always says 2.
  ALTER TABLE crm_core.crm_audit_log ADD COLUMN hash_format smallint NOT NULL DEFAULT 1
    CHECK (hash_format IN (1, 2));
  ALTER TABLE crm_core.crm_audit_heads ADD COLUMN batch_prev_hash text;

  -- The links of a batch: element i is the hash of body i at seq p_seq + i, chained from p_prev.
  CREATE FUNCTION crm_core.audit_chain(p_prev text, p_seq bigint, p_bodies text[]) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $fn$
  DECLARE
    links text[] := ARRAY[]::text[];
    h text := p_prev;
    i int;
  BEGIN
    FOR i IN 1 .. coalesce(array_length(p_bodies, 1), 0) LOOP
      h := encode(sha256(convert_to(h || E'\\n' || (p_seq + i)::text || E'\\n' || p_bodies[i], 'UTF8')), 'hex');
      links := links || h;
    END LOOP;
    RETURN links;
  END
  $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.audit_chain(text, bigint, text[]) TO crm_app, crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Rows of format 2 no longer verify once the column is gone: a rollback for development only.
  await sql
    .raw(`
  DROP FUNCTION crm_core.audit_chain(text, bigint, text[]);
  ALTER TABLE crm_core.crm_audit_heads DROP COLUMN batch_prev_hash;
  ALTER TABLE crm_core.crm_audit_log DROP COLUMN hash_format;
  `)
    .execute(db);
}
