import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { patchCrmV1LeadsById, postCrmV1Leads } from '../../../shared/api-client/sdk.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { currencyDigits, parseMoneyInput, useFormat } from '../../lib/format.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { useMembers } from '../activities/members.js';
import { previewPhone } from '../contacts/phone.js';
import { MstCheck } from './MstCheck.js';
import { LEAD_SOURCES, type Lead, type LeadBody, type LeadSource } from './types.js';

const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/**
 * Create or edit a lead: the person (Vietnamese name order), the company with its tax code checked as
 * typed (the account form's check), email, the phone's E.164 form previewed as typed (the contact
 * form's preview), source, score (only for those who may score) and the estimated value.
 */
export function LeadFormDialog(props: {
  open: boolean;
  onClose: () => void;
  lead?: Lead;
  onSaved?: (lead: Lead) => void;
}) {
  const { t } = useTranslation('leads');
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={props.lead ? t('form.editTitle') : t('form.newTitle')}
      wide
    >
      <LeadForm lead={props.lead} onDone={props.onClose} onSaved={props.onSaved} />
    </Dialog>
  );
}

function LeadForm(props: { lead?: Lead; onDone: () => void; onSaved?: (lead: Lead) => void }) {
  const { t } = useTranslation('leads');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const { members } = useMembers();
  const l = props.lead;
  const [lastName, setLastName] = useState(l?.last_name ?? '');
  const [firstName, setFirstName] = useState(l?.first_name ?? '');
  const [displayName, setDisplayName] = useState(l?.display_name ?? '');
  const [title, setTitle] = useState(l?.title ?? '');
  const [company, setCompany] = useState(l?.company_name ?? '');
  const [email, setEmail] = useState(l?.email ?? '');
  const [phone, setPhone] = useState(l?.phone_raw ?? l?.phone ?? '');
  const [mst, setMst] = useState(l?.vn_mst ?? '');
  const [country, setCountry] = useState(l?.country ?? 'VN');
  const [source, setSource] = useState<LeadSource>(l?.source ?? 'other');
  const [sourceDetail, setSourceDetail] = useState(l?.source_detail ?? '');
  const [score, setScore] = useState(String(l?.score ?? 0));
  const [currency, setCurrency] = useState<'VND' | 'USD'>(l?.currency ?? 'VND');
  const [estimate, setEstimate] = useState(
    l?.estimated_amount_minor != null
      ? String(l.estimated_amount_minor / 10 ** currencyDigits(l.currency))
      : '',
  );
  const [ownerId, setOwnerId] = useState<string>(l ? (l.owner_id ?? '') : (me.user?.id ?? ''));
  const [description, setDescription] = useState(l?.description ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const mayScore = l ? l.abilities.includes('score') : can(me, 'crm.lead.score');
  const mayAssign = l ? l.abilities.includes('assign') : can(me, 'crm.lead.assign');
  const err = (f: string) => errors[f];
  const phonePreview = phone.trim() ? previewPhone(phone) : null;
  const isVn = country.trim().toUpperCase() === 'VN' || country.trim() === '';

  const save = useMutation({
    mutationFn: (body: LeadBody) =>
      l
        ? call(patchCrmV1LeadsById({ path: { id: l.id }, body: { ...body, version: l.version } }))
        : call(postCrmV1Leads({ body })),
    meta: { silent: true },
    onSuccess: (saved) => {
      toast.success(l ? t('form.saved') : t('form.created'));
      void qc.invalidateQueries({ queryKey: ['leads'] });
      void qc.invalidateQueries({ queryKey: ['lead', saved.id] });
      // Close first: a caller may navigate in onSaved, and that navigation must be the last one.
      props.onDone();
      props.onSaved?.(saved);
    },
    onError: (e) => {
      if (e instanceof ApiError && Object.keys(e.fieldErrors()).length > 0) setErrors(e.fieldErrors());
      else toast.error(e);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let estimatedMinor: number | null = null;
    if (estimate.trim()) {
      estimatedMinor = parseMoneyInput(estimate, currency, fmt.locale);
      if (estimatedMinor === null) {
        setErrors({ estimated_amount_minor: t('common:state.error') });
        return;
      }
    }
    setErrors({});
    const body: LeadBody = {
      last_name: orNull(lastName),
      first_name: orNull(firstName),
      display_name: orNull(displayName),
      title: orNull(title),
      company_name: orNull(company),
      email: orNull(email),
      phone: orNull(phone),
      vn_mst: orNull(mst),
      country: orNull(country)?.toUpperCase() ?? null,
      source,
      source_detail: orNull(sourceDetail),
      estimated_amount_minor: estimatedMinor,
      currency,
      description: orNull(description),
      ...(mayScore ? { score: Number(score) || 0 } : {}),
      ...(mayAssign || !l ? { owner_id: ownerId || null } : {}),
    };
    save.mutate(body);
  };

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="lead-form">
      <div className="form-grid">
        <Field
          label={t('field.lastName')}
          value={lastName}
          maxLength={100}
          onChange={(e) => setLastName(e.target.value)}
          error={err('last_name')}
        />
        <Field
          label={t('field.firstName')}
          value={firstName}
          maxLength={100}
          onChange={(e) => setFirstName(e.target.value)}
          error={err('first_name')}
        />
        <Field
          label={t('field.displayName')}
          value={displayName}
          maxLength={LIMITS.name}
          onChange={(e) => setDisplayName(e.target.value)}
          error={err('display_name')}
          hint={t('form.displayHint')}
        />
        <Field
          label={t('field.title')}
          value={title}
          maxLength={LIMITS.shortText}
          onChange={(e) => setTitle(e.target.value)}
          error={err('title')}
        />
        <Field
          label={t('field.company')}
          value={company}
          maxLength={LIMITS.name}
          onChange={(e) => setCompany(e.target.value)}
          error={err('company_name')}
        />
        <div>
          <Field
            label={t('field.mst')}
            value={mst}
            maxLength={20}
            inputMode="numeric"
            onChange={(e) => setMst(e.target.value)}
            error={err('vn_mst')}
          />
          {isVn && <MstCheck mst={mst} />}
        </div>
        <Field
          label={t('field.country')}
          value={country}
          maxLength={2}
          onChange={(e) => setCountry(e.target.value)}
          error={err('country')}
          hint={t('form.countryHint')}
        />
        <Field
          label={t('field.email')}
          type="email"
          value={email}
          maxLength={LIMITS.email}
          onChange={(e) => setEmail(e.target.value)}
          error={err('email')}
        />
        <div>
          <Field
            label={t('field.phone')}
            type="tel"
            value={phone}
            maxLength={64}
            onChange={(e) => setPhone(e.target.value)}
            error={err('phone')}
          />
          {phonePreview && (
            <div className="muted small" aria-live="polite" data-testid="phone-preview">
              {phonePreview.ok ? t('form.phonePreview', { e164: phonePreview.e164 }) : t('form.phoneInvalid')}
            </div>
          )}
        </div>
        <SelectField
          label={t('field.source')}
          value={source}
          onChange={(e) => setSource(e.target.value as LeadSource)}
          error={err('source')}
        >
          {LEAD_SOURCES.map((s) => (
            <option key={s} value={s}>
              {t(`source.${s}`)}
            </option>
          ))}
        </SelectField>
        <Field
          label={t('field.sourceDetail')}
          value={sourceDetail}
          maxLength={LIMITS.shortText}
          onChange={(e) => setSourceDetail(e.target.value)}
          error={err('source_detail')}
        />
        {mayScore && (
          <Field
            label={t('field.score')}
            type="number"
            min={0}
            max={100}
            value={score}
            onChange={(e) => setScore(e.target.value)}
            error={err('score')}
          />
        )}
        <Field
          label={t('field.estimate')}
          inputMode="decimal"
          value={estimate}
          onChange={(e) => setEstimate(e.target.value)}
          error={err('estimated_amount_minor')}
        />
        <SelectField
          label={t('field.currency')}
          value={currency}
          onChange={(e) => setCurrency(e.target.value as 'VND' | 'USD')}
          error={err('currency')}
        >
          <option value="VND">VND</option>
          <option value="USD">USD</option>
        </SelectField>
        {(mayAssign || !l) && (
          <SelectField
            label={t('field.owner')}
            value={ownerId}
            onChange={(e) => setOwnerId(e.target.value)}
            error={err('owner_id')}
          >
            <option value="">{t('drawer.unassigned')}</option>
            {members
              .filter((m) => mayAssign || m.user_id === (me.user?.id ?? ''))
              .map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.display_name}
                </option>
              ))}
          </SelectField>
        )}
      </div>
      <div className="field">
        <label htmlFor="lead-description">{t('field.description')}</label>
        <textarea
          id="lead-description"
          rows={3}
          maxLength={LIMITS.longText}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="row dialog-actions">
        <button type="button" className="btn" onClick={props.onDone}>
          {t('common:action.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {t('form.save')}
        </button>
      </div>
    </form>
  );
}
