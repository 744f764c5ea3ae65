import type {
  GetCrmV1WorkflowsCatalogueResponses,
  PostCrmV1WorkflowsData,
  Workflow,
} from '../../../../shared/api-client/types.gen.js';

/**
 * The editor's form state and its conversion to and from the API's definition. The form keeps every
 * value as text (what inputs hold); the catalogue's field types decide how a value is sent, so
 * "5000000" on `deal.amount_minor` goes out as a number and "vip, hot" for `in` as a list.
 */

export type Catalogue = GetCrmV1WorkflowsCatalogueResponses[200];
export type CatalogueTrigger = Catalogue['triggers'][number];
export type Definition = PostCrmV1WorkflowsData['body'];
type Condition = NonNullable<Definition['conditions']>[number];
type Action = Definition['actions'][number];
export type Op = Condition['op'];
export type ActionType = Action['type'];

/** Stable React keys for rows the user adds, removes and reorders. */
let seq = 0;
export const rowKey = (): string => `row-${++seq}`;

export interface ConditionDraft {
  key: string;
  field: string;
  op: Op;
  value: string;
}

export interface ActionDraft {
  key: string;
  type: ActionType;
  title: string;
  description: string;
  due_in_amount: string;
  due_in_unit: 'hours' | 'days';
  assignee: 'record_owner' | 'event_actor' | 'member';
  member_id: string;
  subject: string;
  body: string;
  tag: string;
  owner: 'event_actor' | 'member';
}

export interface Draft {
  name: string;
  description: string;
  enabled: boolean;
  trigger: string;
  conditions: ConditionDraft[];
  actions: ActionDraft[];
}

export const emptyAction = (type: ActionType = 'create_task'): ActionDraft => ({
  key: rowKey(),
  type,
  title: '',
  description: '',
  due_in_amount: '1',
  due_in_unit: 'days',
  assignee: 'record_owner',
  member_id: '',
  subject: '',
  body: '',
  tag: '',
  owner: 'member',
});

export function emptyDraft(catalogue: Catalogue): Draft {
  const trigger = catalogue.triggers.find((t) => t.type === 'deal.stage_changed') ?? catalogue.triggers[0];
  return {
    name: '',
    description: '',
    enabled: true,
    trigger: trigger?.type ?? '',
    conditions: [],
    actions: [emptyAction()],
  };
}

const text = (v: unknown): string =>
  v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v);

export function draftOf(w: Workflow): Draft {
  return {
    name: w.name,
    description: w.description ?? '',
    enabled: w.enabled,
    trigger: w.trigger,
    conditions: w.conditions.map((c) => ({
      key: rowKey(),
      field: c.field,
      op: c.op,
      value: c.op === 'exists' ? String(c.value ?? true) : text(c.value),
    })),
    actions: w.actions.map((a) => {
      const base = emptyAction(a.type);
      switch (a.type) {
        case 'create_task':
          return {
            ...base,
            title: a.title,
            description: a.description ?? '',
            due_in_amount: String(a.due_in_amount ?? 1),
            due_in_unit: a.due_in_unit ?? 'days',
            assignee: a.assignee ?? 'record_owner',
            member_id: a.member_id ?? '',
          };
        case 'log_note':
          return { ...base, subject: a.subject, body: a.body ?? '' };
        case 'add_deal_tag':
          return { ...base, tag: a.tag };
        case 'set_deal_owner':
          return { ...base, owner: a.owner, member_id: a.member_id ?? '' };
      }
      return base;
    }),
  };
}

/** A form value as the field's type: numbers for numeric fields, true/false for booleans, else text. */
function typed(raw: string, type: string | undefined): string | number | boolean {
  const v = raw.trim();
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

export function definitionOf(d: Draft, trigger: CatalogueTrigger | undefined): Definition {
  const typeOf = (path: string) => trigger?.fields.find((f) => f.path === path)?.type;
  const conditions: Condition[] = d.conditions.map((c) => {
    if (c.op === 'exists') return { field: c.field, op: c.op, value: c.value !== 'false' };
    if (c.op === 'in' || c.op === 'not_in') {
      const values = c.value
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
        .map((x) => typed(x, typeOf(c.field)));
      return { field: c.field, op: c.op, value: values };
    }
    if ((c.op === 'eq' || c.op === 'neq') && c.value.trim() === '')
      return { field: c.field, op: c.op, value: null };
    return { field: c.field, op: c.op, value: typed(c.value, typeOf(c.field)) };
  });
  const member = (id: string) => (id ? { member_id: id } : {});
  const actions: Action[] = d.actions.map((a): Action => {
    switch (a.type) {
      case 'set_deal_owner':
        return { type: a.type, owner: a.owner, ...(a.owner === 'member' ? member(a.member_id) : {}) };
      case 'create_task':
        return {
          type: a.type,
          title: a.title,
          description: a.description.trim() === '' ? null : a.description,
          due_in_amount: Number.parseInt(a.due_in_amount, 10) || 0,
          due_in_unit: a.due_in_unit,
          assignee: a.assignee,
          ...(a.assignee === 'member' ? member(a.member_id) : {}),
        };
      case 'add_deal_tag':
        return { type: a.type, tag: a.tag };
      default:
        return { type: 'log_note', subject: a.subject, body: a.body.trim() === '' ? null : a.body };
    }
  });
  return {
    name: d.name,
    description: d.description.trim() === '' ? null : d.description,
    enabled: d.enabled,
    trigger: d.trigger,
    conditions,
    actions,
  };
}
