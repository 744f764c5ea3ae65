import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { getCrmV1Deals } from '../../../shared/api-client/sdk.gen.js';
import { can, useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { toast } from '../../ui/toast.js';
import { DealFormDialog } from './DealFormDialog.js';
import { memberName, useAccountName, useMembers, usePipelines, useStageName } from './deal/queries.js';
import { BulkBar } from './list/BulkBar.js';
import { ColumnChooser } from './list/ColumnChooser.js';
import {
  COLUMNS,
  type ColumnContext,
  type ColumnId,
  type ListDeal,
  loadColumns,
  saveColumns,
} from './list/columns.js';
import { downloadCsv } from './list/csv.js';
import { exportDeals } from './list/exportCsv.js';
import { FilterBar } from './list/FilterBar.js';
import { type DealFilters, nextSort, readFilters, sortState, toQuery, writeFilters } from './list/filters.js';
import './deals.css';

/**
 * /deals: every deal the viewer may see, as a virtualized table over cursor pages (the next page loads
 * as the end of the table scrolls into view, or with the button). Filters and sort live in the URL;
 * sorting is the API's, on the columns it can sort. `?new=1` opens the create dialog.
 */

const ROW_HEIGHT = 44;
const SELECT_WIDTH = 44;

function AccountCell(props: { id: string }) {
  const name = useAccountName(props.id);
  return <>{name.data ?? '…'}</>;
}

export default function DealsPage() {
  const { t } = useTranslation('deals');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const stageName = useStageName();
  const members = useMembers();
  const pipelines = usePipelines();
  const [sp, setSp] = useSearchParams();
  const filters = useMemo(() => readFilters(sp), [sp]);
  const query = useMemo(() => toQuery(filters), [filters]);
  const [columns, setColumns] = useState<ColumnId[]>(loadColumns);
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [exporting, setExporting] = useState<{ rows: number; abort: AbortController } | null>(null);
  const creating = sp.get('new') === '1';

  const setFilters = (f: DealFilters) => setSp(writeFilters(sp, f), { replace: true });
  const setCreating = (open: boolean) => {
    const next = new URLSearchParams(sp);
    if (open) next.set('new', '1');
    else next.delete('new');
    setSp(next, { replace: true });
  };
  const chooseColumns = (ids: ColumnId[]) => {
    setColumns(ids);
    saveColumns(ids);
  };

  const list = useInfiniteQuery({
    queryKey: ['deals', query],
    queryFn: ({ pageParam, signal }) =>
      call(
        getCrmV1Deals({
          query: { ...query, cursor: pageParam, include_total: pageParam ? undefined : 'true' },
          signal,
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.page.has_more ? (last.page.next_cursor ?? undefined) : undefined),
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const total = list.data?.pages[0]?.page.total;

  // A new filter is a new set of rows: a selection of deals no longer shown would act on the unseen.
  // (Compared by value: opening the create dialog rewrites the URL but is not a new query.)
  const queryText = JSON.stringify(query);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on a new query only
  useEffect(() => setSelected(new Set()), [queryText]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - 10) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage, lastIndex, rows.length]);

  const ctx: Omit<ColumnContext, 'accountNames'> = {
    fmt,
    text: (key: string) => t(key),
    stageName,
    ownerName: (id) => memberName(members.data, id),
    pipelines: pipelines.data,
    AccountCell,
  };
  const fullCtx: ColumnContext = { ...ctx, accountNames: new Map() };
  const cols = columns.map((id) => COLUMNS[id]);
  const tableWidth = SELECT_WIDTH + cols.reduce((sum, c) => sum + c.width, 0);
  const sort = sortState(filters.sort);

  const selectedDeals = rows.filter((d) => selected.has(d.id));
  const allSelected = rows.length > 0 && selectedDeals.length === rows.length;
  const toggle = useCallback((id: string, on: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  async function exportCsv() {
    const abort = new AbortController();
    setExporting({ rows: 0, abort });
    try {
      const csv = await exportDeals({
        qc,
        query,
        columns,
        ctx,
        signal: abort.signal,
        onProgress: (n) => setExporting({ rows: n, abort }),
      });
      downloadCsv(`deals-${new Date().toISOString().slice(0, 10)}.csv`, csv);
    } catch (error) {
      if (!abort.signal.aborted) toast.error(error);
    } finally {
      setExporting(null);
    }
  }

  const padTop = items[0]?.start ?? 0;
  const padBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  const bulkAllowed = can(me, 'crm.deal.update') || can(me, 'crm.deal.stage_change');

  return (
    <section className="page deals-page">
      <header className="page-header deals-header">
        <h1>{t('list.title')}</h1>
        <span className="spacer" />
        <ColumnChooser value={columns} onChange={chooseColumns} />
        {can(me, 'crm.export') &&
          (exporting ? (
            <button type="button" className="btn" onClick={() => exporting.abort.abort()}>
              {t('list.exporting', { count: exporting.rows })}
            </button>
          ) : (
            <button type="button" className="btn" onClick={exportCsv} disabled={rows.length === 0}>
              {t('common:action.export')}
            </button>
          ))}
        {can(me, 'crm.deal.create') && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            {t('list.new')}
          </button>
        )}
      </header>

      <FilterBar filters={filters} onChange={setFilters} />

      {bulkAllowed && selectedDeals.length > 0 && (
        <BulkBar selected={selectedDeals} onSelect={(ids) => setSelected(new Set(ids))} />
      )}

      <p className="muted small" aria-live="polite">
        {list.isPending
          ? t('common:state.loading')
          : total !== undefined
            ? t('list.count', { count: total })
            : t('list.loaded', { count: rows.length })}
      </p>

      <div className="card deal-table-card">
        <div ref={scrollRef} className="deal-table-scroll">
          <table
            className="table deal-table"
            data-testid="deals-table"
            style={{ width: tableWidth }}
            aria-rowcount={total !== undefined ? total + 1 : -1}
            aria-label={t('list.title')}
          >
            <colgroup>
              <col style={{ width: SELECT_WIDTH }} />
              {cols.map((c) => (
                <col key={c.id} style={{ width: c.width }} />
              ))}
            </colgroup>
            <thead>
              <tr aria-rowindex={1}>
                <th scope="col">
                  {bulkAllowed && (
                    <input
                      type="checkbox"
                      aria-label={t('list.selectAll')}
                      checked={allSelected}
                      ref={(el) => {
                        if (el) el.indeterminate = selectedDeals.length > 0 && !allSelected;
                      }}
                      onChange={(e) =>
                        setSelected(e.target.checked ? new Set(rows.map((d) => d.id)) : new Set())
                      }
                    />
                  )}
                </th>
                {cols.map((c) => {
                  const active = c.sort !== undefined && sort.key === c.sort;
                  return (
                    <th
                      key={c.id}
                      scope="col"
                      className={c.numeric ? 'num' : undefined}
                      aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : undefined}
                    >
                      {c.sort ? (
                        <button
                          type="button"
                          className="deal-sort"
                          onClick={() =>
                            c.sort && setFilters({ ...filters, sort: nextSort(filters.sort, c.sort) })
                          }
                        >
                          {t(`column.${c.id}`)}
                          <span aria-hidden="true">{active ? (sort.desc ? ' ▼' : ' ▲') : ' ↕'}</span>
                        </button>
                      ) : (
                        t(`column.${c.id}`)
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {padTop > 0 && (
                <tr className="deal-spacer">
                  <td colSpan={cols.length + 1} style={{ height: padTop }} />
                </tr>
              )}
              {items.map((v) => {
                const d = rows[v.index] as ListDeal;
                const isSelected = selected.has(d.id);
                return (
                  <tr
                    key={d.id}
                    data-testid="deal-row"
                    data-deal-id={d.id}
                    aria-rowindex={v.index + 2}
                    aria-selected={bulkAllowed ? isSelected : undefined}
                    className={isSelected ? 'selected' : undefined}
                    style={{ height: ROW_HEIGHT }}
                  >
                    <td>
                      {bulkAllowed && (
                        <input
                          type="checkbox"
                          aria-label={t('list.select', { name: d.name })}
                          checked={isSelected}
                          onChange={(e) => toggle(d.id, e.target.checked)}
                        />
                      )}
                    </td>
                    {cols.map((c) => (
                      <td key={c.id} className={c.numeric ? 'num' : undefined}>
                        {c.render(d, fullCtx)}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {padBottom > 0 && (
                <tr className="deal-spacer">
                  <td colSpan={cols.length + 1} style={{ height: padBottom }} />
                </tr>
              )}
            </tbody>
          </table>
          {!list.isPending && rows.length === 0 && (
            <p className="deal-empty muted">{list.isError ? t('common:state.error') : t('list.empty')}</p>
          )}
        </div>
        {hasNextPage && (
          <div className="row deal-more">
            <button
              type="button"
              className="btn"
              onClick={() => fetchNextPage()}
              disabled={isFetchingNextPage}
            >
              {isFetchingNextPage ? t('common:state.loading') : t('common:action.loadMore')}
            </button>
          </div>
        )}
      </div>

      <DealFormDialog open={creating} onClose={() => setCreating(false)} />
    </section>
  );
}
