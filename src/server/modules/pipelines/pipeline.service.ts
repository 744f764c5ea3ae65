import { sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { diffRecords, type FieldDiff } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { sqlState, UNIQUE_VIOLATION, violatedConstraint } from '../../platform/db/errors.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext, UnitOfWork } from '../../platform/unit-of-work.js';
import { recordSystemActivity } from '../activities/activity.record.js';
import {
  type DealStageChangedData,
  dealClosedByRemoval,
  dealStageChangedByRemoval,
  pipelineCreated,
  pipelineDeleted,
  pipelineUpdated,
  stageCreated,
  stageDeleted,
  stagesReordered,
  stageUpdated,
  transitionsChanged,
} from './pipeline.events.js';
import { checkOutcome, checkRequiredFields, defaultOutcome } from './pipeline.policy.js';
import {
  type PipelineJson,
  pipelineSnapshot,
  presentPipeline,
  presentStage,
  type StageJson,
} from './pipeline.presenter.js';
import {
  countPipelineDeals,
  countStageDeals,
  defaultPipeline,
  deleteAllMoves,
  deleteMovesOfStage,
  findPipeline,
  findStage,
  insertMoves,
  insertPipeline,
  insertStages,
  listPipelineRows,
  listStages,
  listTransitions,
  lockStageDeals,
  type Move,
  maxPipelinePosition,
  moveStageDeals,
  renumberStages,
  stagesAndMovesOf,
  updatePipelineRow,
  updateStageRow,
} from './pipeline.repository.js';
import {
  type CreatePipelineInput,
  type CreateStageInput,
  type InlineStageInput,
  MAX_STAGES,
  type ReorderStagesInput,
  type ReplaceTransitionsInput,
  type UpdatePipelineInput,
  type UpdateStageInput,
} from './pipeline.schema.js';
import type { PipelineRow, StageCategory, StageOutcome, StageRow, StageRowUpdate } from './pipeline.table.js';
import { linearMoves, PIPELINE_TEMPLATES, type TemplateStage } from './pipeline.templates.js';

/**
 * Pipeline use cases: validate (zod, at the edge) → authorize (crm.pipeline.*; writes are admin-only)
 * → command (one transaction with audit rows and events; the pipeline row is locked first so edits of
 * one pipeline serialize) → present. Another workspace's pipeline or stage is "not found".
 */

type Uow = UnitOfWork<DB>;

const pipelineNotFound = () => new AppError('pipeline_not_found', 'Pipeline not found');
const stageNotFound = () => new AppError('stage_not_found', 'Stage not found in this pipeline');

const PIPELINE_DIFF_IGNORE = ['updated_at', 'version', 'updated_by'];

function nameTaken(name: string): AppError {
  return new AppError('conflict', `A pipeline named "${name}" already exists in this workspace`, {
    fields: [
      { field: 'name', pointer: '/name', in: 'body', code: 'taken', message: 'already used by a pipeline' },
    ],
  });
}

function codeTaken(code: string, path: ReadonlyArray<string | number> = []): AppError {
  const field = [...path, 'code'].join('.');
  return new AppError('conflict', `A stage with code "${code}" already exists in this pipeline`, {
    fields: [
      {
        field,
        pointer: `/${[...path, 'code'].join('/')}`,
        in: 'body',
        code: 'taken',
        message: 'already used by a stage of this pipeline',
      },
    ],
  });
}

async function nameInUse(uow: Uow, tenantId: string, name: string, exceptId?: string): Promise<boolean> {
  let q = uow.trx
    .selectFrom('crm_core.crm_pipelines')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`lower(name) = lower(${name})`);
  if (exceptId) q = q.where('id', '<>', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

/** The unique indexes are the last word under concurrency; a race that slips past a pre-check is a 409. */
async function mapUnique<T>(run: () => Promise<T>, err: () => AppError): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (sqlState(e) !== UNIQUE_VIOLATION) throw e;
    if (violatedConstraint(e) === 'crm_pipelines_default_idx') {
      throw new AppError('conflict', 'The default pipeline was changed at the same time; reload and retry');
    }
    throw err();
  }
}

