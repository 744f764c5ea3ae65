import { type Kysely, sql } from 'kysely';

/**
 * A colour per pipeline stage (the board's column accent, the funnel's bar), as `#rrggbb`. Null: the
 * web app picks one from the stage's category.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_pipeline_stages ADD COLUMN color text
    CONSTRAINT crm_pipeline_stages_color_check CHECK (color ~ '^#[0-9a-f]{6}$');
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE crm_core.crm_pipeline_stages DROP COLUMN color;').execute(db);
}
