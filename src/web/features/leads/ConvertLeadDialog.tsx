import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { getCrmV1Pipelines, postCrmV1LeadsByIdConvert } from '../../../shared/api-client/sdk.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { ApiError, call } from '../../lib/api.js';
import { currencyDigits, parseMoneyInput, useFormat } from '../../lib/format.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { EntityPicker, type Picked } from '../activities/EntityPicker.js';
import type { ConvertBody, Lead } from './types.js';

/**
 * Converts a lead in one request (the server does it in one transaction): create the account from the
 * company or pick an existing one, create the contact from the person or pick one, and optionally create
 * a deal (name, pipeline, amount defaulting to the lead's estimate). Lands on the deal, else the account.
 */
export function ConvertLeadDialog(props: { lead: Lead; open: boolean; onClose: () => void }) {
  const { t } = useTranslation('leads');
  return (
    <Dialog open={props.open} onClose={props.onClose} title={t('convert.title')} wide>
      <ConvertForm lead={props.lead} onClose={props.onClose} />
    </Dialog>
  );
}

function ConvertForm(props: { lead: Lead; onClose: () => void }) {
  const { t } = useTranslation('leads');
  const l = props.lead;
  const fmt = useFormat();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [accountMode, setAccountMode] = useState<'new' | 'existing'>('new');
  const [accountName, setAccountName] = useState(l.company_name ?? l.display_name);
  const [account, setAccount] = useState<Picked | null>(null);
  const [contactMode, setContactMode] = useState<'new' | 'existing'>('new');
  const [contact, setContact] = useState<Picked | null>(null);
  const [withDeal, setWithDeal] = useState(true);
  const [dealName, setDealName] = useState(l.company_name ?? l.display_name);
  const [pipelineId, setPipelineId] = useState('');
  const [amount, setAmount] = useState(
    l.estimated_amount_minor != null
      ? String(l.estimated_amount_minor / 10 ** currencyDigits(l.currency))
      : '',
  );
  const [closeDate, setCloseDate] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const pipelines = useQuery({
    queryKey: ['pipelines'],
    queryFn: () => call(getCrmV1Pipelines()),
    staleTime: 60_000,
    enabled: withDeal,
  });
  const err = (f: string) => errors[f];

  const convert = useMutation({
    mutationFn: (body: ConvertBody) => call(postCrmV1LeadsByIdConvert({ path: { id: l.id }, body })),
    meta: { silent: true },
    onSuccess: (r) => {
      toast.success(t('convert.done'));
      void qc.invalidateQueries({ queryKey: ['leads'] });
      void qc.invalidateQueries({ queryKey: ['lead', l.id] });
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      void qc.invalidateQueries({ queryKey: ['deals'] });
      props.onClose();
      navigate(r.deal ? `/deals/${r.deal.id}` : `/accounts/${r.account.id}`);
    },
    onError: (e) => {
      if (e instanceof ApiError && Object.keys(e.fieldErrors()).length > 0) setErrors(e.fieldErrors());
      else toast.error(e);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (accountMode === 'existing' && !account) local.account_id = t('convert.pickRequired');
    if (contactMode === 'existing' && !contact) local.contact_id = t('convert.pickRequired');
    let amountMinor: number | null | undefined;
    if (withDeal && amount.trim()) {
      amountMinor = parseMoneyInput(amount, l.currency, fmt.locale);
      if (amountMinor === null) local['deal.amount_minor'] = t('common:state.error');
    } else if (withDeal) amountMinor = null;
    if (Object.keys(local).length > 0) {
      setErrors(local);
      return;
    }
    setErrors({});
    const body: ConvertBody = {
      ...(accountMode === 'existing' && account
        ? { account_id: account.id }
        : { account_name: accountName.trim() || null }),
      ...(contactMode === 'existing' && contact ? { contact_id: contact.id } : {}),
      ...(withDeal
        ? {
            deal: {
              name: dealName.trim() || null,
              ...(pipelineId ? { pipeline_id: pipelineId } : {}),
              amount_minor: amountMinor ?? null,
              currency: l.currency,
              expected_close_date: closeDate || null,
            },
          }
        : {}),
      version: l.version,
    };
    convert.mutate(body);
  };

  const dealErrors = Object.entries(errors).filter(
    ([k]) =>
      k.startsWith('deal.') && k !== 'deal.name' && k !== 'deal.pipeline_id' && k !== 'deal.amount_minor',
  );

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="convert-form">
      <fieldset className="stack">
        <legend>{t('convert.account')}</legend>
        <label className="check">
          <input
            type="radio"
            name="account-mode"
            checked={accountMode === 'new'}
            onChange={() => setAccountMode('new')}
          />
          {t('convert.accountNew')}
        </label>
        {accountMode === 'new' && (
          <Field
            label={t('convert.accountName')}
            value={accountName}
            maxLength={LIMITS.name}
            onChange={(e) => setAccountName(e.target.value)}
            error={err('account_name') ?? err('vn_mst')}
          />
        )}
        <label className="check">
          <input
            type="radio"
            name="account-mode"
            checked={accountMode === 'existing'}
            onChange={() => setAccountMode('existing')}
          />
          {t('convert.accountExisting')}
        </label>
        {accountMode === 'existing' && (
          <EntityPicker
            type="accounts"
            label={t('convert.pickAccount')}
            value={account}
            onChange={setAccount}
            error={err('account_id')}
          />
        )}
      </fieldset>
      <fieldset className="stack">
        <legend>{t('convert.contact')}</legend>
        <label className="check">
          <input
            type="radio"
            name="contact-mode"
            checked={contactMode === 'new'}
            onChange={() => setContactMode('new')}
          />
          {t('convert.contactNew')}
        </label>
        <label className="check">
          <input
            type="radio"
            name="contact-mode"
            checked={contactMode === 'existing'}
            onChange={() => setContactMode('existing')}
          />
          {t('convert.contactExisting')}
        </label>
        {contactMode === 'existing' && (
          <EntityPicker
            type="contacts"
            label={t('convert.pickContact')}
            value={contact}
            onChange={setContact}
            error={err('contact_id')}
          />
        )}
      </fieldset>
      <fieldset className="stack">
        <legend>
          <label className="check">
            <input type="checkbox" checked={withDeal} onChange={(e) => setWithDeal(e.target.checked)} />
            {t('convert.createDeal')}
          </label>
        </legend>
        {withDeal && (
          <div className="form-grid">
            <Field
              label={t('convert.dealName')}
              value={dealName}
              maxLength={LIMITS.name}
              onChange={(e) => setDealName(e.target.value)}
              error={err('deal.name')}
            />
            <SelectField
              label={t('convert.pipeline')}
              value={pipelineId}
              onChange={(e) => setPipelineId(e.target.value)}
              error={err('deal.pipeline_id')}
            >
              {(pipelines.data?.data ?? [])
                .slice()
                .sort((a, b) => Number(b.is_default) - Number(a.is_default))
                .map((p, i) => (
                  <option key={p.id} value={i === 0 ? '' : p.id}>
                    {p.name}
                  </option>
                ))}
            </SelectField>
            <Field
              label={t('convert.amount', { currency: l.currency })}
              inputMode="decimal"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              error={err('deal.amount_minor')}
            />
            <Field
              label={t('convert.closeDate')}
              type="date"
              value={closeDate}
              onChange={(e) => setCloseDate(e.target.value)}
              error={err('deal.expected_close_date')}
            />
          </div>
        )}
      </fieldset>
      {dealErrors.length > 0 && (
        <div className="alert alert-error" role="alert">
          {dealErrors.map(([k, v]) => (
            <div key={k}>{v}</div>
          ))}
        </div>
      )}
      <div className="row dialog-actions">
        <button type="button" className="btn" onClick={props.onClose}>
          {t('common:action.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={convert.isPending}>
          {t('convert.submit')}
        </button>
      </div>
    </form>
  );
}
