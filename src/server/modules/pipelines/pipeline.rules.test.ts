import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../shared/auth.js';
import {
  type DealFieldValues,
  evaluateTransition,
  REQUIRABLE_FIELDS,
  type RequirableField,
  type TransitionCheck,
} from './pipeline.rules.js';
import type { StageOutcome } from './pipeline.table.js';
import { linearMoves, PIPELINE_TEMPLATES } from './pipeline.templates.js';

/**
 * The transition rule evaluator, as data: the default sales pipeline's moves (seed 000 §7 lifecycle)
 * built from the same template the API uses, then every rule alone and several at once.
 */

const PIPELINE_ID = 'p-1';
const sales = PIPELINE_TEMPLATES.sales;
const stages = sales.stages.map((s) => ({
  ...s,
  id: `s-${s.code}`,
  pipeline_id: PIPELINE_ID,
  allowed_roles: [] as Role[],
}));
type TestStage = (typeof stages)[number];
const stage = (code: string): TestStage => {
  const s = stages.find((x) => x.code === code);
  if (!s) throw new Error(code);
  return s;
};
const moves = (sales.moves === 'linear' ? [] : sales.moves).map(([f, t]) => ({
  from_stage_id: `s-${f}`,
  to_stage_id: `s-${t}`,
}));

const complete: DealFieldValues = {
  account_id: 'a-1',
  primary_contact_id: 'c-1',
  amount: 1_000_000,
  expected_close_date: '2026-12-31',
  description: 'Triển khai CRM',
  owner_id: 'u-1',
  lost_reason: 'Giá cao hơn đối thủ',
};
const blank: DealFieldValues = Object.fromEntries(REQUIRABLE_FIELDS.map((f) => [f, null])) as DealFieldValues;

function check(
  from: string | null,
  to: string | TestStage,
  over: Partial<Omit<TransitionCheck, 'from' | 'to'>> = {},
): ReturnType<typeof evaluateTransition> {
  return evaluateTransition({
    pipeline: { id: PIPELINE_ID, enforce_transitions: true },
    from: from === null ? null : stage(from),
    to: typeof to === 'string' ? stage(to) : to,
    allowedMoves: moves,
    deal: complete,
    role: 'sales_rep',
    ...over,
  });
}

describe('allowed moves (seed lifecycle)', () => {
  const allowed: Array<[string, string]> = [
    ['qualifying', 'discovery'],
    ['discovery', 'proposal'],
    ['proposal', 'negotiation'],
    ['negotiation', 'closed_won'],
    ['negotiation', 'closed_lost'],
    ['negotiation', 'cancelled'],
    ['discovery', 'closed_lost'],
    ['proposal', 'closed_lost'],
    ['qualifying', 'cancelled'],
    ['discovery', 'qualifying'],
    ['proposal', 'discovery'],
    ['negotiation', 'proposal'],
  ];
  it.each(allowed)('%s → %s is allowed', (from, to) => {
    expect(check(from, to)).toEqual([]);
  });

  const blocked: Array<[string, string]> = [
    ['qualifying', 'proposal'],
    ['qualifying', 'closed_won'],
    ['discovery', 'closed_won'],
    ['proposal', 'closed_won'],
    ['closed_won', 'negotiation'],
    ['closed_lost', 'qualifying'],
    ['cancelled', 'qualifying'],
    ['discovery', 'cancelled'],
  ];
  it.each(blocked)('%s → %s is blocked, naming both stages', (from, to) => {
    expect(check(from, to)).toEqual([
      {
        rule: 'transition_not_allowed',
        from_stage: from,
        to_stage: to,
        message: `A deal cannot move from ${from} to ${to} in this pipeline`,
      },
    ]);
  });

  it('every pair not in the data is blocked, every pair in it allowed (exhaustive over 7×7)', () => {
    for (const f of stages) {
      for (const t of stages) {
        if (f.id === t.id) continue;
        const isAllowed = moves.some((m) => m.from_stage_id === f.id && m.to_stage_id === t.id);
        const unmet = check(f.code, t.code).filter((u) => u.rule === 'transition_not_allowed');
        expect(unmet.length === 0, `${f.code} → ${t.code}`).toBe(isAllowed);
      }
    }
  });

  it('enforce_transitions = false allows any move, but still applies fields and roles', () => {
    const free = { pipeline: { id: PIPELINE_ID, enforce_transitions: false } };
    expect(check('qualifying', 'closed_won', free)).toEqual([]);
    expect(check('closed_lost', 'qualifying', free)).toEqual([]);
    const unmet = check('qualifying', 'closed_won', { ...free, deal: { ...complete, amount: null } });
    expect(unmet.map((u) => u.rule)).toEqual(['field_required']);
    const restricted = { ...stage('closed_won'), allowed_roles: ['manager'] as Role[] };
    expect(check('qualifying', restricted, free).map((u) => u.rule)).toEqual(['role_not_allowed']);
  });

  it('a newly created deal (from = null) skips the move check', () => {
    expect(check(null, 'negotiation')).toEqual([]);
    expect(check(null, 'qualifying', { allowedMoves: [] })).toEqual([]);
  });

  it('the allowed set is read from the data given, not from the stage codes', () => {
    const only = [{ from_stage_id: 's-qualifying', to_stage_id: 's-closed_won' }];
    expect(check('qualifying', 'closed_won', { allowedMoves: only })).toEqual([]);
    expect(check('qualifying', 'discovery', { allowedMoves: only }).map((u) => u.rule)).toEqual([
      'transition_not_allowed',
    ]);
    // A move of another pipeline's stages with the same codes does not count.
    const other = [{ from_stage_id: 'x-qualifying', to_stage_id: 'x-discovery' }];
    expect(check('qualifying', 'discovery', { allowedMoves: other })).toHaveLength(1);
  });

  it('a stage of another pipeline is refused on its own', () => {
    const foreign = { ...stage('discovery'), pipeline_id: 'p-2' };
    expect(check('qualifying', foreign)).toEqual([
      { rule: 'stage_not_in_pipeline', message: 'Stage discovery is not a stage of this pipeline' },
    ]);
  });

  it('linear moves: neighbours both ways, every open stage to every closed stage, nothing out of closed', () => {
    const lin = linearMoves(stages).map(([f, t]) => `${f.code}>${t.code}`);
    expect(lin).toContain('qualifying>discovery');
    expect(lin).toContain('discovery>qualifying');
    expect(lin).toContain('qualifying>closed_won');
    expect(lin).toContain('negotiation>cancelled');
    expect(lin).not.toContain('qualifying>proposal');
    expect(lin.some((m) => m.startsWith('closed_won>'))).toBe(false);
    // 4 open stages: 3 neighbour pairs × 2 + 4 × 3 closed
    expect(lin).toHaveLength(6 + 12);
  });
});

