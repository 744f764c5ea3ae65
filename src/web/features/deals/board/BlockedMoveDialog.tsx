import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { getCrmV1Accounts, getCrmV1Contacts } from '../../../../shared/api-client/sdk.gen.js';
import { ApiError, call } from '../../../lib/api.js';
import { currencyDigits, parseMoneyInput, useFormat } from '../../../lib/format.js';
import { Dialog } from '../../../ui/Dialog.js';
import { Field, SelectField } from '../../../ui/Field.js';
import type { BoardCard } from './queries.js';
import { type MoveFields, normalizeField, type UnmetRule } from './useBoardMoves.js';

/** Server bounds (DEAL_LIMITS in the deals module), so the dialog refuses what the API would. */
const LOST_REASON_MAX = 1000;
const DESCRIPTION_MAX = 2000;
const SEARCH_DEBOUNCE_MS = 250;

/** Rule fields this dialog can fill in the retried move (the move's `fields` and `lost_reason`). */
const FILLABLE = [
  'lost_reason',
  'amount',
  'expected_close_date',
  'primary_contact_id',
  'account_id',
  'description',
] as const;
type Fillable = (typeof FILLABLE)[number];
const isFillable = (f: string | undefined): f is Fillable =>
  (FILLABLE as readonly string[]).includes(f ?? '');

export interface BlockedAnswer {
  lostReason?: string;
  fields: MoveFields;
}

/**
 * A move the pipeline's rules refused (422 stage_transition_blocked), or a lost stage that needs its
 * reason: every unmet rule is listed, with an input for each missing field the move can fill; "Move"
 * retries the same move with those values. Rules no input can meet (a move the pipeline does not allow,
 * a role, an owner to set) are listed with what to do instead.
 */
export function BlockedMoveDialog(props: {
  open: boolean;
  card: BoardCard;
  stageName: string;
  unmet: UnmetRule[];
  onClose: () => void;
  onRetry: (answer: BlockedAnswer) => Promise<void>;
}) {
  const { card, unmet } = props;
  const { t } = useTranslation('board');
  const fmt = useFormat();
  const fields = new Set(unmet.map((u) => u.field).filter(isFillable));
  const blockers = unmet.filter((u) => !isFillable(u.field));
  const [values, setValues] = useState<Record<Fillable, string>>({
    lost_reason: '',
    amount: '',
    expected_close_date: card.expected_close_date ?? '',
    primary_contact_id: '',
    account_id: card.account?.id ?? '',
    description: '',
  });
  const [errors, setErrors] = useState<Partial<Record<Fillable, string>>>({});
  const [busy, setBusy] = useState(false);
  const set = (k: Fillable, v: string) => setValues((old) => ({ ...old, [k]: v }));

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const found: Partial<Record<Fillable, string>> = {};
    const answer: BlockedAnswer = { fields: {} };
    for (const f of fields) {
      const raw = values[f].trim();
      if (!raw) {
        found[f] = t('blocked.required');
        continue;
      }
      if (f === 'lost_reason') answer.lostReason = raw;
      else if (f === 'amount') {
        const minor = parseMoneyInput(raw, card.currency, fmt.locale);
        if (minor === null) found[f] = t('blocked.badAmount');
        else answer.fields = { ...answer.fields, amount_minor: minor, currency: card.currency };
      } else answer.fields = { ...answer.fields, [f]: raw };
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await props.onRetry(answer);
    } catch (error) {
      // Field errors of these values (e.g. a date the API refuses) stay in the dialog; anything else
      // has been answered by the move itself (a new blocked list, a toast).
      if (error instanceof ApiError && error.code === 'validation_failed') {
        const byField: Partial<Record<Fillable, string>> = {};
        for (const [path, message] of Object.entries(error.fieldErrors())) {
          const f = normalizeField(path);
          if (isFillable(f)) byField[f] = message;
        }
        setErrors(byField);
      }
    } finally {
      setBusy(false);
    }
  };

  const digits = currencyDigits(card.currency);
  return (
    <Dialog open={props.open} title={t('blocked.title', { stage: props.stageName })} onClose={props.onClose}>
      <form className="stack" data-testid="blocked-move" onSubmit={(e) => void submit(e)} noValidate>
        <p>{t('blocked.intro', { name: card.name, stage: props.stageName })}</p>
        <ul className="blocked-rules">
          {unmet.map((u) => (
            <li
              className="blocked-rule"
              key={`${u.rule}-${u.field ?? u.message}`}
              data-rule={u.rule}
              data-field={u.field}
            >
              {ruleText(t, u)}
            </li>
          ))}
        </ul>
        {fields.has('lost_reason') && (
          <TextArea
            label={t('blocked.field.lost_reason')}
            value={values.lost_reason}
            maxLength={LOST_REASON_MAX}
            error={errors.lost_reason}
            onChange={(v) => set('lost_reason', v)}
            name="lost_reason"
          />
        )}
        {fields.has('amount') && (
          <Field
            label={t('blocked.field.amount', { currency: card.currency })}
            name="amount"
            inputMode={digits > 0 ? 'decimal' : 'numeric'}
            value={values.amount}
            error={errors.amount}
            onChange={(e) => set('amount', e.target.value)}
          />
        )}
        {fields.has('expected_close_date') && (
          <Field
            label={t('blocked.field.expected_close_date')}
            name="expected_close_date"
            type="date"
            value={values.expected_close_date}
            error={errors.expected_close_date}
            onChange={(e) => set('expected_close_date', e.target.value)}
          />
        )}
        {fields.has('account_id') && (
          <AccountPicker
            value={values.account_id}
            error={errors.account_id}
            onChange={(v) => set('account_id', v)}
          />
        )}
        {fields.has('primary_contact_id') && (
          <ContactPicker
            accountId={values.account_id || card.account?.id || null}
            value={values.primary_contact_id}
            error={errors.primary_contact_id}
            onChange={(v) => set('primary_contact_id', v)}
          />
        )}
        {fields.has('description') && (
          <TextArea
            label={t('blocked.field.description')}
            value={values.description}
            maxLength={DESCRIPTION_MAX}
            error={errors.description}
            onChange={(v) => set('description', v)}
            name="description"
          />
        )}
        {blockers.length > 0 && (
          <p className="muted small">
            {t('blocked.cannotFill')} <Link to={`/deals/${card.id}`}>{t('blocked.openDeal')}</Link>
          </p>
        )}
        <div className="row blocked-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          {fields.size > 0 && (
            <button
              type="submit"
              className="btn btn-primary"
              disabled={busy}
              data-testid="blocked-move-submit"
            >
              {t('blocked.submit', { stage: props.stageName })}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}

