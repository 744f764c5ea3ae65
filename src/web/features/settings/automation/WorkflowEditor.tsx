import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1Members,
  patchCrmV1WorkflowsById,
  postCrmV1Workflows,
} from '../../../../shared/api-client/sdk.gen.js';
import type { Workflow } from '../../../../shared/api-client/types.gen.js';
import { ApiError, call } from '../../../lib/api.js';
import { Dialog } from '../../../ui/Dialog.js';
import { Field, SelectField } from '../../../ui/Field.js';
import { toast } from '../../../ui/toast.js';
import {
  type ActionDraft,
  type ActionType,
  type Catalogue,
  type ConditionDraft,
  type Draft,
  definitionOf,
  draftOf,
  emptyAction,
  emptyDraft,
  type Op,
  rowKey,
} from './workflowDraft.js';

/**
 * The workflow editor, built from the server's catalogue: the trigger decides which fields conditions
 * and placeholders may use and which actions are offered. Errors from the API land under the field they
 * name (`conditions.0.field`, `actions.1.title`).
 */
export function WorkflowEditor(props: {
  catalogue: Catalogue;
  workflow: Workflow | null;
  onClose: () => void;
}) {
  const { t } = useTranslation('automation');
  const qc = useQueryClient();
  const { catalogue, workflow } = props;
  const [draft, setDraft] = useState<Draft>(() => (workflow ? draftOf(workflow) : emptyDraft(catalogue)));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const members = useQuery({ queryKey: ['members'], queryFn: () => call(getCrmV1Members()) });
  const trigger = catalogue.triggers.find((x) => x.type === draft.trigger);
  const fields = trigger?.fields ?? [];
  const descId = useId();

  const save = useMutation({
    mutationFn: () => {
      const body = definitionOf(draft, trigger);
      return workflow
        ? call(
            patchCrmV1WorkflowsById({
              path: { id: workflow.id },
              body: { ...body, version: workflow.version },
            }),
          )
        : call(postCrmV1Workflows({ body }));
    },
    onSuccess: () => {
      toast.success(t('saved'));
      props.onClose();
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        const fe = e.fieldErrors();
        setErrors(fe);
        setFormError(Object.keys(fe).length > 0 ? null : e.message);
      } else setFormError(String(e));
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['workflows'] }),
  });

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const setCondition = (i: number, patch: Partial<ConditionDraft>) =>
    set({ conditions: draft.conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const setAction = (i: number, patch: Partial<ActionDraft>) =>
    set({ actions: draft.actions.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  const onTrigger = (type: string) => {
    const next = catalogue.triggers.find((x) => x.type === type);
    // Conditions on fields the new trigger lacks, and actions it does not offer, cannot be kept.
    set({
      trigger: type,
      conditions: draft.conditions.filter((c) => next?.fields.some((f) => f.path === c.field)),
      actions: draft.actions.filter((a) => next?.actions.includes(a.type)),
    });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };
  const memberOptions = (members.data?.data ?? []).map((m) => (
    <option key={m.user_id} value={m.user_id}>
      {m.display_name || m.email}
    </option>
  ));
  const placeholderList = fields.map((f) => `{{${f.path}}}`).join(', ');

  return (
    <Dialog
      open
      wide
      title={workflow ? t('editor.editTitle') : t('editor.createTitle')}
      onClose={props.onClose}
    >
      <form className="stack" onSubmit={submit} noValidate data-testid="workflow-editor">
        {formError && (
          <div className="alert alert-error" role="alert">
            {formError}
          </div>
        )}
        <Field
          label={t('editor.name')}
          value={draft.name}
          required
          maxLength={200}
          onChange={(e) => set({ name: e.target.value })}
          error={errors.name}
        />
        <Field
          label={t('editor.description')}
          value={draft.description}
          maxLength={1000}
          onChange={(e) => set({ description: e.target.value })}
          error={errors.description}
        />
        <SelectField
          label={t('editor.trigger')}
          value={draft.trigger}
          onChange={(e) => onTrigger(e.target.value)}
          error={errors.trigger}
        >
          {catalogue.triggers.map((x) => (
            <option key={x.type} value={x.type}>
              {t(`triggers.${x.type}`, { defaultValue: x.type })}
            </option>
          ))}
        </SelectField>
        <label className="row">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
          {t('editor.enabled')}
        </label>

        <fieldset className="stack workflow-group">
          <legend>{t('editor.conditions')}</legend>
          {draft.conditions.length === 0 && <p className="muted small">{t('editor.noConditions')}</p>}
          {draft.conditions.map((c, i) => (
            <div className="row workflow-row" key={c.key} data-testid={`condition-${i}`}>
              <SelectField
                label={t('editor.field')}
                value={c.field}
                onChange={(e) => setCondition(i, { field: e.target.value })}
                error={errors[`conditions.${i}.field`]}
              >
                {fields.map((f) => (
                  <option key={f.path} value={f.path}>
                    {f.path}
                  </option>
                ))}
              </SelectField>
              <SelectField
                label={t('editor.op')}
                value={c.op}
                onChange={(e) => setCondition(i, { op: e.target.value as Op })}
                error={errors[`conditions.${i}.op`]}
              >
                {catalogue.ops.map((op) => (
                  <option key={op} value={op}>
                    {t(`ops.${op}`)}
                  </option>
                ))}
              </SelectField>
              {c.op === 'exists' ? (
                <SelectField
                  label={t('editor.value')}
                  value={c.value === 'false' ? 'false' : 'true'}
                  onChange={(e) => setCondition(i, { value: e.target.value })}
                  error={errors[`conditions.${i}.value`]}
                >
                  <option value="true">{t('exists.true')}</option>
                  <option value="false">{t('exists.false')}</option>
                </SelectField>
              ) : (
                <Field
                  label={t('editor.value')}
                  value={c.value}
                  maxLength={500}
                  onChange={(e) => setCondition(i, { value: e.target.value })}
                  error={errors[`conditions.${i}.value`]}
                  hint={c.op === 'in' || c.op === 'not_in' ? t('editor.valueListHint') : undefined}
                />
              )}
              <button
                type="button"
                className="btn btn-ghost"
                aria-label={t('editor.removeCondition', { n: i + 1 })}
                onClick={() => set({ conditions: draft.conditions.filter((_, j) => j !== i) })}
              >
                {t('editor.remove')}
              </button>
            </div>
          ))}
          <div>
            <button
              type="button"
              className="btn"
              disabled={fields.length === 0}
              onClick={() =>
                set({
                  conditions: [
                    ...draft.conditions,
                    { key: rowKey(), field: fields[0]?.path ?? '', op: 'eq', value: '' },
                  ],
                })
              }
            >
              {t('editor.addCondition')}
            </button>
          </div>
        </fieldset>

        <fieldset className="stack workflow-group" aria-describedby={descId}>
          <legend>{t('editor.actions')}</legend>
          <p id={descId} className="muted small">
            {t('editor.placeholders', { list: placeholderList })}
          </p>
          {errors.actions && (
            <div className="field-error" role="alert">
              {errors.actions}
            </div>
          )}
          {draft.actions.map((a, i) => (
            <div className="stack workflow-action" key={a.key} data-testid={`action-${i}`}>
              <div className="row workflow-row">
                <SelectField
                  label={t('editor.actionType')}
                  value={a.type}
                  onChange={(e) => setAction(i, { ...emptyAction(e.target.value as ActionType), key: a.key })}
                  error={errors[`actions.${i}.type`]}
                >
                  {(trigger?.actions ?? []).map((type) => (
                    <option key={type} value={type}>
                      {t(`actionTypes.${type}`)}
                    </option>
                  ))}
                </SelectField>
                <button
                  type="button"
                  className="btn btn-ghost"
                  aria-label={t('editor.removeAction', { n: i + 1 })}
                  onClick={() => set({ actions: draft.actions.filter((_, j) => j !== i) })}
                >
                  {t('editor.remove')}
                </button>
              </div>
              <ActionInputs
                action={a}
                index={i}
                errors={errors}
                memberOptions={memberOptions}
                onChange={(patch) => setAction(i, patch)}
              />
            </div>
          ))}
          <div>
            <button
              type="button"
              className="btn"
              onClick={() =>
                set({ actions: [...draft.actions, emptyAction(trigger?.actions[0] ?? 'create_task')] })
              }
            >
              {t('editor.addAction')}
            </button>
          </div>
        </fieldset>

        <div className="row settings-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('editor.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {t('editor.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function ActionInputs(props: {
  action: ActionDraft;
  index: number;
  errors: Record<string, string>;
  memberOptions: ReactNode;
  onChange: (patch: Partial<ActionDraft>) => void;
}) {
  const { t } = useTranslation('automation');
  const { action: a, onChange } = props;
  const err = (key: string) => props.errors[`actions.${props.index}.${key}`];
  const memberSelect = (
    <SelectField
      label={t('inputs.member_id')}
      value={a.member_id}
      onChange={(e) => onChange({ member_id: e.target.value })}
      error={err('member_id')}
    >
      <option value="">{t('chooseMember')}</option>
      {props.memberOptions}
    </SelectField>
  );
  switch (a.type) {
    case 'create_task':
      return (
        <>
          <Field
            label={t('inputs.title')}
            value={a.title}
            maxLength={300}
            onChange={(e) => onChange({ title: e.target.value })}
            error={err('title')}
          />
          <Field
            label={t('inputs.description')}
            value={a.description}
            maxLength={5000}
            onChange={(e) => onChange({ description: e.target.value })}
            error={err('description')}
          />
          <div className="row workflow-row">
            <Field
              label={t('inputs.due_in_amount')}
              type="number"
              min={0}
              max={365}
              value={a.due_in_amount}
              onChange={(e) => onChange({ due_in_amount: e.target.value })}
              error={err('due_in_amount')}
            />
            <SelectField
              label={t('inputs.due_in_unit')}
              value={a.due_in_unit}
              onChange={(e) => onChange({ due_in_unit: e.target.value as ActionDraft['due_in_unit'] })}
            >
              <option value="hours">{t('units.hours')}</option>
              <option value="days">{t('units.days')}</option>
            </SelectField>
            <SelectField
              label={t('inputs.assignee')}
              value={a.assignee}
              onChange={(e) => onChange({ assignee: e.target.value as ActionDraft['assignee'] })}
            >
              <option value="record_owner">{t('assignees.record_owner')}</option>
              <option value="event_actor">{t('assignees.event_actor')}</option>
              <option value="member">{t('assignees.member')}</option>
            </SelectField>
            {a.assignee === 'member' && memberSelect}
          </div>
        </>
      );
    case 'log_note':
      return (
        <>
          <Field
            label={t('inputs.subject')}
            value={a.subject}
            maxLength={300}
            onChange={(e) => onChange({ subject: e.target.value })}
            error={err('subject')}
          />
          <Field
            label={t('inputs.body')}
            value={a.body}
            maxLength={5000}
            onChange={(e) => onChange({ body: e.target.value })}
            error={err('body')}
          />
        </>
      );
    case 'add_deal_tag':
      return (
        <Field
          label={t('inputs.tag')}
          value={a.tag}
          maxLength={50}
          onChange={(e) => onChange({ tag: e.target.value })}
          error={err('tag')}
        />
      );
    case 'set_deal_owner':
      return (
        <div className="row workflow-row">
          <SelectField
            label={t('inputs.owner')}
            value={a.owner}
            onChange={(e) => onChange({ owner: e.target.value as ActionDraft['owner'] })}
          >
            <option value="event_actor">{t('assignees.event_actor')}</option>
            <option value="member">{t('assignees.member')}</option>
          </SelectField>
          {a.owner === 'member' && memberSelect}
        </div>
      );
  }
}
