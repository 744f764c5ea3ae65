import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { LIMITS } from '../../../shared/limits.js';
import { sessionStore } from '../../app/session.js';
import { ApiError } from '../../lib/api.js';
import { Field } from '../../ui/Field.js';
import { AuthLayout } from './AuthLayout.js';

/** Sign-up creates a workspace with its owner as admin; limits are the API's own (src/shared/limits.ts). */
export function SignupPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await sessionStore.getState().signup({
        workspace_name: String(form.get('workspace_name')),
        display_name: String(form.get('display_name')),
        email: String(form.get('email')),
        password: String(form.get('password')),
        locale: i18n.language === 'en' ? 'en' : 'vi',
      });
      navigate('/dashboard', { replace: true });
    } catch (err) {
      if (err instanceof ApiError) {
        setError(err.message);
        setFields(err.fieldErrors());
      } else setError(t('auth.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout title={t('auth.signupTitle')}>
      <form onSubmit={submit} className="stack" noValidate>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <Field
          label={t('auth.workspaceName')}
          name="workspace_name"
          required
          maxLength={LIMITS.name}
          error={fields.workspace_name}
        />
        <Field
          label={t('auth.displayName')}
          name="display_name"
          autoComplete="name"
          required
          maxLength={LIMITS.name}
          error={fields.display_name}
        />
        <Field
          label={t('auth.email')}
          name="email"
          type="email"
          autoComplete="email"
          required
          maxLength={LIMITS.email}
          error={fields.email}
        />
        <Field
          label={t('auth.password')}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={LIMITS.password.min}
          maxLength={LIMITS.password.max}
          hint={t('auth.passwordHint', { min: LIMITS.password.min })}
          error={fields.password}
        />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t('auth.signup')}
        </button>
        <p className="muted">
          {t('auth.haveAccount')} <Link to="/login">{t('auth.login')}</Link>
        </p>
      </form>
    </AuthLayout>
  );
}
