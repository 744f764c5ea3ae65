import { useTranslation } from 'react-i18next';
import type { MoneyTotal } from '../../../shared/api-client/types.gen.js';
import { useFormat } from '../../lib/format.js';

/**
 * Totals in the workspace base currency, as the API computed them (never summed here: converting
 * currencies is the server's job, at the rate of the right date), with the per-currency breakdown and
 * any missing rate as a note (shown in a title for pointer users and spoken where it matters).
 */
export function useMoneyTotal() {
  const { t } = useTranslation('dashboard');
  const fmt = useFormat();
  return (total: MoneyTotal, compact = false): { text: string; note: string } => {
    const notes: string[] = [];
    if (total.breakdown.length > 0)
      notes.push(
        t('money.breakdown', {
          parts: total.breakdown.map((b) => fmt.money(b.amount_minor, b.currency)).join(' + '),
        }),
      );
    if (total.missing_rates.length > 0)
      notes.push(t('money.missingRates', { currencies: total.missing_rates.join(', ') }));
    const text = total.amount_minor === null ? '—' : fmt.money(total.amount_minor, total.currency, compact);
    return { text, note: notes.join(' · ') };
  };
}

export function MoneyTotalText(props: { total: MoneyTotal; compact?: boolean }) {
  const money = useMoneyTotal();
  const { text, note } = money(props.total, props.compact);
  return <span title={note || undefined}>{text}</span>;
}
