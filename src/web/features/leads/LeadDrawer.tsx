import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  deleteCrmV1LeadsById,
  getCrmV1LeadsById,
  patchCrmV1LeadsById,
  postCrmV1LeadsByIdDisqualify,
  postCrmV1LeadsByIdQualify,
} from '../../../shared/api-client/sdk.gen.js';
import { can, useMe } from '../../app/session.js';
import { ApiError, call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { toast } from '../../ui/toast.js';
import { LogActivityDialog } from '../activities/LogActivityDialog.js';
import { useMembers } from '../activities/members.js';
import { Timeline } from '../activities/Timeline.js';
import { ConvertLeadDialog } from './ConvertLeadDialog.js';
import { LeadFormDialog } from './LeadFormDialog.js';
import { type Lead, statusBadge } from './types.js';

/**
 * The lead side panel (a modal native <dialog> laid out as a drawer, like the contact's): the lead's
 * details, its timeline (calls, emails, meetings logged while it is worked, kept after conversion), and
 * the actions its abilities allow — edit, qualify, disqualify with a reason, reopen, convert, delete,
 * log an activity. The server decides; the buttons only follow `abilities` and the role.
 */
export function LeadDrawer(props: { leadId: string | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const { t } = useTranslation('leads');
  const open = props.leadId !== null;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: keyboard users close with Escape or the close button
    <dialog
      ref={ref}
      className="drawer"
      data-testid="lead-drawer"
      aria-label={t('drawer.title')}
      // Nested dialogs (edit, disqualify, convert) bubble their close/cancel: only our own count.
      onClose={(e) => {
        if (e.target === e.currentTarget) props.onClose();
      }}
      onCancel={(e) => {
        if (e.target !== e.currentTarget) return;
        e.preventDefault();
        props.onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) props.onClose();
      }}
    >
      {props.leadId && <DrawerContent key={props.leadId} id={props.leadId} onClose={props.onClose} />}
    </dialog>
  );
}

