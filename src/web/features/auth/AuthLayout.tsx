import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES } from '../../i18n/index.js';

export function AuthLayout(props: { title: string; children: ReactNode }) {
  const { t, i18n } = useTranslation();
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <div className="brand">
          <span aria-hidden="true">◆</span> CyberOS CRM
        </div>
        <h1>{props.title}</h1>
        {props.children}
        <label className="small muted">
          {t('shell.language')}{' '}
          <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
      </div>
    </main>
  );
}
