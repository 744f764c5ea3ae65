/**
 * What a workflow may listen to and do: the triggers (domain event types that exist, plus the leads
 * module's), the payload fields each one carries (dot paths into the event's `data`), the condition
 * operators and the actions. The service validates definitions against it; `GET /workflows/catalogue`
 * serves it so the settings UI builds its editor from the same source.
 */

export const CONDITION_OPS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'exists',
] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

export const ACTION_TYPES = ['create_task', 'log_note', 'add_deal_tag', 'set_deal_owner'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'member' | 'id' | 'list';

export interface CatalogueField {
  path: string;
  type: FieldType;
}

/** Which record of the payload a trigger is about (links timeline entries, finds the record owner). */
export type RecordKind = 'deal' | 'account' | 'contact' | 'activity' | 'lead';

export interface CatalogueTrigger {
  type: string;
  record: RecordKind;
  fields: CatalogueField[];
  /**
   * Dot-path prefixes accepted beyond `fields` (custom fields; the lead payload, whose module is being
   * built alongside and may carry more than listed here).
   */
  open_prefixes: string[];
  actions: ActionType[];
}

const f = (path: string, type: FieldType): CatalogueField => ({ path, type });

const DEAL_FIELDS: CatalogueField[] = [
  f('deal.id', 'id'),
  f('deal.name', 'string'),
  f('deal.amount_minor', 'number'),
  f('deal.currency', 'string'),
  f('deal.status', 'string'),
  f('deal.probability', 'number'),
  f('deal.owner_id', 'member'),
  f('deal.account_id', 'id'),
  f('deal.primary_contact_id', 'id'),
  f('deal.pipeline_id', 'id'),
  f('deal.stage_id', 'id'),
  f('deal.expected_close_date', 'date'),
  f('deal.lead_source', 'string'),
  f('deal.tags', 'list'),
  f('deal.acl_mode', 'string'),
];
const STAGE_CHANGE_FIELDS: CatalogueField[] = [
  f('change.from_stage_code', 'string'),
  f('change.to_stage_code', 'string'),
  f('change.from_status', 'string'),
  f('change.to_status', 'string'),
];
const ACCOUNT_FIELDS: CatalogueField[] = [
  f('account.id', 'id'),
  f('account.name', 'string'),
  f('account.legal_type', 'string'),
  f('account.vn_mst', 'string'),
  f('account.industry', 'string'),
  f('account.size', 'string'),
  f('account.lifecycle', 'string'),
  f('account.lead_source', 'string'),
  f('account.owner_id', 'member'),
  f('account.tags', 'list'),
];
const CONTACT_FIELDS: CatalogueField[] = [
  f('contact.id', 'id'),
  f('contact.display_name', 'string'),
  f('contact.title', 'string'),
  f('contact.buying_role', 'string'),
  f('contact.account_id', 'id'),
  f('contact.owner_id', 'member'),
  f('contact.lead_source', 'string'),
  f('contact.email_opt_in', 'boolean'),
];
const ACTIVITY_FIELDS: CatalogueField[] = [
  f('activity.id', 'id'),
  f('activity.kind', 'string'),
  f('activity.subject', 'string'),
  f('activity.source', 'string'),
  f('activity.owner_id', 'member'),
  f('activity.deal_id', 'id'),
  f('activity.account_id', 'id'),
  f('activity.contact_id', 'id'),
  f('activity.occurred_at', 'datetime'),
  f('activity.due_at', 'datetime'),
];
const LEAD_FIELDS: CatalogueField[] = [
  f('lead.id', 'id'),
  f('lead.display_name', 'string'),
  f('lead.company_name', 'string'),
  f('lead.title', 'string'),
  f('lead.email', 'string'),
  f('lead.phone', 'string'),
  f('lead.source', 'string'),
  f('lead.status', 'string'),
  f('lead.score', 'number'),
  f('lead.estimated_amount_minor', 'number'),
  f('lead.currency', 'string'),
  f('lead.owner_id', 'member'),
];

const RECORD_ACTIONS: ActionType[] = ['create_task', 'log_note'];
const DEAL_ACTIONS: ActionType[] = [...RECORD_ACTIONS, 'add_deal_tag', 'set_deal_owner'];

const deal = (type: string, extra: CatalogueField[] = []): CatalogueTrigger => ({
  type,
  record: 'deal',
  fields: [...DEAL_FIELDS, ...extra],
  open_prefixes: ['deal.custom_fields.'],
  actions: DEAL_ACTIONS,
});

export const TRIGGERS: readonly CatalogueTrigger[] = [
  deal('deal.created'),
  deal('deal.updated'),
  deal('deal.stage_changed', STAGE_CHANGE_FIELDS),
  deal('deal.won', STAGE_CHANGE_FIELDS),
  deal('deal.lost', [...STAGE_CHANGE_FIELDS, f('deal.lost_reason', 'string')]),
  deal('deal.cancelled', [...STAGE_CHANGE_FIELDS, f('deal.lost_reason', 'string')]),
  {
    type: 'account.created',
    record: 'account',
    fields: ACCOUNT_FIELDS,
    open_prefixes: ['account.custom_fields.'],
    actions: RECORD_ACTIONS,
  },
  {
    type: 'account.updated',
    record: 'account',
    fields: ACCOUNT_FIELDS,
    open_prefixes: ['account.custom_fields.'],
    actions: RECORD_ACTIONS,
  },
  {
    type: 'contact.created',
    record: 'contact',
    fields: CONTACT_FIELDS,
    open_prefixes: ['contact.custom_fields.'],
    actions: RECORD_ACTIONS,
  },
  {
    type: 'activity.logged',
    record: 'activity',
    fields: ACTIVITY_FIELDS,
    open_prefixes: ['activity.metadata.'],
    actions: RECORD_ACTIONS,
  },
  // The leads module is built alongside: its payload is accepted as `lead.*`. A task or note needs a
  // record to hang on: a converted lead's account/contact/deal, when the event carries one.
  {
    type: 'lead.created',
    record: 'lead',
    fields: LEAD_FIELDS,
    open_prefixes: ['lead.'],
    actions: RECORD_ACTIONS,
  },
  {
    type: 'lead.converted',
    record: 'lead',
    fields: [
      ...LEAD_FIELDS,
      f('lead.converted_account_id', 'id'),
      f('lead.converted_contact_id', 'id'),
      f('lead.converted_deal_id', 'id'),
      // What the conversion created or linked (lead.events.ts ConversionLinks).
      f('account.id', 'id'),
      f('contact.id', 'id'),
      f('deal.id', 'id'),
    ],
    open_prefixes: ['lead.'],
    actions: RECORD_ACTIONS,
  },
];

export const TRIGGER_TYPES = TRIGGERS.map((t) => t.type);

export function triggerOf(type: string): CatalogueTrigger | undefined {
  return TRIGGERS.find((t) => t.type === type);
}

/** A path a condition or a placeholder may read for this trigger. */
export function knownField(trigger: CatalogueTrigger, path: string): boolean {
  return trigger.fields.some((x) => x.path === path) || trigger.open_prefixes.some((p) => path.startsWith(p));
}

/** The catalogue's action descriptions (for the editor: which inputs each action takes). */
export const ACTION_CATALOGUE = [
  {
    type: 'create_task',
    inputs: ['title', 'description', 'due_in_amount', 'due_in_unit', 'assignee', 'member_id'],
  },
  { type: 'log_note', inputs: ['subject', 'body'] },
  { type: 'add_deal_tag', inputs: ['tag'] },
  { type: 'set_deal_owner', inputs: ['owner', 'member_id'] },
] as const satisfies ReadonlyArray<{ type: ActionType; inputs: readonly string[] }>;
