import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import {
  getCrmV1AccountsById,
  postCrmV1AccountsByIdValidateMst,
  postCrmV1Activities,
} from '../../../shared/api-client/sdk.gen.js';
import type { MoneyTotal } from '../../../shared/api-client/types.gen.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { TagChips } from '../../ui/TagChips.js';
import { toast } from '../../ui/toast.js';
import { LogActivityDialog } from '../activities/LogActivityDialog.js';
import { useMembers } from '../activities/members.js';
import { Timeline } from '../activities/Timeline.js';
import { ContactDrawer } from '../contacts/ContactDrawer.js';
import { ContactFormDialog } from '../contacts/ContactFormDialog.js';
import { DealFormDialog } from '../deals/DealFormDialog.js';
import { AccountFormDialog } from './AccountFormDialog.js';
import { MstBadge } from './MstBadge.js';
import './accounts.css';

const INCLUDE = 'contacts,deals,activities,stats';

/**
 * Account 360: the account with its contacts, open deals, latest activity and pipeline stats in one
 * round trip (`include=`), the full timeline below with a quick note box, and the edit, new deal and log
 * activity actions.
 */
export default function AccountPage() {
  const { accountId = '' } = useParams();
  const { t, i18n } = useTranslation('accounts');
  const fmt = useFormat();
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { byId } = useMembers();
  const [editing, setEditing] = useState(false);
  const [newDeal, setNewDeal] = useState(false);
  const [logging, setLogging] = useState(false);
  const [contactId, setContactId] = useState<string | null>(null);
  const [newContact, setNewContact] = useState(false);
  const q = useQuery({
    queryKey: ['account', accountId],
    queryFn: () => call(getCrmV1AccountsById({ path: { id: accountId }, query: { include: INCLUDE } })),
    enabled: accountId !== '',
  });
  const recheck = useMutation({
    mutationFn: () => call(postCrmV1AccountsByIdValidateMst({ path: { id: accountId } })),
    onSuccess: () => {
      toast.success(t('mst.rechecked'));
      void qc.invalidateQueries({ queryKey: ['account', accountId] });
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });

  if (q.isLoading) return <div className="page-loading" aria-busy="true" />;
  if (q.isError || !q.data)
    return (
      <section className="page">
        <div className="alert alert-error" role="alert">
          {t('common:state.error')} <Link to="/accounts">{t('account.back')}</Link>
        </div>
      </section>
    );
  const a = q.data;
  const s = a.stats;
  const stageName = (st: { name_vi: string; name_en: string }) =>
    i18n.language === 'vi' ? st.name_vi : st.name_en;
  const canEdit = a.abilities.includes('update');

  return (
    <section className="page account-page" data-testid="account-page" aria-labelledby="account-title">
      <nav className="small" aria-label={t('account.breadcrumb')}>
        <Link to="/accounts">{t('page.title')}</Link>
      </nav>
      <header className="page-header row">
        <div>
          <h1 id="account-title">{a.name}</h1>
          <div className="row small">
            <span className="badge">{t(`legalType.${a.legal_type}`)}</span>
            <span className="badge">{t(`lifecycle.${a.lifecycle}`)}</span>
            <MstBadge status={a.mst_status} mst={a.vn_mst} checkedAt={a.mst_checked_at} />
            {a.vn_mst && canEdit && (
              <button
                type="button"
                className="btn btn-ghost btn-small"
                disabled={recheck.isPending}
                onClick={() => recheck.mutate()}
              >
                {t('mst.recheck')}
              </button>
            )}
          </div>
          {a.tags.length > 0 && (
            <div className="row small" data-testid="account-tags">
              <TagChips tags={a.tags} />
            </div>
          )}
        </div>
        <span className="spacer" />
        <div className="row">
          {canEdit && (
            <button type="button" className="btn" onClick={() => setEditing(true)}>
              {t('common:action.edit')}
            </button>
          )}
          <button type="button" className="btn" onClick={() => setLogging(true)}>
            {t('account.logActivity')}
          </button>
          {can(me, 'crm.deal.create') && (
            <button type="button" className="btn btn-primary" onClick={() => setNewDeal(true)}>
              {t('account.newDeal')}
            </button>
          )}
        </div>
      </header>

      {a.warnings && a.warnings.length > 0 && (
        <div className="alert alert-warning" role="status">
          {a.warnings.map((w) => (
            <div key={`${w.code}-${w.field}`}>{w.message}</div>
          ))}
        </div>
      )}

      {s && (
        <ul className="stat-grid" aria-label={t('stats.title')}>
          <Stat label={t('stats.openPipeline')} value={<Money total={s.open_pipeline_value} />} />
          <Stat label={t('stats.weighted')} value={<Money total={s.weighted_pipeline_value} />} />
          <Stat label={t('stats.won')} value={<Money total={s.won_value} />} />
          <Stat label={t('stats.openDeals')} value={fmt.number(s.open_deals_count)} />
          <Stat label={t('stats.wonDeals')} value={fmt.number(s.won_deals_count)} />
          <Stat label={t('stats.contacts')} value={fmt.number(s.contacts_count)} />
          <Stat
            label={t('stats.lastContact')}
            value={
              s.last_contact_at ? (
                <time dateTime={s.last_contact_at} title={fmt.dateTime(s.last_contact_at)}>
                  {fmt.relative(s.last_contact_at)}
                </time>
              ) : (
                '—'
              )
            }
          />
        </ul>
      )}

      <div className="account-grid">
        <div className="stack">
          <section className="card" aria-labelledby="acc-overview">
            <h2 id="acc-overview">{t('account.overview')}</h2>
            <dl className="details">
              <Row k={t('field.owner')}>
                {a.owner_id ? (byId.get(a.owner_id)?.display_name ?? '…') : t('owner.none')}
              </Row>
              <Row k={t('field.industry')}>{a.industry ?? '—'}</Row>
              <Row k={t('field.country')}>{a.country ?? '—'}</Row>
              <Row k={t('field.website')}>
                {a.website ? (
                  <a href={a.website} target="_blank" rel="noreferrer noopener">
                    {a.website}
                  </a>
                ) : (
                  '—'
                )}
              </Row>
              <Row k={t('field.domains')}>{a.domains.length ? a.domains.join(', ') : '—'}</Row>
              <Row k={t('field.phone')}>{a.phone ? <a href={`tel:${a.phone}`}>{a.phone}</a> : '—'}</Row>
              <Row k={t('field.email')}>{a.email ? <a href={`mailto:${a.email}`}>{a.email}</a> : '—'}</Row>
              {a.addresses.map((ad, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: addresses have no id and keep their order
                <Row key={i} k={t(`addressKind.${ad.kind}`)}>
                  {[ad.street, ad.ward, ad.district, ad.province, ad.country]
                    .filter((x): x is string => typeof x === 'string' && x !== '')
                    .join(', ')}
                </Row>
              ))}
              {a.description && (
                <Row k={t('field.description')}>
                  <span className="pre">{a.description}</span>
                </Row>
              )}
            </dl>
          </section>

          <section className="card" aria-labelledby="acc-contacts">
            <h2 id="acc-contacts">
              {t('account.contacts')}{' '}
              {s && <span className="muted small">({fmt.number(s.contacts_count)})</span>}
            </h2>
            {can(me, 'crm.contact.create') && (
              <button type="button" className="btn btn-small" onClick={() => setNewContact(true)}>
                {t('account.newContact')}
              </button>
            )}
            {(a.contacts ?? []).length === 0 ? (
              <p className="muted">{t('account.noContacts')}</p>
            ) : (
              <ul className="plain-list" data-testid="account-contacts">
                {(a.contacts ?? []).map((c) => (
                  <li key={c.id} className="account-contact">
                    <button type="button" className="link-btn" onClick={() => setContactId(c.id)}>
                      {c.display_name}
                    </button>
                    {c.is_primary && <span className="badge badge-success">{t('account.primary')}</span>}
                    <div className="muted small">
                      {[c.title, c.email, c.phone].filter(Boolean).join(' · ') || '—'}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="acc-deals">
            <h2 id="acc-deals">{t('account.deals')}</h2>
            {(a.deals ?? []).length === 0 ? (
              <p className="muted">{t('account.noDeals')}</p>
            ) : (
              <ul className="plain-list" data-testid="account-deals">
                {(a.deals ?? []).map((d) => (
                  <li key={d.id} className="account-deal">
                    <Link to={`/deals/${d.id}`}>{d.name}</Link>
                    <div className="muted small">
                      {fmt.money(d.amount_minor, d.currency)} · {stageName(d.stage)} · {d.probability}%
                      {d.expected_close_date && <> · {fmt.date(d.expected_close_date)}</>}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>

        <div className="stack">
          <section className="card" aria-labelledby="acc-notes">
            <h2 id="acc-notes">{t('account.notes')}</h2>
            <QuickNote accountId={a.id} />
          </section>
          <section className="card" aria-labelledby="acc-timeline">
            <h2 id="acc-timeline">{t('account.timeline')}</h2>
            <Timeline subject={{ kind: 'account', id: a.id }} />
          </section>
        </div>
      </div>

      <AccountFormDialog open={editing} onClose={() => setEditing(false)} account={a} />
      <LogActivityDialog
        open={logging}
        onClose={() => setLogging(false)}
        subject={{ kind: 'account', id: a.id }}
      />
      <DealFormDialog
        open={newDeal}
        onClose={() => setNewDeal(false)}
        initial={{ accountId: a.id }}
        onSaved={(deal) => {
          void qc.invalidateQueries({ queryKey: ['account', a.id] });
          navigate(`/deals/${deal.id}`);
        }}
      />
      <ContactFormDialog
        open={newContact}
        onClose={() => setNewContact(false)}
        initial={{ accountId: a.id }}
        onSaved={(c) => setContactId(c.id)}
      />
      <ContactDrawer contactId={contactId} onClose={() => setContactId(null)} />
    </section>
  );
}

function Stat(props: { label: string; value: ReactNode }) {
  return (
    <li className="card stat">
      <span className="muted small">{props.label}</span>
      <strong className="stat-value">{props.value}</strong>
    </li>
  );
}

function Row(props: { k: string; children: ReactNode }) {
  return (
    <div className="details-row">
      <dt>{props.k}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** A base-currency total; the per-currency amounts it was converted from are in the title. */
function Money(props: { total: MoneyTotal }) {
  const { t } = useTranslation('accounts');
  const fmt = useFormat();
  const m = props.total;
  const parts = m.breakdown.map((b) => fmt.money(b.amount_minor, b.currency));
  const title =
    m.missing_rates.length > 0
      ? t('stats.missingRates', { currencies: m.missing_rates.join(', ') })
      : parts.length > 1
        ? parts.join(' + ')
        : undefined;
  return <span title={title}>{fmt.money(m.amount_minor, m.currency)}</span>;
}

/** Notes are activities of kind `note`: the first line is the subject, the whole text the body. */
function QuickNote(props: { accountId: string }) {
  const { t } = useTranslation('accounts');
  const qc = useQueryClient();
  const id = useId();
  const [text, setText] = useState('');
  const add = useMutation({
    mutationFn: (body: string) => {
      const first = body.trim().split('\n')[0]?.trim() ?? '';
      const subject = first.length > 120 ? `${first.slice(0, 119)}…` : first;
      return call(
        postCrmV1Activities({
          body: { kind: 'note', subject, body_markdown: body, account_id: props.accountId },
        }),
      );
    },
    onSuccess: () => {
      setText('');
      toast.success(t('account.noteAdded'));
      void qc.invalidateQueries({ queryKey: ['timeline', 'account', props.accountId] });
      void qc.invalidateQueries({ queryKey: ['account', props.accountId] });
      void qc.invalidateQueries({ queryKey: ['activities'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) add.mutate(text);
  };
  return (
    <form className="stack quick-note" onSubmit={submit} data-testid="quick-note">
      <label htmlFor={id} className="sr-only">
        {t('account.noteLabel')}
      </label>
      <textarea
        id={id}
        rows={3}
        value={text}
        maxLength={100_000}
        placeholder={t('account.notePlaceholder')}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
        }}
      />
      <div className="row">
        <span className="muted small">{t('account.noteHint')}</span>
        <span className="spacer" />
        <button type="submit" className="btn btn-primary btn-small" disabled={!text.trim() || add.isPending}>
          {t('account.addNote')}
        </button>
      </div>
    </form>
  );
}