describe('required fields', () => {
  it.each(REQUIRABLE_FIELDS.map((f) => [f]))('%s, when required, blocks while blank', (field) => {
    const to = { ...stage('discovery'), required_fields: [field] };
    for (const empty of [null, undefined, '', '   ']) {
      const unmet = check('qualifying', to, { deal: { ...complete, [field]: empty } });
      expect(unmet).toEqual([
        { rule: 'field_required', field, message: `${field} is required to enter discovery` },
      ]);
    }
    expect(check('qualifying', to)).toEqual([]);
  });

  it('the seed stages require what the seed says: amount + contact for proposal, + close date for negotiation', () => {
    const fields = (from: string, to: string) =>
      check(from, to, { deal: blank }).flatMap((u) => (u.rule === 'field_required' ? [u.field] : []));
    expect(fields('discovery', 'proposal')).toEqual(['primary_contact_id', 'amount']);
    expect(fields('proposal', 'negotiation')).toEqual([
      'primary_contact_id',
      'amount',
      'expected_close_date',
    ]);
    expect(fields('negotiation', 'closed_won')).toEqual(['account_id', 'primary_contact_id', 'amount']);
    expect(fields('qualifying', 'discovery')).toEqual([]);
  });

  it('an amount of 0 is a value, not a blank', () => {
    expect(check('discovery', 'proposal', { deal: { ...complete, amount: 0 } })).toEqual([]);
  });

  it('unknown names in a stage’s list are ignored (the API refuses them; old data must not crash a move)', () => {
    const to = { ...stage('discovery'), required_fields: ['budget', 'amount'] };
    expect(
      check('qualifying', to, { deal: blank }).map((u) => u.rule === 'field_required' && u.field),
    ).toEqual(['amount']);
  });

  it('lost_reason is mandatory for a lost outcome even when the stage does not list it', () => {
    const lostStage = { ...stage('closed_lost'), required_fields: [] };
    expect(check('negotiation', lostStage, { deal: { ...complete, lost_reason: null } })).toEqual([
      {
        rule: 'field_required',
        field: 'lost_reason',
        message: 'lost_reason is required to enter closed_lost',
      },
    ]);
    expect(check('negotiation', lostStage)).toEqual([]);
  });

  it('a cancelled outcome and a won outcome do not need a lost reason', () => {
    expect(check('negotiation', 'cancelled', { deal: { ...complete, lost_reason: null } })).toEqual([]);
    expect(check('negotiation', 'closed_won', { deal: { ...complete, lost_reason: null } })).toEqual([]);
    const outcomes: StageOutcome[] = ['won', 'cancelled'];
    for (const outcome of outcomes) {
      const s = { ...stage('closed_lost'), outcome, required_fields: [] };
      expect(check('negotiation', s, { deal: { ...complete, lost_reason: null } })).toEqual([]);
    }
  });
});

describe('roles', () => {
  const managersOnly = { ...stage('closed_won'), allowed_roles: ['manager'] as Role[] };

  it('only the listed roles (and admins) may move deals into a restricted stage', () => {
    for (const role of ROLES) {
      const unmet = check('negotiation', managersOnly, { role });
      if (role === 'manager' || role === 'admin') expect(unmet, role).toEqual([]);
      else
        expect(unmet, role).toEqual([
          {
            rule: 'role_not_allowed',
            allowed_roles: ['manager'],
            message: 'Only manager may move deals into closed_won',
          },
        ]);
    }
  });

  it('an empty list means any role', () => {
    for (const role of ROLES) expect(check('negotiation', 'closed_won', { role })).toEqual([]);
  });
});

describe('several unmet rules at once', () => {
  it('lists the blocked move, the role and every missing field together', () => {
    const to = {
      ...stage('closed_lost'),
      allowed_roles: ['manager'] as Role[],
      required_fields: ['account_id', 'amount'] as RequirableField[],
    };
    const unmet = check('qualifying', to, { deal: blank, role: 'sales_rep' });
    expect(unmet.map((u) => u.rule)).toEqual([
      'transition_not_allowed',
      'role_not_allowed',
      'field_required',
      'field_required',
      'field_required',
    ]);
    expect(unmet.flatMap((u) => (u.rule === 'field_required' ? [u.field] : []))).toEqual([
      'account_id',
      'amount',
      'lost_reason',
    ]);
    for (const u of unmet) expect(u.message.length).toBeGreaterThan(0);
  });
});
