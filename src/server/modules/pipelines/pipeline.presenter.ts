import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { pipelineAbilities } from './pipeline.policy.js';
import type { Move } from './pipeline.repository.js';
import type { pipelineResponseSchema, stageResponseSchema } from './pipeline.schema.js';
import type { PipelineRow, StageRow } from './pipeline.table.js';

export type PipelineJson = z.infer<typeof pipelineResponseSchema>;
export type PipelineSnapshot = Omit<PipelineJson, 'abilities' | 'stages' | 'transitions'>;
export type StageJson = z.infer<typeof stageResponseSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A pipeline's own fields (for audit diffs and events; stages travel separately). */
export function pipelineSnapshot(row: PipelineRow): PipelineSnapshot {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    is_default: row.is_default,
    position: row.position,
    enforce_transitions: row.enforce_transitions,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: iso(row.deleted_at),
  };
}

export function presentStage(row: StageRow): StageJson {
  return {
    id: row.id,
    pipeline_id: row.pipeline_id,
    code: row.code,
    name_vi: row.name_vi,
    name_en: row.name_en,
    position: row.position,
    default_probability: row.default_probability,
    category: row.category,
    outcome: row.outcome,
    required_fields: row.required_fields,
    allowed_roles: row.allowed_roles,
    rotting_days: row.rotting_days,
    color: row.color,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    version: row.version,
  };
}

/** The pipeline as its reader sees it: its live stages in board order, its allowed moves, what they may do. */
export function presentPipeline(
  row: PipelineRow,
  stages: readonly StageRow[],
  moves: readonly Move[],
  actor: Actor,
): PipelineJson {
  return {
    ...pipelineSnapshot(row),
    stages: [...stages].sort((a, b) => a.position - b.position).map(presentStage),
    transitions: moves.map((m) => ({ from_stage_id: m.from_stage_id, to_stage_id: m.to_stage_id })),
    abilities: pipelineAbilities(actor, row),
  };
}

export const pipelineEtag = (version: number): string => `"${version}"`;
