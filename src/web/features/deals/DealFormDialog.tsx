import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1Contacts,
  getCrmV1ContactsById,
  patchCrmV1DealsById,
  postCrmV1Deals,
} from '../../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1DealsByIdResponse,
  PatchCrmV1DealsByIdData,
  PostCrmV1DealsData,
} from '../../../shared/api-client/types.gen.js';
import { ROLES, type Role } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';
import { useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { currencyDigits, formatMoney, parseMoneyInput, useFormat } from '../../lib/format.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { AccountPicker } from './deal/AccountPicker.js';
import { ifMatch, invalidateDeal, useMembers, usePipelines, useStageName } from './deal/queries.js';
import './deals.css';

/**
 * Create and edit a deal. The API is the judge of validity: its field messages (problem `errors`) show
 * under the field they name; the form only mirrors the shared limits so obvious mistakes are caught
 * before a round trip. Edits send only what changed, with If-Match so a concurrent edit is a 412, not a
 * silent overwrite. Pipeline and stage are chosen at creation; afterwards the stage moves through
 * POST /deals/{id}/move (the board or the deal page), so they are read-only here.
 */

/** The deal as the API presents it. types.gen.ts names no `Deal` schema, so this is the read answer. */
export type Deal = GetCrmV1DealsByIdResponse;

// Same limits as src/server/modules/deals/deal.schema.ts (DEAL_LIMITS), which the web cannot import.
const DESCRIPTION_MAX = 2000;
const LOST_REASON_MAX = 1000;
const TAGS_MAX = 50;
const TAG_LENGTH = 64;
const ACL_MEMBERS_MAX = 100;
const CURRENCIES = ['VND', 'USD'] as const;
type Currency = (typeof CURRENCIES)[number];

interface FormState {
  name: string;
  accountId: string | null;
  primaryContactId: string;
  pipelineId: string;
  stageId: string;
  amount: string;
  currency: Currency;
  probabilityOverride: boolean;
  probability: string;
  expectedClose: string;
  ownerId: string;
  tags: string;
  description: string;
  aclMode: 'default' | 'restricted';
  aclMemberIds: string[];
  aclRoles: Role[];
  lostReason: string;
}

function initialState(
  deal: Deal | undefined,
  initial: DealFormInitial | undefined,
  meId: string,
  currency: Currency,
  locale: string,
): FormState {
  if (deal) {
    return {
      name: deal.name,
      accountId: deal.account_id,
      primaryContactId: deal.primary_contact_id ?? '',
      pipelineId: deal.pipeline_id,
      stageId: deal.stage_id,
      amount: deal.amount_minor === null ? '' : amountText(deal.amount_minor, deal.currency, locale),
      currency: deal.currency,
      probabilityOverride: deal.probability_overridden,
      probability: String(deal.probability),
      expectedClose: deal.expected_close_date ?? '',
      ownerId: deal.owner_id ?? '',
      tags: deal.tags.join(', '),
      description: deal.description ?? '',
      aclMode: deal.acl_mode,
      aclMemberIds: deal.acl_member_ids,
      aclRoles: deal.acl_roles,
      lostReason: '',
    };
  }
  return {
    name: '',
    accountId: initial?.accountId ?? null,
    primaryContactId: initial?.contactId ?? '',
    pipelineId: initial?.pipelineId ?? '',
    stageId: initial?.stageId ?? '',
    amount: '',
    currency,
    probabilityOverride: false,
    probability: '',
    expectedClose: '',
    ownerId: meId,
    tags: '',
    description: '',
    aclMode: 'default',
    aclMemberIds: [],
    aclRoles: [],
    lostReason: '',
  };
}

/** Minor units → the number a person would type (grouped, no currency sign). */
function amountText(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 0, maximumFractionDigits: digits }).format(
    minor / 10 ** digits,
  );
}

function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

// Fields that have a place in the form; errors for anything else go to the banner.
const FORM_FIELDS = new Set([
  'name',
  'account_id',
  'primary_contact_id',
  'pipeline_id',
  'stage_id',
  'amount_minor',
  'currency',
  'probability',
  'expected_close_date',
  'owner_id',
  'tags',
  'description',
  'acl_mode',
  'acl_member_ids',
  'acl_roles',
  'lost_reason',
]);

export interface DealFormInitial {
  pipelineId?: string;
  stageId?: string;
  accountId?: string;
  contactId?: string;
}

