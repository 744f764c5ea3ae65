import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { getCrmV1Invoices } from '../../../../shared/api-client/sdk.gen.js';
import type { Invoice } from '../../../../shared/api-client/types.gen.js';
import { call, fetchBlob } from '../../../lib/api.js';
import { useFormat } from '../../../lib/format.js';
import { toast } from '../../../ui/toast.js';

/**
 * The deal's hóa đơn: each issued invoice (originals, adjustments, replacements) with its signed XML to
 * download and the human-readable view. Both are behind the API's authentication, so they are fetched
 * with the session's token and handed to the browser as object URLs.
 */

async function openBlob(url: string, download?: string): Promise<void> {
  const href = URL.createObjectURL(await fetchBlob(url));
  const a = document.createElement('a');
  a.href = href;
  if (download) a.download = download;
  else a.target = '_blank';
  a.rel = 'noopener';
  a.click();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export function DealInvoices(props: { dealId: string }) {
  const { t } = useTranslation('deals');
  const fmt = useFormat();
  const id = useId();
  const invoices = useQuery({
    queryKey: ['invoices', props.dealId],
    queryFn: () => call(getCrmV1Invoices({ query: { deal_id: props.dealId, limit: 50 } })),
  });
  const rows: Invoice[] = invoices.data?.data ?? [];
  if (rows.length === 0) return null;
  const total = (inv: Invoice) =>
    new Intl.NumberFormat(fmt.locale, { style: 'currency', currency: inv.currency }).format(
      Number(inv.grand_total),
    );
  return (
    <section className="card stack" aria-labelledby={`${id}-h`} data-testid="deal-invoices">
      <h2 id={`${id}-h`}>{t('invoices.title')}</h2>
      <div className="invoice-table-scroll">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('invoices.number')}</th>
              <th scope="col">{t('invoices.date')}</th>
              <th scope="col">{t('invoices.total')}</th>
              <th scope="col">
                <span className="sr-only">{t('invoices.files')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((inv) => (
              <tr key={inv.id}>
                <td>
                  {inv.form}
                  {inv.symbol}-{String(inv.number).padStart(7, '0')}{' '}
                  {inv.relation !== 'original' && (
                    <span className="badge">{t(`invoices.relation.${inv.relation}`)}</span>
                  )}
                </td>
                <td>{fmt.date(inv.issue_date)}</td>
                <td title={inv.amount_in_words}>{total(inv)}</td>
                <td className="row">
                  <button
                    type="button"
                    className="btn"
                    onClick={() => openBlob(inv.html_url).catch((e: unknown) => toast.error(e))}
                  >
                    {t('invoices.view')}
                  </button>
                  <button
                    type="button"
                    className="btn"
                    onClick={() =>
                      openBlob(inv.xml_url, `hoadon-${inv.symbol}-${inv.number}.xml`).catch((e: unknown) =>
                        toast.error(e),
                      )
                    }
                  >
                    {t('invoices.xml')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
