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
 * A deal moved because its stage was removed. Same topic as a user's move (`deal.stage_changed`) so a
 * board refreshes either way; the ACL fields ride along so the fan-out can hide restricted deals from
 * members who may not see them (DESIGN §6: "…and events").
 */
export interface DealStageChangedData {
  deal_id: string;
  pipeline_id: string;
  from_stage_id: string;
  to_stage_id: string;
  from_status: string;
  to_status: string;
  probability: number;
  reason: 'stage_removed';
  owner_id: string | null;
  acl_mode: 'default' | 'restricted';
  acl_member_ids: string[];
  acl_roles: string[];
}

export const dealStageChangedByRemoval = (d: DealStageChangedData): DomainEvent<DealStageChangedData> => ({
  type: 'deal.stage_changed',
  aggregateType: 'deal',
  aggregateId: d.deal_id,
  data: d,
});
