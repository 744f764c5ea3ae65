import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB } from '../../db.js';
import type {
  NewPipelineRow,
  NewStageRow,
  PipelineRow,
  PipelineRowUpdate,
  StageRow,
  StageRowUpdate,
} from './pipeline.table.js';

/**
 * SQL for pipelines, stages and their allowed moves, nothing else. Every query names its workspace
 * (RLS is the second wall). The four reads at the top are the module's public contract for the deals,
 * board and dashboard code.
 */

type Db = Kysely<DB> | Transaction<DB>;
const P = 'crm_core.crm_pipelines' as const;
const S = 'crm_core.crm_pipeline_stages' as const;
const M = 'crm_core.crm_pipeline_transitions' as const;

export interface Move {
  from_stage_id: string;
  to_stage_id: string;
}

/** Row locks a caller may take: `update` for the writer, `share` for a reader that must not race it. */
export type RowLock = 'update' | 'share';

/**
 * One pipeline by id, deleted or not (check `deleted_at`); undefined when absent or another
 * workspace's. Every stage/transition write of this module locks its pipeline `update` first, so
 * concurrent edits of one pipeline serialize (positions stay a clean 0..n-1). A deal write that must not
 * land in a pipeline being deleted takes `share` and checks `deleted_at` after the wait.
 */
export async function findPipeline(
  db: Db,
  tenantId: string,
  id: string,
  options: { lock?: RowLock } = {},
): Promise<PipelineRow | undefined> {
  let q = db.selectFrom(P).selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
  if (options.lock === 'update') q = q.forUpdate();
  if (options.lock === 'share') q = q.forShare();
  return q.executeTakeFirst();
}

/** The live (not deleted) stages of a pipeline, in board order. */
export async function listStages(db: Db, tenantId: string, pipelineId: string): Promise<StageRow[]> {
  return db
    .selectFrom(S)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', '=', pipelineId)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .execute();
}

/** The allowed from→to moves of a pipeline (only between live stages: removing a stage drops its moves). */
export async function listTransitions(db: Db, tenantId: string, pipelineId: string): Promise<Move[]> {
  return db
    .selectFrom(M)
    .select(['from_stage_id', 'to_stage_id'])
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', '=', pipelineId)
    .orderBy('from_stage_id')
    .orderBy('to_stage_id')
    .execute();
}

