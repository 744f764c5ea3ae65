import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type KeyboardEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  getCrmV1AccountsById,
  getCrmV1ContactsById,
  getCrmV1Deals,
  postCrmV1ContactsByIdClaim,
  postCrmV1ContactsByIdRelease,
} from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { TagChips } from '../../ui/TagChips.js';
import { toast } from '../../ui/toast.js';
import { LogActivityDialog } from '../activities/LogActivityDialog.js';
import { useMembers } from '../activities/members.js';
import { Timeline } from '../activities/Timeline.js';
import { ContactFormDialog } from './ContactFormDialog.js';
import type { Contact, ContactChannel } from './types.js';
import './contacts.css';

const TABS = ['details', 'channels', 'deals', 'timeline'] as const;
type Tab = (typeof TABS)[number];

/**
 * The contact side panel: a modal native <dialog> (focus trapped, Escape closes, background inert) laid
 * out as a drawer on the inline-end side, with tabs for details, channels, deals and timeline.
 */
export function ContactDrawer(props: { contactId: string | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useTranslation('contacts');
  const open = props.contactId !== null;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    // Escape is the keyboard way out (the dialog's cancel event); the backdrop click is for pointers.
    // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard users close with Escape or the close button
    <dialog
      ref={ref}
      className="drawer"
      data-testid="contact-drawer"
      aria-label={t('drawer.title')}
      // React propagates a nested dialog's close/cancel (log activity, edit) through its tree: only the
      // drawer's own events close the drawer.
      onClose={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
      onCancel={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (e.target === ref.current) props.onClose();
      }}
    >
      {props.contactId && (
        <DrawerContent key={props.contactId} id={props.contactId} onClose={props.onClose} />
      )}
    </dialog>
  );
}

function DrawerContent(props: { id: string; onClose: () => void }) {
  const { t } = useTranslation('contacts');
  const [tab, setTab] = useState<Tab>('details');
  const [logging, setLogging] = useState(false);
  const [editing, setEditing] = useState(false);
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['contact', props.id],
    queryFn: () => call(getCrmV1ContactsById({ path: { id: props.id } })),
  });
  const c = q.data;
  const claim = useMutation({
    mutationFn: (action: 'claim' | 'release') =>
      call(
        (action === 'claim' ? postCrmV1ContactsByIdClaim : postCrmV1ContactsByIdRelease)({
          path: { id: props.id },
          body: { version: c?.version },
        }),
      ),
    onSuccess: (_r, action) => {
      toast.success(action === 'claim' ? t('claim.claimed') : t('claim.released'));
      void qc.invalidateQueries({ queryKey: ['contact', props.id] });
      void qc.invalidateQueries({ queryKey: ['contacts'] });
      void qc.invalidateQueries({ queryKey: ['timeline', 'contact', props.id] });
    },
  });

  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    let next: number | null = null;
    const rtl = document.documentElement.dir === 'rtl';
    if (e.key === (rtl ? 'ArrowLeft' : 'ArrowRight')) next = (i + 1) % TABS.length;
    if (e.key === (rtl ? 'ArrowRight' : 'ArrowLeft')) next = (i - 1 + TABS.length) % TABS.length;
    if (e.key === 'Home') next = 0;
    if (e.key === 'End') next = TABS.length - 1;
    if (next === null) return;
    e.preventDefault();
    const k = TABS[next] as Tab;
    setTab(k);
    tabRefs.current[k]?.focus();
  };

  return (
    <div className="drawer-inner">
      <header className="drawer-header">
        <div className="drawer-title">
          <h2>{c ? c.display_name : t('common:state.loading')}</h2>
          {c && <Greeting contact={c} />}
        </div>
        <button
          type="button"
          className="icon-btn"
          aria-label={t('common:action.close')}
          onClick={props.onClose}
        >
          ×
        </button>
      </header>
      {q.isError && (
        <div className="alert alert-error" role="alert">
          {t('common:state.error')}
        </div>
      )}
      {c && (
        <>
          <div className="row drawer-actions">
            {c.abilities.includes('update') && (
              <button type="button" className="btn" onClick={() => setEditing(true)}>
                {t('common:action.edit')}
              </button>
            )}
            {c.abilities.includes('claim') && (
              <button
                type="button"
                className="btn"
                disabled={claim.isPending}
                onClick={() => claim.mutate('claim')}
              >
                {t('claim.claim')}
              </button>
            )}
            {c.abilities.includes('release') && (
              <button
                type="button"
                className="btn"
                disabled={claim.isPending}
                onClick={() => claim.mutate('release')}
              >
                {t('claim.release')}
              </button>
            )}
            <button type="button" className="btn btn-primary" onClick={() => setLogging(true)}>
              {t('drawer.logActivity')}
            </button>
          </div>
          <div role="tablist" aria-label={t('drawer.sections')} className="tabs" onKeyDown={onTabKey}>
            {TABS.map((k) => (
              <button
                key={k}
                ref={(el) => {
                  tabRefs.current[k] = el;
                }}
                type="button"
                role="tab"
                id={`contact-tab-${k}`}
                aria-selected={tab === k}
                aria-controls={`contact-panel-${k}`}
                tabIndex={tab === k ? 0 : -1}
                className={tab === k ? 'tab active' : 'tab'}
                onClick={() => setTab(k)}
              >
                {t(`drawer.tab.${k}`)}
              </button>
            ))}
          </div>
          <div
            role="tabpanel"
            id={`contact-panel-${tab}`}
            aria-labelledby={`contact-tab-${tab}`}
            className="tab-panel"
          >
            {tab === 'details' && <Details contact={c} />}
            {tab === 'channels' && <Channels channels={c.channels} />}
            {tab === 'deals' && <ContactDeals contactId={c.id} />}
            {tab === 'timeline' && <Timeline subject={{ kind: 'contact', id: c.id }} />}
          </div>
          <LogActivityDialog
            open={logging}
            onClose={() => setLogging(false)}
            subject={{ kind: 'contact', id: c.id }}
          />
          <ContactFormDialog open={editing} contact={c} onClose={() => setEditing(false)} />
        </>
      )}
    </div>
  );
}