async function present(uow: Uow, row: PipelineRow, ctx: RequestContext): Promise<PipelineJson> {
  const tenantId = ctx.actor.workspaceId;
  const stages = await listStages(uow.trx, tenantId, row.id);
  const moves = await listTransitions(uow.trx, tenantId, row.id);
  return presentPipeline(row, stages, moves, ctx.actor);
}

/** Moves as readable "from→to" stage codes (audit diffs: ids alone say nothing to a reader). */
function movesByCode(moves: readonly Move[], stages: readonly StageRow[]): string[] {
  const code = new Map(stages.map((s) => [s.id, s.code]));
  return moves
    .map((m) => `${code.get(m.from_stage_id) ?? m.from_stage_id}→${code.get(m.to_stage_id) ?? m.to_stage_id}`)
    .sort();
}

/** Loads the pipeline for a write, locked; checks existence and (when given) the version. */
async function loadForWrite(
  uow: Uow,
  ctx: RequestContext,
  id: string,
  expectedVersion?: number,
): Promise<PipelineRow> {
  const row = await findPipeline(uow.trx, ctx.actor.workspaceId, id, { lock: 'update' });
  if (!row || row.deleted_at) throw pipelineNotFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The pipeline changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: await present(uow, row, ctx) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

/**
 * Makes `keepId` the only default: the current default (if another) is unset, audited and announced.
 * Two admins switching at once: the second waits on the first's lock of the old default, then finds it
 * no longer default, so it looks again (a new statement sees the first's commit) and unsets the new one.
 */
async function unsetOtherDefault(uow: Uow, ctx: RequestContext, keepId: string | null): Promise<void> {
  const tenantId = ctx.actor.workspaceId;
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await defaultPipeline(uow.trx, tenantId);
    if (!current || current.id === keepId) return;
    const locked = await findPipeline(uow.trx, tenantId, current.id, { lock: 'update' });
    if (!locked?.is_default || locked.deleted_at) continue;
    const updated = await updatePipelineRow(uow.trx, tenantId, locked.id, locked.version, {
      is_default: false,
      updated_by: ctx.actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The default pipeline changed concurrently; retry');
    const diff = { is_default: { from: true, to: false } };
    uow.audit({ action: 'pipeline.updated', entityType: 'pipeline', entityId: updated.id, diff });
    uow.emit(pipelineUpdated(pipelineSnapshot(updated), diff));
    return;
  }
  throw new AppError('conflict', 'The default pipeline keeps changing; reload and retry');
}

// ---------------------------------------------------------------------------------------------------
// Reads

export async function listPipelines(p: AppPlatform, ctx: RequestContext): Promise<{ data: PipelineJson[] }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const rows = await listPipelineRows(db, tenantId);
    const { stages, moves } = await stagesAndMovesOf(
      db,
      tenantId,
      rows.map((r) => r.id),
    );
    return {
      data: rows.map((r) =>
        presentPipeline(
          r,
          stages.filter((s) => s.pipeline_id === r.id),
          moves.filter((m) => m.pipeline_id === r.id),
          actor,
        ),
      ),
    };
  });
}

export async function getPipeline(p: AppPlatform, ctx: RequestContext, id: string): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const row = await findPipeline(db, tenantId, id);
    if (!row || row.deleted_at) throw pipelineNotFound();
    const stages = await listStages(db, tenantId, id);
    const moves = await listTransitions(db, tenantId, id);
    return presentPipeline(row, stages, moves, actor);
  });
}

// ---------------------------------------------------------------------------------------------------
// Pipelines

interface StagePlan {
  code: string;
  name_vi: string;
  name_en: string;
  default_probability: number;
  category: StageCategory;
  outcome: StageOutcome | null;
  required_fields: string[];
  allowed_roles: StageRow['allowed_roles'];
  rotting_days: number | null;
  color?: string | null;
}

