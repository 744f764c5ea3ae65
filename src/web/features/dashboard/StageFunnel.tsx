import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { getCrmV1PipelinesByIdBoard } from '../../../shared/api-client/sdk.gen.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { useMoneyTotal } from './MoneyTotalText.js';

/**
 * Open deals by stage of one pipeline: the board's per-stage counts and totals (the dashboard endpoint
 * has no per-stage figures). `per_stage: 1` because only the aggregates are drawn, not the cards.
 */
export const FUNNEL_FILTERS = { status: 'open', per_stage: 1 } as const;

export function StageFunnel(props: { pipelineId: string; ownerId?: 'me' }) {
  const { t, i18n } = useTranslation('dashboard');
  const fmt = useFormat();
  const money = useMoneyTotal();
  const filters = { ...FUNNEL_FILTERS, ...(props.ownerId ? { owner_id: props.ownerId } : {}) };
  const board = useQuery({
    queryKey: ['board', props.pipelineId, filters],
    queryFn: () => call(getCrmV1PipelinesByIdBoard({ path: { id: props.pipelineId }, query: filters })),
    refetchOnWindowFocus: 'always',
  });

  if (board.isPending) return <div className="dash-chart-placeholder" aria-busy="true" />;
  if (board.isError) return <p className="muted">{t('common:state.error')}</p>;

  const currency = board.data.totals.total.currency;
  const rows = board.data.stages
    .filter((s) => s.category === 'open')
    .map((s) => ({
      id: s.id,
      name: i18n.language === 'vi' ? s.name_vi : s.name_en,
      count: s.count,
      value: s.total.amount_minor ?? 0,
      total: s.total,
      weighted: s.weighted_total,
    }));
  if (rows.every((r) => r.count === 0)) return <p className="muted">{t('funnel.empty')}</p>;

  return (
    <div className="dash-figure">
      {/* The drawing is decorative for assistive technology: the table below carries the same data. */}
      <div className="dash-chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={Math.max(180, rows.length * 44)}>
          <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 48 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} strokeDasharray="3 3" />
            <XAxis type="number" tickFormatter={(v: number) => fmt.money(v, currency, true)} />
            <YAxis type="category" dataKey="name" width={120} />
            <Tooltip
              formatter={(v) => fmt.money(Number(v), currency)}
              labelFormatter={(label) => String(label)}
            />
            <Bar dataKey="value" name={t('funnel.value')} fill="#1d4ed8" radius={[0, 4, 4, 0]}>
              <LabelList dataKey="count" position="right" fill="#1c2430" />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="sr-only">
        <table>
          <caption>{t('funnel.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('funnel.stage')}</th>
              <th scope="col">{t('funnel.count')}</th>
              <th scope="col">{t('funnel.value')}</th>
              <th scope="col">{t('funnel.weighted')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.name}</th>
                <td>{fmt.number(r.count)}</td>
                <td>{money(r.total).text}</td>
                <td>{money(r.weighted).text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
