import { useInfiniteQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { getCrmV1Leads } from '../../../shared/api-client/sdk.gen.js';
import type { GetCrmV1LeadsData } from '../../../shared/api-client/types.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { SelectField } from '../../ui/Field.js';
import { useMembers } from '../activities/members.js';
import { LeadDrawer } from './LeadDrawer.js';
import { LeadFormDialog } from './LeadFormDialog.js';
import { LEAD_SOURCES, LEAD_STATUSES, type LeadSource, type LeadStatus, statusBadge } from './types.js';
import '../accounts/accounts.css';
import '../contacts/contacts.css';

type Query = NonNullable<GetCrmV1LeadsData['query']>;

/**
 * Leads list (and /leads/:leadId, which opens the lead's panel over it): status, source and owner
 * filters and the search in the URL, newest first, cursor pages loaded on demand.
 */
export default function LeadsPage() {
  const { t } = useTranslation('leads');
  const me = useMe();
  const fmt = useFormat();
  const navigate = useNavigate();
  const location = useLocation();
  const { leadId = null } = useParams();
  const { byId, members } = useMembers();
  const [params, setParams] = useSearchParams();
  const setParam = useCallback(
    (key: string, value: string | null) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (value) next.set(key, value);
          else next.delete(key);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  const [text, setText] = useState(params.get('q') ?? '');
  useEffect(() => {
    const h = setTimeout(() => {
      if ((params.get('q') ?? '') !== text.trim()) setParam('q', text.trim() || null);
    }, 300);
    return () => clearTimeout(h);
  }, [text, params, setParam]);

  const query = useMemo<Query>(() => {
    const q: Query = { sort: '-created_at' };
    const search = params.get('q');
    if (search) q.q = search;
    const status = params.get('status');
    if (status && (LEAD_STATUSES as readonly string[]).includes(status)) q.status = status as LeadStatus;
    const source = params.get('source');
    if (source && (LEAD_SOURCES as readonly string[]).includes(source)) q.source = source as LeadSource;
    const owner = params.get('owner');
    if (owner) q.owner_id = owner;
    return q;
  }, [params]);

  const list = useInfiniteQuery({
    queryKey: ['leads', query],
    queryFn: ({ pageParam }) =>
      call(
        getCrmV1Leads({
          query: {
            ...query,
            limit: 50,
            ...(pageParam ? { cursor: pageParam } : { include_total: 'true' as const }),
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.page.has_more ? (last.page.next_cursor ?? undefined) : undefined),
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const total = list.data?.pages[0]?.page.total;

  const open = (id: string) => navigate({ pathname: `/leads/${id}`, search: location.search });
  const closeDrawer = () => navigate({ pathname: '/leads', search: location.search });
  const formOpen = params.get('new') === '1';

  return (
    <section className="page" aria-labelledby="leads-title">
      <header className="page-header row">
        <h1 id="leads-title">{t('page.title')}</h1>
        {total !== undefined && <span className="muted">{t('page.total', { count: total })}</span>}
        <span className="spacer" />
        {can(me, 'crm.lead.create') && (
          <button type="button" className="btn btn-primary" onClick={() => setParam('new', '1')}>
            {t('page.new')}
          </button>
        )}
      </header>
      <search className="filters row" aria-label={t('page.filters')}>
        <div className="field">
          <label htmlFor="leads-q">{t('page.search')}</label>
          <input
            id="leads-q"
            type="search"
            value={text}
            maxLength={LIMITS.searchQuery}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <SelectField
          label={t('page.status')}
          value={query.status ?? ''}
          onChange={(e) => setParam('status', e.target.value || null)}
        >
          <option value="">{t('page.statusAll')}</option>
          {LEAD_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('page.source')}
          value={query.source ?? ''}
          onChange={(e) => setParam('source', e.target.value || null)}
        >
          <option value="">{t('page.sourceAll')}</option>
          {LEAD_SOURCES.map((s) => (
            <option key={s} value={s}>
              {t(`source.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('page.owner')}
          value={params.get('owner') ?? ''}
          onChange={(e) => setParam('owner', e.target.value || null)}
        >
          <option value="">{t('page.ownerAll')}</option>
          <option value="me">{t('page.ownerMe')}</option>
          <option value="none">{t('page.ownerNone')}</option>
          {members.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name}
            </option>
          ))}
        </SelectField>
      </search>
      <div className="card table-scroll">
        <table className="table" data-testid="leads-table">
          <thead>
            <tr>
              <th scope="col">{t('field.name')}</th>
              <th scope="col">{t('field.company')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('field.source')}</th>
              <th scope="col">{t('field.score')}</th>
              <th scope="col">{t('field.estimate')}</th>
              <th scope="col">{t('field.owner')}</th>
              <th scope="col">{t('field.created')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="lead-row" aria-current={r.id === leadId ? 'true' : undefined}>
                <td>
                  <Link
                    to={{ pathname: `/leads/${r.id}`, search: location.search }}
                    onClick={(e) => {
                      e.preventDefault();
                      open(r.id);
                    }}
                  >
                    {r.display_name}
                  </Link>
                  {(r.title || r.email) && (
                    <div className="muted small">{[r.title, r.email].filter(Boolean).join(' · ')}</div>
                  )}
                </td>
                <td>{r.company_name ?? '—'}</td>
                <td>
                  <span className={statusBadge(r.status)}>{t(`status.${r.status}`)}</span>
                </td>
                <td>{t(`source.${r.source}`)}</td>
                <td className="num">{r.score}</td>
                <td className="num nowrap">
                  {r.estimated_amount_minor != null ? fmt.money(r.estimated_amount_minor, r.currency) : '—'}
                </td>
                <td>
                  {r.owner_id ? (
                    (byId.get(r.owner_id)?.display_name ?? '…')
                  ) : (
                    <span className="muted">{t('drawer.unassigned')}</span>
                  )}
                </td>
                <td className="nowrap">{fmt.date(r.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.isLoading && <p className="muted table-note">{t('common:state.loading')}</p>}
        {!list.isLoading && rows.length === 0 && <p className="muted table-note">{t('page.empty')}</p>}
        {list.hasNextPage && (
          <p className="table-note">
            <button
              type="button"
              className="btn"
              disabled={list.isFetchingNextPage}
              onClick={() => void list.fetchNextPage()}
            >
              {t('page.more')}
            </button>
          </p>
        )}
      </div>
      <LeadFormDialog
        open={formOpen}
        onClose={() => setParam('new', null)}
        onSaved={(saved) => navigate({ pathname: `/leads/${saved.id}` })}
      />
      <LeadDrawer leadId={leadId} onClose={closeDrawer} />
    </section>
  );
}
