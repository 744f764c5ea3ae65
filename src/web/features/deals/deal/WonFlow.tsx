import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1DealsByIdFlow,
  getCrmV1DealsByIdVietqr,
  postCrmV1DealsByIdFlowRetry,
} from '../../../../shared/api-client/sdk.gen.js';
import type { VietQr } from '../../../../shared/api-client/types.gen.js';
import { can, useMe } from '../../../app/session.js';
import { call, fetchBlob } from '../../../lib/api.js';
import { useFormat } from '../../../lib/format.js';

/**
 * What happens after a deal is won in Vietnam (GET /deals/{id}/flow): the VietQR payment request, the
 * e-invoice (hóa đơn), the project hand-over and the win/loss notes, each with its state. The QR image
 * is served behind the API's authentication, so it is fetched as a blob with the session's token and
 * shown through an object URL (an <img src> to the API would go without the header).
 */

function useAuthedImage(url: string | undefined): string | null {
  const [objectUrl, setObjectUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!url) return;
    let revoked = false;
    let made: string | null = null;
    void fetchBlob(url)
      .then((blob) => {
        if (revoked) return;
        made = URL.createObjectURL(blob);
        setObjectUrl(made);
      })
      .catch(() => setObjectUrl(null));
    return () => {
      revoked = true;
      if (made) URL.revokeObjectURL(made);
      setObjectUrl(null);
    };
  }, [url]);
  return objectUrl;
}

function QrImage(props: { qr: VietQr }) {
  const { t } = useTranslation('deals');
  const fmt = useFormat();
  const src = useAuthedImage(props.qr.png_url);
  const { qr } = props;
  return (
    <figure className="deal-qr">
      {src ? (
        <img
          src={src}
          width={200}
          height={200}
          alt={t('flow.qrAlt', { reference: qr.reference })}
          data-testid="deal-vietqr"
        />
      ) : (
        <div className="deal-qr-placeholder muted small">{t('common:state.loading')}</div>
      )}
      <figcaption className="small">
        <div>
          <strong>{qr.bank?.short_name ?? qr.bank_bin}</strong> · {qr.account_number}
        </div>
        {qr.amount_vnd !== null && <div>{fmt.money(qr.amount_vnd, 'VND')}</div>}
        <div className="muted">
          {t('flow.reference')}: {qr.reference}
        </div>
      </figcaption>
    </figure>
  );
}

export function WonFlow(props: { dealId: string; status: string }) {
  const { t } = useTranslation('deals');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const id = useId();
  const flow = useQuery({
    queryKey: ['deal', props.dealId, 'flow'],
    queryFn: () => call(getCrmV1DealsByIdFlow({ path: { id: props.dealId } })),
    meta: { silent: true },
    // The steps run in the background after the close; look again while any is still under way.
    refetchInterval: (q) => (q.state.data?.steps.some((s) => s.status === 'pending') ? 5_000 : false),
  });
  const steps = flow.data?.steps ?? [];
  const hasQrStep = steps.some((s) => s.step === 'vietqr' && s.status === 'done');
  const qrs = useQuery({
    queryKey: ['deal', props.dealId, 'vietqr'],
    queryFn: () => call(getCrmV1DealsByIdVietqr({ path: { id: props.dealId } })),
    enabled: props.status === 'won' || hasQrStep,
    meta: { silent: true },
  });
  const retry = useMutation({
    mutationFn: () => call(postCrmV1DealsByIdFlowRetry({ path: { id: props.dealId } })),
    onSuccess: (data) => qc.setQueryData(['deal', props.dealId, 'flow'], data),
  });
  const latestQr = [...(qrs.data?.data ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at))[0];

  if (steps.length === 0 && !latestQr) return null;
  const retryable = steps.some((s) => s.status === 'failed' || s.status === 'waiting');

  return (
    <section className="card stack" aria-labelledby={`${id}-h`} data-testid="deal-flow">
      <h2 id={`${id}-h`}>{t('flow.title')}</h2>
      {steps.length > 0 && (
        <ol className="deal-flow-steps">
          {steps.map((s) => (
            <li key={s.step} className={`deal-flow-${s.status}`}>
              <span className={`badge deal-flow-badge-${s.status}`}>{t(`flow.status.${s.status}`)}</span>{' '}
              <strong>{t(`flow.step.${s.step}`)}</strong>
              {s.completed_at && <span className="muted small"> · {fmt.dateTime(s.completed_at)}</span>}
              {s.next_attempt_at && s.status !== 'pending' && (
                <span className="muted small">
                  {' · '}
                  {t('flow.nextAttempt', { time: fmt.dateTime(s.next_attempt_at) })}
                </span>
              )}
              {s.note && <div className="small deal-flow-note">{s.note}</div>}
            </li>
          ))}
        </ol>
      )}
      {retryable && can(me, 'crm.deal.close') && (
        <div>
          <button type="button" className="btn" onClick={() => retry.mutate()} disabled={retry.isPending}>
            {t('flow.retry')}
          </button>
        </div>
      )}
      {latestQr && <QrImage qr={latestQr} />}
    </section>
  );
}
