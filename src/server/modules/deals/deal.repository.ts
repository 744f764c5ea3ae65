import {
  type Expression,
  type Kysely,
  type OperationNodeSource,
  type RawBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import type { Role } from '../../../shared/auth.js';
import type { DB } from '../../db.js';
import type { Actor } from '../../platform/auth/actor.js';
import type { StageCategory, StageOutcome } from '../pipelines/pipeline.table.js';
import type { DealSort } from './deal.schema.js';
import type {
  DealContactRow,
  DealCurrency,
  DealRow,
  DealRowUpdate,
  DealStatus,
  NewDealRow,
  StageTransitionTable,
} from './deal.table.js';
import { dealVisibleSql } from './deal.visibility.js';

/**
 * SQL for deals, nothing else. Every query names its workspace (RLS is the second wall) and every read
 * that can return or count another member's deal applies `dealVisibleSql` (the per-deal ACL).
 */

const T = 'crm_core.crm_deals' as const;

export interface DealContactRef {
  contact_id: string;
  role: DealContactRow['role'];
}

/** The stage as embedded in a deal's JSON. */
export interface StageRef {
  id: string;
  code: string;
  name_vi: string;
  name_en: string;
  category: StageCategory;
}

/** A deal row with what its JSON embeds: its stage and its contacts. */
/** A deal row with its amount as a number (bigint columns are converted on the way out). */
export interface DealRecord extends Omit<DealRow, 'amount_minor'> {
  amount_minor: number | null;
}

export interface DealView extends DealRecord {
  stage: StageRef;
  /** The stage's default probability (what `probability: null` resets to). */
  stage_default_probability: number;
  contacts: DealContactRef[];
}

interface DealViewSqlRow extends DealRow {
  stage_code: string;
  stage_name_vi: string;
  stage_name_en: string;
  stage_category: StageCategory;
  stage_default_probability: number;
  contacts: DealContactRef[] | string | null;
}

/** bigint comes back as number (platform parser); normalize anyway for rows built by hand. */
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toView(r: DealViewSqlRow): DealView {
  const { stage_code, stage_name_vi, stage_name_en, stage_category, contacts, ...row } = r;
  const list = typeof contacts === 'string' ? (JSON.parse(contacts) as DealContactRef[]) : (contacts ?? []);
  return {
    ...row,
    amount_minor: num(row.amount_minor),
    currency: row.currency.trim() as DealCurrency,
    stage: {
      id: row.stage_id,
      code: stage_code,
      name_vi: stage_name_vi,
      name_en: stage_name_en,
      category: stage_category,
    },
    stage_default_probability: r.stage_default_probability,
    contacts: list,
  };
}

/** The deal's contacts, primary first, as one json array (a correlated subquery: no N+1 round trips). */
const CONTACTS_AGG = sql`coalesce((
    SELECT json_agg(json_build_object('contact_id', dc.contact_id, 'role', dc.role)
      ORDER BY (dc.contact_id = d.primary_contact_id) DESC NULLS LAST, dc.created_at, dc.contact_id)
    FROM crm_core.crm_deal_contacts dc WHERE dc.tenant_id = d.tenant_id AND dc.deal_id = d.id), '[]'::json)`;

const VIEW_COLUMNS = sql`d.*, s.code AS stage_code, s.name_vi AS stage_name_vi, s.name_en AS stage_name_en,
  s.category AS stage_category, s.default_probability AS stage_default_probability, ${CONTACTS_AGG} AS contacts`;

/**
 * One deal with its stage and contacts. `forUpdate` locks the deal row (not its stage) for the rest of
 * the transaction, in the same round trip: the lock is taken in a CTE on the deal alone, because locking
 * through the join would, under READ COMMITTED, re-check the join against the old stage row after a
 * concurrent move and drop the row (a spurious "not found" on PostgreSQL). The CTE returns the latest
 * committed version of the row; the stage and contacts joined to it come from the statement's snapshot.
 * Concurrent writers of the same deal queue on the lock and then see its new version.
 */
export async function findDealView(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<DealView | undefined> {
  const r = options.forUpdate
    ? await sql<DealViewSqlRow>`
      WITH locked AS MATERIALIZED (
        SELECT * FROM crm_core.crm_deals WHERE tenant_id = ${tenantId} AND id = ${id} FOR UPDATE)
      SELECT ${VIEW_COLUMNS}
      FROM locked d
      JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id`.execute(db)
    : await sql<DealViewSqlRow>`
      SELECT ${VIEW_COLUMNS}
      FROM crm_core.crm_deals d
      JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id
      WHERE d.tenant_id = ${tenantId} AND d.id = ${id}`.execute(db);
  const row = r.rows[0];
  return row ? toView(row) : undefined;
}

export async function insertDeal(db: Kysely<DB>, row: NewDealRow): Promise<DealRecord> {
  const r = await db.insertInto(T).values(row).returningAll().executeTakeFirstOrThrow();
  return { ...r, amount_minor: num(r.amount_minor), currency: r.currency.trim() as DealCurrency };
}

/** Applies a change if the row is still at `expectedVersion`; undefined when it is not. */
export async function updateDealRow(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  expectedVersion: number,
  patch: DealRowUpdate,
  /**
   * Inserts nothing else in the transaction reads (a move's stage-history row and timeline entry), run
   * as data-modifying CTEs of this UPDATE: one round trip for all, before the audit statement takes the
   * workspace's chain head (so the head is not held while they are written).
   */
  alongside: readonly OperationNodeSource[] = [],
): Promise<DealRecord | undefined> {
  const update = db
    .updateTable(T)
    .set({ ...patch, version: sql`version + 1`, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll();
  const r =
    alongside.length === 0
      ? await update.executeTakeFirst()
      : (
          await sql<DealRow>`WITH ${sql.join(
            alongside.map((st, i) => sql`${sql.raw(`a${i}`)} AS (${st})`),
          )} ${update}`.execute(db)
        ).rows[0];
  return r ? { ...r, amount_minor: num(r.amount_minor), currency: r.currency.trim() as DealCurrency } : r;
}

/** Replaces the deal's contact set (the primary contact is always one of them). */
export async function replaceDealContacts(
  db: Kysely<DB>,
  tenantId: string,
  dealId: string,
  contacts: readonly DealContactRef[],
  createdBy: string | null,
): Promise<void> {
  await db
    .deleteFrom('crm_core.crm_deal_contacts')
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', dealId)
    .execute();
  await insertDealContacts(db, tenantId, dealId, contacts, createdBy);
}

/** Adds contacts to a deal; ones already linked keep their role. */
export async function insertDealContacts(
  db: Kysely<DB>,
  tenantId: string,
  dealId: string,
  contacts: readonly DealContactRef[],
  createdBy: string | null,
): Promise<void> {
  if (contacts.length === 0) return;
  await db
    .insertInto('crm_core.crm_deal_contacts')
    .values(
      contacts.map((c) => ({
        tenant_id: tenantId,
        deal_id: dealId,
        contact_id: c.contact_id,
        role: c.role,
        created_by: createdBy,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'deal_id', 'contact_id']).doNothing())
    .execute();
}

// ---------------------------------------------------------------------------------------------------
// Pipelines and stages, as the deals module needs them (the pipelines module owns their CRUD).

export interface PipelineStage extends StageRef {
  pipeline_id: string;
  position: number;
  default_probability: number;
  outcome: StageOutcome | null;
  required_fields: string[];
  allowed_roles: Role[];
  rotting_days: number | null;
  color: string | null;
  deleted: boolean;
  /** Stages a deal may come from into this one (the pipeline's allowed moves). */
  from_stage_ids: string[];
}

export interface PipelineWithStages {
  pipeline: { id: string; name: string; enforce_transitions: boolean; deleted: boolean };
  /** Ordered by position; includes soft-deleted stages (history and current stage lookups). */
  stages: PipelineStage[];
  moves: Array<{ from_stage_id: string; to_stage_id: string }>;
  workspace: { base_currency: string; timezone: string };
}

interface StageSqlRow {
  p_id: string;
  p_name: string;
  enforce_transitions: boolean;
  p_deleted: boolean;
  base_currency: string;
  timezone: string;
  id: string | null;
  code: string;
  name_vi: string;
  name_en: string;
  category: StageCategory;
  position: number;
  default_probability: number;
  outcome: StageOutcome | null;
  required_fields: string[];
  allowed_roles: Role[];
  rotting_days: number | null;
  color: string | null;
  deleted: boolean;
  from_ids: string[] | null;
}

/**
 * The rows of one pipeline (one per stage, with the pipeline's and the workspace's columns repeated), in
 * stage order. `pipeline` selects it: the default one, a given id, or the pipeline of the row `d` of the
 * enclosing query (the move path reads it in the statement that locks the deal).
 */
function pipelineRowsSql(tenantId: unknown, pipeline: RawBuilder<unknown>): RawBuilder<StageSqlRow> {
  return sql<StageSqlRow>`
    SELECT p.id AS p_id, p.name AS p_name, p.enforce_transitions, (p.deleted_at IS NOT NULL) AS p_deleted,
      trim(w.base_currency) AS base_currency, w.timezone,
      s.id, s.code, s.name_vi, s.name_en, s.category, s.position, s.default_probability, s.outcome,
      s.required_fields, s.allowed_roles, s.rotting_days, s.color, (s.deleted_at IS NOT NULL) AS deleted,
      ARRAY(SELECT t.from_stage_id::text FROM crm_core.crm_pipeline_transitions t
            WHERE t.tenant_id = s.tenant_id AND t.pipeline_id = s.pipeline_id AND t.to_stage_id = s.id) AS from_ids
    FROM crm_core.crm_pipelines p
    JOIN crm_core.crm_workspaces w ON w.id = p.tenant_id
    LEFT JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = p.tenant_id AND s.pipeline_id = p.id
    WHERE p.tenant_id = ${tenantId} AND ${pipeline}`;
}

function pipelineFromRows(rows: readonly StageSqlRow[]): PipelineWithStages | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const stages: PipelineStage[] = [];
  const moves: PipelineWithStages['moves'] = [];
  for (const s of rows) {
    if (s.id === null) continue;
    const fromIds = s.from_ids ?? [];
    stages.push({
      id: s.id,
      pipeline_id: first.p_id,
      code: s.code,
      name_vi: s.name_vi,
      name_en: s.name_en,
      category: s.category,
      position: s.position,
      default_probability: s.default_probability,
      outcome: s.outcome,
      required_fields: s.required_fields,
      allowed_roles: s.allowed_roles,
      rotting_days: s.rotting_days,
      color: s.color,
      deleted: s.deleted,
      from_stage_ids: fromIds,
    });
    for (const f of fromIds) moves.push({ from_stage_id: f, to_stage_id: s.id });
  }
  return {
    pipeline: {
      id: first.p_id,
      name: first.p_name,
      enforce_transitions: first.enforce_transitions,
      deleted: first.p_deleted,
    },
    stages,
    moves,
    workspace: { base_currency: first.base_currency, timezone: first.timezone },
  };
}

/**
 * A pipeline (the workspace's default one when `pipelineId` is null), its stages, its allowed moves and
 * the workspace's base currency and time zone — in ONE query.
 */
export async function loadPipelineWithStages(
  db: Kysely<DB>,
  tenantId: string,
  pipelineId: string | null,
): Promise<PipelineWithStages | undefined> {
  const r = await sql<StageSqlRow>`${pipelineRowsSql(
    tenantId,
    pipelineId === null ? sql`p.is_default AND p.deleted_at IS NULL` : sql`p.id = ${pipelineId}::uuid`,
  )} ORDER BY s.position, s.id`.execute(db);
  return pipelineFromRows(r.rows);
}

/**
 * The move path's first statement: the deal locked (as `findDealView` with forUpdate) AND its pipeline
 * with stages and rules, in one round trip instead of two. The pipeline comes from the statement's
 * snapshot, as a separate read right after the lock would (give or take a concurrent settings change).
 */
export async function lockDealWithPipeline(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
): Promise<{ deal: DealView; pipeline: PipelineWithStages | undefined } | undefined> {
  const r = await sql<DealViewSqlRow & { pipeline_rows: StageSqlRow[] | string | null }>`
    WITH locked AS MATERIALIZED (
      SELECT * FROM crm_core.crm_deals WHERE tenant_id = ${tenantId} AND id = ${id} FOR UPDATE)
    SELECT ${VIEW_COLUMNS}, (
      SELECT json_agg(x ORDER BY x.position, x.id)
      FROM (${pipelineRowsSql(tenantId, sql`p.id = d.pipeline_id`)}) x
    ) AS pipeline_rows
    FROM locked d
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id`.execute(db);
  const row = r.rows[0];
  if (!row) return undefined;
  const { pipeline_rows, ...view } = row;
  const rows =
    typeof pipeline_rows === 'string' ? (JSON.parse(pipeline_rows) as StageSqlRow[]) : (pipeline_rows ?? []);
  return { deal: toView(view), pipeline: pipelineFromRows(rows) };
}

/**
 * The deal (not locked), its pipeline, and the rank at the top of `targetStageId`'s column (the deal
 * itself aside; one less again if that would be the deal's own rank, so it reads as a new place): what a
 * move written as one statement decides from. The rank is null when the stage is not of the pipeline.
 */
export async function readDealForMove(
  db: Kysely<DB>,
  tenantId: string,
  id: string,
  targetStageId: string,
): Promise<{ deal: DealView; pipeline: PipelineWithStages | undefined; topRank: string | null } | undefined> {
  const r = await sql<
    DealViewSqlRow & { pipeline_rows: StageSqlRow[] | string | null; top_rank: string | null }
  >`
    SELECT ${VIEW_COLUMNS}, (
      SELECT json_agg(x ORDER BY x.position, x.id)
      FROM (${pipelineRowsSql(tenantId, sql`p.id = d.pipeline_id`)}) x
    ) AS pipeline_rows, (
      SELECT (CASE WHEN t.v = d.stage_rank THEN t.v - 1 ELSE t.v END)::text FROM (
        SELECT coalesce(min(n.stage_rank), 1) - 1 AS v FROM crm_core.crm_deals n
        WHERE n.tenant_id = d.tenant_id AND n.pipeline_id = d.pipeline_id AND n.stage_id = ${targetStageId}::uuid
          AND n.deleted_at IS NULL AND n.id <> d.id) t
    ) AS top_rank
    FROM crm_core.crm_deals d
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id
    WHERE d.tenant_id = ${tenantId} AND d.id = ${id}`.execute(db);
  const row = r.rows[0];
  if (!row) return undefined;
  const { pipeline_rows, top_rank, ...view } = row;
  const rows =
    typeof pipeline_rows === 'string' ? (JSON.parse(pipeline_rows) as StageSqlRow[]) : (pipeline_rows ?? []);
  return { deal: toView(view), pipeline: pipelineFromRows(rows), topRank: top_rank };
}

/** The pipeline a stage belongs to (to tell "unknown stage" from "stage of another pipeline"). */
export async function pipelineOfStage(
  db: Kysely<DB>,
  tenantId: string,
  stageId: string,
): Promise<string | undefined> {
  const r = await db
    .selectFrom('crm_core.crm_pipeline_stages')
    .select('pipeline_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', stageId)
    .executeTakeFirst();
  return r?.pipeline_id;
}

// ---------------------------------------------------------------------------------------------------
// References a deal points at.

/** Which of `ids` are live (not deleted) accounts or contacts of the workspace. */
export async function liveIds(
  db: Kysely<DB>,
  table: 'crm_core.crm_accounts' | 'crm_core.crm_contacts',
  tenantId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom(table)
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** Which of `userIds` are members of the workspace. */
export async function memberUserIds(
  db: Kysely<DB>,
  tenantId: string,
  userIds: readonly string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('crm_core.crm_memberships')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', 'in', [...userIds])
    .execute();
  return new Set(rows.map((r) => r.user_id));
}

// ---------------------------------------------------------------------------------------------------
// Stage history.

type StageTransitionInput = Omit<StageTransitionTable, 'occurred_at' | 'ms_in_from_stage'> & {
  ms_in_from_stage: number | null;
  occurred_at?: Date;
};

/** The stage-history insert, not yet run (a move folds it into its timeline entry's statement). */
export function stageTransitionInsert(db: Kysely<DB>, row: StageTransitionInput) {
  return db.insertInto('crm_core.crm_stage_transitions').values(row);
}

export interface StageHistoryRow {
  id: string;
  from_stage_id: string | null;
  to_stage_id: string;
  from_status: DealStatus | null;
  to_status: DealStatus;
  probability: number;
  ms_in_from_stage: number | null;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  occurred_at: Date;
}

export async function stageHistoryRows(
  db: Kysely<DB>,
  tenantId: string,
  dealId: string,
): Promise<StageHistoryRow[]> {
  const rows = await db
    .selectFrom('crm_core.crm_stage_transitions')
    .select([
      'id',
      'from_stage_id',
      'to_stage_id',
      'from_status',
      'to_status',
      'probability',
      'ms_in_from_stage',
      'actor_type',
      'actor_id',
      'occurred_at',
    ])
    .where('tenant_id', '=', tenantId)
    .where('deal_id', '=', dealId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, ms_in_from_stage: num(r.ms_in_from_stage) }));
}

// ---------------------------------------------------------------------------------------------------
// Lists.

export interface DealFilters {
  pipelineId?: string;
  stageId?: string;
  status?: DealStatus;
  /** undefined: any owner; null: unowned. */
  ownerId?: string | null;
  accountId?: string;
  contactId?: string;
  tag?: string;
  amountMin?: number;
  amountMax?: number;
  closeFrom?: string;
  closeTo?: string;
  q?: string;
  deleted: 'exclude' | 'include' | 'only';
}

/** The WHERE of a deal list (alias `d`), visibility included: the one place list filters are built. */
function filterSql(tenantId: string, actor: Actor, f: DealFilters): RawBuilder<SqlBool> {
  const parts: RawBuilder<unknown>[] = [sql`d.tenant_id = ${tenantId}`, dealVisibleSql(actor, 'd')];
  if (f.deleted === 'exclude') parts.push(sql`d.deleted_at IS NULL`);
  if (f.deleted === 'only') parts.push(sql`d.deleted_at IS NOT NULL`);
  if (f.pipelineId) parts.push(sql`d.pipeline_id = ${f.pipelineId}::uuid`);
  if (f.stageId) parts.push(sql`d.stage_id = ${f.stageId}::uuid`);
  if (f.status) parts.push(sql`d.status = ${f.status}`);
  if (f.ownerId === null) parts.push(sql`d.owner_id IS NULL`);
  else if (f.ownerId !== undefined) parts.push(sql`d.owner_id = ${f.ownerId}::uuid`);
  if (f.accountId) parts.push(sql`d.account_id = ${f.accountId}::uuid`);
  if (f.contactId) {
    parts.push(sql`(d.primary_contact_id = ${f.contactId}::uuid OR EXISTS (
      SELECT 1 FROM crm_core.crm_deal_contacts dc
      WHERE dc.tenant_id = d.tenant_id AND dc.deal_id = d.id AND dc.contact_id = ${f.contactId}::uuid))`);
  }
  if (f.tag) parts.push(sql`d.tags @> ARRAY[${f.tag}]::text[]`);
  if (f.amountMin !== undefined) parts.push(sql`d.amount_minor >= ${f.amountMin}::bigint`);
  if (f.amountMax !== undefined) parts.push(sql`d.amount_minor <= ${f.amountMax}::bigint`);
  if (f.closeFrom) parts.push(sql`d.expected_close_date >= ${f.closeFrom}::date`);
  if (f.closeTo) parts.push(sql`d.expected_close_date <= ${f.closeTo}::date`);
  if (f.q) {
    parts.push(sql`d.name_fold LIKE '%' || crm_core.like_escape(crm_core.fold_text(${f.q}::text)) || '%'`);
  }
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/** Sort expression of each sort; nullable keys are coalesced so a keyset cursor can step over nulls. */
const SORT_EXPR: Record<string, { expr: RawBuilder<unknown>; cast: RawBuilder<unknown> }> = {
  created_at: { expr: sql`d.created_at`, cast: sql`timestamptz` },
  updated_at: { expr: sql`d.updated_at`, cast: sql`timestamptz` },
  expected_close_date: { expr: sql`coalesce(d.expected_close_date, DATE '9999-12-31')`, cast: sql`date` },
  amount: { expr: sql`coalesce(d.amount_minor, -1)`, cast: sql`bigint` },
  name: { expr: sql`d.name_fold COLLATE "C"`, cast: sql`text` },
};

/** The cursor value of a row under a sort (what the next page continues after). */
export function sortKeyOf(sort: DealSort, row: DealRecord): string | number {
  switch (sort.replace('-', '')) {
    case 'created_at':
      return row.created_at.toISOString();
    case 'updated_at':
      return row.updated_at.toISOString();
    case 'expected_close_date':
      return row.expected_close_date ?? '9999-12-31';
    case 'amount':
      return row.amount_minor === null ? -1 : Number(row.amount_minor);
    default:
      return row.name_fold;
  }
}

export async function listDealViews(
  db: Kysely<DB>,
  tenantId: string,
  actor: Actor,
  filters: DealFilters,
  sort: DealSort,
  after: readonly [string | number, string] | null,
  limit: number,
): Promise<DealView[]> {
  const desc = sort.startsWith('-');
  const key = SORT_EXPR[sort.replace('-', '')];
  if (!key) throw new Error(`unknown sort ${sort}`);
  const dir = sql.raw(desc ? 'DESC' : 'ASC');
  const afterSql = after
    ? sql`AND (${key.expr}, d.id) ${sql.raw(desc ? '<' : '>')} (${
        sort.endsWith('name') ? sql`${after[0]} COLLATE "C"` : sql`${after[0]}::${key.cast}`
      }, ${after[1]}::uuid)`
    : sql``;
  const r = await sql<DealViewSqlRow>`
    SELECT ${VIEW_COLUMNS}
    FROM crm_core.crm_deals d
    JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id
    WHERE ${filterSql(tenantId, actor, filters)} ${afterSql}
    ORDER BY ${key.expr} ${dir}, d.id ${dir}
    LIMIT ${limit}`.execute(db);
  return r.rows.map(toView);
}

export async function countDeals(
  db: Kysely<DB>,
  tenantId: string,
  actor: Actor,
  filters: DealFilters,
): Promise<number> {
  const r = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM crm_core.crm_deals d WHERE ${filterSql(tenantId, actor, filters)}`.execute(
    db,
  );
  return Number(r.rows[0]?.n ?? 0);
}

// ---------------------------------------------------------------------------------------------------
// The board.

export interface BoardFilters {
  ownerId?: string | null;
  amountMin?: number;
  amountMax?: number;
  closeFrom?: string;
  closeTo?: string;
  q?: string;
  status: 'open' | 'recent' | 'all';
}

function boardFilterSql(
  tenantId: string,
  actor: Actor,
  pipelineId: string,
  f: BoardFilters,
): Expression<SqlBool> {
  const statusSql =
    f.status === 'open'
      ? sql`AND d.status = 'open'`
      : f.status === 'recent'
        ? sql`AND (d.status = 'open' OR d.closed_at >= now() - interval '30 days')`
        : sql``;
  return sql<SqlBool>`${filterSql(tenantId, actor, {
    deleted: 'exclude',
    pipelineId,
    ...(f.ownerId !== undefined ? { ownerId: f.ownerId } : {}),
    ...(f.amountMin !== undefined ? { amountMin: f.amountMin } : {}),
    ...(f.amountMax !== undefined ? { amountMax: f.amountMax } : {}),
    ...(f.closeFrom ? { closeFrom: f.closeFrom } : {}),
    ...(f.closeTo ? { closeTo: f.closeTo } : {}),
    ...(f.q ? { q: f.q } : {}),
  })} ${statusSql}`;
}

export interface BoardCardRow {
  id: string;
  name: string;
  account_id: string | null;
  account_name: string | null;
  amount_minor: number | null;
  currency: DealCurrency;
  probability: number;
  owner_id: string | null;
  stage_id: string;
  stage_entered_at: Date;
  stage_rank: string;
  expected_close_date: string | null;
  status: DealStatus;
  acl_mode: DealRow['acl_mode'];
  version: number;
}

/**
 * The first `perStage` cards of every stage in one query (a window function numbers each stage's deals
 * in board order: stage_rank, then newest arrival first for ties), with the account name joined.
 */
export async function boardCards(
  db: Kysely<DB>,
  tenantId: string,
  actor: Actor,
  pipelineId: string,
  filters: BoardFilters,
  perStage: number,
): Promise<BoardCardRow[]> {
  const r = await sql<BoardCardRow>`
    SELECT x.* FROM (
      SELECT d.id, d.name, d.account_id, a.name AS account_name, d.amount_minor, trim(d.currency) AS currency,
        d.probability, d.owner_id, d.stage_id, d.stage_entered_at, d.stage_rank::text AS stage_rank,
        d.expected_close_date, d.status, d.acl_mode, d.version,
        row_number() OVER (
          PARTITION BY d.stage_id ORDER BY d.stage_rank, d.stage_entered_at DESC, d.id DESC
        ) AS rn
      FROM crm_core.crm_deals d
      LEFT JOIN crm_core.crm_accounts a ON a.tenant_id = d.tenant_id AND a.id = d.account_id
      WHERE ${boardFilterSql(tenantId, actor, pipelineId, filters)}
    ) x
    WHERE x.rn <= ${perStage}
    ORDER BY x.stage_id, x.rn`.execute(db);
  return r.rows.map((c) => ({ ...c, amount_minor: num(c.amount_minor) }));
}

/** Where a card goes in a column: the stage, and the deal it follows (null: the top). */
export interface ColumnPlace {
  pipelineId: string;
  stageId: string;
  afterId: string | null;
}

/**
 * Beyond this many decimal places a column is renumbered 1, 2, 3… before placing: each drop between the
 * same two cards adds a digit, and ranks should stay short to index and to send.
 */
const RANK_MAX_SCALE = 40;

/**
 * The stage_rank that places `movingId` at `place` (decimal text), or undefined when `afterId` is not a
 * live deal of that stage. `avoid`: the deal's current rank when its stage changes — the arrival trigger
 * reads "rank unchanged" as "no position given" and would send the card to the top, so an equal result
 * is nudged to another value inside the same gap.
 */
export async function rankFor(
  db: Kysely<DB>,
  tenantId: string,
  movingId: string,
  place: ColumnPlace,
  avoid: string | null,
): Promise<string | undefined> {
  const column = sql`n.tenant_id = ${tenantId} AND n.pipeline_id = ${place.pipelineId}
    AND n.stage_id = ${place.stageId} AND n.deleted_at IS NULL AND n.id <> ${movingId}`;
  const r =
    place.afterId === null
      ? await sql<{ rank: string; scale: number }>`
        WITH c AS (SELECT coalesce(min(n.stage_rank), 1) - 1 AS v FROM crm_core.crm_deals n WHERE ${column})
        SELECT x.v::text AS rank, scale(x.v) AS scale FROM (
          SELECT CASE WHEN c.v = ${avoid}::numeric THEN c.v - 1 ELSE c.v END AS v FROM c
        ) x`.execute(db)
      : await sql<{ rank: string; scale: number }>`
        WITH c AS (
          SELECT a.stage_rank AS lo, (
            SELECT min(n.stage_rank) FROM crm_core.crm_deals n WHERE ${column} AND n.stage_rank > a.stage_rank
          ) AS hi
          FROM crm_core.crm_deals a
          WHERE a.tenant_id = ${tenantId} AND a.id = ${place.afterId} AND a.pipeline_id = ${place.pipelineId}
            AND a.stage_id = ${place.stageId} AND a.deleted_at IS NULL AND a.id <> ${movingId}
        ), v AS (
          SELECT lo, CASE WHEN hi IS NULL THEN lo + 1 ELSE trim_scale((lo + hi) * 0.5) END AS v FROM c
        )
        SELECT x.v::text AS rank, scale(x.v) AS scale FROM (
          SELECT CASE WHEN v.v = ${avoid}::numeric THEN trim_scale((v.lo + v.v) * 0.5) ELSE v.v END AS v FROM v
        ) x`.execute(db);
  const row = r.rows[0];
  if (!row) return undefined;
  if (Number(row.scale) <= RANK_MAX_SCALE) return row.rank;
  await renumberColumn(db, tenantId, place);
  return rankFor(db, tenantId, movingId, place, avoid);
}

/** Ranks a column 1, 2, 3… in its current order (no version bump: the order is unchanged). */
async function renumberColumn(db: Kysely<DB>, tenantId: string, place: ColumnPlace): Promise<void> {
  await sql`
    UPDATE crm_core.crm_deals d SET stage_rank = r.rn
    FROM (
      SELECT id, row_number() OVER (ORDER BY stage_rank, stage_entered_at DESC, id DESC) AS rn
      FROM crm_core.crm_deals
      WHERE tenant_id = ${tenantId} AND pipeline_id = ${place.pipelineId} AND stage_id = ${place.stageId}
        AND deleted_at IS NULL
    ) r
    WHERE d.tenant_id = ${tenantId} AND d.id = r.id`.execute(db);
}

export interface BoardAggregateRow {
  stage_id: string;
  currency: DealCurrency;
  n: number;
  /** Σ amount_minor, exact (decimal text). */
  total: string;
  /** Σ amount_minor × probability, exact (decimal text; divide by 100 once, at the end). */
  weighted_x100: string;
}

/** Counts and sums over ALL matching deals (not just the cards shown), per stage and currency. */
export async function boardAggregates(
  db: Kysely<DB>,
  tenantId: string,
  actor: Actor,
  pipelineId: string,
  filters: BoardFilters,
): Promise<BoardAggregateRow[]> {
  const r = await sql<BoardAggregateRow>`
    SELECT d.stage_id, trim(d.currency) AS currency, count(*)::int AS n,
      coalesce(sum(d.amount_minor), 0)::text AS total,
      coalesce(sum(d.amount_minor::numeric * d.probability), 0)::text AS weighted_x100
    FROM crm_core.crm_deals d
    WHERE ${boardFilterSql(tenantId, actor, pipelineId, filters)}
    GROUP BY d.stage_id, d.currency`.execute(db);
  return r.rows.map((a) => ({ ...a, n: Number(a.n) }));
}
