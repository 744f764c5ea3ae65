import { useTranslation } from 'react-i18next';
import type { MoneyTotal } from '../../../../shared/api-client/types.gen.js';
import { useFormat } from '../../../lib/format.js';

/**
 * A total from the API: the base-currency amount (converted by the server at the day's rate), with the
 * per-currency sums and any missing rate in the title. Currencies are never added here.
 */
export function MoneyTotalView(props: { total: MoneyTotal; label: string; className?: string }) {
  const { total, label } = props;
  const { t } = useTranslation('board');
  const fmt = useFormat();
  const parts = total.breakdown.map((b) => fmt.money(b.amount_minor, b.currency));
  const title = [
    parts.length > 0 ? t('total.breakdown', { parts: parts.join(' + ') }) : '',
    total.missing_rates.length > 0
      ? t('total.missingRates', { currencies: total.missing_rates.join(', ') })
      : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const value =
    total.amount_minor === null ? t('total.unknown') : fmt.money(total.amount_minor, total.currency);
  return (
    <span className={props.className} title={title || undefined}>
      <span className="muted">{label}</span> <span className="money-value">{value}</span>
    </span>
  );
}