function planFromInline(stages: readonly InlineStageInput[]): StagePlan[] {
  const seen = new Map<string, number>();
  return stages.map((s, i) => {
    const path = ['stages', i];
    const prior = seen.get(s.code);
    if (prior !== undefined) {
      throw fieldError([...path, 'code'], 'duplicate', `Code "${s.code}" is also used by stages.${prior}`);
    }
    seen.set(s.code, i);
    const outcome = s.outcome === undefined ? defaultOutcome(s.category) : s.outcome;
    checkOutcome(s.category, outcome, path);
    checkRequiredFields(s.category, s.required_fields, path);
    return {
      code: s.code,
      name_vi: s.name_vi,
      name_en: s.name_en,
      default_probability: s.default_probability,
      category: s.category,
      outcome,
      required_fields: s.required_fields,
      allowed_roles: s.allowed_roles,
      rotting_days: s.rotting_days ?? null,
      color: s.color ?? null,
    };
  });
}

function planFromTemplate(stages: readonly TemplateStage[]): StagePlan[] {
  return stages.map((s) => ({ ...s, required_fields: [...s.required_fields], allowed_roles: [] }));
}

/** Resolves the requested moves (by stage code) to stage ids; 422 naming `transitions.N.from|to`. */
function resolveMoves(
  requested: CreatePipelineInput['transitions'],
  templateMoves: ReadonlyArray<readonly [string, string]> | 'linear',
  stages: readonly StageRow[],
): Move[] {
  const byCode = new Map(stages.map((s) => [s.code, s]));
  const spec = requested ?? templateMoves;
  if (spec === 'linear') {
    return linearMoves(stages).map(([f, t]) => ({ from_stage_id: f.id, to_stage_id: t.id }));
  }
  // A template's own moves are trusted data; a client's are reported by index when wrong.
  const pairs: ReadonlyArray<readonly [string, string]> = Array.isArray(requested)
    ? requested.map((m) => [m.from, m.to] as const)
    : templateMoves === 'linear'
      ? []
      : templateMoves;
  const out = new Map<string, Move>();
  pairs.forEach(([fromCode, toCode], i) => {
    const from = byCode.get(fromCode);
    const to = byCode.get(toCode);
    const where = requested ? 'transitions' : 'template';
    if (!from) throw fieldError([where, i, 'from'], 'unknown_stage', `No stage has code "${fromCode}"`);
    if (!to) throw fieldError([where, i, 'to'], 'unknown_stage', `No stage has code "${toCode}"`);
    if (from.id === to.id) {
      throw fieldError([where, i, 'to'], 'same_stage', 'A move must go to a different stage');
    }
    out.set(`${from.id}|${to.id}`, { from_stage_id: from.id, to_stage_id: to.id });
  });
  return [...out.values()];
}

export async function createPipeline(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreatePipelineInput,
): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.create');
  const tenantId = actor.workspaceId;
  const template = PIPELINE_TEMPLATES[input.template ?? input.kind];
  const plan = input.stages ? planFromInline(input.stages) : planFromTemplate(template.stages);
  if (!plan.some((s) => s.category === 'open')) {
    throw fieldError(['stages'], 'no_open_stage', 'A pipeline needs at least one open stage');
  }
  return mapUnique(
    () =>
      p.write(ctx, async (uow) => {
        if (await nameInUse(uow, tenantId, input.name)) throw nameTaken(input.name);
        if (input.is_default) await unsetOtherDefault(uow, ctx, null);
        const position = input.position ?? (await maxPipelinePosition(uow.trx, tenantId)) + 1;
        const row = await insertPipeline(uow.trx, {
          tenant_id: tenantId,
          id: newId(),
          name: input.name,
          kind: input.kind,
          is_default: input.is_default,
          position,
          enforce_transitions: input.enforce_transitions,
          created_by: actor.userId,
          updated_by: actor.userId,
          deleted_at: null,
        });
        const stages = await insertStages(
          uow.trx,
          plan.map((s, i) => ({
            tenant_id: tenantId,
            id: newId(),
            pipeline_id: row.id,
            ...s,
            position: i,
            created_by: actor.userId,
            updated_by: actor.userId,
            deleted_at: null,
          })),
        );
        const moves = resolveMoves(input.transitions, input.stages ? 'linear' : template.moves, stages);
        await insertMoves(uow.trx, tenantId, row.id, moves, actor.userId);
        const snapshot = pipelineSnapshot(row);
        const stageJson = [...stages].sort((a, b) => a.position - b.position).map(presentStage);
        uow.audit({
          action: 'pipeline.created',
          entityType: 'pipeline',
          entityId: row.id,
          diff: {
            ...diffRecords(null, snapshot, PIPELINE_DIFF_IGNORE),
            stages: { from: null, to: stageJson.map((s) => s.code) },
            transitions: { from: null, to: movesByCode(moves, stages) },
          },
        });
        uow.emit(pipelineCreated(snapshot, stageJson, moves));
        return present(uow, row, ctx);
      }),
    () => nameTaken(input.name),
  );
}