function DrawerContent(props: { id: string; onClose: () => void }) {
  const { t } = useTranslation('leads');
  const fmt = useFormat();
  const qc = useQueryClient();
  const { byId } = useMembers();
  const [editing, setEditing] = useState(false);
  const [disqualifying, setDisqualifying] = useState(false);
  const [converting, setConverting] = useState(false);
  const [logging, setLogging] = useState(false);
  const me = useMe();
  const timelineId = useId();
  const q = useQuery({
    queryKey: ['lead', props.id],
    queryFn: () => call(getCrmV1LeadsById({ path: { id: props.id } })),
  });
  const l = q.data;
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['lead', props.id] });
    void qc.invalidateQueries({ queryKey: ['leads'] });
  };
  const action = useMutation({
    mutationFn: async (kind: 'qualify' | 'reopen' | 'delete') => {
      if (!l) throw new Error('no lead');
      if (kind === 'qualify')
        return call(postCrmV1LeadsByIdQualify({ path: { id: l.id }, body: { version: l.version } }));
      if (kind === 'reopen')
        return call(
          patchCrmV1LeadsById({ path: { id: l.id }, body: { status: 'contacted', version: l.version } }),
        );
      return call(deleteCrmV1LeadsById({ path: { id: l.id } }));
    },
    onSuccess: (_r, kind) => {
      toast.success(
        kind === 'qualify'
          ? t('drawer.qualified')
          : kind === 'reopen'
            ? t('drawer.reopened')
            : t('drawer.deleted'),
      );
      refresh();
      if (kind === 'delete') props.onClose();
    },
  });

  return (
    <div className="drawer-inner">
      <header className="drawer-header">
        <div className="drawer-title">
          <h2>{l ? l.display_name : t('common:state.loading')}</h2>
          {l && (
            <p className="drawer-sub">
              <span className={statusBadge(l.status)} data-testid="lead-status">
                {t(`status.${l.status}`)}
              </span>{' '}
              {l.company_name && <span className="muted">{l.company_name}</span>}
            </p>
          )}
        </div>
        <button type="button" className="icon-btn" aria-label={t('drawer.close')} onClick={props.onClose}>
          ×
        </button>
      </header>
      {q.isError && (
        <div className="alert alert-error" role="alert">
          {t('common:state.error')}
        </div>
      )}
      {l && (
        <>
          <div className="row drawer-actions">
            {l.abilities.includes('convert') && (
              <button type="button" className="btn btn-primary" onClick={() => setConverting(true)}>
                {t('drawer.convert')}
              </button>
            )}
            {l.abilities.includes('qualify') && (
              <button
                type="button"
                className="btn"
                disabled={action.isPending}
                onClick={() => action.mutate('qualify')}
              >
                {t('drawer.qualify')}
              </button>
            )}
            {l.abilities.includes('disqualify') && (
              <button type="button" className="btn" onClick={() => setDisqualifying(true)}>
                {t('drawer.disqualify')}
              </button>
            )}
            {l.status === 'disqualified' && l.abilities.includes('update') && (
              <button
                type="button"
                className="btn"
                disabled={action.isPending}
                onClick={() => action.mutate('reopen')}
              >
                {t('drawer.reopen')}
              </button>
            )}
            {l.abilities.includes('update') && (
              <button type="button" className="btn" onClick={() => setEditing(true)}>
                {t('common:action.edit')}
              </button>
            )}
            {can(me, 'crm.activity.create') && l.deleted_at === null && (
              <button type="button" className="btn" onClick={() => setLogging(true)}>
                {t('drawer.logActivity')}
              </button>
            )}
            {l.abilities.includes('delete') && (
              <button
                type="button"
                className="btn btn-ghost"
                disabled={action.isPending}
                onClick={() => action.mutate('delete')}
              >
                {t('drawer.delete')}
              </button>
            )}
          </div>
          {l.status === 'converted' && (
            <div className="alert small" role="status">
              {t('drawer.convertedTo')}:{' '}
              {l.converted_account_id && (
                <Link to={`/accounts/${l.converted_account_id}`}>{t('drawer.account')}</Link>
              )}
              {l.converted_contact_id && (
                <>
                  {' · '}
                  <Link to={`/contacts/${l.converted_contact_id}`}>{t('drawer.contact')}</Link>
                </>
              )}
              {l.converted_deal_id && (
                <>
                  {' · '}
                  <Link to={`/deals/${l.converted_deal_id}`}>{t('drawer.deal')}</Link>
                </>
              )}
            </div>
          )}
          <dl className="details">
            <Row label={t('field.title')} value={l.title} />
            <Row label={t('field.company')} value={l.company_name} />
            <Row label={t('field.mst')} value={l.vn_mst} />
            <Row label={t('field.country')} value={l.country} />
            <Row label={t('field.email')} value={l.email && <a href={`mailto:${l.email}`}>{l.email}</a>} />
            <Row label={t('field.phone')} value={l.phone && <a href={`tel:${l.phone}`}>{l.phone}</a>} />
            <Row
              label={t('field.source')}
              value={[t(`source.${l.source}`), l.source_detail].filter(Boolean).join(' · ')}
            />
            <Row label={t('field.score')} value={String(l.score)} />
            <Row
              label={t('field.estimate')}
              value={
                l.estimated_amount_minor != null ? fmt.money(l.estimated_amount_minor, l.currency) : null
              }
            />
            <Row
              label={t('field.owner')}
              value={l.owner_id ? (byId.get(l.owner_id)?.display_name ?? '…') : t('drawer.unassigned')}
            />
            <Row label={t('field.reason')} value={l.disqualified_reason} />
            <Row label={t('field.description')} value={l.description} />
            <Row label={t('field.created')} value={fmt.dateTime(l.created_at)} />
          </dl>
          <section className="stack" aria-labelledby={timelineId} data-testid="lead-timeline">
            <h3 id={timelineId}>{t('drawer.timeline')}</h3>
            <Timeline subject={{ kind: 'lead', id: l.id }} />
          </section>
          <LogActivityDialog
            open={logging}
            onClose={() => setLogging(false)}
            subject={{ kind: 'lead', id: l.id }}
          />
          <LeadFormDialog open={editing} onClose={() => setEditing(false)} lead={l} />
          <DisqualifyDialog
            lead={l}
            open={disqualifying}
            onClose={() => setDisqualifying(false)}
            onDone={refresh}
          />
          <ConvertLeadDialog lead={l} open={converting} onClose={() => setConverting(false)} />
        </>
      )}
    </div>
  );
}

function Row(props: { label: string; value: ReactNode }) {
  if (props.value === null || props.value === undefined || props.value === '') return null;
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </>
  );
}

function DisqualifyDialog(props: { lead: Lead; open: boolean; onClose: () => void; onDone: () => void }) {
  const { t } = useTranslation('leads');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const m = useMutation({
    mutationFn: () =>
      call(
        postCrmV1LeadsByIdDisqualify({
          path: { id: props.lead.id },
          body: { reason, version: props.lead.version },
        }),
      ),
    meta: { silent: true },
    onSuccess: () => {
      toast.success(t('drawer.disqualified'));
      props.onDone();
      props.onClose();
    },
    onError: (e) => {
      if (e instanceof ApiError && e.fieldErrors().reason) setError(e.fieldErrors().reason);
      else toast.error(e);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <Dialog open={props.open} onClose={props.onClose} title={t('drawer.disqualifyTitle')}>
      <form className="stack" onSubmit={submit} noValidate>
        <Field
          label={t('field.reason')}
          value={reason}
          maxLength={1000}
          required
          onChange={(e) => setReason(e.target.value)}
          error={error}
        />
        <div className="row dialog-actions">
          <button type="button" className="btn" onClick={props.onClose}>
            {t('common:action.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={m.isPending || reason.trim() === ''}>
            {t('drawer.disqualify')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
