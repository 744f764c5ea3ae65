import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import {
  getCrmV1AccountsById,
  getCrmV1Contacts,
  postCrmV1ContactsByIdClaim,
  postCrmV1ContactsByIdRelease,
} from '../../../shared/api-client/sdk.gen.js';
import type { GetCrmV1ContactsData } from '../../../shared/api-client/types.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { SelectField } from '../../ui/Field.js';
import { TagChips } from '../../ui/TagChips.js';
import { BulkStatus, useBulk } from '../accounts/bulk.js';
import { useVirtualTable } from '../accounts/virtual.js';
import { useMembers } from '../activities/members.js';
import { BulkTagDialog } from '../tags/BulkTagDialog.js';
import { EntityTagInput } from '../tags/EntityTagInput.js';
import { ContactDrawer } from './ContactDrawer.js';
import { ContactFormDialog } from './ContactFormDialog.js';
import { BUYING_ROLES, type BuyingRole, type ContactListItem } from './types.js';
import '../accounts/accounts.css';
import './contacts.css';

type Query = NonNullable<GetCrmV1ContactsData['query']>;

/**
 * Contacts list (and /contacts/:contactId, which opens the drawer over it): filters in the URL, cursor
 * pages loaded as the table scrolls, rows virtualized, bulk claim/release one call per contact, four at
 * a time, with a done/failed summary.
 */