export async function updatePipeline(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdatePipelineInput,
  ifMatchVersion: number | undefined,
): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  const { version: bodyVersion, ...changes } = input;
  return mapUnique(
    () =>
      p.write(ctx, async (uow) => {
        const current = await loadForWrite(uow, ctx, id, ifMatchVersion ?? bodyVersion);
        if (changes.is_default === false && current.is_default) {
          throw fieldError(
            ['is_default'],
            'default_required',
            'A workspace always has one default pipeline: make another pipeline the default instead',
          );
        }
        const before = pipelineSnapshot(current);
        // A PATCH that changes nothing is a no-op: no new version, no audit row, no event.
        if (Object.keys(diffRecords(before, { ...before, ...changes }, PIPELINE_DIFF_IGNORE)).length === 0) {
          return present(uow, current, ctx);
        }
        if (
          changes.name !== undefined &&
          changes.name.toLowerCase() !== current.name.toLowerCase() &&
          (await nameInUse(uow, tenantId, changes.name, id))
        ) {
          throw nameTaken(changes.name);
        }
        if (changes.is_default === true && !current.is_default) await unsetOtherDefault(uow, ctx, id);
        const updated = await updatePipelineRow(uow.trx, tenantId, id, current.version, {
          ...changes,
          updated_by: actor.userId,
        });
        if (!updated) throw new AppError('version_conflict', 'The pipeline was changed concurrently; retry');
        const after = pipelineSnapshot(updated);
        const diff = diffRecords(before, after, PIPELINE_DIFF_IGNORE);
        uow.audit({ action: 'pipeline.updated', entityType: 'pipeline', entityId: id, diff });
        uow.emit(pipelineUpdated(after, diff));
        return present(uow, updated, ctx);
      }),
    () => nameTaken(changes.name ?? ''),
  );
}

export async function deletePipeline(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.delete');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow, ctx, id, ifMatchVersion);
    if (current.is_default) {
      const others = (await listPipelineRows(uow.trx, tenantId)).filter((r) => r.id !== id).length;
      throw new AppError(
        'conflict',
        others === 0
          ? 'This is the workspace’s only pipeline and its default; it cannot be deleted'
          : 'The default pipeline cannot be deleted; make another pipeline the default first',
        { extra: { reason: others === 0 ? 'only_pipeline' : 'default_pipeline' } },
      );
    }
    const deals = await countPipelineDeals(uow.trx, tenantId, id);
    if (deals > 0) {
      throw new AppError(
        'pipeline_has_deals',
        `The pipeline still has ${deals} deal(s); move or delete them first`,
        { extra: { deal_count: deals } },
      );
    }
    const updated = await updatePipelineRow(uow.trx, tenantId, id, current.version, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The pipeline was changed concurrently; retry');
    const snapshot = pipelineSnapshot(updated);
    uow.audit({
      action: 'pipeline.deleted',
      entityType: 'pipeline',
      entityId: id,
      diff: { deleted_at: { from: null, to: snapshot.deleted_at } },
    });
    uow.emit(pipelineDeleted(snapshot));
    return present(uow, updated, ctx);
  });
}

// ---------------------------------------------------------------------------------------------------
// Stages