type T = ReturnType<typeof useTranslation<'board'>>['t'];

function fieldName(t: T, field: string): string {
  switch (field) {
    case 'lost_reason':
      return t('blocked.field.lost_reason');
    case 'amount':
      return t('blocked.field.amountPlain');
    case 'expected_close_date':
      return t('blocked.field.expected_close_date');
    case 'primary_contact_id':
      return t('blocked.field.primary_contact_id');
    case 'account_id':
      return t('blocked.field.account_id');
    case 'description':
      return t('blocked.field.description');
    case 'owner_id':
      return t('blocked.field.owner_id');
    default:
      return field;
  }
}

/** The rule in the UI language; the server's own (English) message for a rule this UI does not know. */
function ruleText(t: T, u: UnmetRule): string {
  if (u.rule === 'field_required' && u.field)
    return t('blocked.rule.fieldRequired', { field: fieldName(t, u.field) });
  if (u.rule === 'transition_not_allowed') return t('blocked.rule.transitionNotAllowed');
  if (u.rule === 'role_not_allowed') return t('blocked.rule.roleNotAllowed');
  return u.message || u.rule;
}

function TextArea(props: {
  label: string;
  value: string;
  maxLength: number;
  error?: string | undefined;
  name: string;
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        rows={3}
        value={props.value}
        maxLength={props.maxLength}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${id}-err` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.error && (
        <div id={`${id}-err`} className="field-error" role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

function useDebounced(value: string, ms: number): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [value, ms]);
  return v;
}

function AccountPicker(props: { value: string; error?: string | undefined; onChange: (id: string) => void }) {
  const { t } = useTranslation('board');
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), SEARCH_DEBOUNCE_MS);
  const params = { q: q || undefined, limit: 20 };
  const accounts = useQuery({
    queryKey: ['accounts', params],
    queryFn: () => call(getCrmV1Accounts({ query: params })),
    meta: { silent: true },
  });
  return (
    <fieldset className="blocked-picker">
      <legend>{t('blocked.field.account_id')}</legend>
      <Field
        label={t('blocked.search')}
        type="search"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <SelectField
        label={t('blocked.choose')}
        name="account_id"
        value={props.value}
        error={props.error}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="">{accounts.isFetching ? t('blocked.searching') : '—'}</option>
        {(accounts.data?.data ?? []).map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </SelectField>
    </fieldset>
  );
}

function ContactPicker(props: {
  accountId: string | null;
  value: string;
  error?: string | undefined;
  onChange: (id: string) => void;
}) {
  const { t } = useTranslation('board');
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), SEARCH_DEBOUNCE_MS);
  // The deal's own account's people first (a primary contact is nearly always one of them); a search,
  // or an account without contacts, looks through every contact.
  const scopedParams = { account_id: props.accountId ?? undefined, limit: 20 };
  const scoped = useQuery({
    queryKey: ['contacts', scopedParams],
    queryFn: () => call(getCrmV1Contacts({ query: scopedParams })),
    enabled: Boolean(props.accountId) && !q,
    meta: { silent: true },
  });
  const useScoped = Boolean(props.accountId) && !q && (scoped.data?.data.length ?? 1) > 0;
  const params = { q: q || undefined, limit: 20 };
  const all = useQuery({
    queryKey: ['contacts', params],
    queryFn: () => call(getCrmV1Contacts({ query: params })),
    enabled: !useScoped && (!props.accountId || Boolean(q) || scoped.isSuccess),
    meta: { silent: true },
  });
  const contacts = useScoped ? scoped : all;
  return (
    <fieldset className="blocked-picker">
      <legend>{t('blocked.field.primary_contact_id')}</legend>
      <Field
        label={t('blocked.search')}
        type="search"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <SelectField
        label={t('blocked.choose')}
        name="primary_contact_id"
        value={props.value}
        error={props.error}
        onChange={(e) => props.onChange(e.target.value)}
      >
        <option value="">{contacts.isFetching ? t('blocked.searching') : '—'}</option>
        {(contacts.data?.data ?? []).map((c) => (
          <option key={c.id} value={c.id}>
            {c.display_name}
          </option>
        ))}
      </SelectField>
    </fieldset>
  );
}
