import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { postCrmV1DealsByIdMove } from '../../../../shared/api-client/sdk.gen.js';
import { ApiError, call } from '../../../lib/api.js';
import { Dialog } from '../../../ui/Dialog.js';
import { SelectField } from '../../../ui/Field.js';
import { toast } from '../../../ui/toast.js';
import { type DealRecord, invalidateDeal, usePipelines, useStageName } from './queries.js';
import { canTransition, missingFields } from './rules.js';

/**
 * Move the deal to another open stage of its pipeline (POST /deals/{id}/move with its version). For a
 * closed deal this is "reopen": the API has no reopen endpoint, a move back to an open stage is one.
 * Closing goes through the close dialog (it asks for the outcome and the lost reason).
 */
export function MoveDialog(props: { deal: DealRecord; open: boolean; onClose: () => void }) {
  const { t } = useTranslation('deals');
  const reopen = props.deal.status !== 'open';
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      title={reopen ? t('move.reopenTitle') : t('move.title')}
    >
      {props.open && <MoveForm deal={props.deal} onClose={props.onClose} />}
    </Dialog>
  );
}

function MoveForm(props: { deal: DealRecord; onClose: () => void }) {
  const { t } = useTranslation('deals');
  const qc = useQueryClient();
  const stageName = useStageName();
  const pipelines = usePipelines();
  const reopen = props.deal.status !== 'open';
  const pipeline = pipelines.data?.find((p) => p.id === props.deal.pipeline_id);
  // Only the open stages the pipeline allows from here (closing has its own dialog).
  const stages = [...(pipeline?.stages ?? [])]
    .filter(
      (s) =>
        s.category === 'open' &&
        s.id !== props.deal.stage_id &&
        canTransition(pipeline, props.deal.stage_id, s.id),
    )
    .sort((a, b) => a.position - b.position);
  const [stageId, setStageId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const target = stageId || stages[0]?.id || '';
  const missing = missingFields(
    props.deal,
    stages.find((s) => s.id === target),
  );

  const move = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      call(
        postCrmV1DealsByIdMove({
          path: { id: props.deal.id },
          body: { stage_id: target, version: props.deal.version },
        }),
      ),
    onSuccess: (deal) => {
      qc.setQueryData(['deal', deal.id], deal);
      invalidateDeal(qc, deal);
      toast.success(reopen ? t('move.reopened') : t('move.moved'));
      props.onClose();
    },
    onError: (e) => {
      if (e instanceof ApiError) {
        const fields = Object.entries(e.fieldErrors()).map(([k, m]) => `${k}: ${m}`);
        setError([e.message, ...fields].join(' — '));
        if (e.code === 'version_conflict') void qc.invalidateQueries({ queryKey: ['deal', props.deal.id] });
      } else setError(String(e));
    },
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (target) move.mutate();
  }

  return (
    <form className="stack" onSubmit={submit}>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {reopen && <p className="muted">{t('move.reopenHint')}</p>}
      {pipelines.data && stages.length === 0 ? (
        <p className="alert alert-warning">{t('move.none')}</p>
      ) : (
        <SelectField label={t('field.stage')} value={target} onChange={(e) => setStageId(e.target.value)}>
          {stages.map((s) => (
            <option key={s.id} value={s.id}>
              {stageName(s)}
            </option>
          ))}
        </SelectField>
      )}
      {missing.length > 0 && (
        <p className="alert alert-warning small">
          {t('move.missing', { fields: missing.map((f) => t(`requirable.${f}`)).join(', ') })}
        </p>
      )}
      <div className="row">
        <span className="spacer" />
        <button type="button" className="btn" onClick={props.onClose}>
          {t('common:action.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={!target || move.isPending}>
          {reopen ? t('move.reopen') : t('move.submit')}
        </button>
      </div>
    </form>
  );
}
