import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  getCrmV1AccountsById,
  getCrmV1Contacts,
  patchCrmV1ContactsById,
  postCrmV1Contacts,
} from '../../../shared/api-client/sdk.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { ApiError, call } from '../../lib/api.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field, SelectField } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { EntityPicker, type Picked } from '../activities/EntityPicker.js';
import { EntityTagInput } from '../tags/EntityTagInput.js';
import { previewPhone } from './phone.js';
import {
  BUYING_ROLES,
  type BuyingRole,
  CHANNEL_KINDS,
  type ChannelKind,
  type Contact,
  type ContactBody,
} from './types.js';

/** Same limits as the API's contact schema (contact.schema.ts). */
const MAX_CHANNELS = 20;
const NAME_MAX = 100;
const SALUTATIONS = ['anh', 'chi', 'em', 'ban', 'ong', 'ba', 'anh_chi', 'ong_ba'] as const;
type SalutationValue = (typeof SALUTATIONS)[number];

interface ChannelDraft {
  key: number;
  kind: ChannelKind;
  value: string;
  label: string;
  is_primary: boolean;
}

let nextKey = 1;
const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/**
 * Create or edit a contact: names in Vietnamese order, role, account, several channels (the phone's
 * E.164 form previewed as typed), consent flags. Before saving, each email and phone is looked up and a
 * contact already holding it is shown as a possible duplicate.
 */
export function ContactFormDialog(props: {
  open: boolean;
  onClose: () => void;
  contact?: Contact;
  initial?: { accountId?: string };
  onSaved?: (contact: Contact) => void;
}) {
  const { t } = useTranslation('contacts');
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={props.contact ? t('form.editTitle') : t('form.newTitle')}
      wide
    >
      <ContactForm
        contact={props.contact}
        initial={props.initial}
        onDone={props.onClose}
        onSaved={props.onSaved}
      />
    </Dialog>
  );
}

