import type { Role } from '../../../shared/auth.js';
import type { PipelineRow, StageRow } from './pipeline.table.js';

/**
 * Stage-transition rules, evaluated as data (seed 000 §7). Pure: the deals service loads the pipeline,
 * the two stages and the allowed moves, then asks this function what stands in the way. Every unmet rule
 * is listed (not just the first), so a blocked move can show the user all that is missing at once.
 */

/** Deal fields a stage may require before a deal enters it. */
export const REQUIRABLE_FIELDS = [
  'account_id',
  'primary_contact_id',
  'amount',
  'expected_close_date',
  'description',
  'owner_id',
  'lost_reason',
] as const;
export type RequirableField = (typeof REQUIRABLE_FIELDS)[number];

/** The deal's values as they would be after the move (current values merged with the move's changes). */
export type DealFieldValues = Record<RequirableField, unknown>;

export type UnmetRule =
  | { rule: 'transition_not_allowed'; from_stage: string; to_stage: string; message: string }
  | { rule: 'field_required'; field: RequirableField; message: string }
  | { rule: 'role_not_allowed'; allowed_roles: Role[]; message: string }
  | { rule: 'stage_not_in_pipeline'; message: string };

export interface TransitionCheck {
  pipeline: Pick<PipelineRow, 'id' | 'enforce_transitions'>;
  /** null when a deal is created (entering its first stage). */
  from: Pick<StageRow, 'id' | 'code'> | null;
  to: Pick<StageRow, 'id' | 'code' | 'pipeline_id' | 'required_fields' | 'allowed_roles' | 'outcome'>;
  /** Allowed moves of the pipeline, as from→to stage id pairs. */
  allowedMoves: ReadonlyArray<{ from_stage_id: string; to_stage_id: string }>;
  deal: DealFieldValues;
  role: Role;
}

const isBlank = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

export function evaluateTransition(c: TransitionCheck): UnmetRule[] {
  const unmet: UnmetRule[] = [];
  if (c.to.pipeline_id !== c.pipeline.id) {
    return [{ rule: 'stage_not_in_pipeline', message: `Stage ${c.to.code} is not a stage of this pipeline` }];
  }
  if (
    c.from !== null &&
    c.pipeline.enforce_transitions &&
    !c.allowedMoves.some((m) => m.from_stage_id === c.from?.id && m.to_stage_id === c.to.id)
  ) {
    unmet.push({
      rule: 'transition_not_allowed',
      from_stage: c.from.code,
      to_stage: c.to.code,
      message: `A deal cannot move from ${c.from.code} to ${c.to.code} in this pipeline`,
    });
  }
  if (c.to.allowed_roles.length > 0 && c.role !== 'admin' && !c.to.allowed_roles.includes(c.role)) {
    unmet.push({
      rule: 'role_not_allowed',
      allowed_roles: c.to.allowed_roles,
      message: `Only ${c.to.allowed_roles.join(', ')} may move deals into ${c.to.code}`,
    });
  }
  const required = new Set<RequirableField>(
    c.to.required_fields.filter((f): f is RequirableField =>
      (REQUIRABLE_FIELDS as readonly string[]).includes(f),
    ),
  );
  // A lost reason is always required to lose a deal, whatever the stage's own list says.
  if (c.to.outcome === 'lost') required.add('lost_reason');
  for (const field of REQUIRABLE_FIELDS) {
    if (required.has(field) && isBlank(c.deal[field])) {
      unmet.push({ rule: 'field_required', field, message: `${field} is required to enter ${c.to.code}` });
    }
  }
  return unmet;
}
