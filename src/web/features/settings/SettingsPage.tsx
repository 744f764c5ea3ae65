import { useTranslation } from 'react-i18next';
import { Navigate, NavLink, useParams } from 'react-router';
import { ApiKeysSection } from './ApiKeysSection.js';
import { AutomationSection } from './automation/AutomationSection.js';
import { MembersSection } from './MembersSection.js';
import { PipelinesSection } from './PipelinesSection.js';
import { WorkspaceSection } from './WorkspaceSection.js';
import './settings.css';

/** Settings: one page, a section per path segment (/settings/pipelines, /members, /api-keys, /workspace). */
const SECTIONS = [
  { path: 'pipelines', key: 'nav.pipelines', Component: PipelinesSection },
  { path: 'members', key: 'nav.members', Component: MembersSection },
  { path: 'api-keys', key: 'nav.apiKeys', Component: ApiKeysSection },
  { path: 'workspace', key: 'nav.workspace', Component: WorkspaceSection },
  { path: 'automation', key: 'nav.automation', Component: AutomationSection },
] as const;

export default function SettingsPage() {
  const { t } = useTranslation('settings');
  const { section } = useParams();
  if (!section) return <Navigate to="/settings/pipelines" replace />;
  const current = SECTIONS.find((s) => s.path === section);
  return (
    <section className="page settings">
      <header className="page-header">
        <h1>{t('title')}</h1>
      </header>
      <div className="settings-layout">
        <nav className="settings-nav" aria-label={t('nav.label')} data-testid="settings-nav">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.path}>
                <NavLink
                  to={`/settings/${s.path}`}
                  className={({ isActive }) => (isActive ? 'settings-link active' : 'settings-link')}
                >
                  {t(s.key)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings-body">
          {current ? <current.Component /> : <p className="muted">{t('unknownSection')}</p>}
        </div>
      </div>
    </section>
  );
}