function ContactForm(props: {
  contact?: Contact;
  initial?: { accountId?: string };
  onDone: () => void;
  onSaved?: (contact: Contact) => void;
}) {
  const { t } = useTranslation('contacts');
  const qc = useQueryClient();
  const c = props.contact;
  const descId = useId();
  const [lastName, setLastName] = useState(c?.last_name ?? '');
  const [firstName, setFirstName] = useState(c?.first_name ?? '');
  const [displayName, setDisplayName] = useState(c?.display_name ?? '');
  const [callName, setCallName] = useState(c?.call_name ?? '');
  const [salutation, setSalutation] = useState<SalutationValue | ''>(
    c && c.salutation_source === 'manual' && c.salutation ? c.salutation : '',
  );
  const [gender, setGender] = useState<'male' | 'female' | ''>(c?.gender ?? '');
  const [title, setTitle] = useState(c?.title ?? '');
  const [role, setRole] = useState<BuyingRole | ''>(c?.buying_role ?? '');
  const [emailOptIn, setEmailOptIn] = useState(c?.email_opt_in ?? false);
  const [doNotCall, setDoNotCall] = useState(c?.do_not_call ?? false);
  const [description, setDescription] = useState(c?.description ?? '');
  const [tags, setTags] = useState<string[]>(c?.tags ?? []);
  const [channels, setChannels] = useState<ChannelDraft[]>(() =>
    c && c.channels.length > 0
      ? c.channels.map((ch) => ({
          key: nextKey++,
          kind: ch.kind,
          value: ch.raw_value || ch.value,
          label: ch.label ?? '',
          is_primary: ch.is_primary,
        }))
      : [
          { key: nextKey++, kind: 'email', value: '', label: '', is_primary: true },
          { key: nextKey++, kind: 'phone', value: '', label: '', is_primary: true },
        ],
  );
  const accountId = c?.account_id ?? props.initial?.accountId ?? null;
  const [account, setAccount] = useState<Picked | null>(null);
  const accountName = useQuery({
    queryKey: ['account', accountId, 'basic'],
    queryFn: () => call(getCrmV1AccountsById({ path: { id: accountId as string } })),
    enabled: accountId !== null,
    meta: { silent: true },
  });
  // The linked account is shown by name once it is known.
  const [accountTouched, setAccountTouched] = useState(false);
  useEffect(() => {
    if (!accountTouched && accountId && accountName.data)
      setAccount({ id: accountId, label: accountName.data.name });
  }, [accountTouched, accountId, accountName.data]);
  const [errors, setErrors] = useState<Record<string, string>>({});

  const setChannel = (key: number, patch: Partial<ChannelDraft>) =>
    setChannels((list) => list.map((x) => (x.key === key ? { ...x, ...patch } : x)));

  const save = useMutation({
    mutationFn: (body: ContactBody) =>
      c
        ? call(patchCrmV1ContactsById({ path: { id: c.id }, body: { ...body, version: c.version } }))
        : call(postCrmV1Contacts({ body })),
    meta: { silent: true },
    onSuccess: (saved) => {
      toast.success(c ? t('form.saved') : t('form.created'));
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      void qc.invalidateQueries({ queryKey: ['contact', saved.id] });
      if (saved.account_id) void qc.invalidateQueries({ queryKey: ['account', saved.account_id] });
      if (c?.account_id && c.account_id !== saved.account_id)
        void qc.invalidateQueries({ queryKey: ['account', c.account_id] });
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
    if (!lastName.trim() && !firstName.trim() && !displayName.trim()) {
      setErrors({ last_name: t('form.nameRequired') });
      return;
    }
    setErrors({});
    const kept = channels.filter((x) => x.value.trim() !== '');
    save.mutate({
      last_name: orNull(lastName),
      first_name: orNull(firstName),
      display_name: orNull(displayName),
      call_name: orNull(callName),
      salutation: salutation || null,
      gender: gender || null,
      title: orNull(title),
      buying_role: role || null,
      account_id: account?.id ?? null,
      email_opt_in: emailOptIn,
      do_not_call: doNotCall,
      description: orNull(description),
      tags,
      channels: kept.map((x) => ({
        kind: x.kind,
        value: x.value.trim(),
        label: orNull(x.label),
        is_primary: x.is_primary,
      })),
    });
  };
  // Server paths index the channels that were sent (empty rows are dropped before sending).
  const sentIndex = new Map(channels.filter((x) => x.value.trim() !== '').map((x, i) => [x.key, i] as const));
  const err = (k: string) => errors[k];

  return (
    <form className="stack" onSubmit={submit} data-testid="contact-form" noValidate>
      <p className="muted small">{t('form.nameOrderHint')}</p>
      <div className="form-grid">
        <Field
          label={t('field.lastName')}
          name="last_name"
          value={lastName}
          maxLength={NAME_MAX}
          onChange={(e) => setLastName(e.target.value)}
          error={err('last_name')}
          autoFocus
        />
        <Field
          label={t('field.firstName')}
          name="first_name"
          value={firstName}
          maxLength={NAME_MAX}
          onChange={(e) => setFirstName(e.target.value)}
          error={err('first_name')}
        />
        <Field
          label={t('field.displayName')}
          name="display_name"
          value={displayName}
          maxLength={LIMITS.name}
          onChange={(e) => setDisplayName(e.target.value)}
          error={err('display_name')}
          hint={t('form.displayNameHint')}
        />
        <Field
          label={t('field.callName')}
          name="call_name"
          value={callName}
          maxLength={NAME_MAX}
          onChange={(e) => setCallName(e.target.value)}
          error={err('call_name')}
          hint={t('form.callNameHint')}
        />
        <SelectField
          label={t('field.salutation')}
          value={salutation}
          onChange={(e) => setSalutation(e.target.value as SalutationValue | '')}
          error={err('salutation')}
        >
          <option value="">{t('salutation.auto')}</option>
          {SALUTATIONS.map((s) => (
            <option key={s} value={s}>
              {t(`salutation.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.gender')}
          value={gender}
          onChange={(e) => setGender(e.target.value as 'male' | 'female' | '')}
          error={err('gender')}
        >
          <option value="">{t('gender.unknown')}</option>
          <option value="female">{t('gender.female')}</option>
          <option value="male">{t('gender.male')}</option>
        </SelectField>
        <Field
          label={t('field.title')}
          name="title"
          value={title}
          maxLength={LIMITS.shortText}
          onChange={(e) => setTitle(e.target.value)}
          error={err('title')}
        />
        <SelectField
          label={t('field.buyingRole')}
          value={role}
          onChange={(e) => setRole(e.target.value as BuyingRole | '')}
          error={err('buying_role')}
        >
          <option value="">—</option>
          {BUYING_ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </SelectField>
        <EntityPicker
          type="accounts"
          label={t('field.account')}
          value={account}
          onChange={(v) => {
            setAccountTouched(true);
            setAccount(v);
          }}
          error={err('account_id')}
        />
      </div>

      <fieldset className="channel-set">
        <legend>{t('field.channels')}</legend>
        {channels.map((ch, i) => {
          const n = i + 1;
          const sent = sentIndex.get(ch.key);
          const valueError = sent !== undefined ? err(`channels.${sent}.value`) : undefined;
          const phone = ch.kind === 'phone' && ch.value.trim() ? previewPhone(ch.value) : null;
          return (
            <div key={ch.key} className="channel-row">
              <div className="channel-fields">
                <SelectField
                  label={t('form.channelKind', { n })}
                  value={ch.kind}
                  onChange={(e) => setChannel(ch.key, { kind: e.target.value as ChannelKind })}
                >
                  {CHANNEL_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {t(`channel.kind.${k}`)}
                    </option>
                  ))}
                </SelectField>
                <Field
                  label={t('form.channelValue', { n })}
                  value={ch.value}
                  maxLength={320}
                  type={ch.kind === 'email' ? 'email' : ch.kind === 'phone' ? 'tel' : 'text'}
                  onChange={(e) => setChannel(ch.key, { value: e.target.value })}
                  error={valueError}
                  hint={
                    phone ? (
                      phone.ok ? (
                        <span data-testid="e164-preview">{t('form.e164', { value: phone.e164 })}</span>
                      ) : (
                        <span className="warn-text">{t('form.invalidPhone')}</span>
                      )
                    ) : undefined
                  }
                />
                <Field
                  label={t('form.channelLabel', { n })}
                  value={ch.label}
                  maxLength={50}
                  onChange={(e) => setChannel(ch.key, { label: e.target.value })}
                />
                <label className="check">
                  <input
                    type="checkbox"
                    checked={ch.is_primary}
                    onChange={(e) => setChannel(ch.key, { is_primary: e.target.checked })}
                  />
                  {t('form.channelPrimary')}
                </label>
                <button
                  type="button"
                  className="btn btn-ghost btn-small"
                  onClick={() => setChannels((list) => list.filter((x) => x.key !== ch.key))}
                >
                  {t('form.removeChannel', { n })}
                </button>
              </div>
              {(ch.kind === 'email' || ch.kind === 'phone') && (
                <DuplicateHint kind={ch.kind} value={ch.value} selfId={c?.id} />
              )}
            </div>
          );
        })}
        {channels.length < MAX_CHANNELS && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() =>
              setChannels((list) => [
                ...list,
                { key: nextKey++, kind: 'phone', value: '', label: '', is_primary: false },
              ])
            }
          >
            {t('form.addChannel')}
          </button>
        )}
      </fieldset>

      <fieldset className="channel-set">
        <legend>{t('form.consent')}</legend>
        <label className="check">
          <input type="checkbox" checked={emailOptIn} onChange={(e) => setEmailOptIn(e.target.checked)} />
          {t('field.emailOptIn')}
        </label>
        <label className="check">
          <input type="checkbox" checked={doNotCall} onChange={(e) => setDoNotCall(e.target.checked)} />
          {t('field.doNotCall')}
        </label>
      </fieldset>

      <EntityTagInput
        entity="contact"
        label={t('tags:field')}
        value={tags}
        onChange={setTags}
        error={err('tags') ?? Object.entries(errors).find(([k]) => k.startsWith('tags.'))?.[1]}
        testId="contact-tags"
      />
      <div className="field">
        <label htmlFor={descId}>{t('field.description')}</label>
        <textarea
          id={descId}
          rows={3}
          maxLength={LIMITS.longText}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
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
          data-testid="contact-form-submit"
        >
          {t('form.submit')}
        </button>
      </div>
    </form>
  );
}

/**
 * Looks the typed email or phone up (GET /contacts?channel=, which normalizes the value the same way
 * as saving does) and names a contact that already has it.
 */
function DuplicateHint(props: { kind: 'email' | 'phone'; value: string; selfId?: string }) {
  const { t } = useTranslation('contacts');
  const [value, setValue] = useState('');
  useEffect(() => {
    const h = setTimeout(() => setValue(props.value.trim()), 500);
    return () => clearTimeout(h);
  }, [props.value]);
  const plausible =
    props.kind === 'email' ? /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value) : previewPhone(value).ok;
  const q = useQuery({
    queryKey: ['contacts', { channel: value }],
    queryFn: () => call(getCrmV1Contacts({ query: { channel: value, limit: 3 } })),
    enabled: plausible,
    staleTime: 30_000,
    meta: { silent: true },
  });
  const others = (q.data?.data ?? []).filter((x) => x.id !== props.selfId);
  if (!plausible || others.length === 0) return null;
  return (
    <div className="alert alert-warning small" role="status" data-testid="duplicate-warning">
      {t('form.duplicate')}{' '}
      {others.map((o, i) => (
        <span key={o.id}>
          {i > 0 && ', '}
          <Link to={`/contacts/${o.id}`} target="_blank" rel="noopener">
            {o.display_name}
          </Link>
        </span>
      ))}
    </div>
  );
}
