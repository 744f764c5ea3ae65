import { type Actor, can } from '../../platform/auth/actor.js';
import { fieldError } from '../../platform/errors.js';
import type { PipelineAbility } from './pipeline.schema.js';
import type { PipelineRow, StageCategory, StageOutcome } from './pipeline.table.js';

/**
 * Record rules for pipelines, as pure functions. Pipelines are workspace configuration: every member
 * reads them (the board needs them); only admins change them (crm.pipeline.create/update/delete are
 * admin-only and need the crm.admin scope, src/shared/auth.ts).
 */

export function pipelineAbilities(
  actor: Actor,
  pipeline: Pick<PipelineRow, 'deleted_at'>,
): PipelineAbility[] {
  if (pipeline.deleted_at) return [];
  const out: PipelineAbility[] = [];
  if (can(actor, 'crm.pipeline.update')) out.push('update', 'manage_stages');
  if (can(actor, 'crm.pipeline.delete')) out.push('delete');
  return out;
}

/** The outcome a category implies when none is given: won → won, lost → lost, open → none. */
export function defaultOutcome(category: StageCategory): StageOutcome | null {
  return category === 'won' ? 'won' : category === 'lost' ? 'lost' : null;
}

/**
 * A stage's category and outcome must agree (the same rule as the table's CHECK, reported as a 422
 * naming `outcome` instead of a constraint violation). `path` prefixes the field (inline stages).
 */
export function checkOutcome(
  category: StageCategory,
  outcome: StageOutcome | null,
  path: ReadonlyArray<string | number> = [],
): void {
  const ok =
    (category === 'open' && outcome === null) ||
    (category === 'won' && outcome === 'won') ||
    (category === 'lost' && (outcome === 'lost' || outcome === 'cancelled'));
  if (ok) return;
  const expected = category === 'open' ? 'null' : category === 'won' ? '"won"' : '"lost" or "cancelled"';
  throw fieldError(
    [...path, 'outcome'],
    'invalid_outcome',
    `A stage of category ${category} must have outcome ${expected}`,
  );
}

/**
 * A lost reason exists only on lost deals (the deals module clears it on any other move), so requiring
 * it to enter an open or won stage would make that stage unreachable: refused, naming the entry.
 */
export function checkRequiredFields(
  category: StageCategory,
  requiredFields: readonly string[],
  path: ReadonlyArray<string | number> = [],
): void {
  const i = requiredFields.indexOf('lost_reason');
  if (i >= 0 && category !== 'lost') {
    throw fieldError(
      [...path, 'required_fields', i],
      'lost_reason_needs_lost_stage',
      'Only a lost stage can require lost_reason',
    );
  }
}
