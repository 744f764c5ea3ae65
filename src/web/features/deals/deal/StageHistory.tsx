import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { getCrmV1DealsByIdStageHistory } from '../../../../shared/api-client/sdk.gen.js';
import { call } from '../../../lib/api.js';
import { useFormat } from '../../../lib/format.js';
import { memberName, useMembers, useStageName } from './queries.js';

/** Every stage change of the deal, newest first, with who made it and how long the deal had waited. */
export function StageHistory(props: { dealId: string }) {
  const { t } = useTranslation('deals');
  const fmt = useFormat();
  const stageName = useStageName();
  const members = useMembers();
  const id = useId();
  const history = useQuery({
    queryKey: ['deal', props.dealId, 'history'],
    queryFn: () => call(getCrmV1DealsByIdStageHistory({ path: { id: props.dealId } })),
  });
  const rows = [...(history.data?.data ?? [])].sort((a, b) => b.occurred_at.localeCompare(a.occurred_at));

  const duration = (ms: number | null) => {
    if (ms === null) return '—';
    const h = ms / 3_600_000;
    return h < 24
      ? t('history.hours', { count: Math.max(0, Math.round(h)) })
      : t('history.days', { count: Math.round(h / 24) });
  };

  return (
    <section className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('history.title')}</h2>
      {history.isPending ? (
        <p className="muted">{t('common:state.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="muted">{t('history.empty')}</p>
      ) : (
        <ol className="deal-history">
          {rows.map((h) => (
            <li key={h.id}>
              <div>
                {h.from_stage ? (
                  <>
                    {stageName(h.from_stage)} <span aria-hidden="true">→</span>
                    <span className="sr-only">{t('history.to')}</span>{' '}
                    <strong>{stageName(h.to_stage)}</strong>
                  </>
                ) : (
                  <>
                    {t('history.created')} <strong>{stageName(h.to_stage)}</strong>
                  </>
                )}
                {h.to_status === 'cancelled' && h.from_status !== 'cancelled' && (
                  <span className={`badge deal-status-${h.to_status}`}> {t(`status.${h.to_status}`)}</span>
                )}
              </div>
              <div className="muted small">
                <time dateTime={h.occurred_at}>{fmt.dateTime(h.occurred_at)}</time>
                {' · '}
                {h.actor.type === 'user'
                  ? memberName(members.data, h.actor.id)
                  : t(`history.actor.${h.actor.type}`)}
                {h.from_stage && (
                  <>
                    {' · '}
                    {t('history.after', { time: duration(h.ms_in_from_stage) })}
                  </>
                )}
                {' · '}
                {h.probability}%
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
