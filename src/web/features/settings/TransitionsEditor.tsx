import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  patchCrmV1PipelinesById,
  putCrmV1PipelinesByIdTransitions,
} from '../../../shared/api-client/sdk.gen.js';
import type { Pipeline, PipelineStage } from '../../../shared/api-client/types.gen.js';
import { call } from '../../lib/api.js';
import { toast } from '../../ui/toast.js';
import { usePipelineSaved, useStageName } from './pipelineShared.js';
import { StageDialog } from './StageDialog.js';

const key = (from: string, to: string) => `${from}>${to}`;

/**
 * Transition rules of a pipeline: whether moves are restricted at all (`enforce_transitions`), the
 * allowed from→to matrix (PUT replaces the whole set), and each target stage's entry rules (required
 * fields, roles allowed, lost reason), which are stage properties edited in the stage dialog.
 */
export function TransitionsEditor(props: { pipeline: Pipeline; readOnly: boolean }) {
  const { t } = useTranslation('settings');
  const { pipeline, readOnly } = props;
  const name = useStageName();
  const saved = usePipelineSaved();
  const stages = [...pipeline.stages].sort((a, b) => a.position - b.position);
  const serverSet = new Set(pipeline.transitions.map((m) => key(m.from_stage_id, m.to_stage_id)));
  const [draft, setDraft] = useState<Set<string> | null>(null);
  const [rulesFor, setRulesFor] = useState<PipelineStage | null>(null);
  const allowed = draft ?? serverSet;
  const dirty =
    draft !== null && (draft.size !== serverSet.size || [...draft].some((k) => !serverSet.has(k)));

  const saveMoves = useMutation({
    mutationFn: () => {
      const moves = stages.flatMap((from) =>
        stages
          .filter((to) => to.id !== from.id && allowed.has(key(from.id, to.id)))
          .map((to) => ({ from_stage_id: from.id, to_stage_id: to.id })),
      );
      return call(putCrmV1PipelinesByIdTransitions({ path: { id: pipeline.id }, body: { moves } }));
    },
    onSuccess: (p) => {
      setDraft(null);
      saved(p);
      toast.success(t('transitions.saved'));
    },
  });
  const enforce = useMutation({
    mutationFn: (on: boolean) =>
      call(
        patchCrmV1PipelinesById({
          path: { id: pipeline.id },
          body: { enforce_transitions: on, version: pipeline.version },
        }),
      ),
    onSuccess: (p) => {
      saved(p);
      toast.success(t('transitions.saved'));
    },
  });

  const toggle = (k: string, on: boolean) => {
    const next = new Set(allowed);
    if (on) next.add(k);
    else next.delete(k);
    setDraft(next);
  };
  const setAll = (on: boolean) => {
    const next = new Set<string>();
    if (on) for (const f of stages) for (const to of stages) if (f.id !== to.id) next.add(key(f.id, to.id));
    setDraft(next);
  };

  return (
    <section className="stack" aria-labelledby={`transitions-${pipeline.id}`}>
      <h3 id={`transitions-${pipeline.id}`}>{t('transitions.title')}</h3>
      <label className="row">
        <input
          type="checkbox"
          checked={pipeline.enforce_transitions}
          disabled={readOnly || enforce.isPending}
          onChange={(e) => enforce.mutate(e.target.checked)}
        />
        {t('transitions.enforce')}
      </label>
      <p className="muted small">
        {pipeline.enforce_transitions ? t('transitions.enforcedHint') : t('transitions.notEnforcedHint')}
      </p>

      <div className="table-scroll">
        <table className="table transitions-grid">
          <caption className="sr-only">{t('transitions.gridCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('transitions.fromTo')}</th>
              {stages.map((to) => (
                <th key={to.id} scope="col">
                  {name(to)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {stages.map((from) => (
              <tr key={from.id}>
                <th scope="row">{name(from)}</th>
                {stages.map((to) => (
                  <td key={to.id} className="transitions-cell">
                    {from.id === to.id ? (
                      <span aria-hidden="true" className="muted">
                        —
                      </span>
                    ) : (
                      <input
                        type="checkbox"
                        aria-label={t('transitions.cell', { from: name(from), to: name(to) })}
                        checked={allowed.has(key(from.id, to.id))}
                        disabled={readOnly}
                        onChange={(e) => toggle(key(from.id, to.id), e.target.checked)}
                      />
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!readOnly && (
        <div className="row">
          <button type="button" className="btn" onClick={() => setAll(true)}>
            {t('transitions.allowAll')}
          </button>
          <button type="button" className="btn" onClick={() => setAll(false)}>
            {t('transitions.clearAll')}
          </button>
          <span className="spacer" />
          <button type="button" className="btn" disabled={!dirty} onClick={() => setDraft(null)}>
            {t('transitions.reset')}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!dirty || saveMoves.isPending}
            onClick={() => saveMoves.mutate()}
          >
            {t('transitions.save')}
          </button>
        </div>
      )}

      <h4>{t('transitions.entryRules')}</h4>
      <div className="table-scroll">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('transitions.targetStage')}</th>
              <th scope="col">{t('stage.requiredFields')}</th>
              <th scope="col">{t('stage.allowedRoles')}</th>
              <th scope="col">{t('transitions.lostReason')}</th>
              {!readOnly && (
                <th scope="col">
                  <span className="sr-only">{t('common:action.edit')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {stages.map((s) => {
              const fields = s.required_fields.filter((f) => f !== 'lost_reason');
              const lostReason = s.outcome === 'lost' || s.required_fields.includes('lost_reason');
              return (
                <tr key={s.id}>
                  <th scope="row">{name(s)}</th>
                  <td>
                    {fields.length === 0 ? (
                      <span className="muted">{t('transitions.none')}</span>
                    ) : (
                      fields.map((f) => t(`field.${f}`, { defaultValue: f })).join(', ')
                    )}
                  </td>
                  <td>
                    {s.allowed_roles.length === 0 ? (
                      <span className="muted">{t('transitions.anyRole')}</span>
                    ) : (
                      s.allowed_roles.map((r) => t(`role.${r}`)).join(', ')
                    )}
                  </td>
                  <td>
                    {s.category === 'lost' ? (lostReason ? t('transitions.yes') : t('transitions.no')) : '—'}
                  </td>
                  {!readOnly && (
                    <td>
                      <button
                        type="button"
                        className="btn"
                        aria-label={t('transitions.editRulesNamed', { name: name(s) })}
                        onClick={() => setRulesFor(s)}
                      >
                        {t('transitions.editRules')}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {rulesFor && (
        <StageDialog open rulesOnly pipeline={pipeline} stage={rulesFor} onClose={() => setRulesFor(null)} />
      )}
    </section>
  );
}
