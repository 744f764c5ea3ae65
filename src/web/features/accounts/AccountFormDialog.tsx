import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  patchCrmV1AccountsById,
  postCrmV1Accounts,
  postCrmV1VnAddressParse,
  postCrmV1VnMstValidate,
} from '../../../shared/api-client/sdk.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { useMembers } from '../activities/members.js';
import { EntityTagInput } from '../tags/EntityTagInput.js';
import {
  type AccountBody,
  type AccountListItem,
  ADDRESS_KINDS,
  type AddressKind,
  LEGAL_TYPES,
  type LegalType,
  LIFECYCLES,
  type Lifecycle,
} from './types.js';

interface AddressDraft {
  kind: AddressKind;
  street: string;
  ward: string;
  province: string;
  country: string;
  ward_code: string | null;
  /** One-line address to split with the 2025 Vietnamese address parser. */
  line: string;
  parseNote: string | null;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/**
 * Create or edit an account. The tax code (MST) is checked as it is typed (format, check digit, and
 * the registry when configured); the server checks it again on save and keeps the status. Field errors
 * come back from the API by path (e.g. `addresses.0.ward`) and are shown beside their control.
 */
export function AccountFormDialog(props: {
  open: boolean;
  onClose: () => void;
  account?: AccountListItem;
  onSaved?: (account: AccountListItem) => void;
}) {
  const { t } = useTranslation('accounts');
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={props.account ? t('form.editTitle') : t('form.newTitle')}
      wide
    >
      <AccountForm account={props.account} onDone={props.onClose} onSaved={props.onSaved} />
    </Dialog>
  );
}

