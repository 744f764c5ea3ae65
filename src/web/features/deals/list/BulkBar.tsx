import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { patchCrmV1DealsById, postCrmV1DealsByIdMove } from '../../../../shared/api-client/sdk.gen.js';
import { can, useMe } from '../../../app/session.js';
import { ApiError, call } from '../../../lib/api.js';
import { toast } from '../../../ui/toast.js';
import { ifMatch, useMembers, usePipelines, useStageName } from '../deal/queries.js';
import type { ListDeal } from './columns.js';
import { runPool } from './pool.js';

/**
 * Bulk owner change and bulk stage move over the selected deals. There are no bulk endpoints, so each
 * deal is its own request (four at a time), with the version the list read: a deal someone changed in
 * between fails with its reason instead of being overwritten. The outcome is "n done, m failed" with
 * every failure's reason, kept on screen until dismissed.
 */

const CONCURRENCY = 4;

interface Failure {
  id: string;
  name: string;
  reason: string;
}

function reason(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.fieldErrors()).map(([f, m]) => `${f}: ${m}`);
    return [error.message, ...fields].join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}

export function BulkBar(props: {
  selected: ListDeal[];
  /** Narrows the selection to these ids (the failed ones after a run; none to clear). */
  onSelect: (ids: string[]) => void;
}) {
  const { t } = useTranslation('deals');
  const me = useMe();
  const qc = useQueryClient();
  const stageName = useStageName();
  const members = useMembers();
  const pipelines = usePipelines();
  const ids = { owner: useId(), stage: useId() };
  const [owner, setOwner] = useState('');
  const [stage, setStage] = useState('');
  const [running, setRunning] = useState<{ done: number; total: number } | null>(null);
  const [outcome, setOutcome] = useState<{ done: number; failures: Failure[] } | null>(null);

  const n = props.selected.length;
  const pipelineIds = new Set(props.selected.map((d) => d.pipeline_id));
  const stagePipelines = (pipelines.data ?? []).filter((p) => pipelineIds.has(p.id));

  async function run(task: (d: ListDeal) => Promise<unknown>) {
    const deals = [...props.selected];
    setOutcome(null);
    setRunning({ done: 0, total: deals.length });
    const results = await runPool(deals, CONCURRENCY, task, (done) =>
      setRunning({ done, total: deals.length }),
    );
    setRunning(null);
    const failures = results.flatMap((r) =>
      r.ok ? [] : [{ id: r.item.id, name: r.item.name, reason: reason(r.error) }],
    );
    const done = results.length - failures.length;
    setOutcome({ done, failures });
    const summary = t('bulk.result', { done, failed: failures.length });
    if (failures.length === 0) toast.success(summary);
    else toast.info(summary);
    void qc.invalidateQueries({ queryKey: ['deals'] });
    void qc.invalidateQueries({ queryKey: ['board'] });
    void qc.invalidateQueries({ queryKey: ['dashboard'] });
    for (const d of deals) void qc.invalidateQueries({ queryKey: ['deal', d.id] });
    // Keep the failed ones selected so they can be fixed and retried; the rest are done.
    props.onSelect(failures.map((f) => f.id));
  }

  const changeOwner = () =>
    run((d) =>
      call(
        patchCrmV1DealsById({
          path: { id: d.id },
          body: { owner_id: owner === '-' ? null : owner },
          headers: ifMatch(d.version),
        }),
      ),
    );
  const moveStage = () =>
    run((d) =>
      call(postCrmV1DealsByIdMove({ path: { id: d.id }, body: { stage_id: stage, version: d.version } })),
    );

  const busy = running !== null;
  return (
    <section className="card deal-bulk" data-testid="bulk-bar" aria-label={t('bulk.label')}>
      <div className="row">
        <strong>{t('bulk.selected', { count: n })}</strong>
        {can(me, 'crm.deal.update') && (
          <div className="row">
            <label htmlFor={ids.owner}>{t('bulk.owner')}</label>
            <select id={ids.owner} value={owner} onChange={(e) => setOwner(e.target.value)} disabled={busy}>
              <option value="">{t('bulk.chooseOwner')}</option>
              <option value="-">{t('form.noOwner')}</option>
              {(members.data ?? [])
                .filter((m) => m.status === 'active')
                .map((m) => (
                  <option key={m.user_id} value={m.user_id}>
                    {m.display_name}
                  </option>
                ))}
            </select>
            <button type="button" className="btn" disabled={busy || !owner} onClick={changeOwner}>
              {t('bulk.apply')}
            </button>
          </div>
        )}
        {can(me, 'crm.deal.stage_change') && (
          <div className="row">
            <label htmlFor={ids.stage}>{t('bulk.stage')}</label>
            <select id={ids.stage} value={stage} onChange={(e) => setStage(e.target.value)} disabled={busy}>
              <option value="">{t('bulk.chooseStage')}</option>
              {stagePipelines.map((p) => (
                <optgroup key={p.id} label={p.name}>
                  {[...p.stages]
                    .sort((a, b) => a.position - b.position)
                    .map((st) => (
                      <option key={st.id} value={st.id}>
                        {stageName(st)}
                      </option>
                    ))}
                </optgroup>
              ))}
            </select>
            <button type="button" className="btn" disabled={busy || !stage} onClick={moveStage}>
              {t('bulk.move')}
            </button>
          </div>
        )}
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={() => props.onSelect([])} disabled={busy}>
          {t('bulk.clear')}
        </button>
      </div>
      {pipelineIds.size > 1 && <p className="muted small">{t('bulk.manyPipelines')}</p>}
      <div aria-live="polite">
        {running && (
          <p className="small">
            <progress max={running.total} value={running.done} aria-label={t('bulk.progress')} />{' '}
            {t('bulk.running', { done: running.done, total: running.total })}
          </p>
        )}
        {outcome && (
          <div className={outcome.failures.length ? 'alert alert-warning' : 'alert'} role="status">
            <div className="row">
              <span>{t('bulk.result', { done: outcome.done, failed: outcome.failures.length })}</span>
              <span className="spacer" />
              <button
                type="button"
                className="icon-btn"
                aria-label={t('common:action.dismiss')}
                onClick={() => setOutcome(null)}
              >
                ×
              </button>
            </div>
            {outcome.failures.length > 0 && (
              <ul className="small deal-bulk-failures">
                {outcome.failures.map((f) => (
                  <li key={f.id}>
                    <strong>{f.name}</strong>: {f.reason}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
