import { describe, expect, it } from 'vitest';
import { triggerOf } from './workflow.catalogue.js';
import {
  checkDefinition,
  conditionHolds,
  conditionsHold,
  placeholders,
  render,
  valueAt,
} from './workflow.engine.js';
import { actionSchema, conditionSchema, type WorkflowCondition } from './workflow.schema.js';

/** The rule language without a database: paths, every operator, templates, definition checks. */

const data = {
  deal: {
    name: 'Hợp đồng ABC',
    amount_minor: 50_000_000,
    currency: 'VND',
    owner_id: '01900000-0000-7000-8000-000000000001',
    tags: ['vip', 'hanoi'],
    expected_close_date: '2026-12-01',
    lost_reason: null,
    custom_fields: { region: 'north' },
  },
  change: { to_stage_code: 'proposal', from_stage_code: 'discovery' },
};

const c = (
  field: string,
  op: WorkflowCondition['op'],
  value?: WorkflowCondition['value'],
): WorkflowCondition => conditionSchema.parse({ field, op, ...(value === undefined ? {} : { value }) });

describe('valueAt', () => {
  it('reads dot paths and own properties only', () => {
    expect(valueAt(data, 'deal.name')).toBe('Hợp đồng ABC');
    expect(valueAt(data, 'deal.custom_fields.region')).toBe('north');
    expect(valueAt(data, 'deal.missing.deeper')).toBeUndefined();
    expect(valueAt(data, 'deal.__proto__')).toBeUndefined();
    expect(valueAt(data, 'deal.constructor')).toBeUndefined();
    expect(valueAt(null, 'deal')).toBeUndefined();
  });
});

describe('conditions', () => {
  it('eq / neq, tolerant of form values and case', () => {
    expect(conditionHolds(c('change.to_stage_code', 'eq', 'proposal'), data)).toBe(true);
    expect(conditionHolds(c('change.to_stage_code', 'eq', 'PROPOSAL'), data)).toBe(true);
    expect(conditionHolds(c('change.to_stage_code', 'eq', 'negotiation'), data)).toBe(false);
    expect(conditionHolds(c('deal.amount_minor', 'eq', '50000000'), data)).toBe(true);
    expect(conditionHolds(c('deal.lost_reason', 'eq', null), data)).toBe(true);
    expect(conditionHolds(c('deal.nothing', 'eq', null), data)).toBe(true);
    expect(conditionHolds(c('deal.currency', 'neq', 'USD'), data)).toBe(true);
    expect(conditionHolds(c('deal.currency', 'neq', 'VND'), data)).toBe(false);
  });

  it('in / not_in', () => {
    expect(conditionHolds(c('deal.currency', 'in', ['USD', 'VND']), data)).toBe(true);
    expect(conditionHolds(c('deal.currency', 'in', ['USD']), data)).toBe(false);
    expect(conditionHolds(c('deal.currency', 'not_in', ['USD']), data)).toBe(true);
    expect(conditionHolds(c('deal.missing', 'not_in', ['x']), data)).toBe(true);
  });

  it('gt / gte / lt / lte on numbers and dates; anything else never holds', () => {
    expect(conditionHolds(c('deal.amount_minor', 'gt', 10_000_000), data)).toBe(true);
    expect(conditionHolds(c('deal.amount_minor', 'gte', 50_000_000), data)).toBe(true);
    expect(conditionHolds(c('deal.amount_minor', 'lt', 50_000_000), data)).toBe(false);
    expect(conditionHolds(c('deal.amount_minor', 'lte', 50_000_000), data)).toBe(true);
    expect(conditionHolds(c('deal.expected_close_date', 'lt', '2027-01-01'), data)).toBe(true);
    expect(conditionHolds(c('deal.expected_close_date', 'gt', '2027-01-01'), data)).toBe(false);
    expect(conditionHolds(c('deal.name', 'gt', 5), data)).toBe(false);
    expect(conditionHolds(c('deal.missing', 'lt', 5), data)).toBe(false);
  });

  it('contains on text (case-insensitive) and lists', () => {
    expect(conditionHolds(c('deal.name', 'contains', 'abc'), data)).toBe(true);
    expect(conditionHolds(c('deal.tags', 'contains', 'vip'), data)).toBe(true);
    expect(conditionHolds(c('deal.tags', 'contains', 'hcm'), data)).toBe(false);
    expect(conditionHolds(c('deal.missing', 'contains', 'x'), data)).toBe(false);
  });

  it('exists (default true) and exists:false', () => {
    expect(conditionHolds(c('deal.owner_id', 'exists'), data)).toBe(true);
    expect(conditionHolds(c('deal.lost_reason', 'exists'), data)).toBe(false);
    expect(conditionHolds(c('deal.lost_reason', 'exists', false), data)).toBe(true);
  });

  it('all must hold; none always holds', () => {
    expect(conditionsHold([], data)).toBe(true);
    expect(
      conditionsHold([c('deal.currency', 'eq', 'VND'), c('change.to_stage_code', 'eq', 'proposal')], data),
    ).toBe(true);
    expect(conditionsHold([c('deal.currency', 'eq', 'VND'), c('deal.tags', 'contains', 'x')], data)).toBe(
      false,
    );
  });

  it('value shapes per operator are checked on write', () => {
    const bad = (v: unknown) => conditionSchema.safeParse(v).success;
    expect(bad({ field: 'deal.name', op: 'in', value: 'x' })).toBe(false);
    expect(bad({ field: 'deal.name', op: 'in', value: [] })).toBe(false);
    expect(bad({ field: 'deal.amount_minor', op: 'gt', value: 'soon' })).toBe(false);
    expect(bad({ field: 'deal.name', op: 'eq' })).toBe(false);
    expect(bad({ field: 'deal.name', op: 'exists', value: 'yes' })).toBe(false);
    expect(bad({ field: 'Deal Name', op: 'eq', value: 'x' })).toBe(false);
    expect(bad({ field: 'deal.name', op: 'regex', value: 'x' })).toBe(false);
    expect(bad({ field: 'deal.name', op: 'eq', value: 'x', extra: 1 })).toBe(false);
  });
});