/** Loads a live stage of a locked pipeline; checks the stage's version when given. */
async function loadStageForWrite(
  uow: Uow,
  ctx: RequestContext,
  pipelineId: string,
  stageId: string,
  expectedVersion?: number,
): Promise<StageRow> {
  const stage = await findStage(uow.trx, ctx.actor.workspaceId, stageId, { pipelineId, lock: 'update' });
  if (!stage || stage.deleted_at) throw stageNotFound();
  if (expectedVersion !== undefined && expectedVersion !== stage.version) {
    throw new AppError(
      'precondition_failed',
      `The stage changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: stage.version, current: presentStage(stage) },
        headers: { etag: `"${stage.version}"` },
      },
    );
  }
  return stage;
}

/** Where an open stage goes when no position is given: after the last open stage (closed ones stay last). */
function defaultInsertAt(stages: readonly StageRow[], category: StageCategory): number {
  if (category !== 'open') return stages.length;
  let at = 0;
  stages.forEach((s, i) => {
    if (s.category === 'open') at = i + 1;
  });
  return at;
}

export async function createStage(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  input: CreateStageInput,
): Promise<StageJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  const outcome = input.outcome === undefined ? defaultOutcome(input.category) : input.outcome;
  checkOutcome(input.category, outcome);
  checkRequiredFields(input.category, input.required_fields);
  return mapUnique(
    () =>
      p.write(ctx, async (uow) => {
        await loadForWrite(uow, ctx, pipelineId);
        const stages = await listStages(uow.trx, tenantId, pipelineId);
        if (stages.length >= MAX_STAGES) {
          throw new AppError('conflict', `A pipeline may have at most ${MAX_STAGES} stages`);
        }
        if (stages.some((s) => s.code === input.code)) throw codeTaken(input.code);
        const at = Math.min(input.position ?? defaultInsertAt(stages, input.category), stages.length);
        const [created] = await insertStages(uow.trx, [
          {
            tenant_id: tenantId,
            id: newId(),
            pipeline_id: pipelineId,
            code: input.code,
            name_vi: input.name_vi,
            name_en: input.name_en,
            position: at,
            default_probability: input.default_probability,
            category: input.category,
            outcome,
            required_fields: input.required_fields,
            allowed_roles: input.allowed_roles,
            rotting_days: input.rotting_days ?? null,
            color: input.color ?? null,
            created_by: actor.userId,
            updated_by: actor.userId,
            deleted_at: null,
          },
        ]);
        if (!created) throw new Error('stage was not inserted');
        const order = stages.map((s) => s.id);
        order.splice(at, 0, created.id);
        await renumberStages(uow.trx, tenantId, order, actor.userId);
        const json = presentStage(created);
        uow.audit({
          action: 'pipeline.stage_created',
          entityType: 'pipeline_stage',
          entityId: created.id,
          diff: diffRecords(null, json, ['created_at', 'updated_at', 'version']),
        });
        uow.emit(stageCreated(json));
        return json;
      }),
    () => codeTaken(input.code),
  );
}

export async function updateStage(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  stageId: string,
  input: UpdateStageInput,
  ifMatchVersion: number | undefined,
): Promise<StageJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  const { version: bodyVersion, position, ...changes } = input;
  return mapUnique(
    () =>
      p.write(ctx, async (uow) => {
        await loadForWrite(uow, ctx, pipelineId);
        const current = await loadStageForWrite(uow, ctx, pipelineId, stageId, ifMatchVersion ?? bodyVersion);
        const stages = await listStages(uow.trx, tenantId, pipelineId);

        const category = changes.category ?? current.category;
        const outcome =
          changes.outcome !== undefined
            ? changes.outcome
            : changes.category !== undefined && changes.category !== current.category
              ? defaultOutcome(category)
              : current.outcome;
        checkOutcome(category, outcome);
        checkRequiredFields(category, changes.required_fields ?? current.required_fields);
        const closing = category !== current.category || outcome !== current.outcome;
        if (closing && current.category === 'open' && category !== 'open') {
          const opens = stages.filter((s) => s.category === 'open').length;
          if (opens <= 1) {
            throw fieldError(['category'], 'last_open_stage', 'A pipeline must keep at least one open stage');
          }
        }
        if (closing) {
          // Deals sitting here took their status from this stage; changing its meaning under them would
          // leave open deals in a won column (or the reverse).
          const deals = await countStageDeals(uow.trx, tenantId, stageId);
          if (deals > 0) {
            throw new AppError(
              'stage_has_deals',
              `${deals} deal(s) are in this stage; move them before changing its category or outcome`,
              { extra: { deal_count: deals } },
            );
          }
        }
        if (changes.code !== undefined && stages.some((s) => s.id !== stageId && s.code === changes.code)) {
          throw codeTaken(changes.code);
        }

        const patch: StageRowUpdate = { ...changes, category, outcome };
        const before = presentStage(current);
        const newOrder = stages.map((s) => s.id);
        if (position !== undefined) {
          newOrder.splice(newOrder.indexOf(stageId), 1);
          newOrder.splice(Math.min(position, newOrder.length), 0, stageId);
        }
        const targetPosition = newOrder.indexOf(stageId);
        const wouldBe = { ...before, ...changes, category, outcome, position: targetPosition };
        if (Object.keys(diffRecords(before, wouldBe, ['updated_at', 'version'])).length === 0) return before;

        if (position !== undefined) {
          await renumberStages(uow.trx, tenantId, newOrder, actor.userId, stageId);
          patch.position = targetPosition;
        }
        const updated = await updateStageRow(uow.trx, tenantId, stageId, {
          ...patch,
          updated_by: actor.userId,
        });
        const after = presentStage(updated);
        const diff = diffRecords(before, after, ['updated_at', 'version']);
        uow.audit({
          action: 'pipeline.stage_updated',
          entityType: 'pipeline_stage',
          entityId: stageId,
          diff,
        });
        uow.emit(stageUpdated(after, diff));
        return after;
      }),
    () => codeTaken(changes.code ?? ''),
  );
}

export async function reorderStages(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  input: ReorderStagesInput,
): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const pipeline = await loadForWrite(uow, ctx, pipelineId);
    const stages = await listStages(uow.trx, tenantId, pipelineId);
    const live = new Set(stages.map((s) => s.id));
    const given = new Set(input.stage_ids);
    input.stage_ids.forEach((id, i) => {
      if (!live.has(id)) {
        throw fieldError(['stage_ids', i], 'unknown_stage', 'Not a live stage of this pipeline');
      }
    });
    if (given.size !== input.stage_ids.length || given.size !== live.size) {
      throw fieldError(
        ['stage_ids'],
        'not_a_permutation',
        `Send every live stage of the pipeline exactly once (${live.size} stages)`,
      );
    }
    const before = stages.map((s) => s.code);
    const byId = new Map(stages.map((s) => [s.id, s]));
    const after = input.stage_ids.map((id) => byId.get(id)?.code ?? id);
    if (before.join() !== after.join()) {
      await renumberStages(uow.trx, tenantId, input.stage_ids, actor.userId);
      uow.audit({
        action: 'pipeline.stages_reordered',
        entityType: 'pipeline',
        entityId: pipelineId,
        diff: { stage_order: { from: before, to: after } },
      });
      uow.emit(stagesReordered(pipelineId, input.stage_ids));
    }
    return present(uow, pipeline, ctx);
  });
}

export interface DeleteStageResult {
  pipeline: PipelineJson;
  moved_deals: number;
}

export async function deleteStage(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  stageId: string,
  moveDealsTo: string | undefined,
): Promise<DeleteStageResult> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const pipeline = await loadForWrite(uow, ctx, pipelineId);
    // Locked before the deals are counted: a concurrent deal move into this stage (which reads the
    // stage FOR SHARE) either commits first and is counted, or waits and then finds the stage gone.
    const stage = await loadStageForWrite(uow, ctx, pipelineId, stageId);
    const stages = await listStages(uow.trx, tenantId, pipelineId);
    if (stage.category === 'open' && stages.filter((s) => s.category === 'open').length <= 1) {
      throw new AppError('conflict', 'A pipeline must keep at least one open stage; this is its last one');
    }
    let target: StageRow | undefined;
    if (moveDealsTo !== undefined) {
      target = stages.find((s) => s.id === moveDealsTo);
      if (!target || target.id === stageId) {
        throw fieldError(
          ['move_deals_to'],
          target ? 'same_stage' : 'unknown_stage',
          target
            ? 'Deals must move to a different stage than the one removed'
            : 'move_deals_to must be a live stage of the same pipeline',
          'query',
        );
      }
    }
    const deals = await lockStageDeals(uow.trx, tenantId, stageId);
    if (deals.length > 0 && !target) {
      throw new AppError(
        'stage_has_deals',
        `${deals.length} deal(s) are in this stage; pass move_deals_to=<stage id> to move them`,
        { extra: { deal_count: deals.length } },
      );
    }
    if (target && deals.length > 0) await moveDealsOut(uow, ctx, pipeline, stage, target, deals);

    const removed = await updateStageRow(uow.trx, tenantId, stageId, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    const movesDropped = await deleteMovesOfStage(uow.trx, tenantId, pipelineId, stageId);
    await renumberStages(
      uow.trx,
      tenantId,
      stages.filter((s) => s.id !== stageId).map((s) => s.id),
      actor.userId,
    );
    const json = presentStage(removed);
    uow.audit({
      action: 'pipeline.stage_deleted',
      entityType: 'pipeline_stage',
      entityId: stageId,
      diff: {
        deleted_at: { from: null, to: removed.deleted_at?.toISOString() ?? null },
        ...(target ? { moved_deals_to: { from: null, to: target.id } } : {}),
        ...(deals.length > 0 ? { moved_deals: { from: null, to: deals.length } } : {}),
        ...(movesDropped > 0 ? { transitions_removed: { from: null, to: movesDropped } } : {}),
      },
    });
    uow.emit(stageDeleted(json, target?.id ?? null, deals.length));
    return { pipeline: await present(uow, pipeline, ctx), moved_deals: deals.length };
  });
}

/**
 * Moves every deal of a stage being removed into `target`, in the caller's transaction: the deals row
 * (one UPDATE), a stage-history row, a timeline entry, an audit row and a `deal.stage_changed` event per
 * deal. Transition rules are not applied (this is an admin's restructuring, not a sales move), except
 * the one the database also enforces: a lost outcome needs a lost reason on every deal.
 */
async function moveDealsOut(
  uow: Uow,
  ctx: RequestContext,
  pipeline: PipelineRow,
  from: StageRow,
  target: StageRow,
  deals: Awaited<ReturnType<typeof lockStageDeals>>,
): Promise<void> {
  const { actor } = ctx;
  const tenantId = actor.workspaceId;
  if (target.outcome === 'lost') {
    const missing = deals
      .filter((d) => d.lost_reason === null || d.lost_reason.trim() === '')
      .map((d) => d.id);
    if (missing.length > 0) {
      throw new AppError(
        'stage_transition_blocked',
        `${missing.length} deal(s) have no lost reason, which ${target.code} requires; give them one or choose another stage`,
        {
          extra: {
            unmet: [
              {
                rule: 'field_required',
                field: 'lost_reason',
                deal_ids: missing,
                message: `lost_reason is required to enter ${target.code}`,
              },
            ],
          },
        },
      );
    }
  }
  const moved = await moveStageDeals(uow.trx, tenantId, from.id, target, actor.userId);
  const byId = new Map(moved.map((m) => [m.id, m]));
  await uow.trx
    .insertInto('crm_core.crm_stage_transitions')
    .values(
      deals.map((d) => {
        const m = byId.get(d.id);
        return {
          tenant_id: tenantId,
          id: newId(),
          deal_id: d.id,
          pipeline_id: pipeline.id,
          from_stage_id: from.id,
          to_stage_id: target.id,
          from_status: d.status,
          to_status: m?.status ?? d.status,
          probability: m?.probability ?? d.probability,
          ms_in_from_stage: sql<number>`greatest(0, (extract(epoch FROM (now() - ${d.stage_entered_at}::timestamptz)) * 1000)::bigint)`,
          actor_type: actor.type,
          actor_id: actor.type === 'user' ? actor.userId : actor.id,
        };
      }),
    )
    .execute();
  for (const d of deals) {
    const m = byId.get(d.id);
    if (!m) continue;
    const diff: FieldDiff = {
      stage_id: { from: from.id, to: target.id },
      ...(m.probability !== d.probability ? { probability: { from: d.probability, to: m.probability } } : {}),
      ...(m.status !== d.status ? { status: { from: d.status, to: m.status } } : {}),
      ...(String(m.closed_at) !== String(d.closed_at)
        ? { closed_at: { from: d.closed_at?.toISOString() ?? null, to: m.closed_at?.toISOString() ?? null } }
        : {}),
    };
    uow.audit({ action: 'deal.stage_changed', entityType: 'deal', entityId: d.id, diff });
    const data: DealStageChangedData = {
      deal_id: d.id,
      pipeline_id: pipeline.id,
      from_stage_id: from.id,
      to_stage_id: target.id,
      reason: 'stage_removed',
      deal: {
        id: d.id,
        pipeline_id: pipeline.id,
        stage_id: target.id,
        status: m.status,
        probability: m.probability,
        closed_at: m.closed_at?.toISOString() ?? null,
        version: m.version,
        owner_id: d.owner_id,
        acl_mode: d.acl_mode,
        acl_member_ids: d.acl_member_ids,
        acl_roles: d.acl_roles,
      },
      change: {
        from_stage_id: from.id,
        to_stage_id: target.id,
        from_stage_code: from.code,
        to_stage_code: target.code,
        from_status: d.status,
        to_status: m.status,
      },
    };
    uow.emit(dealStageChangedByRemoval(data));
    if (m.status !== 'open' && m.status !== d.status) uow.emit(dealClosedByRemoval(m.status, data));
    await recordSystemActivity(uow, {
      kind: 'stage_changed',
      subject: `${from.name_vi} → ${target.name_vi} (stage removed)`,
      dealId: d.id,
      accountId: d.account_id,
      metadata: {
        from_stage_id: from.id,
        to_stage_id: target.id,
        from_stage: from.code,
        to_stage: target.code,
        reason: 'stage_removed',
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Transition rules

export async function replaceTransitions(
  p: AppPlatform,
  ctx: RequestContext,
  pipelineId: string,
  input: ReplaceTransitionsInput,
): Promise<PipelineJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.pipeline.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const pipeline = await loadForWrite(uow, ctx, pipelineId);
    const stages = await listStages(uow.trx, tenantId, pipelineId);
    const live = new Set(stages.map((s) => s.id));
    const wanted = new Map<string, Move>();
    input.moves.forEach((m, i) => {
      if (!live.has(m.from_stage_id)) {
        throw fieldError(['moves', i, 'from_stage_id'], 'unknown_stage', 'Not a live stage of this pipeline');
      }
      if (!live.has(m.to_stage_id)) {
        throw fieldError(['moves', i, 'to_stage_id'], 'unknown_stage', 'Not a live stage of this pipeline');
      }
      if (m.from_stage_id === m.to_stage_id) {
        throw fieldError(['moves', i, 'to_stage_id'], 'same_stage', 'A move must go to a different stage');
      }
      wanted.set(`${m.from_stage_id}|${m.to_stage_id}`, m);
    });
    const current = await listTransitions(uow.trx, tenantId, pipelineId);
    const before = movesByCode(current, stages);
    const next = [...wanted.values()];
    const after = movesByCode(next, stages);
    if (before.join() !== after.join()) {
      await deleteAllMoves(uow.trx, tenantId, pipelineId);
      await insertMoves(uow.trx, tenantId, pipelineId, next, actor.userId);
      uow.audit({
        action: 'pipeline.transitions_changed',
        entityType: 'pipeline',
        entityId: pipelineId,
        diff: { transitions: { from: before, to: after } },
      });
      uow.emit(transitionsChanged(pipelineId, next));
    }
    return present(uow, pipeline, ctx);
  });
}
