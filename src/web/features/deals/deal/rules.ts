import type { Pipeline, PipelineStage } from '../../../../shared/api-client/types.gen.js';
import type { DealRecord } from './queries.js';

/**
 * The pipeline's rules as the API evaluates them (src/server/modules/pipelines/pipeline.rules.ts), used
 * only to guide: offer the moves the pipeline allows and say up front which fields a stage needs. The API
 * still decides; its refusal is shown as it comes.
 */

export function canTransition(pipeline: Pipeline | undefined, fromId: string, toId: string): boolean {
  if (!pipeline?.enforce_transitions) return true;
  return pipeline.transitions.some((t) => t.from_stage_id === fromId && t.to_stage_id === toId);
}

/** The stage a close with this outcome enters: the pipeline's first stage with that outcome. */
export function outcomeStage(
  pipeline: Pipeline | undefined,
  outcome: 'won' | 'lost' | 'cancelled',
): PipelineStage | undefined {
  return [...(pipeline?.stages ?? [])]
    .sort((a, b) => a.position - b.position)
    .find((s) => s.outcome === outcome);
}

/** Required fields of `stage` the deal has no value for (lost_reason is asked by the close dialog). */
export function missingFields(deal: DealRecord, stage: PipelineStage | undefined): string[] {
  if (!stage) return [];
  const value: Record<string, unknown> = {
    account_id: deal.account_id,
    primary_contact_id: deal.primary_contact_id,
    amount: deal.amount_minor,
    expected_close_date: deal.expected_close_date,
    description: deal.description,
    owner_id: deal.owner_id,
  };
  return stage.required_fields.filter((f) => f !== 'lost_reason' && (value[f] === null || value[f] === ''));
}
