import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { LIMITS } from '../../../shared/limits.js';
import { sessionStore } from '../../app/session.js';
import { ApiError } from '../../lib/api.js';
import { Field } from '../../ui/Field.js';
import { AuthLayout } from './AuthLayout.js';

/** The link in an invitation: `/invite?token=…` → choose a name and password → signed in. */
export default function AcceptInvitePage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const token = params.get('token') ?? '';

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      await sessionStore.getState().acceptInvitation({
        token,
        display_name: String(form.get('display_name')) || undefined,
        password: String(form.get('password')),
      });
      navigate('/dashboard', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('auth.failed'));
      if (err instanceof ApiError) setFields(err.fieldErrors());
    }
  };

  return (
    <AuthLayout title={t('auth.inviteTitle')}>
      <form onSubmit={submit} className="stack" noValidate>
        {!token && <div className="alert alert-error">{t('auth.inviteMissing')}</div>}
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <Field
          label={t('auth.displayName')}
          name="display_name"
          maxLength={LIMITS.name}
          error={fields.display_name}
        />
        <Field
          label={t('auth.password')}
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={LIMITS.password.min}
          required
          error={fields.password}
        />
        <button className="btn btn-primary" type="submit" disabled={!token}>
          {t('auth.acceptInvite')}
        </button>
      </form>
    </AuthLayout>
  );
}
