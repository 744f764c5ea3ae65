import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { getCrmV1Accounts, patchCrmV1AccountsById } from '../../../shared/api-client/sdk.gen.js';
import type { GetCrmV1AccountsData } from '../../../shared/api-client/types.gen.js';
import { LIMITS } from '../../../shared/limits.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { SelectField } from '../../ui/Field.js';
import { TagChips } from '../../ui/TagChips.js';
import { useMembers } from '../activities/members.js';
import { BulkTagDialog } from '../tags/BulkTagDialog.js';
import { EntityTagInput } from '../tags/EntityTagInput.js';
import { AccountFormDialog } from './AccountFormDialog.js';
import { BulkStatus, useBulk } from './bulk.js';
import { MstBadge } from './MstBadge.js';
import { type AccountListItem, LEGAL_TYPES, type LegalType, LIFECYCLES, type Lifecycle } from './types.js';
import { useVirtualTable } from './virtual.js';
import './accounts.css';

type Query = NonNullable<GetCrmV1AccountsData['query']>;

/**
 * Accounts list: filters in the URL (shareable, back button), cursor pages loaded as the table scrolls,
 * rows virtualized; selection with bulk owner actions (the API has no claim for accounts, so "assign to
 * me" and "release" are owner changes by PATCH, one call per account, four at a time).
 */
