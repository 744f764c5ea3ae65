import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import {
  deleteCrmV1ApiKeysById,
  getCrmV1ApiKeys,
  postCrmV1ApiKeys,
} from '../../../shared/api-client/sdk.gen.js';
import type { GetCrmV1ApiKeysResponses } from '../../../shared/api-client/types.gen.js';
import { SCOPES, type Scope } from '../../../shared/auth.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { CopyButton } from './CopyButton.js';

type ApiKey = GetCrmV1ApiKeysResponses[200]['data'][number];

/**
 * API keys: list, create (the secret is shown once, in a dialog, and never again: the server keeps
 * only its hash), revoke after a confirmation.
 */
export function ApiKeysSection() {
  const { t } = useTranslation('settings');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const manage = can(me, 'crm.apikeys.manage');
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => call(getCrmV1ApiKeys()),
    enabled: manage,
  });
  const [secret, setSecret] = useState<{ name: string; token: string | null } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const creating = params.get('new') === '1';
  const setCreating = (on: boolean) => {
    const next = new URLSearchParams(params);
    if (on) next.set('new', '1');
    else next.delete('new');
    setParams(next, { replace: true });
  };

  const revoke = useMutation({
    mutationFn: (id: string) => call(deleteCrmV1ApiKeysById({ path: { id } })),
    onSuccess: () => {
      toast.success(t('apiKeys.revoked'));
      setRevoking(null);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['api-keys'] }),
  });

  if (!manage) {
    return (
      <div className="stack">
        <h2>{t('apiKeys.title')}</h2>
        <p className="muted">{t('apiKeys.forbidden')}</p>
      </div>
    );
  }

  const list = keys.data?.data ?? [];
  return (
    <div className="stack">
      <div className="row">
        <h2>{t('apiKeys.title')}</h2>
        <span className="spacer" />
        <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
          {t('apiKeys.new')}
        </button>
      </div>
      <p className="muted small">{t('apiKeys.intro')}</p>
      <div className="card table-scroll">
        {keys.isPending ? (
          <p className="muted">{t('common:state.loading')}</p>
        ) : (
          <table className="table" data-testid="api-keys-table">
            <caption className="sr-only">{t('apiKeys.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('apiKeys.name')}</th>
                <th scope="col">{t('apiKeys.scopes')}</th>
                <th scope="col">{t('apiKeys.prefix')}</th>
                <th scope="col">{t('apiKeys.lastUsed')}</th>
                <th scope="col">{t('apiKeys.created')}</th>
                <th scope="col">{t('apiKeys.expires')}</th>
                <th scope="col">
                  <span className="sr-only">{t('apiKeys.revoke')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    {t('apiKeys.empty')}
                  </td>
                </tr>
              )}
              {list.map((k) => (
                <tr key={k.id} className={k.revoked_at ? 'muted' : undefined}>
                  <td>{k.name}</td>
                  <td>
                    <span className="row scope-list">
                      {k.scopes.map((s) => (
                        <span key={s} className="badge">
                          {s}
                        </span>
                      ))}
                    </span>
                  </td>
                  <td>
                    <code>{k.token_prefix}…</code>
                  </td>
                  <td>{k.last_used_at ? fmt.dateTime(k.last_used_at) : t('apiKeys.never')}</td>
                  <td>{fmt.date(k.created_at)}</td>
                  <td>{k.expires_at ? fmt.date(k.expires_at) : t('apiKeys.noExpiry')}</td>
                  <td>
                    {k.revoked_at ? (
                      <span className="badge">
                        {t('apiKeys.revokedOn', { date: fmt.date(k.revoked_at) })}
                      </span>
                    ) : (
                      <button
                        type="button"
                        className="btn"
                        aria-label={t('apiKeys.revokeNamed', { name: k.name })}
                        onClick={() => setRevoking(k)}
                      >
                        {t('apiKeys.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(name, token) => {
            setCreating(false);
            setSecret({ name, token });
            void qc.invalidateQueries({ queryKey: ['api-keys'] });
          }}
        />
      )}
      {secret && (
        <Dialog open title={t('apiKeys.secretTitle', { name: secret.name })} onClose={() => setSecret(null)}>
          <div className="stack">
            <div className="alert alert-warning" role="alert">
              {t('apiKeys.secretWarning')}
            </div>
            {secret.token ? (
              <div className="row">
                <code className="secret" data-testid="api-key-secret">
                  {secret.token}
                </code>
                <CopyButton text={secret.token} />
              </div>
            ) : (
              <p>{t('apiKeys.secretRedacted')}</p>
            )}
            <div className="row settings-actions">
              <button type="button" className="btn btn-primary" onClick={() => setSecret(null)}>
                {t('apiKeys.secretDone')}
              </button>
            </div>
          </div>
        </Dialog>
      )}
      {revoking && (
        <ConfirmDialog
          open
          title={t('apiKeys.revokeTitle', { name: revoking.name })}
          confirmLabel={t('apiKeys.revoke')}
          busy={revoke.isPending}
          onClose={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking.id)}
        >
          <p>{t('apiKeys.revokeText')}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateKeyDialog(props: {
  onClose: () => void;
  onCreated: (name: string, token: string | null) => void;
}) {
  const { t } = useTranslation('settings');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(['crm.read']));
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  const create = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      call(
        postCrmV1ApiKeys({
          body: {
            name: name.trim(),
            scopes: SCOPES.filter((s) => scopes.has(s)),
            // A date picked in the form: the key stops working at the end of that day, local time.
            ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
          },
        }),
      ),
    onSuccess: (r) => props.onCreated(r.api_key.name, r.token || null),
    onError: (e) => {
      if (e instanceof ApiError) {
        setErrors(e.fieldErrors());
        setFormError(e.message);
      } else setFormError(String(e));
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    create.mutate();
  };

  return (
    <Dialog open title={t('apiKeys.new')} onClose={props.onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <Field
          label={t('apiKeys.name')}
          value={name}
          maxLength={LIMITS.name}
          required
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset className="settings-fieldset">
          <legend>{t('apiKeys.scopes')}</legend>
          <div className="settings-checks">
            {SCOPES.map((s) => (
              <label key={s} className="row">
                <input
                  type="checkbox"
                  checked={scopes.has(s)}
                  onChange={(e) => {
                    const next = new Set(scopes);
                    if (e.target.checked) next.add(s);
                    else next.delete(s);
                    setScopes(next);
                  }}
                />
                <code>{s}</code>
                <span className="muted small">{t(`scope.${s.replace(/\./g, '_')}`)}</span>
              </label>
            ))}
          </div>
          {errors.scopes && (
            <div className="field-error" role="alert">
              {errors.scopes}
            </div>
          )}
        </fieldset>
        <Field
          label={t('apiKeys.expiresOptional')}
          type="date"
          min={tomorrow}
          value={expires}
          error={errors.expires_at}
          onChange={(e) => setExpires(e.target.value)}
        />
        {formError && (
          <div className="alert alert-error" role="alert">
            {formError}
          </div>
        )}
        <div className="row settings-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={create.isPending || name.trim() === '' || scopes.size === 0}
          >
            {t('common:action.create')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