/** The workspace's default pipeline (exactly one live one; a unique index guarantees at most one). */
export async function defaultPipeline(db: Db, tenantId: string): Promise<PipelineRow | undefined> {
  return db
    .selectFrom(P)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', true)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * One stage by id (deleted or not: history points at removed stages), optionally only if it belongs to
 * `pipelineId`. A deal move should read its target with `lock: 'share'` and refuse a deleted stage: a
 * stage removal locks the stage `update` before it counts and moves the stage's deals, so a move either
 * finishes first (and its deal is moved along) or waits and sees the stage gone.
 */
export async function findStage(
  db: Db,
  tenantId: string,
  stageId: string,
  options: { pipelineId?: string; lock?: RowLock } = {},
): Promise<StageRow | undefined> {
  let q = db.selectFrom(S).selectAll().where('tenant_id', '=', tenantId).where('id', '=', stageId);
  if (options.pipelineId) q = q.where('pipeline_id', '=', options.pipelineId);
  if (options.lock === 'update') q = q.forUpdate();
  if (options.lock === 'share') q = q.forShare();
  return q.executeTakeFirst();
}

export async function listPipelineRows(db: Db, tenantId: string): Promise<PipelineRow[]> {
  return db
    .selectFrom(P)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('name')
    .orderBy('id')
    .execute();
}

/** Live stages and moves of several pipelines at once (the list endpoint: two queries, not 2n). */
export async function stagesAndMovesOf(
  db: Db,
  tenantId: string,
  pipelineIds: readonly string[],
): Promise<{ stages: StageRow[]; moves: Array<Move & { pipeline_id: string }> }> {
  if (pipelineIds.length === 0) return { stages: [], moves: [] };
  // One after the other: both run on the one connection of the request's transaction.
  const stages = await db
    .selectFrom(S)
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', 'in', [...pipelineIds])
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .execute();
  const moves = await db
    .selectFrom(M)
    .select(['pipeline_id', 'from_stage_id', 'to_stage_id'])
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', 'in', [...pipelineIds])
    .orderBy('from_stage_id')
    .orderBy('to_stage_id')
    .execute();
  return { stages, moves };
}

export async function maxPipelinePosition(db: Db, tenantId: string): Promise<number> {
  const r = await db
    .selectFrom(P)
    .select(sql<number | null>`max(position)`.as('m'))
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return r?.m === null || r?.m === undefined ? -1 : Number(r.m);
}

export async function insertPipeline(db: Db, row: NewPipelineRow): Promise<PipelineRow> {
  return db.insertInto(P).values(row).returningAll().executeTakeFirstOrThrow();
}

/** Applies a change if the row is still at `expectedVersion`; undefined when it is not. */
export async function updatePipelineRow(
  db: Db,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: PipelineRowUpdate,
): Promise<PipelineRow | undefined> {
  return db
    .updateTable(P)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

export async function insertStages(db: Db, rows: NewStageRow[]): Promise<StageRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto(S).values(rows).returningAll().execute();
}

export async function updateStageRow(
  db: Db,
  tenantId: string,
  id: string,
  patch: StageRowUpdate,
): Promise<StageRow> {
  return db
    .updateTable(S)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Sets each stage's position to its index in `orderedIds` (only rows whose position changes are touched;
 * `exceptId`: a stage the caller updates itself, so its version moves once).
 */
export async function renumberStages(
  db: Db,
  tenantId: string,
  orderedIds: readonly string[],
  actorId: string | null,
  exceptId?: string,
): Promise<void> {
  const entries = orderedIds.map((id, i) => [id, i] as const).filter(([id]) => id !== exceptId);
  if (entries.length === 0) return;
  const values = sql.join(entries.map(([id, i]) => sql`(${id}::uuid, ${i}::int)`));
  await sql`
    UPDATE crm_core.crm_pipeline_stages s
    SET position = v.pos, version = s.version + 1, updated_at = now(), updated_by = ${actorId}::uuid
    FROM (VALUES ${values}) AS v(id, pos)
    WHERE s.tenant_id = ${tenantId}::uuid AND s.id = v.id AND s.position <> v.pos`.execute(db);
}

export async function insertMoves(
  db: Db,
  tenantId: string,
  pipelineId: string,
  moves: readonly Move[],
  actorId: string | null,
): Promise<void> {
  if (moves.length === 0) return;
  await db
    .insertInto(M)
    .values(
      moves.map((m) => ({
        tenant_id: tenantId,
        pipeline_id: pipelineId,
        from_stage_id: m.from_stage_id,
        to_stage_id: m.to_stage_id,
        created_by: actorId,
      })),
    )
    .execute();
}

export async function deleteAllMoves(db: Db, tenantId: string, pipelineId: string): Promise<void> {
  await db.deleteFrom(M).where('tenant_id', '=', tenantId).where('pipeline_id', '=', pipelineId).execute();
}

/** Drops every move into or out of a stage (it is being removed). */
export async function deleteMovesOfStage(
  db: Db,
  tenantId: string,
  pipelineId: string,
  stageId: string,
): Promise<number> {
  const r = await db
    .deleteFrom(M)
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', '=', pipelineId)
    .where((eb) => eb.or([eb('from_stage_id', '=', stageId), eb('to_stage_id', '=', stageId)]))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Live deals in a pipeline (every deal, whatever its ACL: the question is whether the pipeline is empty). */
export async function countPipelineDeals(db: Db, tenantId: string, pipelineId: string): Promise<number> {
  const r = await db
    .selectFrom('crm_core.crm_deals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('pipeline_id', '=', pipelineId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function countStageDeals(db: Db, tenantId: string, stageId: string): Promise<number> {
  const r = await db
    .selectFrom('crm_core.crm_deals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('stage_id', '=', stageId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The fields of a deal that a stage removal reads and changes; locked until commit. */
export interface StageDealRow {
  id: string;
  account_id: string | null;
  status: 'open' | 'won' | 'lost' | 'cancelled';
  probability: number;
  probability_overridden: boolean;
  lost_reason: string | null;
  closed_at: Date | null;
  stage_entered_at: Date;
  owner_id: string | null;
  acl_mode: 'default' | 'restricted';
  acl_member_ids: string[];
  acl_roles: string[];
  version: number;
}

export async function lockStageDeals(db: Db, tenantId: string, stageId: string): Promise<StageDealRow[]> {
  return db
    .selectFrom('crm_core.crm_deals')
    .select([
      'id',
      'account_id',
      'status',
      'probability',
      'probability_overridden',
      'lost_reason',
      'closed_at',
      'stage_entered_at',
      'owner_id',
      'acl_mode',
      'acl_member_ids',
      'acl_roles',
      'version',
    ])
    .where('tenant_id', '=', tenantId)
    .where('stage_id', '=', stageId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
}

export interface MovedDeal {
  id: string;
  status: 'open' | 'won' | 'lost' | 'cancelled';
  probability: number;
  closed_at: Date | null;
  stage_entered_at: Date;
  version: number;
}

/**
 * Moves every live deal of `fromStageId` into `to` in one statement: stage, entry time, probability
 * (the target's default unless the deal's was set by hand), status and closed_at following the target's
 * outcome (an already-closed deal keeps its close time), version + 1.
 */
export async function moveStageDeals(
  db: Db,
  tenantId: string,
  fromStageId: string,
  to: Pick<StageRow, 'id' | 'default_probability' | 'outcome'>,
  actorId: string | null,
): Promise<MovedDeal[]> {
  const status = to.outcome ?? 'open';
  const r = await sql<MovedDeal>`
    UPDATE crm_core.crm_deals
    SET stage_id = ${to.id}::uuid,
        stage_entered_at = now(),
        probability = CASE WHEN probability_overridden THEN probability ELSE ${to.default_probability}::int END,
        status = ${status}::text,
        closed_at = CASE WHEN ${status}::text = 'open' THEN NULL ELSE coalesce(closed_at, now()) END,
        version = version + 1,
        updated_at = now(),
        updated_by = ${actorId}::uuid
    WHERE tenant_id = ${tenantId}::uuid AND stage_id = ${fromStageId}::uuid AND deleted_at IS NULL
    RETURNING id, status, probability, closed_at, stage_entered_at, version`.execute(db);
  return r.rows;
}
