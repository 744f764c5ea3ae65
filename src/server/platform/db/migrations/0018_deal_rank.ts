import { type Kysely, sql } from 'kysely';

/**
 * A deal's place within its board column: `stage_rank`, smaller first (ADR 0021).
 *
 * numeric, not a float or a string key: a card dropped between two others takes exactly their midpoint
 * ((a + b) × 0.5 is exact in numeric; each bisection adds one digit), computed by the database in the
 * statement that writes it, so no client-side key library and no float precision cliff.
 *
 * Triggers give a deal the top of its column when it arrives there (created, or its stage changed
 * without a new rank): min − 1 of the live deals of that stage. That keeps the order the board had
 * before ranks existed — newest arrival first — for every path that changes a stage (closes, stage
 * removal, merges, imports, conversions) without each knowing about ranks. The move path sets the rank
 * in its own UPDATE (the same min − 1 as a subquery, or the explicit place of `after_id`), so the
 * update trigger's WHEN clause skips it: a PL/pgSQL call costs ~0.3 ms a move, measured with pgbench.
 *
 * Existing deals are ranked 1, 2, 3… per stage in their current board order (stage_entered_at DESC, id
 * DESC); ties (two deals created at once) fall back to that same order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  ALTER TABLE crm_core.crm_deals ADD COLUMN stage_rank numeric NOT NULL DEFAULT 0;
  UPDATE crm_core.crm_deals d SET stage_rank = r.rn
    FROM (
      SELECT tenant_id, id,
        row_number() OVER (PARTITION BY tenant_id, stage_id ORDER BY stage_entered_at DESC, id DESC) AS rn
      FROM crm_core.crm_deals
    ) r
    WHERE d.tenant_id = r.tenant_id AND d.id = r.id;

  CREATE FUNCTION crm_core.crm_deals_rank_on_arrival() RETURNS trigger
    LANGUAGE plpgsql AS $$
  BEGIN
    NEW.stage_rank := coalesce((
      SELECT min(d.stage_rank) FROM crm_core.crm_deals d
      WHERE d.tenant_id = NEW.tenant_id AND d.pipeline_id = NEW.pipeline_id AND d.stage_id = NEW.stage_id
        AND d.deleted_at IS NULL AND d.id <> NEW.id
    ), 1) - 1;
    RETURN NEW;
  END $$;
  CREATE TRIGGER crm_deals_rank_on_insert BEFORE INSERT ON crm_core.crm_deals
    FOR EACH ROW EXECUTE FUNCTION crm_core.crm_deals_rank_on_arrival();
  CREATE TRIGGER crm_deals_rank_on_stage_change BEFORE UPDATE OF stage_id ON crm_core.crm_deals
    FOR EACH ROW WHEN (NEW.stage_id IS DISTINCT FROM OLD.stage_id AND NEW.stage_rank = OLD.stage_rank)
    EXECUTE FUNCTION crm_core.crm_deals_rank_on_arrival();

  DROP INDEX crm_core.crm_deals_board_idx;
  CREATE INDEX crm_deals_board_idx ON crm_core.crm_deals (tenant_id, pipeline_id, stage_id, stage_rank)
    WHERE deleted_at IS NULL;
  `)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
  DROP INDEX crm_core.crm_deals_board_idx;
  CREATE INDEX crm_deals_board_idx ON crm_core.crm_deals (tenant_id, pipeline_id, stage_id, stage_entered_at)
    WHERE deleted_at IS NULL;
  DROP TRIGGER crm_deals_rank_on_stage_change ON crm_core.crm_deals;
  DROP TRIGGER crm_deals_rank_on_insert ON crm_core.crm_deals;
  DROP FUNCTION crm_core.crm_deals_rank_on_arrival();
  ALTER TABLE crm_core.crm_deals DROP COLUMN stage_rank;
  `)
    .execute(db);
}