function AccountForm(props: {
  account?: AccountListItem;
  onDone: () => void;
  onSaved?: (account: AccountListItem) => void;
}) {
  const { t } = useTranslation('accounts');
  const qc = useQueryClient();
  const me = useMe();
  const { members } = useMembers();
  const a = props.account;
  const descId = useId();
  const [name, setName] = useState(a?.name ?? '');
  const [legalType, setLegalType] = useState<LegalType>(a?.legal_type ?? 'llc');
  const [mst, setMst] = useState(a?.vn_mst ?? '');
  const [country, setCountry] = useState(a ? (a.country ?? '') : 'VN');
  const [industry, setIndustry] = useState(a?.industry ?? '');
  const [website, setWebsite] = useState(a?.website ?? '');
  const [domains, setDomains] = useState((a?.domains ?? []).join(', '));
  const [lifecycle, setLifecycle] = useState<Lifecycle>(a?.lifecycle ?? 'prospect');
  const [ownerId, setOwnerId] = useState<string>(a ? (a.owner_id ?? '') : (me.user?.id ?? ''));
  const [phone, setPhone] = useState(a?.phone ?? '');
  const [email, setEmail] = useState(a?.email ?? '');
  const [description, setDescription] = useState(a?.description ?? '');
  const [tags, setTags] = useState<string[]>(a?.tags ?? []);
  const [addresses, setAddresses] = useState<AddressDraft[]>(
    (a?.addresses ?? []).map((x) => ({
      kind: x.kind,
      street: str(x.street),
      ward: str(x.ward),
      province: str(x.province),
      country: x.country,
      ward_code: x.ward_code ?? null,
      line: '',
      parseNote: null,
    })),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});

  // Live MST check, debounced; only for Vietnamese accounts (elsewhere the code is stored as entered).
  const [mstDebounced, setMstDebounced] = useState(mst.trim());
  useEffect(() => {
    const h = setTimeout(() => setMstDebounced(mst.trim()), 400);
    return () => clearTimeout(h);
  }, [mst]);
  const checkMst = country.trim().toUpperCase() === 'VN' && mstDebounced.length > 0;
  const mstCheck = useQuery({
    queryKey: ['mst', mstDebounced],
    queryFn: () => call(postCrmV1VnMstValidate({ body: { mst: mstDebounced } })),
    enabled: checkMst,
    staleTime: 60_000,
    retry: false,
    meta: { silent: true },
  });

  const setAddress = (i: number, patch: Partial<AddressDraft>) =>
    setAddresses((list) => list.map((x, j) => (j === i ? { ...x, ...patch } : x)));

  const parse = useMutation({
    mutationFn: (v: { i: number; text: string }) => call(postCrmV1VnAddressParse({ body: { text: v.text } })),
    meta: { silent: true },
    onSuccess: (r, v) => {
      const ward = r.mapped?.ward ?? r.ward;
      const province = r.mapped?.province ?? r.province;
      setAddress(v.i, {
        street: r.street,
        ward: ward?.name ?? '',
        province: province?.name ?? '',
        ward_code: ward?.code ?? null,
        country: 'VN',
        parseNote:
          r.form === 'legacy'
            ? t('address.parsedLegacy')
            : r.ambiguous
              ? t('address.parsedAmbiguous')
              : ward
                ? t('address.parsedOk')
                : t('address.parsedPartial'),
      });
    },
    onError: (e) => toast.error(e),
  });

  const save = useMutation({
    mutationFn: (body: AccountBody) =>
      a
        ? call(patchCrmV1AccountsById({ path: { id: a.id }, body: { ...body, version: a.version } }))
        : call(postCrmV1Accounts({ body })),
    meta: { silent: true },
    onSuccess: (saved) => {
      toast.success(a ? t('form.saved') : t('form.created'));
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      void qc.invalidateQueries({ queryKey: ['account', saved.id] });
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
    if (!name.trim()) {
      setErrors({ name: t('form.nameRequired') });
      return;
    }
    setErrors({});
    const domainList = domains
      .split(/[\s,;]+/)
      .map((d) => d.trim())
      .filter(Boolean);
    save.mutate({
      name: name.trim(),
      legal_type: legalType,
      vn_mst: orNull(mst),
      country: orNull(country)?.toUpperCase() ?? null,
      industry: orNull(industry),
      website: orNull(website),
      domains: domainList,
      lifecycle,
      owner_id: ownerId || null,
      phone: orNull(phone),
      email: orNull(email),
      description: orNull(description),
      tags,
      addresses: addresses.map((x) => ({
        kind: x.kind,
        street: orNull(x.street),
        ward: orNull(x.ward),
        province: orNull(x.province),
        country: x.country.trim().toUpperCase() || 'VN',
        ward_code: x.ward_code,
      })),
    });
  };

  const err = (k: string) => errors[k];
  return (
    <form className="stack" onSubmit={submit} data-testid="account-form" noValidate>
      <div className="form-grid">
        <Field
          label={t('field.name')}
          name="name"
          value={name}
          required
          maxLength={LIMITS.name}
          onChange={(e) => setName(e.target.value)}
          error={err('name')}
          autoFocus
        />
        <SelectField
          label={t('field.legalType')}
          value={legalType}
          onChange={(e) => setLegalType(e.target.value as LegalType)}
          error={err('legal_type')}
        >
          {LEGAL_TYPES.map((k) => (
            <option key={k} value={k}>
              {t(`legalType.${k}`)}
            </option>
          ))}
        </SelectField>
        <Field
          label={t('field.country')}
          name="country"
          value={country}
          maxLength={2}
          onChange={(e) => setCountry(e.target.value)}
          error={err('country')}
          hint={t('form.countryHint')}
        />
        <div>
          <Field
            label={t('field.mst')}
            name="vn_mst"
            value={mst}
            maxLength={20}
            inputMode="numeric"
            onChange={(e) => setMst(e.target.value)}
            error={err('vn_mst')}
          />
          {checkMst && (
            <div className="mst-check small" aria-live="polite" data-testid="mst-check">
              {mstCheck.isFetching && <span className="muted">{t('mst.checking')}</span>}
              {!mstCheck.isFetching && mstCheck.data && (
                <>
                  {mstCheck.data.valid ? (
                    <span className="badge badge-success">{t('mst.valid')}</span>
                  ) : (
                    <span className="badge badge-hot">{t('mst.invalid')}</span>
                  )}{' '}
                  {mstCheck.data.display && <span>{mstCheck.data.display} </span>}
                  {mstCheck.data.kind && <span className="muted">· {mstCheck.data.kind} </span>}
                  {!mstCheck.data.valid && (mstCheck.data.message ?? mstCheck.data.reason) && (
                    <span className="field-error">· {mstCheck.data.message ?? mstCheck.data.reason}</span>
                  )}
                  {mstCheck.data.registry && (
                    <div className="muted">
                      {t('mst.registry')}: {t(`mst.registryStatus.${mstCheck.data.registry.status}`)}
                      {mstCheck.data.registry.name && <> · {mstCheck.data.registry.name}</>}
                      {mstCheck.data.registry.registry_status && (
                        <> · {mstCheck.data.registry.registry_status}</>
                      )}
                    </div>
                  )}
                </>
              )}
              {mstCheck.isError && <span className="muted">{t('mst.unavailable')}</span>}
            </div>
          )}
        </div>
        <SelectField
          label={t('field.lifecycle')}
          value={lifecycle}
          onChange={(e) => setLifecycle(e.target.value as Lifecycle)}
          error={err('lifecycle')}
        >
          {LIFECYCLES.map((k) => (
            <option key={k} value={k}>
              {t(`lifecycle.${k}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.owner')}
          value={ownerId}
          onChange={(e) => setOwnerId(e.target.value)}
          error={err('owner_id')}
        >
          <option value="">{t('owner.none')}</option>
          {members
            .filter((m) => m.status === 'active' || m.user_id === ownerId)
            .map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.display_name}
              </option>
            ))}
        </SelectField>
        <Field
          label={t('field.industry')}
          name="industry"
          value={industry}
          maxLength={100}
          onChange={(e) => setIndustry(e.target.value)}
          error={err('industry')}
        />
        <Field
          label={t('field.website')}
          name="website"
          type="url"
          value={website}
          maxLength={LIMITS.url}
          placeholder="https://"
          onChange={(e) => setWebsite(e.target.value)}
          error={err('website')}
        />
        <Field
          label={t('field.domains')}
          name="domains"
          value={domains}
          onChange={(e) => setDomains(e.target.value)}
          error={err('domains') ?? Object.entries(errors).find(([k]) => k.startsWith('domains.'))?.[1]}
          hint={t('form.domainsHint', { max: LIMITS.domainsPerAccount })}
        />
        <EntityTagInput
          entity="account"
          label={t('tags:field')}
          value={tags}
          onChange={setTags}
          error={err('tags') ?? Object.entries(errors).find(([k]) => k.startsWith('tags.'))?.[1]}
          testId="account-tags"
        />
        <Field
          label={t('field.phone')}
          name="phone"
          type="tel"
          value={phone}
          maxLength={32}
          onChange={(e) => setPhone(e.target.value)}
          error={err('phone')}
        />
        <Field
          label={t('field.email')}
          name="email"
          type="email"
          value={email}
          maxLength={LIMITS.email}
          onChange={(e) => setEmail(e.target.value)}
          error={err('email')}
        />
      </div>
      <fieldset className="address-set">
        <legend>{t('field.addresses')}</legend>
        {addresses.map((x, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: drafts have no id; rows are only appended or removed
          <div key={i} className="address-row">
            <div className="row address-parse">
              <Field
                label={t('address.line', { n: i + 1 })}
                value={x.line}
                onChange={(e) => setAddress(i, { line: e.target.value })}
                hint={x.parseNote ?? t('address.lineHint')}
              />
              <button
                type="button"
                className="btn"
                disabled={!x.line.trim() || parse.isPending}
                onClick={() => parse.mutate({ i, text: x.line.trim() })}
              >
                {t('address.parse')}
              </button>
            </div>
            <div className="form-grid">
              <SelectField
                label={t('address.kind', { n: i + 1 })}
                value={x.kind}
                onChange={(e) => setAddress(i, { kind: e.target.value as AddressKind })}
              >
                {ADDRESS_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`addressKind.${k}`)}
                  </option>
                ))}
              </SelectField>
              <Field
                label={t('address.street', { n: i + 1 })}
                value={x.street}
                maxLength={LIMITS.shortText}
                onChange={(e) => setAddress(i, { street: e.target.value })}
                error={err(`addresses.${i}.street`)}
              />
              <Field
                label={t('address.ward', { n: i + 1 })}
                value={x.ward}
                maxLength={LIMITS.shortText}
                onChange={(e) => setAddress(i, { ward: e.target.value, ward_code: null })}
                error={err(`addresses.${i}.ward`) ?? err(`addresses.${i}.ward_code`)}
              />
              <Field
                label={t('address.province', { n: i + 1 })}
                value={x.province}
                maxLength={LIMITS.shortText}
                onChange={(e) => setAddress(i, { province: e.target.value, ward_code: null })}
                error={err(`addresses.${i}.province`)}
              />
              <Field
                label={t('address.country', { n: i + 1 })}
                value={x.country}
                maxLength={2}
                onChange={(e) => setAddress(i, { country: e.target.value })}
                error={err(`addresses.${i}.country`)}
              />
            </div>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => setAddresses((list) => list.filter((_, j) => j !== i))}
            >
              {t('address.remove', { n: i + 1 })}
            </button>
          </div>
        ))}
        {addresses.length < LIMITS.addressesPerRecord && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() =>
              setAddresses((list) => [
                ...list,
                {
                  kind: list.length === 0 ? 'headquarters' : 'branch',
                  street: '',
                  ward: '',
                  province: '',
                  country: country.trim().toUpperCase() || 'VN',
                  ward_code: null,
                  line: '',
                  parseNote: null,
                },
              ])
            }
          >
            {t('address.add')}
          </button>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor={descId}>{t('field.description')}</label>
        <textarea
          id={descId}
          rows={3}
          maxLength={LIMITS.longText}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={err('description') ? true : undefined}
        />
        {err('description') && (
          <div className="field-error" role="alert">
            {err('description')}
          </div>
        )}
      </div>
      <div className="row dialog-actions">
        <button type="button" className="btn" onClick={props.onDone}>
          {t('common:action.cancel')}
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={save.isPending}
          data-testid="account-form-submit"
        >
          {t('common:action.save')}
        </button>
      </div>
    </form>
  );
}