export default function AccountsPage() {
  const { t } = useTranslation('accounts');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
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
    const lifecycle = params.get('lifecycle');
    if (lifecycle && (LIFECYCLES as readonly string[]).includes(lifecycle))
      q.lifecycle = lifecycle as Lifecycle;
    const legal = params.get('legal_type');
    if (legal && (LEGAL_TYPES as readonly string[]).includes(legal)) q.legal_type = legal as LegalType;
    const industry = params.get('industry');
    if (industry) q.industry = industry;
    const tags = params.getAll('tag');
    if (tags.length > 0) q.tag = tags;
    return q;
  }, [params]);

  const list = useInfiniteQuery({
    queryKey: ['accounts', query],
    queryFn: ({ pageParam }) =>
      call(
        getCrmV1Accounts({
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
  const [bulkOwner, setBulkOwner] = useState('');
  const setOwner = async (ownerId: string | null) => {
    // Every selected account is sent: the server decides (permissions, a stale version) and a refusal
    // counts as failed in the summary.
    const targets = rows.filter((r) => selected.has(r.id));
    await bulk.run(targets, (r: AccountListItem) =>
      call(patchCrmV1AccountsById({ path: { id: r.id }, body: { owner_id: ownerId, version: r.version } })),
    );
    setSelected(new Set());
    void qc.invalidateQueries({ queryKey: ['accounts'] });
    void qc.invalidateQueries({ queryKey: ['account'] });
  };

  const [tagging, setTagging] = useState(false);

  const formOpen = params.get('new') === '1';
  const canCreate = can(me, 'crm.account.create');
  const myId = me.user?.id ?? null;

  return (
    <section className="page" aria-labelledby="accounts-title">
      <header className="page-header row">
        <h1 id="accounts-title">{t('page.title')}</h1>
        {total !== undefined && <span className="muted">{t('page.total', { count: total })}</span>}
        <span className="spacer" />
        {canCreate && (
          <button type="button" className="btn btn-primary" onClick={() => setParam('new', '1')}>
            {t('page.new')}
          </button>
        )}
      </header>
      <search className="filters row" aria-label={t('page.filters')}>
        <div className="field">
          <label htmlFor="accounts-q">{t('page.search')}</label>
          <input
            id="accounts-q"
            type="search"
            value={text}
            maxLength={LIMITS.searchQuery}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <SelectField
          label={t('field.owner')}
          value={params.get('owner') ?? ''}
          onChange={(e) => setParam('owner', e.target.value || null)}
        >
          <option value="">{t('owner.all')}</option>
          <option value="me">{t('owner.me')}</option>
          <option value="none">{t('owner.none')}</option>
          {members.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.lifecycle')}
          value={query.lifecycle ?? ''}
          onChange={(e) => setParam('lifecycle', e.target.value || null)}
        >
          <option value="">{t('page.any')}</option>
          {LIFECYCLES.map((k) => (
            <option key={k} value={k}>
              {t(`lifecycle.${k}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('field.legalType')}
          value={query.legal_type ?? ''}
          onChange={(e) => setParam('legal_type', e.target.value || null)}
        >
          <option value="">{t('page.any')}</option>
          {LEGAL_TYPES.map((k) => (
            <option key={k} value={k}>
              {t(`legalType.${k}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('page.sort')}
          value={query.sort ?? 'name'}
          onChange={(e) => setParam('sort', e.target.value === 'name' ? null : e.target.value)}
        >
          <option value="name">{t('sort.name')}</option>
          <option value="-created_at">{t('sort.newest')}</option>
          <option value="-updated_at">{t('sort.updated')}</option>
        </SelectField>
        <div className="tag-filter">
          <EntityTagInput
            entity="account"
            label={t('tags:filter')}
            value={tagFilter}
            onChange={setTagFilter}
            max={10}
            testId="accounts-tag-filter"
          />
        </div>
      </search>
      {selected.size > 0 || bulk.state.running || bulk.state.finished ? (
        <section className="bulk-bar row" aria-label={t('bulk.label')}>
          {selected.size > 0 && <strong>{t('bulk.selected', { count: selected.size })}</strong>}
          {selected.size > 0 && myId && (
            <button
              type="button"
              className="btn"
              disabled={bulk.state.running}
              onClick={() => void setOwner(myId)}
            >
              {t('bulk.claim')}
            </button>
          )}
          {selected.size > 0 && (
            <button
              type="button"
              className="btn"
              disabled={bulk.state.running}
              onClick={() => void setOwner(null)}
            >
              {t('bulk.release')}
            </button>
          )}
          {selected.size > 0 && (
            <>
              <label htmlFor="bulk-owner" className="sr-only">
                {t('bulk.owner')}
              </label>
              <select id="bulk-owner" value={bulkOwner} onChange={(e) => setBulkOwner(e.target.value)}>
                <option value="">{t('bulk.owner')}</option>
                {members
                  .filter((m) => m.status === 'active')
                  .map((m) => (
                    <option key={m.user_id} value={m.user_id}>
                      {m.display_name}
                    </option>
                  ))}
              </select>
              <button
                type="button"
                className="btn"
                disabled={!bulkOwner || bulk.state.running}
                onClick={() => void setOwner(bulkOwner)}
              >
                {t('bulk.assign')}
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
                {t('bulk.clear')}
              </button>
            </>
          )}
          <BulkStatus state={bulk.state} />
        </section>
      ) : null}
      <div className="card table-scroll" ref={scrollRef}>
        <table className="table" data-testid="accounts-table" aria-rowcount={total ?? rows.length}>
          <thead>
            <tr>
              <th scope="col" className="col-check">
                <input
                  type="checkbox"
                  aria-label={t('bulk.selectAll')}
                  checked={allSelected}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))}
                />
              </th>
              <th scope="col">{t('field.name')}</th>
              <th scope="col">{t('field.mst')}</th>
              <th scope="col">{t('field.lifecycle')}</th>
              <th scope="col">{t('field.industry')}</th>
              <th scope="col">{t('tags:label')}</th>
              <th scope="col">{t('field.owner')}</th>
              <th scope="col">{t('field.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {virtual.paddingTop > 0 && (
              <tr className="spacer-row">
                <td colSpan={8} style={{ height: virtual.paddingTop, padding: 0, border: 0 }} />
              </tr>
            )}
            {virtual.items.map((v) => {
              const r = rows[v.index];
              if (!r) return null;
              return (
                <tr key={r.id} data-testid="account-row" data-index={v.index} ref={virtual.measure}>
                  <td className="col-check">
                    <input
                      type="checkbox"
                      aria-label={t('bulk.selectRow', { name: r.name })}
                      checked={selected.has(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    <Link to={`/accounts/${r.id}`}>{r.name}</Link>
                    <div className="muted small">{t(`legalType.${r.legal_type}`)}</div>
                  </td>
                  <td>{r.vn_mst ? <MstBadge status={r.mst_status} mst={r.vn_mst} /> : '—'}</td>
                  <td>{t(`lifecycle.${r.lifecycle}`)}</td>
                  <td>{r.industry ?? '—'}</td>
                  <td>
                    <TagChips tags={r.tags} max={3} />
                  </td>
                  <td>
                    {r.owner_id ? (
                      (byId.get(r.owner_id)?.display_name ?? '…')
                    ) : (
                      <span className="muted">{t('owner.none')}</span>
                    )}
                  </td>
                  <td>
                    <time dateTime={r.updated_at} title={fmt.dateTime(r.updated_at)}>
                      {fmt.relative(r.updated_at)}
                    </time>
                  </td>
                </tr>
              );
            })}
            {virtual.paddingBottom > 0 && (
              <tr className="spacer-row">
                <td colSpan={8} style={{ height: virtual.paddingBottom, padding: 0, border: 0 }} />
              </tr>
            )}
          </tbody>
        </table>
        {list.isLoading && <p className="muted table-note">{t('common:state.loading')}</p>}
        {!list.isLoading && rows.length === 0 && <p className="muted table-note">{t('page.empty')}</p>}
        {isFetchingNextPage && <p className="muted table-note">{t('common:state.loading')}</p>}
      </div>
      <AccountFormDialog open={formOpen} onClose={() => setParam('new', null)} />
      <BulkTagDialog
        open={tagging}
        entity="account"
        ids={rows.filter((r) => selected.has(r.id)).map((r) => r.id)}
        onClose={() => setTagging(false)}
        onDone={(result) => {
          bulk.report(result.updated.length, result.failed.length);
          setSelected(new Set());
          void qc.invalidateQueries({ queryKey: ['accounts'] });
          void qc.invalidateQueries({ queryKey: ['account'] });
        }}
      />
    </section>
  );
}
