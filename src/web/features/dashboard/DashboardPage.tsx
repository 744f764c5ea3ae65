import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { getCrmV1Dashboard, getCrmV1Pipelines } from '../../../shared/api-client/sdk.gen.js';
import type { MoneyTotal } from '../../../shared/api-client/types.gen.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { useRoom } from '../../lib/realtime.js';
import { RecentActivities, UpcomingTasks } from './ActivityLists.js';
import { ForecastChart } from './ForecastChart.js';
import { useMoneyTotal } from './MoneyTotalText.js';
import { StageFunnel } from './StageFunnel.js';
import './dashboard.css';

/**
 * The dashboard: KPIs, the funnel of one pipeline, the forecast by month, recent activities and open
 * tasks. Scope (pipeline, mine/everyone) lives in the URL so a reload or a shared link keeps it. The
 * figures refetch when the tab regains focus and when a deal of the shown pipeline changes live.
 */
export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  const fmt = useFormat();
  const money = useMoneyTotal();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const pipelineParam = params.get('pipeline') ?? '';
  const ownerId = params.get('owner') === 'me' ? ('me' as const) : undefined;

  const pipelines = useQuery({
    queryKey: ['pipelines'],
    queryFn: () => call(getCrmV1Pipelines()),
  });
  const list = pipelines.data?.data ?? [];
  const selected = list.find((p) => p.id === pipelineParam);
  // The funnel needs one pipeline: the chosen one, else the default (else the first).
  const funnelPipeline = selected ?? list.find((p) => p.is_default) ?? list[0];

  const query = {
    ...(selected ? { pipeline_id: selected.id } : {}),
    ...(ownerId ? { owner_id: ownerId } : {}),
  };
  const dashboard = useQuery({
    queryKey: ['dashboard', query],
    queryFn: () => call(getCrmV1Dashboard({ query })),
    refetchOnWindowFocus: 'always',
  });

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['dashboard'] });
    if (funnelPipeline) void qc.invalidateQueries({ queryKey: ['board', funnelPipeline.id] });
  };
  useRoom(funnelPipeline ? `pipeline:${funnelPipeline.id}` : null, refresh, refresh);

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const d = dashboard.data;
  return (
    <section className="page dashboard" data-testid="dashboard" aria-busy={dashboard.isPending}>
      <header className="page-header">
        <h1>{t('title')}</h1>
        <div className="row dash-scope">
          <label className="row small">
            <span>{t('scope.pipeline')}</span>
            <select value={selected?.id ?? ''} onChange={(e) => setParam('pipeline', e.target.value)}>
              <option value="">{t('scope.allPipelines')}</option>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label className="row small">
            <span>{t('scope.owner')}</span>
            <select value={ownerId ?? ''} onChange={(e) => setParam('owner', e.target.value)}>
              <option value="">{t('scope.everyone')}</option>
              <option value="me">{t('scope.mine')}</option>
            </select>
          </label>
        </div>
        {d && (
          <p className="muted small dash-asof">{t('asOf', { date: fmt.date(d.as_of), zone: d.time_zone })}</p>
        )}
      </header>

      {dashboard.isError && (
        <div className="alert alert-error" role="alert">
          {t('common:state.error')}{' '}
          <button type="button" className="btn" onClick={() => void dashboard.refetch()}>
            {t('common:action.retry')}
          </button>
        </div>
      )}

      <div className="dash-kpis">
        <Kpi
          testId="kpi-open-pipeline"
          label={t('kpi.openPipeline')}
          total={d?.deals.open_value}
          money={money}
          sub={d && t('kpi.openDeals', { count: d.deals.open })}
        />
        <Kpi
          testId="kpi-weighted"
          label={t('kpi.weighted')}
          total={d?.deals.weighted_value}
          money={money}
          sub={t('kpi.weightedHint')}
        />
        <Kpi
          testId="kpi-won-month"
          label={t('kpi.wonMonth')}
          total={d?.deals.won_value_this_month}
          money={money}
          sub={d && t('kpi.wonDeals', { count: d.deals.won_this_month })}
        />
        <Kpi
          testId="kpi-win-rate"
          label={t('kpi.winRate')}
          value={
            d
              ? d.deals.win_rate_90d === null
                ? '—'
                : new Intl.NumberFormat(fmt.locale, { style: 'percent', maximumFractionDigits: 0 }).format(
                    d.deals.win_rate_90d,
                  )
              : undefined
          }
          sub={d && t('kpi.winRateHint', { lost: d.deals.lost_this_month })}
        />
        <Kpi
          testId="kpi-activities"
          label={t('kpi.activities')}
          value={d ? fmt.number(d.activities.due_today + d.activities.overdue) : undefined}
          sub={
            d && (
              <>
                {t('kpi.dueToday', { count: d.activities.due_today })}
                {' · '}
                <span className={d.activities.overdue > 0 ? 'dash-overdue' : undefined}>
                  {t('kpi.overdue', { count: d.activities.overdue })}
                </span>
              </>
            )
          }
        />
      </div>

      <div className="dash-grid">
        <section className="card" aria-labelledby="dash-funnel">
          <div className="row dash-card-head">
            <h2 id="dash-funnel">{t('funnel.title')}</h2>
            {funnelPipeline && <span className="muted small">{funnelPipeline.name}</span>}
          </div>
          {funnelPipeline ? (
            <StageFunnel pipelineId={funnelPipeline.id} ownerId={ownerId} />
          ) : (
            <p className="muted">{pipelines.isPending ? t('common:state.loading') : t('funnel.empty')}</p>
          )}
        </section>
        <section className="card" aria-labelledby="dash-forecast">
          <h2 id="dash-forecast">{t('forecast.title')}</h2>
          {d ? (
            <ForecastChart forecast={d.forecast} currency={d.currency} />
          ) : (
            <div className="dash-chart-placeholder" aria-busy="true" />
          )}
        </section>
        <section className="card" aria-labelledby="dash-recent">
          <h2 id="dash-recent">{t('recent.title')}</h2>
          <RecentActivities ownerId={ownerId} />
        </section>
        <section className="card" aria-labelledby="dash-tasks">
          <h2 id="dash-tasks">{t('tasks.title')}</h2>
          <UpcomingTasks ownerId={ownerId} />
        </section>
      </div>
    </section>
  );
}

function Kpi(props: {
  testId: string;
  label: string;
  total?: MoneyTotal;
  money?: ReturnType<typeof useMoneyTotal>;
  value?: string;
  sub?: ReactNode;
}) {
  const shown = props.total && props.money ? props.money(props.total) : null;
  const value = shown?.text ?? props.value;
  return (
    <div className="card dash-kpi" data-testid={props.testId}>
      <div className="muted small dash-kpi-label">{props.label}</div>
      <div className="dash-kpi-value" data-testid="kpi-value" title={shown?.note || undefined}>
        {value ?? '…'}
      </div>
      {shown?.note && props.total && props.total.breakdown.length > 1 && (
        <div className="sr-only">{shown.note}</div>
      )}
      {props.sub && <div className="muted small">{props.sub}</div>}
    </div>
  );
}
