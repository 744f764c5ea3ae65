import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { getCrmV1DealsById } from '../../../shared/api-client/sdk.gen.js';
import { can, useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { useRoom } from '../../lib/realtime.js';
import { LogActivityDialog } from '../activities/LogActivityDialog.js';
import { Timeline } from '../activities/Timeline.js';
import { DealFormDialog } from './DealFormDialog.js';
import { CloseDealDialog } from './deal/CloseDealDialog.js';
import { DealContacts } from './deal/DealContacts.js';
import { DealInvoices } from './deal/DealInvoices.js';
import { MoveDialog } from './deal/MoveDialog.js';
import { memberName, useAccountName, useMembers, usePipelines, useStageName } from './deal/queries.js';
import { StageHistory } from './deal/StageHistory.js';
import { WonFlow } from './deal/WonFlow.js';
import './deals.css';

/**
 * /deals/:dealId — the deal's overview, its contacts and their roles, stage history, the activity
 * timeline and, once won, the Vietnamese won flow (VietQR, hóa đơn). Actions follow the deal's
 * `abilities` (what the API will allow this viewer), so a button is never shown only to be refused.
 * Live: the pipeline room tells us when someone else changes this deal.
 */
export default function DealPage() {
  const { t } = useTranslation('deals');
  const { dealId = '' } = useParams();
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const stageName = useStageName();
  const members = useMembers();
  const pipelines = usePipelines();
  const [dialog, setDialog] = useState<'edit' | 'close' | 'move' | 'log' | null>(null);

  const q = useQuery({
    queryKey: ['deal', dealId],
    queryFn: () => call(getCrmV1DealsById({ path: { id: dealId } })),
    meta: { silent: true },
  });
  const deal = q.data;
  const account = useAccountName(deal?.account_id);

  useRoom(
    deal ? `pipeline:${deal.pipeline_id}` : null,
    (e) => {
      if (e.dealId !== dealId) return;
      void qc.invalidateQueries({ queryKey: ['deal', dealId] });
      void qc.invalidateQueries({ queryKey: ['timeline', 'deal', dealId] });
    },
    () => void qc.invalidateQueries({ queryKey: ['deal', dealId] }),
  );

  if (q.isPending) {
    return <section className="page" aria-busy="true" data-testid="deal-page" />;
  }
  if (!deal) {
    const notFound = q.error instanceof ApiError && q.error.status === 404;
    return (
      <section className="page" data-testid="deal-page">
        <h1>{notFound ? t('page.notFound') : t('common:state.error')}</h1>
        {!notFound && q.error && <p className="alert alert-error">{q.error.message}</p>}
        <Link to="/deals">{t('page.back')}</Link>
      </section>
    );
  }

  const abilities = new Set(deal.abilities);
  const pipeline = pipelines.data?.find((p) => p.id === deal.pipeline_id);
  const weighted =
    deal.amount_minor === null ? null : Math.round((deal.amount_minor * deal.probability) / 100);
  const canClose = deal.status === 'open' && abilities.has('close') && can(me, 'crm.deal.close');
  const canMove = abilities.has('move') && can(me, 'crm.deal.stage_change');
  const canEdit = abilities.has('update');

  return (
    <section className="page deal-page" data-testid="deal-page">
      <nav aria-label={t('page.breadcrumb')} className="small">
        <Link to="/deals">{t('list.title')}</Link>
        {pipeline && (
          <>
            {' / '}
            <Link to={`/pipeline/${pipeline.id}`}>{pipeline.name}</Link>
          </>
        )}
      </nav>
      <header className="page-header deal-page-header">
        <h1>{deal.name}</h1>
        <span
          className={`badge deal-status-${deal.status}`}
          data-testid="deal-status"
          data-status={deal.status}
        >
          {t(`status.${deal.status}`)}
        </span>
        {deal.acl_mode === 'restricted' && <span className="badge">{t('acl.restricted')}</span>}
        <span className="spacer" />
        {can(me, 'crm.activity.create') && (
          <button type="button" className="btn" onClick={() => setDialog('log')}>
            {t('page.logActivity')}
          </button>
        )}
        {canEdit && (
          <button type="button" className="btn" onClick={() => setDialog('edit')}>
            {t('common:action.edit')}
          </button>
        )}
        {canMove && (
          <button type="button" className="btn" onClick={() => setDialog('move')}>
            {deal.status === 'open' ? t('move.title') : t('move.reopen')}
          </button>
        )}
        {canClose && (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setDialog('close')}
            data-testid="close-deal"
          >
            {t('close.title')}
          </button>
        )}
      </header>

      <div className="deal-page-grid">
        <div className="stack">
          <section className="card" aria-labelledby="deal-overview-h">
            <h2 id="deal-overview-h">{t('page.overview')}</h2>
            <dl className="deal-overview">
              <div>
                <dt>{t('field.amount')}</dt>
                <dd className="deal-amount">{fmt.money(deal.amount_minor, deal.currency)}</dd>
              </div>
              <div>
                <dt>{t('column.weighted')}</dt>
                <dd>{fmt.money(weighted, deal.currency)}</dd>
              </div>
              <div>
                <dt>{t('field.stage')}</dt>
                <dd>
                  {stageName(deal.stage)}
                  <span className="muted small">
                    {' · '}
                    {t('page.since', { time: fmt.relative(deal.stage_entered_at) })}
                  </span>
                </dd>
              </div>
              <div>
                <dt>{t('field.probability')}</dt>
                <dd>
                  {deal.probability}%
                  {deal.probability_overridden && (
                    <span className="muted small"> · {t('page.overridden')}</span>
                  )}
                </dd>
              </div>
              <div>
                <dt>{t('field.expectedClose')}</dt>
                <dd>{fmt.date(deal.expected_close_date)}</dd>
              </div>
              <div>
                <dt>{t('field.owner')}</dt>
                <dd>{deal.owner_id ? memberName(members.data, deal.owner_id) : t('form.noOwner')}</dd>
              </div>
              <div>
                <dt>{t('field.account')}</dt>
                <dd>
                  {deal.account_id ? (
                    <Link to={`/accounts/${deal.account_id}`}>{account.data ?? '…'}</Link>
                  ) : (
                    '—'
                  )}
                </dd>
              </div>
              <div>
                <dt>{t('field.status')}</dt>
                <dd>
                  {t(`status.${deal.status}`)}
                  {deal.closed_at && <span className="muted small"> · {fmt.date(deal.closed_at)}</span>}
                </dd>
              </div>
              {deal.lost_reason && (
                <div className="deal-overview-wide">
                  <dt>{t('field.lostReason')}</dt>
                  <dd>{deal.lost_reason}</dd>
                </div>
              )}
              <div className="deal-overview-wide">
                <dt>{t('field.tags')}</dt>
                <dd>
                  {deal.tags.length === 0
                    ? '—'
                    : deal.tags.map((tag) => (
                        <span key={tag} className="badge deal-tag">
                          {tag}
                        </span>
                      ))}
                </dd>
              </div>
              <div className="deal-overview-wide">
                <dt>{t('field.acl')}</dt>
                <dd>
                  {t(`acl.${deal.acl_mode}`)}
                  {deal.acl_mode === 'restricted' && (
                    <span className="muted small">
                      {' · '}
                      {[
                        ...deal.acl_member_ids.map((id) => memberName(members.data, id)),
                        ...deal.acl_roles.map((r) => t(`role.${r}`)),
                      ].join(', ') || t('page.ownerOnly')}
                    </span>
                  )}
                </dd>
              </div>
              {deal.description && (
                <div className="deal-overview-wide">
                  <dt>{t('field.description')}</dt>
                  <dd className="deal-description">{deal.description}</dd>
                </div>
              )}
            </dl>
            <p className="muted small">
              {t('page.created', { time: fmt.dateTime(deal.created_at) })}
              {' · '}
              {t('page.updated', { time: fmt.relative(deal.updated_at) })}
            </p>
          </section>
          <WonFlow dealId={deal.id} status={deal.status} />
          <DealInvoices dealId={deal.id} />
          <DealContacts deal={deal} canEdit={canEdit} />
          <StageHistory dealId={deal.id} />
        </div>
        <section className="card stack" aria-labelledby="deal-timeline-h">
          <h2 id="deal-timeline-h">{t('page.timeline')}</h2>
          <Timeline subject={{ kind: 'deal', id: deal.id }} />
        </section>
      </div>

      <DealFormDialog open={dialog === 'edit'} onClose={() => setDialog(null)} deal={deal} />
      <CloseDealDialog open={dialog === 'close'} onClose={() => setDialog(null)} deal={deal} />
      <MoveDialog open={dialog === 'move'} onClose={() => setDialog(null)} deal={deal} />
      <LogActivityDialog
        open={dialog === 'log'}
        onClose={() => setDialog(null)}
        subject={{ kind: 'deal', id: deal.id }}
      />
    </section>
  );
}
