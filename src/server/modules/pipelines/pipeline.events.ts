import type { FieldDiff } from '../../platform/audit/audit.js';
import type { DomainEvent } from '../../platform/events/outbox.js';
import type { PipelineSnapshot, StageJson } from './pipeline.presenter.js';
import type { Move } from './pipeline.repository.js';

/** Events of the pipelines module (topics `pipeline.*`), as published on the bus and to webhooks. */
export const PIPELINE_EVENTS = {
  created: 'pipeline.created',
  updated: 'pipeline.updated',
  deleted: 'pipeline.deleted',
  stageCreated: 'pipeline.stage_created',
  stageUpdated: 'pipeline.stage_updated',
  stageDeleted: 'pipeline.stage_deleted',
  stagesReordered: 'pipeline.stages_reordered',
  transitionsChanged: 'pipeline.transitions_changed',
} as const;

const ev = <T>(type: string, pipelineId: string, data: T): DomainEvent<T> => ({
  type,
  aggregateType: 'pipeline',
  aggregateId: pipelineId,
  data,
});

export const pipelineCreated = (pipeline: PipelineSnapshot, stages: StageJson[], transitions: Move[]) =>
  ev(PIPELINE_EVENTS.created, pipeline.id, { pipeline, stages, transitions });

export const pipelineUpdated = (pipeline: PipelineSnapshot, changes: FieldDiff) =>
  ev(PIPELINE_EVENTS.updated, pipeline.id, { pipeline, changes });

export const pipelineDeleted = (pipeline: PipelineSnapshot) =>
  ev(PIPELINE_EVENTS.deleted, pipeline.id, { pipeline });

export const stageCreated = (stage: StageJson) =>
  ev(PIPELINE_EVENTS.stageCreated, stage.pipeline_id, { pipeline_id: stage.pipeline_id, stage });

export const stageUpdated = (stage: StageJson, changes: FieldDiff) =>
  ev(PIPELINE_EVENTS.stageUpdated, stage.pipeline_id, { pipeline_id: stage.pipeline_id, stage, changes });

export const stageDeleted = (stage: StageJson, movedTo: string | null, movedDeals: number) =>
  ev(PIPELINE_EVENTS.stageDeleted, stage.pipeline_id, {
    pipeline_id: stage.pipeline_id,
    stage,
    moved_deals_to: movedTo,
    moved_deals: movedDeals,
  });

export const stagesReordered = (pipelineId: string, stageIds: string[]) =>
  ev(PIPELINE_EVENTS.stagesReordered, pipelineId, { pipeline_id: pipelineId, stage_ids: stageIds });

export const transitionsChanged = (pipelineId: string, transitions: Move[]) =>
  ev(PIPELINE_EVENTS.transitionsChanged, pipelineId, { pipeline_id: pipelineId, transitions });

/**
 * A deal moved because its stage was removed. Same topic and the same `{deal, change}` shape as a
 * user's move in the deals module (`deal.stage_changed`), so a board or webhook handles both alike; `deal`
 * carries the fields that changed plus the ACL fields, so the fan-out can hide a restricted deal from
 * members who may not see it (DESIGN §6: "…and events"). `reason` tells the two apart.
 */
export interface DealStageChangedData {
  deal_id: string;
  pipeline_id: string;
  from_stage_id: string;
  to_stage_id: string;
  reason: 'stage_removed';
  deal: {
    id: string;
    pipeline_id: string;
    stage_id: string;
    status: string;
    probability: number;
    closed_at: string | null;
    version: number;
    owner_id: string | null;
    acl_mode: 'default' | 'restricted';
    acl_member_ids: string[];
    acl_roles: string[];
  };
  change: {
    from_stage_id: string;
    to_stage_id: string;
    from_stage_code: string;
    to_stage_code: string;
    from_status: string;
    to_status: string;
  };
}

export const dealStageChangedByRemoval = (d: DealStageChangedData): DomainEvent<DealStageChangedData> => ({
  type: 'deal.stage_changed',
  aggregateType: 'deal',
  aggregateId: d.deal_id,
  data: d,
});

/**
 * A removal that moves open deals into a closed stage closes them: `deal.won|lost|cancelled` follows the
 * stage change, as in the deals module, so the consumers of a win (invoice, VietQR…) are not skipped.
 */
export const dealClosedByRemoval = (
  outcome: 'won' | 'lost' | 'cancelled',
  d: DealStageChangedData,
): DomainEvent<DealStageChangedData> => ({
  type: `deal.${outcome}`,
  aggregateType: 'deal',
  aggregateId: d.deal_id,
  data: d,
});
