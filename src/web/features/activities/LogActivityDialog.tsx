import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { postCrmV1Activities } from '../../../shared/api-client/sdk.gen.js';
import type { PostCrmV1ActivitiesData } from '../../../shared/api-client/types.gen.js';
import { ApiError, call } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { EntityPicker, type Picked } from './EntityPicker.js';
import { LOG_KINDS, type LogKind, type Subject } from './kinds.js';

/** Same limits as the API's activity schema (activity.schema.ts ACTIVITY_LIMITS). */
const SUBJECT_MAX = 300;
const BODY_MAX = 100_000;

/** `YYYY-MM-DDTHH:mm` in local time, the value format of <input type="datetime-local">. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
/** The local wall time typed by the person → an ISO instant with its offset, as the API wants. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

type Body = PostCrmV1ActivitiesData['body'];

/**
 * Log a call, meeting, email, note or task, from anywhere (deal, account, contact, lead, palette,
 * activities page). The `subject` given by the caller is linked and fixed; the other links can be picked
 * (a lead is only ever fixed: an entry is logged on a lead from the lead's panel).
 */
export function LogActivityDialog(props: {
  open: boolean;
  onClose: () => void;
  subject?: Subject;
  /** Start with this kind selected (e.g. "note" from a quick-add, "task" from the activities page). */
  initialKind?: LogKind;
}) {
  const { t } = useTranslation('activities');
  return (
    <Dialog open={props.open} onClose={props.onClose} title={t('log.title')} wide>
      <LogActivityForm subject={props.subject} initialKind={props.initialKind} onDone={props.onClose} />
    </Dialog>
  );
}

function LogActivityForm(props: { subject?: Subject; initialKind?: LogKind; onDone: () => void }) {
  const { t } = useTranslation('activities');
  const qc = useQueryClient();
  const bodyId = useId();
  const [kind, setKind] = useState<LogKind>(props.initialKind ?? 'call');
  const [subjectText, setSubjectText] = useState('');
  const [body, setBody] = useState('');
  const [when, setWhen] = useState(() => toLocalInput(new Date()));
  const [due, setDue] = useState(() => {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return toLocalInput(d);
  });
  const fixed = props.subject;
  const [deal, setDeal] = useState<Picked | null>(null);
  const [account, setAccount] = useState<Picked | null>(null);
  const [contact, setContact] = useState<Picked | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const save = useMutation({
    mutationFn: (b: Body) => call(postCrmV1Activities({ body: b })),
    meta: { silent: true },
    onSuccess: () => {
      toast.success(t('log.saved'));
      // An entry can sit on several timelines (deal, its account, its contact): refresh them all.
      void qc.invalidateQueries({ queryKey: ['timeline'] });
      void qc.invalidateQueries({ queryKey: ['activities'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      if (fixed?.kind === 'account') void qc.invalidateQueries({ queryKey: ['account', fixed.id] });
      props.onDone();
    },
    onError: (e) => {
      if (e instanceof ApiError && Object.keys(e.fieldErrors()).length > 0) setErrors(e.fieldErrors());
      else toast.error(e);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!subjectText.trim()) local.subject = t('log.subjectRequired');
    const ids = {
      deal_id: fixed?.kind === 'deal' ? fixed.id : (deal?.id ?? null),
      account_id: fixed?.kind === 'account' ? fixed.id : (account?.id ?? null),
      contact_id: fixed?.kind === 'contact' ? fixed.id : (contact?.id ?? null),
      ...(fixed?.kind === 'lead' ? { lead_id: fixed.id } : {}),
    };
    if (!ids.deal_id && !ids.account_id && !ids.contact_id && !ids.lead_id) {
      local.account_id = t('log.linkRequired');
    }
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    const isTask = kind === 'task';
    save.mutate({
      kind,
      subject: subjectText.trim(),
      body_markdown: body.trim() ? body : null,
      ...(isTask ? { due_at: fromLocalInput(due) } : { occurred_at: fromLocalInput(when) ?? undefined }),
      ...ids,
    });
  };

  return (
    <form className="stack" onSubmit={submit} data-testid="log-activity-form" noValidate>
      <SelectField
        label={t('log.kind')}
        value={kind}
        onChange={(e) => setKind(e.target.value as LogKind)}
        error={errors.kind}
      >
        {LOG_KINDS.map((k) => (
          <option key={k} value={k}>
            {t(`kind.${k}`)}
          </option>
        ))}
      </SelectField>
      <Field
        label={t('log.subject')}
        name="subject"
        value={subjectText}
        maxLength={SUBJECT_MAX}
        required
        autoFocus
        onChange={(e) => setSubjectText(e.target.value)}
        error={errors.subject}
      />
      <div className="field">
        <label htmlFor={bodyId}>{t('log.body')}</label>
        <textarea
          id={bodyId}
          name="body"
          rows={5}
          maxLength={BODY_MAX}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          aria-invalid={errors.body_markdown ? true : undefined}
          aria-describedby={`${bodyId}-hint`}
        />
        <div id={`${bodyId}-hint`} className="muted small">
          {t('log.markdownHint')}
        </div>
        {errors.body_markdown && (
          <div className="field-error" role="alert">
            {errors.body_markdown}
          </div>
        )}
      </div>
      {kind === 'task' ? (
        <Field
          label={t('log.due')}
          type="datetime-local"
          name="due_at"
          value={due}
          onChange={(e) => setDue(e.target.value)}
          error={errors.due_at}
        />
      ) : (
        <Field
          label={t('log.when')}
          type="datetime-local"
          name="occurred_at"
          value={when}
          onChange={(e) => setWhen(e.target.value)}
          error={errors.occurred_at}
        />
      )}
      <fieldset className="log-links">
        <legend>{t('log.links')}</legend>
        {fixed && <p className="small muted">{t(`log.linkedTo.${fixed.kind}`)}</p>}
        {fixed?.kind !== 'deal' && (
          <EntityPicker
            type="deals"
            label={t('log.deal')}
            value={deal}
            onChange={setDeal}
            error={errors.deal_id}
          />
        )}
        {fixed?.kind !== 'account' && (
          <EntityPicker
            type="accounts"
            label={t('log.account')}
            value={account}
            onChange={setAccount}
            error={errors.account_id}
          />
        )}
        {fixed?.kind !== 'contact' && (
          <EntityPicker
            type="contacts"
            label={t('log.contact')}
            value={contact}
            onChange={setContact}
            error={errors.contact_id}
          />
        )}
        {fixed?.kind === 'account' && errors.account_id && (
          <div className="field-error" role="alert">
            {errors.account_id}
          </div>
        )}
        {fixed?.kind === 'lead' && errors.lead_id && (
          <div className="field-error" role="alert">
            {errors.lead_id}
          </div>
        )}
      </fieldset>
      <div className="row dialog-actions">
        <button type="button" className="btn" onClick={props.onDone}>
          {t('common:action.cancel')}
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={save.isPending}
          data-testid="log-activity-submit"
        >
          {t('log.submit')}
        </button>
      </div>
    </form>
  );
}
