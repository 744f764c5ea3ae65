import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1VnSettings,
  getCrmV1Workspace,
  patchCrmV1VnSettings,
  patchCrmV1Workspace,
} from '../../../shared/api-client/sdk.gen.js';
import type {
  GetCrmV1WorkspaceResponses,
  PatchCrmV1VnSettingsData,
  PatchCrmV1WorkspaceData,
  VnSettings,
} from '../../../shared/api-client/types.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe, useSession } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';

type Workspace = GetCrmV1WorkspaceResponses[200];
type Currency = NonNullable<PatchCrmV1WorkspaceData['body']['base_currency']>;
type Locale = NonNullable<PatchCrmV1WorkspaceData['body']['locale']>;
const CURRENCIES: Currency[] = ['VND', 'USD'];
const LOCALES: Locale[] = ['vi', 'en'];

function timeZones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes(current) ? all : [current, ...all];
}

/** The workspace profile (name, base currency, locale, time zone) and the Vietnamese seller settings. */
export function WorkspaceSection() {
  const { t } = useTranslation('settings');
  const me = useMe();
  const manage = can(me, 'crm.settings.manage');
  const ws = useQuery({ queryKey: ['workspace'], queryFn: () => call(getCrmV1Workspace()) });
  return (
    <div className="stack">
      <h2>{t('workspace.title')}</h2>
      {!manage && (
        <div className="alert alert-warning" role="status">
          {t('workspace.readOnly')}
        </div>
      )}
      {ws.data ? (
        <WorkspaceForm key={ws.data.version} workspace={ws.data} readOnly={!manage} />
      ) : (
        <p className="muted">{ws.isError ? t('common:state.error') : t('common:state.loading')}</p>
      )}
      {manage && <VnSettingsCard />}
    </div>
  );
}