export function DealFormDialog(props: {
  open: boolean;
  onClose: () => void;
  deal?: Deal;
  initial?: DealFormInitial;
  onSaved?: (deal: Deal) => void;
}) {
  const { t } = useTranslation('deals');
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={props.deal ? t('form.editTitle') : t('form.newTitle')}
      wide
    >
      {props.open && <DealForm {...props} />}
    </Dialog>
  );
}

function DealForm(props: {
  onClose: () => void;
  deal?: Deal;
  initial?: DealFormInitial;
  onSaved?: (deal: Deal) => void;
}) {
  const { t } = useTranslation('deals');
  const me = useMe();
  const fmt = useFormat();
  const stageName = useStageName();
  const qc = useQueryClient();
  const baseCurrency: Currency = me.workspace.base_currency === 'USD' ? 'USD' : 'VND';
  const [s, setS] = useState<FormState>(() =>
    initialState(props.deal, props.initial, me.user?.id ?? '', baseCurrency, fmt.locale),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setS((prev) => ({ ...prev, [k]: v }));
  const editing = Boolean(props.deal);
  const ids = { desc: useId(), acl: useId(), lost: useId() };

  const pipelines = usePipelines();
  const members = useMembers();

  // Defaults once the pipelines arrive: the default pipeline and its first open stage.
  useEffect(() => {
    if (editing || !pipelines.data) return;
    setS((prev) => {
      const pipeline =
        pipelines.data.find((p) => p.id === prev.pipelineId) ??
        pipelines.data.find((p) => p.is_default) ??
        pipelines.data[0];
      if (!pipeline) return prev;
      const stage =
        pipeline.stages.find((st) => st.id === prev.stageId) ??
        [...pipeline.stages].sort((a, b) => a.position - b.position).find((st) => st.category === 'open');
      if (prev.pipelineId === pipeline.id && prev.stageId === (stage?.id ?? '')) return prev;
      return { ...prev, pipelineId: pipeline.id, stageId: stage?.id ?? '' };
    });
  }, [editing, pipelines.data]);

  // A contact given without an account (e.g. "new deal" from a contact): take the contact's account.
  const initialContactId = !editing && !props.initial?.accountId ? props.initial?.contactId : undefined;
  const initialContact = useQuery({
    queryKey: ['contact', initialContactId],
    queryFn: () => call(getCrmV1ContactsById({ path: { id: initialContactId ?? '' } })),
    enabled: Boolean(initialContactId),
    meta: { silent: true },
  });
  useEffect(() => {
    const accountId = initialContact.data?.account_id;
    if (accountId) setS((prev) => (prev.accountId ? prev : { ...prev, accountId }));
  }, [initialContact.data]);

  const contactParams = { account_id: s.accountId ?? undefined, limit: 100, sort: 'name' as const };
  const contacts = useQuery({
    queryKey: ['contacts', contactParams],
    queryFn: () => call(getCrmV1Contacts({ query: contactParams })),
    enabled: Boolean(s.accountId),
    meta: { silent: true },
  });
  const contactOptions = useMemo(() => {
    const list = (s.accountId ? contacts.data?.data : undefined) ?? [];
    const extra = initialContact.data;
    return extra && !list.some((c) => c.id === extra.id) ? [extra, ...list] : list;
  }, [s.accountId, contacts.data, initialContact.data]);

  const pipeline = pipelines.data?.find((p) => p.id === s.pipelineId);
  const stages = useMemo(
    () => [...(pipeline?.stages ?? [])].sort((a, b) => a.position - b.position),
    [pipeline],
  );
  const stage = stages.find((st) => st.id === s.stageId);

  const amountMinor = s.amount.trim() === '' ? null : parseMoneyInput(s.amount, s.currency, fmt.locale);
  const tags = parseTags(s.tags);

  /** Checks the form can make before the server does; the server's messages replace these. */
  function localErrors(): Record<string, string> {
    const e: Record<string, string> = {};
    if (!s.name.trim()) e.name = t('form.error.required');
    if (s.amount.trim() !== '' && amountMinor === null) e.amount_minor = t('form.error.amount');
    if (amountMinor !== null && amountMinor > Number.MAX_SAFE_INTEGER)
      e.amount_minor = t('form.error.amount');
    if (s.probabilityOverride) {
      const p = Number(s.probability);
      if (s.probability.trim() === '' || !Number.isInteger(p) || p < 0 || p > 100)
        e.probability = t('form.error.probability');
    }
    if (tags.length > TAGS_MAX) e.tags = t('form.error.tagsCount', { max: TAGS_MAX });
    if (tags.some((tag) => tag.length > TAG_LENGTH)) e.tags = t('form.error.tagLength', { max: TAG_LENGTH });
    if (!editing && stage?.outcome === 'lost' && !s.lostReason.trim())
      e.lost_reason = t('form.error.required');
    return e;
  }

  function createBody(): PostCrmV1DealsData['body'] {
    return {
      name: s.name.trim(),
      description: s.description.trim() || null,
      account_id: s.accountId,
      primary_contact_id: s.primaryContactId || null,
      amount_minor: amountMinor,
      currency: s.currency,
      pipeline_id: s.pipelineId || undefined,
      stage_id: s.stageId || undefined,
      probability: s.probabilityOverride ? Number(s.probability) : undefined,
      expected_close_date: s.expectedClose || null,
      owner_id: s.ownerId || null,
      acl_mode: s.aclMode,
      acl_member_ids: s.aclMode === 'restricted' ? s.aclMemberIds : [],
      acl_roles: s.aclMode === 'restricted' ? s.aclRoles : [],
      tags,
      lost_reason: stage?.outcome === 'lost' ? s.lostReason.trim() : undefined,
    };
  }

  /** Only the fields that changed, so an edit never rewrites what someone else just changed. */
  function patchBody(deal: Deal): PatchCrmV1DealsByIdData['body'] {
    const b: PatchCrmV1DealsByIdData['body'] = {};
    const name = s.name.trim();
    if (name !== deal.name) b.name = name;
    const description = s.description.trim() || null;
    if (description !== deal.description) b.description = description;
    if (s.accountId !== deal.account_id) b.account_id = s.accountId;
    const primary = s.primaryContactId || null;
    if (primary !== deal.primary_contact_id) b.primary_contact_id = primary;
    if (amountMinor !== deal.amount_minor) b.amount_minor = amountMinor;
    if (s.currency !== deal.currency) b.currency = s.currency;
    if (s.probabilityOverride) {
      const p = Number(s.probability);
      if (!deal.probability_overridden || p !== deal.probability) b.probability = p;
    } else if (deal.probability_overridden) {
      b.probability = null; // back to the stage's default
    }
    const close = s.expectedClose || null;
    if (close !== deal.expected_close_date) b.expected_close_date = close;
    const owner = s.ownerId || null;
    if (owner !== deal.owner_id) b.owner_id = owner;
    if (!sameList(tags, deal.tags)) b.tags = tags;
    if (s.aclMode !== deal.acl_mode) b.acl_mode = s.aclMode;
    const memberIds = s.aclMode === 'restricted' ? s.aclMemberIds : [];
    const roles = s.aclMode === 'restricted' ? s.aclRoles : [];
    if (!sameList(memberIds, deal.acl_member_ids)) b.acl_member_ids = memberIds;
    if (!sameList(roles, deal.acl_roles)) b.acl_roles = roles;
    return b;
  }

  const save = useMutation({
    meta: { silent: true },
    mutationFn: async (): Promise<Deal | null> => {
      if (props.deal) {
        const body = patchBody(props.deal);
        if (Object.keys(body).length === 0) return null;
        return call(
          patchCrmV1DealsById({ path: { id: props.deal.id }, body, headers: ifMatch(props.deal.version) }),
        );
      }
      return call(postCrmV1Deals({ body: createBody() }));
    },
    onSuccess: (deal) => {
      if (deal) {
        qc.setQueryData(['deal', deal.id], deal);
        invalidateDeal(qc, deal);
        toast.success(editing ? t('form.saved') : t('form.created'));
        props.onSaved?.(deal);
      }
      props.onClose();
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        const fields: Record<string, string> = {};
        for (const [path, message] of Object.entries(error.fieldErrors())) {
          // "acl_member_ids.3" or "tags.0" belong under their list's field.
          fields[path.split('.')[0] ?? path] ??= message;
        }
        setErrors(fields);
        if (error.code === 'precondition_failed' || error.code === 'version_conflict') {
          setFormError(t('form.error.stale'));
          if (props.deal) void qc.invalidateQueries({ queryKey: ['deal', props.deal.id] });
        } else {
          const stray = Object.entries(fields).filter(([k]) => !FORM_FIELDS.has(k));
          setFormError(
            // A validation 422 speaks through its fields; anything else (403, 409…) also in its own words.
            error.status !== 422 || Object.keys(fields).length === 0 || stray.length > 0
              ? [error.message, ...stray.map(([k, m]) => `${k}: ${m}`)].join(' — ')
              : null,
          );
        }
      } else {
        setFormError(error instanceof Error ? error.message : String(error));
      }
    },
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    const local = localErrors();
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    save.mutate();
  }

  const activeMembers = (members.data ?? []).filter((m) => m.status === 'active');
  const amountPreview =
    amountMinor !== null ? formatMoney(amountMinor, s.currency, fmt.locale) : t('form.amountHint');

  return (
    <form className="stack deal-form" data-testid="deal-form" onSubmit={submit} noValidate>
      {formError && (
        <div className="alert alert-error" role="alert">
          {formError}
        </div>
      )}
      <Field
        label={t('field.name')}
        value={s.name}
        onChange={(e) => set('name', e.target.value)}
        maxLength={LIMITS.name}
        required
        autoFocus
        name="name"
        error={errors.name}
      />
      <div className="deal-form-grid">
        <AccountPicker
          label={t('field.account')}
          value={s.accountId}
          onChange={(id) => setS((prev) => ({ ...prev, accountId: id, primaryContactId: '' }))}
          error={errors.account_id}
        />
        <SelectField
          label={t('field.primaryContact')}
          value={s.primaryContactId}
          onChange={(e) => set('primaryContactId', e.target.value)}
          disabled={contactOptions.length === 0}
          error={errors.primary_contact_id}
        >
          <option value="">
            {s.accountId || contactOptions.length > 0 ? t('form.noContact') : t('form.pickAccountFirst')}
          </option>
          {contactOptions.map((c) => (
            <option key={c.id} value={c.id}>
              {c.display_name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.pipeline')}
          value={s.pipelineId}
          disabled={editing}
          onChange={(e) => {
            const p = pipelines.data?.find((x) => x.id === e.target.value);
            const first = [...(p?.stages ?? [])]
              .sort((a, b) => a.position - b.position)
              .find((st) => st.category === 'open');
            setS((prev) => ({ ...prev, pipelineId: e.target.value, stageId: first?.id ?? '' }));
          }}
          error={errors.pipeline_id}
        >
          {(pipelines.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.stage')}
          value={s.stageId}
          disabled={editing}
          onChange={(e) => set('stageId', e.target.value)}
          error={errors.stage_id}
        >
          {editing && props.deal && !stage && (
            <option value={s.stageId}>{stageName(props.deal.stage)}</option>
          )}
          {stages.map((st) => (
            <option key={st.id} value={st.id}>
              {stageName(st)}
            </option>
          ))}
        </SelectField>
        {editing && <p className="muted small deal-form-span">{t('form.stageHint')}</p>}
        {!editing && stage?.outcome === 'lost' && (
          <div className="field deal-form-span">
            <label htmlFor={ids.lost}>{t('field.lostReason')}</label>
            <textarea
              id={ids.lost}
              rows={2}
              maxLength={LOST_REASON_MAX}
              value={s.lostReason}
              aria-invalid={errors.lost_reason ? true : undefined}
              onChange={(e) => set('lostReason', e.target.value)}
            />
            {errors.lost_reason && (
              <div className="field-error" role="alert">
                {errors.lost_reason}
              </div>
            )}
          </div>
        )}
        <Field
          label={t('field.amount')}
          inputMode="decimal"
          value={s.amount}
          onChange={(e) => set('amount', e.target.value)}
          onBlur={() => {
            if (amountMinor !== null) set('amount', amountText(amountMinor, s.currency, fmt.locale));
          }}
          hint={<span aria-live="polite">{amountPreview}</span>}
          error={errors.amount_minor}
        />
        <SelectField
          label={t('field.currency')}
          value={s.currency}
          onChange={(e) => set('currency', e.target.value as Currency)}
          error={errors.currency}
        >
          {CURRENCIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </SelectField>
        <div className="field">
          <label className="deal-check">
            <input
              type="checkbox"
              checked={s.probabilityOverride}
              onChange={(e) =>
                setS((prev) => ({
                  ...prev,
                  probabilityOverride: e.target.checked,
                  probability: prev.probability || String(stage?.default_probability ?? ''),
                }))
              }
            />
            {t('form.overrideProbability')}
          </label>
          <Field
            label={t('field.probability')}
            type="number"
            min={0}
            max={100}
            step={1}
            disabled={!s.probabilityOverride}
            value={s.probabilityOverride ? s.probability : String(stage?.default_probability ?? '')}
            onChange={(e) => set('probability', e.target.value)}
            hint={s.probabilityOverride ? undefined : t('form.probabilityDefault')}
            error={errors.probability}
          />
        </div>
        <Field
          label={t('field.expectedClose')}
          type="date"
          value={s.expectedClose}
          onChange={(e) => set('expectedClose', e.target.value)}
          error={errors.expected_close_date}
        />
        <SelectField
          label={t('field.owner')}
          value={s.ownerId}
          onChange={(e) => set('ownerId', e.target.value)}
          error={errors.owner_id}
        >
          <option value="">{t('form.noOwner')}</option>
          {activeMembers.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name}
            </option>
          ))}
        </SelectField>
        <Field
          label={t('field.tags')}
          value={s.tags}
          onChange={(e) => set('tags', e.target.value)}
          hint={t('form.tagsHint', { max: TAGS_MAX })}
          error={errors.tags}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.desc}>{t('field.description')}</label>
        <textarea
          id={ids.desc}
          rows={3}
          maxLength={DESCRIPTION_MAX}
          value={s.description}
          aria-invalid={errors.description ? true : undefined}
          onChange={(e) => set('description', e.target.value)}
        />
        <div className="muted small">
          {s.description.length} / {DESCRIPTION_MAX}
        </div>
        {errors.description && (
          <div className="field-error" role="alert">
            {errors.description}
          </div>
        )}
      </div>
      <fieldset className="deal-fieldset">
        <legend>{t('field.acl')}</legend>
        <div className="row">
          {(['default', 'restricted'] as const).map((mode) => (
            <label key={mode} className="deal-check">
              <input
                type="radio"
                name={ids.acl}
                value={mode}
                checked={s.aclMode === mode}
                onChange={() => set('aclMode', mode)}
              />
              {t(`acl.${mode}`)}
            </label>
          ))}
        </div>
        <p className="muted small">{t(`acl.${s.aclMode}Hint`)}</p>
        {errors.acl_mode && (
          <div className="field-error" role="alert">
            {errors.acl_mode}
          </div>
        )}
        {s.aclMode === 'restricted' && (
          <div className="deal-form-grid">
            <fieldset className="deal-fieldset">
              <legend>{t('field.aclMembers')}</legend>
              <div className="deal-checklist">
                {activeMembers.map((m) => (
                  <label key={m.user_id} className="deal-check">
                    <input
                      type="checkbox"
                      checked={s.aclMemberIds.includes(m.user_id)}
                      disabled={
                        !s.aclMemberIds.includes(m.user_id) && s.aclMemberIds.length >= ACL_MEMBERS_MAX
                      }
                      onChange={(e) =>
                        set(
                          'aclMemberIds',
                          e.target.checked
                            ? [...s.aclMemberIds, m.user_id]
                            : s.aclMemberIds.filter((x) => x !== m.user_id),
                        )
                      }
                    />
                    {m.display_name}
                  </label>
                ))}
              </div>
              {errors.acl_member_ids && (
                <div className="field-error" role="alert">
                  {errors.acl_member_ids}
                </div>
              )}
            </fieldset>
            <fieldset className="deal-fieldset">
              <legend>{t('field.aclRoles')}</legend>
              <div className="deal-checklist">
                {ROLES.map((r) => (
                  <label key={r} className="deal-check">
                    <input
                      type="checkbox"
                      checked={s.aclRoles.includes(r)}
                      onChange={(e) =>
                        set(
                          'aclRoles',
                          e.target.checked ? [...s.aclRoles, r] : s.aclRoles.filter((x) => x !== r),
                        )
                      }
                    />
                    {t(`role.${r}`)}
                  </label>
                ))}
              </div>
              {errors.acl_roles && (
                <div className="field-error" role="alert">
                  {errors.acl_roles}
                </div>
              )}
            </fieldset>
          </div>
        )}
      </fieldset>
      <div className="row deal-form-actions">
        <span className="spacer" />
        <button type="button" className="btn" onClick={props.onClose}>
          {t('common:action.cancel')}
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          data-testid="deal-form-submit"
          disabled={save.isPending}
        >
          {editing ? t('common:action.save') : t('common:action.create')}
        </button>
      </div>
    </form>
  );
}
