import { type Kysely, sql } from 'kysely';

/**
 * One-statement writes (ADR 0025): a write whose change, side rows, audit rows and events are one
 * statement runs without BEGIN/COMMIT — a statement is atomic by itself. Its change is conditional (an
 * UPDATE … WHERE version = the version read); when it matches no row, `write_applied` raises CR409 and
 * the whole statement, side rows included, is undone. The caller maps CR409 to its version conflict.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  CREATE FUNCTION crm_core.write_applied(p_rows bigint) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $fn$
  BEGIN
    IF p_rows = 0 THEN
      RAISE EXCEPTION 'the write did not apply: its record changed or is gone' USING ERRCODE = 'CR409';
    END IF;
    RETURN p_rows;
  END
  $fn$;
  GRANT EXECUTE ON FUNCTION crm_core.write_applied(bigint) TO crm_app, crm_system;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP FUNCTION crm_core.write_applied(bigint);').execute(db);
}
