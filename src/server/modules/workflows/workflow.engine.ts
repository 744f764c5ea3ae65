import { type CatalogueTrigger, knownField } from './workflow.catalogue.js';
import type { WorkflowAction, WorkflowCondition } from './workflow.schema.js';

/**
 * The pure core of automation: reading dot paths from an event payload, evaluating conditions, rendering
 * `{{path}}` templates, and checking a definition against its trigger's catalogue entry. No I/O, so
 * every rule of the language is unit-tested without a database.
 */

/** The value at a dot path of `data` (own properties only: `__proto__`/`constructor` read nothing). */
export function valueAt(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, key))
      return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

type Scalar = string | number | boolean | null;

/** Equality tolerant of what a form can send: "1000" equals 1000, "true" equals true; text ignores case. */
function same(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (actual === undefined) return expected === null;
  if (typeof actual === 'number' && typeof expected === 'string' && expected.trim() !== '') {
    return actual === Number(expected);
  }
  if (typeof actual === 'string' && typeof expected === 'number') return Number(actual) === expected;
  if (typeof actual === 'boolean' && typeof expected === 'string')
    return String(actual) === expected.toLowerCase();
  if (typeof actual === 'string' && typeof expected === 'string') {
    return actual.localeCompare(expected, undefined, { sensitivity: 'accent' }) === 0;
  }
  return false;
}

/** Numbers compare as numbers; otherwise both must parse as dates (ISO dates and date-times). */
function compare(actual: unknown, expected: unknown): number | null {
  const num = (v: unknown) =>
    typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : null;
  const a = num(actual);
  const e = num(expected);
  if (a !== null && e !== null) return a - e;
  if (typeof actual === 'string' && typeof expected === 'string') {
    const da = Date.parse(actual);
    const de = Date.parse(expected);
    if (!Number.isNaN(da) && !Number.isNaN(de)) return da - de;
  }
  return null;
}

function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  if (typeof actual === 'string' && (typeof expected === 'string' || typeof expected === 'number')) {
    return actual.toLocaleLowerCase().includes(String(expected).toLocaleLowerCase());
  }
  return false;
}

/** One condition against the event's data. A missing field fails every op except neq, not_in and exists:false. */
export function conditionHolds(condition: WorkflowCondition, data: unknown): boolean {
  const actual = valueAt(data, condition.field);
  const expected = condition.value;
  switch (condition.op) {
    case 'eq':
      return same(actual, expected);
    case 'neq':
      return !same(actual, expected);
    case 'in':
      return Array.isArray(expected) && expected.some((v: Scalar) => same(actual, v));
    case 'not_in':
      return !Array.isArray(expected) || !expected.some((v: Scalar) => same(actual, v));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const c = compare(actual, expected);
      if (c === null) return false;
      return condition.op === 'gt'
        ? c > 0
        : condition.op === 'gte'
          ? c >= 0
          : condition.op === 'lt'
            ? c < 0
            : c <= 0;
    }
    case 'contains':
      return contains(actual, expected);
    case 'exists': {
      const present = actual !== undefined && actual !== null;
      return expected === false ? !present : present;
    }
  }
}

/** All conditions hold (an empty list always holds). */
export function conditionsHold(conditions: readonly WorkflowCondition[], data: unknown): boolean {
  return conditions.every((c) => conditionHolds(c, data));
}

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*)\s*\}\}/g;

/** The dot paths a template reads. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

function display(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(display).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * `{{deal.name}}` → the value at that path; missing values render empty; lists join with ", ". The
 * result is plain text (the timeline renders markdown with raw HTML disabled), cut to `max` characters.
 */
export function render(template: string, data: unknown, max = Number.POSITIVE_INFINITY): string {
  const out = template.replace(PLACEHOLDER, (_, path: string) => display(valueAt(data, path)));
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

export interface DefinitionIssue {
  path: Array<string | number>;
  code: string;
  message: string;
}

/** The template fields of an action (for placeholder checks). */
function templatesOf(action: WorkflowAction): Array<[string, string]> {
  switch (action.type) {
    case 'create_task':
      return [
        ['title', action.title],
        ['description', action.description ?? ''],
      ];
    case 'log_note':
      return [
        ['subject', action.subject],
        ['body', action.body ?? ''],
      ];
    default:
      return [];
  }
}

/**
 * A definition against its trigger: every condition field and placeholder is a field of the trigger's
 * payload, and every action is one the trigger's record supports. Issues name the offending field.
 */
export function checkDefinition(
  trigger: CatalogueTrigger,
  conditions: readonly WorkflowCondition[],
  actions: readonly WorkflowAction[],
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  conditions.forEach((c, i) => {
    if (!knownField(trigger, c.field)) {
      issues.push({
        path: ['conditions', i, 'field'],
        code: 'unknown_field',
        message: `${c.field} is not a field of ${trigger.type} (see GET /crm/v1/workflows/catalogue)`,
      });
    }
  });
  actions.forEach((a, i) => {
    if (!trigger.actions.includes(a.type)) {
      issues.push({
        path: ['actions', i, 'type'],
        code: 'action_not_available',
        message: `${a.type} is not available for ${trigger.type}`,
      });
    }
    for (const [key, tpl] of templatesOf(a)) {
      const unknown = placeholders(tpl).filter((p) => !knownField(trigger, p));
      if (unknown.length > 0) {
        issues.push({
          path: ['actions', i, key],
          code: 'unknown_placeholder',
          message: `{{${unknown[0]}}} is not a field of ${trigger.type}`,
        });
      }
    }
  });
  return issues;
}
