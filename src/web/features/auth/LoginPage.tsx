import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { sessionStore } from '../../app/session.js';
import { ApiError } from '../../lib/api.js';
import { Field } from '../../ui/Field.js';
import { AuthLayout } from './AuthLayout.js';

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await sessionStore.getState().login(String(form.get('email')), String(form.get('password')));
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/login' ? from : '/dashboard', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('auth.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout title={t('auth.loginTitle')}>
      <form onSubmit={submit} className="stack" noValidate>
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <Field label={t('auth.email')} name="email" type="email" autoComplete="username" required />
        <Field
          label={t('auth.password')}
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {t('auth.login')}
        </button>
        <p className="muted">
          {t('auth.noAccount')} <Link to="/signup">{t('auth.signup')}</Link>
        </p>
      </form>
    </AuthLayout>
  );
}
