import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { postCrmV1DealsByIdClose } from '../../../../shared/api-client/sdk.gen.js';
import { ApiError, call } from '../../../lib/api.js';
import { Dialog } from '../../../ui/Dialog.js';
import { toast } from '../../../ui/toast.js';
import { type DealRecord, invalidateDeal, usePipelines } from './queries.js';
import { canTransition, missingFields, outcomeStage } from './rules.js';

type Outcome = 'won' | 'lost' | 'cancelled';
const OUTCOMES: readonly Outcome[] = ['won', 'lost', 'cancelled'];
// DEAL_LIMITS.lostReason on the server.
const LOST_REASON_MAX = 1000;

/**
 * Close a deal as won, lost or cancelled (POST /deals/{id}/close with the version read). Lost asks for
 * the reason the API requires. A refusal (a rule of the pipeline, a concurrent change) stays in the
 * dialog with the API's words, so the person can fix it without losing what they typed.
 */
export function CloseDealDialog(props: { deal: DealRecord; open: boolean; onClose: () => void }) {
  const { t } = useTranslation('deals');
  return (
    <Dialog open={props.open} onClose={props.onClose} title={t('close.title')}>
      {props.open && <CloseForm deal={props.deal} onClose={props.onClose} />}
    </Dialog>
  );
}

function CloseForm(props: { deal: DealRecord; onClose: () => void }) {
  const { t } = useTranslation('deals');
  const qc = useQueryClient();
  const id = useId();
  const pipelines = usePipelines();
  const pipeline = pipelines.data?.find((p) => p.id === props.deal.pipeline_id);
  const reachable = (o: Outcome) => {
    const stage = outcomeStage(pipeline, o);
    return stage !== undefined && canTransition(pipeline, props.deal.stage_id, stage.id);
  };
  const [outcome, setOutcome] = useState<Outcome>('won');
  const missing = missingFields(props.deal, outcomeStage(pipeline, outcome));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<{ message: string; fields: Record<string, string> } | null>(null);

  const close = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      call(
        postCrmV1DealsByIdClose({
          path: { id: props.deal.id },
          body: {
            outcome,
            version: props.deal.version,
            ...(outcome === 'lost' ? { lost_reason: reason.trim() } : {}),
          },
        }),
      ),
    onSuccess: (deal) => {
      qc.setQueryData(['deal', deal.id], deal);
      invalidateDeal(qc, deal);
      toast.success(t(`close.done.${outcome}`));
      props.onClose();
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        setError({ message: e.message, fields: e.fieldErrors() });
        if (e.code === 'version_conflict' || e.code === 'precondition_failed') {
          void qc.invalidateQueries({ queryKey: ['deal', props.deal.id] });
        }
      } else setError({ message: String(e), fields: {} });
    },
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    if (outcome === 'lost' && !reason.trim()) {
      setError({ message: t('close.reasonRequired'), fields: { lost_reason: t('form.error.required') } });
      return;
    }
    setError(null);
    close.mutate();
  }

  const reasonError = error?.fields.lost_reason ?? error?.fields['fields.lost_reason'];
  const otherFields = Object.entries(error?.fields ?? {}).filter(([k]) => !k.endsWith('lost_reason'));

  return (
    <form className="stack" onSubmit={submit} noValidate>
      {error && (
        <div className="alert alert-error" role="alert">
          <div>{error.message}</div>
          {otherFields.length > 0 && (
            <ul className="small">
              {otherFields.map(([k, m]) => (
                <li key={k}>
                  {k}: {m}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <fieldset className="deal-fieldset">
        <legend>{t('close.outcome')}</legend>
        <div className="stack">
          {OUTCOMES.map((o) => (
            <label key={o} className="deal-check">
              <input
                type="radio"
                name={`${id}-outcome`}
                value={o}
                checked={outcome === o}
                onChange={() => setOutcome(o)}
                data-testid={`close-outcome-${o}`}
                aria-describedby={reachable(o) ? undefined : `${id}-${o}-blocked`}
              />
              {t(`close.as.${o}`)}
              {!reachable(o) && (
                <span id={`${id}-${o}-blocked`} className="muted small">
                  {' '}
                  ({t('close.notFromStage')})
                </span>
              )}
            </label>
          ))}
        </div>
      </fieldset>
      {missing.length > 0 && (
        <div className="alert alert-warning small">
          {t('close.missing', { fields: missing.map((f) => t(`requirable.${f}`)).join(', ') })}
        </div>
      )}
      {outcome === 'lost' && (
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t('field.lostReason')}</label>
          <textarea
            id={`${id}-reason`}
            rows={3}
            required
            maxLength={LOST_REASON_MAX}
            value={reason}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${id}-reason-err` : undefined}
            onChange={(e) => setReason(e.target.value)}
            data-testid="close-lost-reason"
          />
          {reasonError && (
            <div id={`${id}-reason-err`} className="field-error" role="alert">
              {reasonError}
            </div>
          )}
        </div>
      )}
      <div className="row">
        <span className="spacer" />
        <button type="button" className="btn" onClick={props.onClose}>
          {t('common:action.cancel')}
        </button>
        <button
          type="submit"
          className={outcome === 'won' ? 'btn btn-primary' : 'btn btn-danger'}
          disabled={close.isPending}
          data-testid="close-submit"
        >
          {t(`close.submit.${outcome}`)}
        </button>
      </div>
    </form>
  );
}