export default function ContactsPage() {
  const { t } = useTranslation('contacts');
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const { contactId = null } = useParams();
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
  // `tag` is repeatable in the URL as in the API: every listed tag must match.
  const tagFilter = useMemo(() => params.getAll('tag'), [params]);
  const setTagFilter = (tags: string[]) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        next.delete('tag');
        for (const tag of tags) next.append('tag', tag);
        return next;
      },
      { replace: true },
    );
  const [text, setText] = useState(params.get('q') ?? '');
  useEffect(() => {
    const h = setTimeout(() => {
      if ((params.get('q') ?? '') !== text.trim()) setParam('q', text.trim() || null);
    }, 300);
    return () => clearTimeout(h);
  }, [text, params, setParam]);

  const query = useMemo<Query>(() => {
    const q: Query = { sort: (params.get('sort') as Query['sort']) ?? 'name' };
    const search = params.get('q');
    if (search) q.q = search;
    const owner = params.get('owner');
    if (owner) q.owner_id = owner;
    const role = params.get('role');
    if (role && (BUYING_ROLES as readonly string[]).includes(role)) q.buying_role = role as BuyingRole;
    if (params.get('primary') === '1') q.is_primary = 'true';
    const tags = params.getAll('tag');
    if (tags.length > 0) q.tag = tags;
    return q;
  }, [params]);

  const list = useInfiniteQuery({
    queryKey: ['contacts', query],
    queryFn: ({ pageParam }) =>
      call(
        getCrmV1Contacts({
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

  const scrollRef = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const loadMore = useCallback(() => {
    if (!isFetchingNextPage) void fetchNextPage();
  }, [isFetchingNextPage, fetchNextPage]);
  const virtual = useVirtualTable({
    count: rows.length,
    scrollRef,
    rowHeight: 45,
    hasMore: hasNextPage,
    loadMore,
  });

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const bulk = useBulk();
  const runClaim = async (action: 'claim' | 'release') => {
    // Every selected contact is sent: the server decides (already owned, not yours to release…) and a
    // refusal counts as failed in the summary.
    const chosen = rows.filter((r) => selected.has(r.id));
    const fn = action === 'claim' ? postCrmV1ContactsByIdClaim : postCrmV1ContactsByIdRelease;
    await bulk.run(chosen, (r: ContactListItem) =>
      call(fn({ path: { id: r.id }, body: { version: r.version } })),
    );
    setSelected(new Set());
    void qc.invalidateQueries({ queryKey: ['contacts'] });
    void qc.invalidateQueries({ queryKey: ['contact'] });
  };

  const [tagging, setTagging] = useState(false);

  const open = (id: string) => navigate({ pathname: `/contacts/${id}`, search: location.search });
  const closeDrawer = () => navigate({ pathname: '/contacts', search: location.search });
  const formOpen = params.get('new') === '1';

  return (
    <section className="page" aria-labelledby="contacts-title">
      <header className="page-header row">
        <h1 id="contacts-title">{t('page.title')}</h1>
        {total !== undefined && <span className="muted">{t('page.total', { count: total })}</span>}
        <span className="spacer" />
        {can(me, 'crm.contact.create') && (
          <button type="button" className="btn btn-primary" onClick={() => setParam('new', '1')}>
            {t('page.new')}
          </button>
        )}
      </header>
      <search className="filters row" aria-label={t('page.filters')}>
        <div className="field">
          <label htmlFor="contacts-q">{t('page.search')}</label>
          <input
            id="contacts-q"
            type="search"
            value={text}
            maxLength={LIMITS.searchQuery}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
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
        <SelectField
          label={t('page.role')}
          value={query.buying_role ?? ''}
          onChange={(e) => setParam('role', e.target.value || null)}
        >
          <option value="">{t('page.roleAll')}</option>
          {BUYING_ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </SelectField>
        <label className="check">
          <input
            type="checkbox"
            checked={query.is_primary === 'true'}
            onChange={(e) => setParam('primary', e.target.checked ? '1' : null)}
          />
          {t('page.primaryOnly')}
        </label>
        <div className="tag-filter">
          <EntityTagInput
            entity="contact"
            label={t('tags:filter')}
            value={tagFilter}
            onChange={setTagFilter}
            max={10}
            testId="contacts-tag-filter"
          />
        </div>
      </search>
      {selected.size > 0 || bulk.state.running || bulk.state.finished ? (
        <section className="bulk-bar row" aria-label={t('page.bulk')}>
          {selected.size > 0 && (
            <>
              <strong>{t('page.selected', { count: selected.size })}</strong>
              <button
                type="button"
                className="btn"
                disabled={bulk.state.running}
                onClick={() => void runClaim('claim')}
              >
                {t('claim.claim')}
              </button>
              <button
                type="button"
                className="btn"
                disabled={bulk.state.running}
                onClick={() => void runClaim('release')}
              >
                {t('claim.release')}
              </button>
              <button
                type="button"
                className="btn"
                disabled={bulk.state.running}
                onClick={() => setTagging(true)}
              >
                {t('tags:bulk.action')}
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setSelected(new Set())}>
                {t('page.clear')}
              </button>
            </>
          )}
          <BulkStatus state={bulk.state} />
        </section>
      ) : null}
      <div className="card table-scroll" ref={scrollRef}>
        <table className="table" data-testid="contacts-table" aria-rowcount={total ?? rows.length}>
          <thead>
            <tr>
              <th scope="col" className="col-check">
                <input
                  type="checkbox"
                  aria-label={t('page.selectAll')}
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              </th>
              <th scope="col">{t('field.name')}</th>
              <th scope="col">{t('field.account')}</th>
              <th scope="col">{t('channel.kind.email')}</th>
              <th scope="col">{t('channel.kind.phone')}</th>
              <th scope="col">{t('field.buyingRole')}</th>
              <th scope="col">{t('tags:label')}</th>
              <th scope="col">{t('field.owner')}</th>
            </tr>
          </thead>
          <tbody>
            {virtual.paddingTop > 0 && (
              <tr className="spacer-row">
                <td colSpan={8} style={{ height: virtual.paddingTop }} />
              </tr>
            )}
            {virtual.items.map((v) => {
              const r = rows[v.index];
              if (!r) return null;
              const email = primary(r, 'email');
              const phone = primary(r, 'phone');
              return (
                <tr
                  key={r.id}
                  data-testid="contact-row"
                  data-index={v.index}
                  ref={virtual.measure}
                  aria-current={r.id === contactId ? 'true' : undefined}
                >
                  <td className="col-check">
                    <input
                      type="checkbox"
                      aria-label={t('page.selectRow', { name: r.display_name })}
                      checked={selected.has(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    <Link
                      to={{ pathname: `/contacts/${r.id}`, search: location.search }}
                      onClick={(e) => {
                        e.preventDefault();
                        open(r.id);
                      }}
                    >
                      {r.display_name}
                    </Link>
                    {(r.title || r.salutation_display) && (
                      <div className="muted small">
                        {[r.salutation_display !== r.display_name ? r.salutation_display : null, r.title]
                          .filter(Boolean)
                          .join(' · ')}
                      </div>
                    )}
                  </td>
                  <td>{r.account_id ? <AccountName id={r.account_id} /> : '—'}</td>
                  <td className="nowrap">{email ? <a href={`mailto:${email}`}>{email}</a> : '—'}</td>
                  <td className="nowrap">{phone ? <a href={`tel:${phone}`}>{phone}</a> : '—'}</td>
                  <td>{r.buying_role ? t(`role.${r.buying_role}`) : '—'}</td>
                  <td>
                    <TagChips tags={r.tags} max={3} />
                  </td>
                  <td>
                    {r.owner_id ? (
                      (byId.get(r.owner_id)?.display_name ?? '…')
                    ) : (
                      <span className="muted">{t('claim.pool')}</span>
                    )}
                  </td>
                </tr>
              );
            })}
            {virtual.paddingBottom > 0 && (
              <tr className="spacer-row">
                <td colSpan={8} style={{ height: virtual.paddingBottom }} />
              </tr>
            )}
          </tbody>
        </table>
        {list.isLoading && <p className="muted table-note">{t('common:state.loading')}</p>}
        {!list.isLoading && rows.length === 0 && <p className="muted table-note">{t('page.empty')}</p>}
        {isFetchingNextPage && <p className="muted table-note">{t('common:state.loading')}</p>}
      </div>
      <ContactFormDialog
        open={formOpen}
        onClose={() => setParam('new', null)}
        onSaved={(saved) => navigate({ pathname: `/contacts/${saved.id}` })}
      />
      <ContactDrawer contactId={contactId} onClose={closeDrawer} />
      <BulkTagDialog
        open={tagging}
        entity="contact"
        ids={rows.filter((r) => selected.has(r.id)).map((r) => r.id)}
        onClose={() => setTagging(false)}
        onDone={(result) => {
          bulk.report(result.updated.length, result.failed.length);
          setSelected(new Set());
          void qc.invalidateQueries({ queryKey: ['contacts'] });
          void qc.invalidateQueries({ queryKey: ['contact'] });
        }}
      />
    </section>
  );
}

function primary(c: ContactListItem, kind: 'email' | 'phone'): string | null {
  const list = c.channels.filter((x) => x.kind === kind);
  return (list.find((x) => x.is_primary) ?? list[0])?.value ?? null;
}

/** An account's name, from the per-account cache shared with the drawer and the forms. */
function AccountName(props: { id: string }) {
  const q = useQuery({
    queryKey: ['account', props.id, 'basic'],
    queryFn: () => call(getCrmV1AccountsById({ path: { id: props.id } })),
    staleTime: 5 * 60_000,
    meta: { silent: true },
  });
  return <Link to={`/accounts/${props.id}`}>{q.data?.name ?? '…'}</Link>;
}
