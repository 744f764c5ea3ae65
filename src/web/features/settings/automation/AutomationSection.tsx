import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  deleteCrmV1WorkflowsById,
  getCrmV1Workflows,
  getCrmV1WorkflowsByIdRuns,
  getCrmV1WorkflowsCatalogue,
  patchCrmV1WorkflowsById,
} from '../../../../shared/api-client/sdk.gen.js';
import type { Workflow } from '../../../../shared/api-client/types.gen.js';
import { can, useMe } from '../../../app/session.js';
import { call } from '../../../lib/api.js';
import { useFormat } from '../../../lib/format.js';
import { Dialog } from '../../../ui/Dialog.js';
import { toast } from '../../../ui/toast.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { WorkflowEditor } from './WorkflowEditor.js';
import './automation.css';

const STATUS_BADGE: Record<string, string> = {
  succeeded: 'badge badge-success',
  failed: 'badge badge-overdue',
  running: 'badge',
  skipped: 'badge',
};

/**
 * Settings → Automation: the workspace's workflows (switch on/off, trigger, last run), the editor built
 * from the server's catalogue, and each workflow's recent runs with their errors. Admins only, like the
 * API (crm.settings.manage).
 */
export function AutomationSection() {
  const { t } = useTranslation('automation');
  const me = useMe();
  const fmt = useFormat();
  const qc = useQueryClient();
  const manage = can(me, 'crm.settings.manage');
  const workflows = useQuery({
    queryKey: ['workflows'],
    queryFn: () => call(getCrmV1Workflows({ query: { limit: 100 } })),
    enabled: manage,
  });
  const catalogue = useQuery({
    queryKey: ['workflows', 'catalogue'],
    queryFn: () => call(getCrmV1WorkflowsCatalogue()),
    enabled: manage,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [editing, setEditing] = useState<Workflow | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Workflow | null>(null);
  const [showRuns, setShowRuns] = useState<Workflow | null>(null);

  const toggle = useMutation({
    mutationFn: (w: Workflow) =>
      call(
        patchCrmV1WorkflowsById({ path: { id: w.id }, body: { enabled: !w.enabled, version: w.version } }),
      ),
    onError: (e) => toast.error(e instanceof Error ? e.message : String(e)),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['workflows'] }),
  });
  const remove = useMutation({
    mutationFn: (w: Workflow) => call(deleteCrmV1WorkflowsById({ path: { id: w.id } })),
    onSuccess: () => {
      toast.success(t('deleted'));
      setDeleting(null);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['workflows'] }),
  });

  if (!manage) {
    return (
      <div className="stack">
        <h2>{t('title')}</h2>
        <p className="muted">{t('forbidden')}</p>
      </div>
    );
  }

  const list = workflows.data?.data ?? [];
  return (
    <div className="stack">
      <div className="row">
        <h2>{t('title')}</h2>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-primary"
          disabled={!catalogue.data}
          onClick={() => setEditing('new')}
        >
          {t('new')}
        </button>
      </div>
      <p className="muted small">{t('intro')}</p>
      <div className="card table-scroll">
        {workflows.isPending ? (
          <p className="muted">{t('loading')}</p>
        ) : (
          <table className="table" data-testid="workflows-table">
            <caption className="sr-only">{t('title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('col.name')}</th>
                <th scope="col">{t('col.trigger')}</th>
                <th scope="col">{t('col.enabled')}</th>
                <th scope="col">{t('col.lastRun')}</th>
                <th scope="col">
                  <span className="sr-only">{t('col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    {t('empty')}
                  </td>
                </tr>
              )}
              {list.map((w) => (
                <tr key={w.id} data-testid="workflow-row">
                  <td>
                    <strong>{w.name}</strong>
                    {w.description && <div className="muted small">{w.description}</div>}
                  </td>
                  <td>{t(`triggers.${w.trigger}`, { defaultValue: w.trigger })}</td>
                  <td>
                    <input
                      type="checkbox"
                      role="switch"
                      checked={w.enabled}
                      aria-checked={w.enabled}
                      aria-label={t('enabledOf', { name: w.name })}
                      disabled={toggle.isPending}
                      onChange={() => toggle.mutate(w)}
                    />
                  </td>
                  <td>
                    {w.last_run ? (
                      <span className="stack workflow-last-run">
                        <span className={STATUS_BADGE[w.last_run.status] ?? 'badge'}>
                          {t(`status.${w.last_run.status}`, { defaultValue: w.last_run.status })}
                        </span>
                        <span className="muted small">{fmt.dateTime(w.last_run.started_at)}</span>
                      </span>
                    ) : (
                      <span className="muted small">{t('never')}</span>
                    )}
                  </td>
                  <td>
                    <span className="row workflow-buttons">
                      <button
                        type="button"
                        className="btn"
                        aria-label={t('runsNamed', { name: w.name })}
                        onClick={() => setShowRuns(w)}
                      >
                        {t('runs')}
                      </button>
                      <button
                        type="button"
                        className="btn"
                        aria-label={t('editNamed', { name: w.name })}
                        disabled={!catalogue.data}
                        onClick={() => setEditing(w)}
                      >
                        {t('edit')}
                      </button>
                      <button
                        type="button"
                        className="btn btn-ghost"
                        aria-label={t('deleteNamed', { name: w.name })}
                        onClick={() => setDeleting(w)}
                      >
                        {t('delete')}
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {editing && catalogue.data && (
        <WorkflowEditor
          catalogue={catalogue.data}
          workflow={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
      {showRuns && <RunsDialog workflow={showRuns} onClose={() => setShowRuns(null)} />}
      <ConfirmDialog
        open={deleting !== null}
        title={t('deleteTitle')}
        confirmLabel={t('delete')}
        busy={remove.isPending}
        error={remove.error ? remove.error.message : null}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
      >
        <p>{t('deleteBody', { name: deleting?.name ?? '' })}</p>
      </ConfirmDialog>
    </div>
  );
}

function RunsDialog(props: { workflow: Workflow; onClose: () => void }) {
  const { t } = useTranslation('automation');
  const fmt = useFormat();
  const runs = useQuery({
    queryKey: ['workflows', props.workflow.id, 'runs'],
    queryFn: () => call(getCrmV1WorkflowsByIdRuns({ path: { id: props.workflow.id }, query: { limit: 50 } })),
    refetchInterval: 5000,
  });
  const list = runs.data?.data ?? [];
  return (
    <Dialog open wide title={t('runsPanel.title', { name: props.workflow.name })} onClose={props.onClose}>
      {runs.isPending ? (
        <p className="muted">{t('loading')}</p>
      ) : list.length === 0 ? (
        <p className="muted">{t('runsPanel.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="workflow-runs">
            <caption className="sr-only">{t('runsPanel.title', { name: props.workflow.name })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('runsPanel.when')}</th>
                <th scope="col">{t('runsPanel.event')}</th>
                <th scope="col">{t('runsPanel.status')}</th>
                <th scope="col">{t('runsPanel.attempts')}</th>
                <th scope="col">{t('runsPanel.details')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id} data-testid="workflow-run">
                  <td>{fmt.dateTime(r.started_at)}</td>
                  <td>
                    <code>{r.event_type}</code>
                  </td>
                  <td>
                    <span className={STATUS_BADGE[r.status] ?? 'badge'}>
                      {t(`status.${r.status}`, { defaultValue: r.status })}
                    </span>
                  </td>
                  <td>{r.attempts}</td>
                  <td>
                    {r.error && <div className="field-error">{r.error}</div>}
                    <ul className="workflow-results">
                      {r.results.map((x) => (
                        <li key={x.index}>
                          {t('runsPanel.action', { n: x.index + 1 })}: {t(`actionTypes.${x.type}`)} —{' '}
                          {t(`status.${x.status}`, { defaultValue: x.status })}
                          {x.error ? ` (${x.error})` : ''}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row settings-actions">
        <button type="button" className="btn" onClick={props.onClose}>
          {t('runsPanel.close')}
        </button>
      </div>
    </Dialog>
  );
}