describe('templates', () => {
  it('fills placeholders, empties missing ones, joins lists, trims to max', () => {
    expect(render('Gửi báo giá cho {{deal.name}} ({{ deal.currency }})', data)).toBe(
      'Gửi báo giá cho Hợp đồng ABC (VND)',
    );
    expect(render('Tags: {{deal.tags}}; {{deal.nope}}!', data)).toBe('Tags: vip, hanoi; !');
    expect(render('{{deal.name}} {{deal.name}}', data, 10)).toHaveLength(10);
    expect(render('no placeholders', data)).toBe('no placeholders');
    // A value is inserted as text once, never rendered again.
    expect(render('{{deal.name}}', { deal: { name: '{{deal.owner_id}}' } })).toBe('{{deal.owner_id}}');
    expect(placeholders('{{deal.name}} and {{ change.to_stage_code }}')).toEqual([
      'deal.name',
      'change.to_stage_code',
    ]);
  });
});

describe('checkDefinition', () => {
  const stageChanged = triggerOf('deal.stage_changed');
  const created = triggerOf('account.created');
  if (!stageChanged || !created) throw new Error('catalogue');

  it('accepts known fields, custom fields and placeholders', () => {
    const issues = checkDefinition(
      stageChanged,
      [c('change.to_stage_code', 'eq', 'proposal'), c('deal.custom_fields.region', 'eq', 'north')],
      [actionSchema.parse({ type: 'create_task', title: 'Send proposal for {{deal.name}}' })],
    );
    expect(issues).toEqual([]);
  });

  it('names the unknown field, placeholder and unavailable action', () => {
    const issues = checkDefinition(
      created,
      [c('account.name', 'eq', 'x'), c('deal.name', 'eq', 'x')],
      [
        actionSchema.parse({ type: 'log_note', subject: 'New {{account.name}}', body: '{{deal.name}}' }),
        actionSchema.parse({ type: 'add_deal_tag', tag: 'vip' }),
      ],
    );
    expect(issues.map((i) => [i.path.join('.'), i.code])).toEqual([
      ['conditions.1.field', 'unknown_field'],
      ['actions.0.body', 'unknown_placeholder'],
      ['actions.1.type', 'action_not_available'],
    ]);
  });
});

describe('recordOf', () => {
  it("finds the record a converted lead's task attaches to", async () => {
    const { recordOf } = await import('./workflow.consumer.js');
    const converted = {
      lead: { id: 'l', owner_id: 'o' },
      account: { id: 'a', created: true },
      contact: { id: 'c', created: true },
      deal: { id: 'd' },
    };
    expect(recordOf('lead', converted)).toEqual({
      dealId: 'd',
      contactId: 'c',
      accountId: null,
      ownerId: 'o',
    });
    expect(recordOf('lead', { lead: { id: 'l', owner_id: null } })).toEqual({
      dealId: null,
      contactId: null,
      accountId: null,
      ownerId: null,
    });
    expect(recordOf('activity', { activity: { account_id: 'a', owner_id: 'o' } })).toEqual({
      dealId: null,
      contactId: null,
      accountId: 'a',
      ownerId: 'o',
    });
  });
});