/** "Chị Lan": how to address the person, from the Vietnamese salutation rules of the server. */
function Greeting(props: { contact: Contact }) {
  const { t } = useTranslation('contacts');
  const c = props.contact;
  const parts = [c.title].filter(Boolean);
  return (
    <p className="muted small drawer-sub">
      {c.salutation_display && c.salutation_display !== c.display_name && (
        <span className="salutation" title={t('drawer.salutationHint')}>
          {c.salutation_display}
        </span>
      )}
      {parts.length > 0 && <span> · {parts.join(' · ')}</span>}
    </p>
  );
}

function Details(props: { contact: Contact }) {
  const { t } = useTranslation('contacts');
  const fmt = useFormat();
  const { byId } = useMembers();
  const c = props.contact;
  const account = useQuery({
    queryKey: ['account', c.account_id, 'basic'],
    queryFn: () => call(getCrmV1AccountsById({ path: { id: c.account_id as string } })),
    enabled: c.account_id !== null,
    meta: { silent: true },
  });
  const rows: [string, ReactNode][] = [
    [t('field.salutation'), c.salutation_display || '—'],
    [t('field.firstName'), c.first_name ?? '—'],
    [t('field.lastName'), c.last_name ?? '—'],
    [t('field.title'), c.title ?? '—'],
    [t('field.buyingRole'), c.buying_role ? t(`role.${c.buying_role}`) : '—'],
    [t('tags:label'), c.tags.length > 0 ? <TagChips key="tags" tags={c.tags} /> : '—'],
    [
      t('field.account'),
      c.account_id ? (
        <Link key="a" to={`/accounts/${c.account_id}`}>
          {account.data?.name ?? '…'}
        </Link>
      ) : (
        '—'
      ),
    ],
    [
      t('field.owner'),
      c.owner_id ? (
        (byId.get(c.owner_id)?.display_name ?? '…')
      ) : (
        <span key="p" className="muted">
          {t('claim.pool')}
        </span>
      ),
    ],
    [t('field.emailOptIn'), c.email_opt_in ? t('yes') : t('no')],
    [t('field.doNotCall'), c.do_not_call ? t('yes') : t('no')],
    [t('field.created'), fmt.dateTime(c.created_at)],
  ];
  return (
    <dl className="details">
      {rows.map(([k, v]) => (
        <div key={k} className="details-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
      {c.description && (
        <div className="details-row">
          <dt>{t('field.description')}</dt>
          <dd className="pre">{c.description}</dd>
        </div>
      )}
    </dl>
  );
}

export function channelHref(ch: Pick<ContactChannel, 'kind' | 'value'>): string | null {
  switch (ch.kind) {
    case 'email':
      return `mailto:${ch.value}`;
    case 'phone':
      return `tel:${ch.value}`;
    case 'linkedin':
      return /^https?:\/\//.test(ch.value) ? ch.value : null;
    case 'telegram':
      return `https://t.me/${ch.value.replace(/^@/, '')}`;
    case 'zalo':
      return /^\+?\d+$/.test(ch.value) ? `https://zalo.me/${ch.value.replace(/^\+84/, '0')}` : null;
  }
}

function Channels(props: { channels: ContactChannel[] }) {
  const { t } = useTranslation('contacts');
  if (props.channels.length === 0) return <p className="muted">{t('channel.none')}</p>;
  const copy = async (value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      toast.success(t('channel.copied'));
    } catch {
      toast.info(value);
    }
  };
  return (
    <ul className="channel-list">
      {props.channels.map((ch) => {
        const href = channelHref(ch);
        return (
          <li key={ch.id} className="channel-item">
            <span className="badge">{t(`channel.kind.${ch.kind}`)}</span>
            {href ? (
              <a
                href={href}
                target={ch.kind === 'email' || ch.kind === 'phone' ? undefined : '_blank'}
                rel="noreferrer"
              >
                {ch.value}
              </a>
            ) : (
              <span>{ch.value}</span>
            )}
            {ch.is_primary && <span className="badge badge-success">{t('channel.primary')}</span>}
            {ch.label && <span className="muted small">{ch.label}</span>}
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => void copy(ch.value)}
              aria-label={t('channel.copy', { value: ch.value })}
            >
              {t('channel.copyShort')}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function ContactDeals(props: { contactId: string }) {
  const { t, i18n } = useTranslation('contacts');
  const fmt = useFormat();
  const q = useQuery({
    queryKey: ['deals', { contact_id: props.contactId }],
    queryFn: () => call(getCrmV1Deals({ query: { contact_id: props.contactId, limit: 50 } })),
  });
  if (q.isLoading) return <p className="muted">{t('common:state.loading')}</p>;
  const deals = q.data?.data ?? [];
  if (deals.length === 0) return <p className="muted">{t('drawer.noDeals')}</p>;
  return (
    <ul className="plain-list">
      {deals.map((d) => (
        <li key={d.id} className="row">
          <Link to={`/deals/${d.id}`}>{d.name}</Link>
          <span className="muted small">{fmt.money(d.amount_minor, d.currency)}</span>
          <span className="badge">
            {d.status === 'open'
              ? i18n.language === 'vi'
                ? d.stage.name_vi
                : d.stage.name_en
              : t(`dealStatus.${d.status}`)}
          </span>
        </li>
      ))}
    </ul>
  );
}
