import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { GetCrmV1DashboardResponses } from '../../../shared/api-client/types.gen.js';
import { useFormat } from '../../lib/format.js';
import { useMoneyTotal } from './MoneyTotalText.js';

type Forecast = GetCrmV1DashboardResponses[200]['forecast'];

/** Open deals by expected close month (overdue first, unscheduled last), weighted beside unweighted. */
export function ForecastChart(props: { forecast: Forecast; currency: string }) {
  const { t } = useTranslation('dashboard');
  const fmt = useFormat();
  const money = useMoneyTotal();
  const monthName = new Intl.DateTimeFormat(fmt.locale, { month: 'short', year: 'numeric' });
  const label = (month: string) => {
    if (month === 'overdue') return t('forecast.overdue');
    if (month === 'unscheduled') return t('forecast.unscheduled');
    const [y, m] = month.split('-').map(Number);
    return y && m ? monthName.format(new Date(y, m - 1, 1)) : month;
  };
  const rows = props.forecast.map((f) => ({
    month: f.month,
    label: label(f.month),
    count: f.count,
    value: f.value.amount_minor ?? 0,
    weighted: f.weighted_value.amount_minor ?? 0,
    valueTotal: f.value,
    weightedTotal: f.weighted_value,
  }));
  if (rows.every((r) => r.count === 0)) return <p className="muted">{t('forecast.empty')}</p>;

  return (
    <div className="dash-figure">
      <div className="dash-chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={rows} margin={{ left: 8, right: 8 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} strokeDasharray="3 3" />
            <XAxis dataKey="label" interval={0} angle={-20} textAnchor="end" height={50} />
            <YAxis width={72} tickFormatter={(v: number) => fmt.money(v, props.currency, true)} />
            <Tooltip formatter={(v) => fmt.money(Number(v), props.currency)} />
            <Legend />
            <Bar dataKey="value" name={t('forecast.unweighted')} fill="#1d4ed8" radius={[4, 4, 0, 0]} />
            <Bar dataKey="weighted" name={t('forecast.weighted')} fill="#0e7c66" radius={[4, 4, 0, 0]} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="sr-only">
        <table>
          <caption>{t('forecast.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('forecast.month')}</th>
              <th scope="col">{t('forecast.count')}</th>
              <th scope="col">{t('forecast.unweighted')}</th>
              <th scope="col">{t('forecast.weighted')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.month}>
                <th scope="row">{r.label}</th>
                <td>{fmt.number(r.count)}</td>
                <td>{money(r.valueTotal).text}</td>
                <td>{money(r.weightedTotal).text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
