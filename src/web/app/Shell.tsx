import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { CommandPalette, usePalette } from '../features/search/CommandPalette.js';
import { LANGUAGES } from '../i18n/index.js';
import { realtime, useRealtimeStatus } from '../lib/realtime.js';
import { toast } from '../ui/toast.js';
import { queryClient } from './App.js';
import { useMe, useSession } from './session.js';

/** Sidebar entries mirror the server modules; later modules add theirs here. */
const NAV = [
  { to: '/dashboard', key: 'nav.dashboard', icon: '◧' },
  { to: '/leads', key: 'nav.leads', icon: '◎' },
  { to: '/pipeline', key: 'nav.pipeline', icon: '▥' },
  { to: '/deals', key: 'nav.deals', icon: '◈' },
  { to: '/accounts', key: 'nav.accounts', icon: '▦' },
  { to: '/contacts', key: 'nav.contacts', icon: '◉' },
  { to: '/activities', key: 'nav.activities', icon: '☰' },
  { to: '/settings', key: 'nav.settings', icon: '⚙' },
] as const;

export function Shell() {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const logout = useSession((s) => s.logout);
  const switchWorkspace = useSession((s) => s.switchWorkspace);
  const live = useRealtimeStatus((s) => s.status);
  const palette = usePalette();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    realtime.start();
    return () => realtime.stop();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setMenuOpen(false);
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        palette.toggle();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [palette]);

  const onSwitch = async (id: string) => {
    try {
      await switchWorkspace(id);
      queryClient.clear();
      navigate('/dashboard');
    } catch (error) {
      toast.error(error);
    }
  };

  return (
    <div className={menuOpen ? 'shell menu-open' : 'shell'}>
      <a href="#main" className="skip-link">
        {t('shell.skip')}
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span aria-hidden="true">◆</span> CyberOS CRM
          <button
            type="button"
            className="icon-btn sidebar-close"
            aria-label={t('action.close')}
            onClick={() => setMenuOpen(false)}
          >
            ×
          </button>
        </div>
        <nav aria-label={t('shell.navigation')}>
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <NavLink
                  to={n.to}
                  onClick={() => setMenuOpen(false)}
                  className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}
                >
                  <span aria-hidden="true" className="nav-icon">
                    {n.icon}
                  </span>
                  {t(n.key)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <div className="main-col">
        <header className="topbar">
          <button
            type="button"
            className="icon-btn menu-btn"
            aria-label={t('shell.menu')}
            aria-expanded={menuOpen}
            onClick={() => setMenuOpen((v) => !v)}
          >
            ☰
          </button>
          <button type="button" className="search-btn" onClick={palette.open}>
            <span>{t('shell.search')}</span>
            <kbd>Ctrl K</kbd>
          </button>
          <div className="topbar-end">
            <span className={`live-dot live-${live}`} title={t(`shell.live.${live}`)}>
              <span className="sr-only">{t(`shell.live.${live}`)}</span>
            </span>
            <label className="sr-only" htmlFor="ws-switch">
              {t('shell.workspace')}
            </label>
            <select id="ws-switch" value={me.workspace.id} onChange={(e) => void onSwitch(e.target.value)}>
              {me.workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
            <label className="sr-only" htmlFor="lang-switch">
              {t('shell.language')}
            </label>
            <select
              id="lang-switch"
              value={i18n.language}
              onChange={(e) => void i18n.changeLanguage(e.target.value)}
            >
              {LANGUAGES.map((l) => (
                <option key={l.code} value={l.code}>
                  {l.label}
                </option>
              ))}
            </select>
            <span className="avatar" title={me.user?.display_name ?? ''} aria-hidden="true">
              {initials(me.user?.display_name ?? '?')}
            </span>
            <button type="button" className="btn btn-ghost" onClick={() => void logout()}>
              {t('shell.logout')}
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
      <CommandPalette />
    </div>
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}
