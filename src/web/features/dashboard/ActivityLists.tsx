import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { getCrmV1Activities, postCrmV1ActivitiesByIdComplete } from '../../../shared/api-client/sdk.gen.js';
import type { Activity } from '../../../shared/api-client/types.gen.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { toast } from '../../ui/toast.js';

/** The records an activity belongs to, as links (an activity carries ids, not names). */
function RelatedLinks(props: { activity: Activity }) {
  const { t } = useTranslation('dashboard');
  const a = props.activity;
  const links = [
    a.deal_id && { to: `/deals/${a.deal_id}`, label: t('related.deal') },
    a.account_id && { to: `/accounts/${a.account_id}`, label: t('related.account') },
    a.contact_id && { to: `/contacts/${a.contact_id}`, label: t('related.contact') },
  ].filter((l): l is { to: string; label: string } => Boolean(l));
  if (links.length === 0) return null;
  return (
    <span className="row dash-related">
      {links.map((l) => (
        <Link key={l.to} to={l.to} className="small" aria-label={`${l.label}: ${a.subject}`}>
          {l.label}
        </Link>
      ))}
    </span>
  );
}

export function RecentActivities(props: { ownerId?: 'me' }) {
  const { t } = useTranslation('dashboard');
  const fmt = useFormat();
  const params = { limit: 6, ...(props.ownerId ? { owner_id: props.ownerId } : {}) };
  const q = useQuery({
    queryKey: ['activities', params],
    queryFn: () => call(getCrmV1Activities({ query: params })),
    refetchOnWindowFocus: 'always',
  });
  if (q.isPending) return <p className="muted">{t('common:state.loading')}</p>;
  if (q.isError) return <p className="muted">{t('common:state.error')}</p>;
  if (q.data.data.length === 0) return <p className="muted">{t('recent.empty')}</p>;
  return (
    <ul className="dash-list">
      {q.data.data.map((a) => (
        <li key={a.id}>
          <div className="row">
            <span className="badge">{t(`kind.${a.kind}`, { defaultValue: a.kind })}</span>
            <span className="dash-subject">{a.subject}</span>
          </div>
          <div className="row small muted">
            <time dateTime={a.occurred_at} title={fmt.dateTime(a.occurred_at)}>
              {fmt.relative(a.occurred_at)}
            </time>
            <RelatedLinks activity={a} />
          </div>
        </li>
      ))}
    </ul>
  );
}

export function UpcomingTasks(props: { ownerId?: 'me' }) {
  const { t } = useTranslation('dashboard');
  const fmt = useFormat();
  const qc = useQueryClient();
  // Open tasks (overdue ones included); the list comes newest first, so sort by due date here.
  const params = { due: 'open' as const, limit: 50, ...(props.ownerId ? { owner_id: props.ownerId } : {}) };
  const q = useQuery({
    queryKey: ['activities', params],
    queryFn: () => call(getCrmV1Activities({ query: params })),
    refetchOnWindowFocus: 'always',
  });
  const complete = useMutation({
    mutationFn: (id: string) => call(postCrmV1ActivitiesByIdComplete({ path: { id }, body: {} })),
    onSuccess: () => {
      toast.success(t('tasks.completed'));
      void qc.invalidateQueries({ queryKey: ['activities'] });
      void qc.invalidateQueries({ queryKey: ['dashboard'] });
      void qc.invalidateQueries({ queryKey: ['timeline'] });
    },
  });
  if (q.isPending) return <p className="muted">{t('common:state.loading')}</p>;
  if (q.isError) return <p className="muted">{t('common:state.error')}</p>;
  const now = Date.now();
  const tasks = q.data.data
    .filter((a) => a.task_state === 'open')
    .sort((a, b) => (a.due_at ?? '9999').localeCompare(b.due_at ?? '9999'))
    .slice(0, 8);
  if (tasks.length === 0) return <p className="muted">{t('tasks.empty')}</p>;
  return (
    <ul className="dash-list">
      {tasks.map((a) => {
        const overdue = a.due_at !== null && new Date(a.due_at).getTime() < now;
        return (
          <li key={a.id} className="dash-task">
            <div className="stack dash-task-body">
              <span className="dash-subject">{a.subject}</span>
              <div className="row small muted">
                {a.due_at && (
                  <time dateTime={a.due_at} title={fmt.dateTime(a.due_at)}>
                    {t('tasks.due', { when: fmt.relative(a.due_at) })}
                  </time>
                )}
                {overdue && <span className="badge badge-overdue">{t('tasks.overdue')}</span>}
                <RelatedLinks activity={a} />
              </div>
            </div>
            {a.abilities.includes('complete') && (
              <button
                type="button"
                className="btn"
                disabled={complete.isPending && complete.variables === a.id}
                onClick={() => complete.mutate(a.id)}
                aria-label={t('tasks.completeNamed', { subject: a.subject })}
              >
                {t('tasks.complete')}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
