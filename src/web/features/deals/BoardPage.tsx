import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { can, useMe } from '../../app/session.js';
import { Board } from './board/Board.js';
import { FiltersBar } from './board/FiltersBar.js';
import {
  FILTER_PARAMS,
  type FilterParam,
  hasActiveFilters,
  parseFilters,
  withParam,
} from './board/filters.js';
import { MoneyTotalView } from './board/MoneyTotalView.js';
import {
  boardKey,
  PER_STAGE_MAX,
  useBoard,
  useMembers,
  usePipelines,
  useStageName,
} from './board/queries.js';
import { useBoardSync } from './board/refetch.js';
import { useBoardRealtime } from './board/useBoardRealtime.js';
import { DealFormDialog } from './DealFormDialog.js';
import './board/board.css';

/**
 * The pipeline board (/pipeline, /pipeline/:pipelineId): pipeline switcher, filters in the URL, the
 * kanban with optimistic drag and drop, live updates from the pipeline's room, and "New deal"
 * (also opened by `?new=1`, as the command palette links). Without an id, the default pipeline.
 */
export default function BoardPage() {
  const { t } = useTranslation('board');
  const me = useMe();
  const navigate = useNavigate();
  const params = useParams<{ pipelineId?: string }>();
  const [search, setSearch] = useSearchParams();
  const searchKey = search.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the params object changes identity on every navigation; its text is what matters.
  const filters = useMemo(() => parseFilters(search), [searchKey]);

  const pipelines = usePipelines();
  const members = useMembers();
  const list = useMemo(
    () => [...(pipelines.data?.data ?? [])].sort((a, b) => a.position - b.position),
    [pipelines.data],
  );
  const pipeline = params.pipelineId
    ? list.find((p) => p.id === params.pipelineId)
    : (list.find((p) => p.is_default) ?? list[0]);
  const pipelineId = params.pipelineId ?? pipeline?.id ?? null;

  const key = useMemo(() => boardKey(pipelineId ?? '', filters), [pipelineId, filters]);
  const board = useBoard(pipelineId, filters);
  const sync = useBoardSync(pipelineId);
  useBoardRealtime({ pipelineId, boardKey: key, sync });

  const stageName = useStageName();
  const ownerNames = useMemo(
    () => new Map((members.data?.data ?? []).map((m) => [m.user_id, m.display_name])),
    [members.data],
  );

  const [creating, setCreating] = useState<{ stageId?: string } | null>(null);
  const newFromUrl = search.get('new') === '1';
  const dialog = creating ?? (newFromUrl ? {} : null);
  const closeDialog = () => {
    setCreating(null);
    if (newFromUrl) setSearch(withoutKeys(search, ['new']), { replace: true });
  };
  const onNewDeal = useCallback((stageId: string) => setCreating({ stageId }), []);

  const setFilter = useCallback(
    (k: FilterParam, value: string | undefined) =>
      setSearch((old) => withParam(old, k, value), { replace: true }),
    [setSearch],
  );
  const clearFilters = () => setSearch(withoutKeys(search, FILTER_PARAMS), { replace: true });
  const hasMore = board.data?.stages.some((s) => s.has_more) ?? false;
  const onShowMore = useCallback(() => setFilter('per_stage', String(PER_STAGE_MAX)), [setFilter]);

  const switchPipeline = (id: string) => {
    const qs = withoutKeys(search, ['new']).toString();
    navigate(`/pipeline/${id}${qs ? `?${qs}` : ''}`);
  };

  const canCreate = can(me, 'crm.deal.create');
  const canDrag = can(me, 'crm.deal.stage_change');
  const data = board.data;

  return (
    <section className="page board-page">
      <header className="page-header">
        <h1>{t('title')}</h1>
        {list.length > 0 && (
          <label className="board-pipeline-switch">
            <span className="sr-only">{t('pipeline')}</span>
            <select
              value={pipelineId ?? ''}
              onChange={(e) => switchPipeline(e.target.value)}
              data-testid="pipeline-switcher"
            >
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {data && (
          <div className="board-summary small">
            <span>{t('summary.count', { count: data.totals.count })}</span>
            <MoneyTotalView total={data.totals.total} label={t('summary.total')} />
            <MoneyTotalView total={data.totals.weighted_total} label={t('summary.weighted')} />
          </div>
        )}
        <span className="spacer" />
        {canCreate && pipelineId && (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setCreating({})}
            data-testid="board-new-deal"
          >
            {t('newDeal')}
          </button>
        )}
      </header>

      <FiltersBar
        filters={filters}
        members={members.data?.data ?? []}
        baseCurrency={me.workspace.base_currency}
        onChange={setFilter}
        onClear={clearFilters}
      />

      {pipelines.isError ? (
        <ErrorState message={pipelines.error.message} onRetry={() => void pipelines.refetch()} />
      ) : pipelines.isSuccess && list.length === 0 ? (
        <div className="card board-empty">
          <p>{t('empty.noPipelines')}</p>
          <Link to="/settings/pipelines">{t('empty.setUp')}</Link>
        </div>
      ) : board.isError && !data ? (
        <ErrorState message={board.error.message} onRetry={() => void board.refetch()} />
      ) : !data || !pipelineId ? (
        <BoardSkeleton />
      ) : (
        <div
          className={board.isFetching && board.isPlaceholderData ? 'board is-refreshing' : 'board'}
          data-testid="board"
          data-board-ready="true"
          data-pipeline-id={pipelineId}
          aria-busy={board.isFetching && board.isPlaceholderData}
        >
          {data.totals.count === 0 && (
            <div className="board-empty-hint muted" role="status">
              {hasActiveFilters(filters) ? (
                <>
                  {t('empty.noMatch')}{' '}
                  <button type="button" className="btn btn-ghost" onClick={clearFilters}>
                    {t('filters.clear')}
                  </button>
                </>
              ) : (
                t('empty.noDeals')
              )}
            </div>
          )}
          <Board
            pipelineId={pipelineId}
            board={data}
            boardKey={key}
            pipeline={pipeline}
            sync={sync}
            stageName={stageName}
            ownerNames={ownerNames}
            canDrag={canDrag}
            canCreate={canCreate}
            onNewDeal={onNewDeal}
            {...(hasMore && filters.perStage < PER_STAGE_MAX ? { onShowMore } : {})}
          />
        </div>
      )}

      {dialog && pipelineId && (
        <DealFormDialog
          open
          onClose={closeDialog}
          initial={{ pipelineId, ...(dialog.stageId ? { stageId: dialog.stageId } : {}) }}
          onSaved={() => {
            closeDialog();
            sync.request(0);
          }}
        />
      )}
    </section>
  );
}

function withoutKeys(params: URLSearchParams, keys: readonly string[]): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const k of keys) next.delete(k);
  return next;
}

function ErrorState(props: { message: string; onRetry: () => void }) {
  const { t } = useTranslation('board');
  return (
    <div className="alert alert-error board-error" role="alert">
      <p>{t('error.load')}</p>
      <p className="small">{props.message}</p>
      <button type="button" className="btn" onClick={props.onRetry}>
        {t('common:action.retry')}
      </button>
    </div>
  );
}

function BoardSkeleton() {
  const { t } = useTranslation('board');
  return (
    <div className="board board-skeleton" aria-busy="true">
      <span className="sr-only" role="status">
        {t('loading')}
      </span>
      <div className="board-columns" aria-hidden="true">
        {[0, 1, 2, 3].map((c) => (
          <div key={c} className="board-column">
            <div className="skeleton skeleton-title" />
            {[0, 1, 2].map((r) => (
              <div key={r} className="skeleton skeleton-card" />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