function WorkspaceForm(props: { workspace: Workspace; readOnly: boolean }) {
  const { t } = useTranslation('settings');
  const qc = useQueryClient();
  const reloadMe = useSession((s) => s.reloadMe);
  const w = props.workspace;
  const [name, setName] = useState(w.name);
  const [currency, setCurrency] = useState(w.base_currency);
  const [locale, setLocale] = useState(w.locale);
  const [timezone, setTimezone] = useState(w.timezone);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const save = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      call(
        patchCrmV1Workspace({
          // If-Match: a concurrent edit by another admin answers 412 instead of being overwritten.
          headers: { 'if-match': `"${w.version}"` },
          body: {
            name: name.trim(),
            base_currency: currency as Currency,
            locale: locale as Locale,
            timezone,
          },
        }),
      ),
    onSuccess: (next) => {
      qc.setQueryData(['workspace'], next);
      toast.success(t('workspace.saved'));
      // The session carries the workspace (base currency, time zone): refresh it, and the figures.
      void reloadMe();
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      void qc.invalidateQueries({ queryKey: ['board'] });
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        setErrors(e.fieldErrors());
        setFormError(e.status === 412 ? t('workspace.stale') : e.message);
        if (e.status === 412) void qc.invalidateQueries({ queryKey: ['workspace'] });
      } else setFormError(String(e));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    save.mutate();
  };

  return (
    <form className="card stack" onSubmit={submit} data-testid="workspace-form" noValidate>
      <div className="settings-form-grid">
        <Field
          label={t('workspace.name')}
          value={name}
          maxLength={LIMITS.name}
          required
          readOnly={props.readOnly}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field label={t('workspace.slug')} value={w.slug} readOnly />
        <SelectField
          label={t('workspace.currency')}
          value={currency}
          disabled={props.readOnly}
          error={errors.base_currency}
          onChange={(e) => setCurrency(e.target.value)}
        >
          {CURRENCIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('workspace.locale')}
          value={locale}
          disabled={props.readOnly}
          error={errors.locale}
          onChange={(e) => setLocale(e.target.value)}
        >
          {LOCALES.map((l) => (
            <option key={l} value={l}>
              {t(`locale.${l}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('workspace.timezone')}
          value={timezone}
          disabled={props.readOnly}
          error={errors.timezone}
          onChange={(e) => setTimezone(e.target.value)}
        >
          {timeZones(w.timezone).map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </SelectField>
      </div>
      {currency !== w.base_currency && <p className="muted small">{t('workspace.currencyHint')}</p>}
      {formError && (
        <div className="alert alert-error" role="alert">
          {formError}
        </div>
      )}
      {!props.readOnly && (
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={save.isPending || name.trim() === ''}>
            {t('common:action.save')}
          </button>
        </div>
      )}
    </form>
  );
}

type VnBody = PatchCrmV1VnSettingsData['body'];
const VN_TEXT_FIELDS = [
  'legal_name',
  'mst',
  'address',
  'phone',
  'email',
  'bank_name',
  'bank_account',
] as const;
type VatMethod = NonNullable<VnSettings['vat_method']>;
/** '' is "not declared" (null on the wire): the invoice form then follows the customer's legal type. */
const VAT_METHOD_OPTIONS: Array<'' | VatMethod> = ['', 'deduction', 'direct'];

/** Vietnamese seller details used on invoices and VietQR (optional; admins only). */
function VnSettingsCard() {
  const { t } = useTranslation('settings');
  const vn = useQuery({
    queryKey: ['vn-settings'],
    queryFn: () => call(getCrmV1VnSettings()),
    meta: { silent: true },
  });
  if (!vn.data) return null;
  return <VnSettingsForm key={vn.data.version} settings={vn.data} title={t('vn.title')} />;
}

function VnSettingsForm(props: { settings: VnSettings; title: string }) {
  const { t } = useTranslation('settings');
  const qc = useQueryClient();
  const s = props.settings;
  const [values, setValues] = useState<Record<(typeof VN_TEXT_FIELDS)[number], string>>(() => {
    const out = {} as Record<(typeof VN_TEXT_FIELDS)[number], string>;
    for (const f of VN_TEXT_FIELDS) out[f] = s[f] ?? '';
    return out;
  });
  const [vietqr, setVietqr] = useState(s.won_flow_vietqr);
  const [invoice, setInvoice] = useState(s.won_flow_invoice);
  const [vatMethod, setVatMethod] = useState<'' | VatMethod>(s.vat_method ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const save = useMutation({
    meta: { silent: true },
    mutationFn: () => {
      const body: VnBody = {
        won_flow_vietqr: vietqr,
        won_flow_invoice: invoice,
        vat_method: vatMethod === '' ? null : vatMethod,
      };
      for (const f of VN_TEXT_FIELDS) body[f] = values[f].trim() === '' ? null : values[f].trim();
      return call(patchCrmV1VnSettings({ headers: { 'if-match': `"${s.version}"` }, body }));
    },
    onSuccess: (next) => {
      qc.setQueryData(['vn-settings'], next);
      toast.success(t('vn.saved'));
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        setErrors(e.fieldErrors());
        setFormError(e.status === 412 ? t('workspace.stale') : e.message);
        if (e.status === 412) void qc.invalidateQueries({ queryKey: ['vn-settings'] });
      } else setFormError(String(e));
    },
  });

  return (
    <form
      className="card stack"
      aria-labelledby="vn-settings-title"
      onSubmit={(e) => {
        e.preventDefault();
        setErrors({});
        setFormError(null);
        save.mutate();
      }}
      noValidate
    >
      <h3 id="vn-settings-title">{props.title}</h3>
      <p className="muted small">{t('vn.intro')}</p>
      <div className="settings-form-grid">
        {VN_TEXT_FIELDS.map((f) => (
          <Field
            key={f}
            label={t(`vn.${f}`)}
            value={values[f]}
            maxLength={LIMITS.shortText}
            error={errors[f]}
            onChange={(e) => setValues({ ...values, [f]: e.target.value })}
          />
        ))}
        <SelectField
          label={t('vn.vat_method')}
          value={vatMethod}
          error={errors.vat_method}
          onChange={(e) => setVatMethod(VAT_METHOD_OPTIONS.find((m) => m === e.target.value) ?? '')}
        >
          {VAT_METHOD_OPTIONS.map((m) => (
            <option key={m || 'none'} value={m}>
              {t(`vn.vatMethod.${m || 'none'}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <label className="row">
        <input type="checkbox" checked={vietqr} onChange={(e) => setVietqr(e.target.checked)} />
        {t('vn.wonFlowVietqr')}
      </label>
      <label className="row">
        <input type="checkbox" checked={invoice} onChange={(e) => setInvoice(e.target.checked)} />
        {t('vn.wonFlowInvoice')}
      </label>
      {formError && (
        <div className="alert alert-error" role="alert">
          {formError}
        </div>
      )}
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {t('common:action.save')}
        </button>
      </div>
    </form>
  );
}
