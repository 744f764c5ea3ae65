import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import {
  getCrmV1AccountsByIdTimeline,
  getCrmV1ContactsByIdTimeline,
  getCrmV1DealsByIdTimeline,
  getCrmV1LeadsByIdTimeline,
} from '../../../shared/api-client/sdk.gen.js';
import type { Activity } from '../../../shared/api-client/types.gen.js';
import { useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { CompleteButton } from './CompleteButton.js';
import { KNOWN_KINDS, kindIcon, type Subject, taskStatus } from './kinds.js';
import { useMembers } from './members.js';
import './activities.css';

const PAGE = 25;

function fetchPage(subject: Subject, cursor: string | undefined) {
  const options = { path: { id: subject.id }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } };
  switch (subject.kind) {
    case 'deal':
      return call(getCrmV1DealsByIdTimeline(options));
    case 'account':
      return call(getCrmV1AccountsByIdTimeline(options));
    case 'contact':
      return call(getCrmV1ContactsByIdTimeline(options));
    case 'lead':
      return call(getCrmV1LeadsByIdTimeline(options));
  }
}

/**
 * The activity timeline of a deal, account, contact or lead: newest first, a page at a time ("load
 * more"), shared by the deal page, the Account 360, the contact drawer and the lead drawer.
 */
export function Timeline(props: { subject: Subject }) {
  const { t } = useTranslation('activities');
  const { kind, id } = props.subject;
  const q = useInfiniteQuery({
    queryKey: ['timeline', kind, id],
    queryFn: ({ pageParam }) => fetchPage({ kind, id }, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.page.has_more ? (last.page.next_cursor ?? undefined) : undefined),
  });
  const entries = q.data?.pages.flatMap((p) => p.data) ?? [];

  if (q.isLoading) return <p className="muted">{t('common:state.loading')}</p>;
  if (q.isError)
    return (
      <div className="alert alert-error" role="alert">
        {t('common:state.error')}{' '}
        <button type="button" className="btn" onClick={() => void q.refetch()}>
          {t('common:action.retry')}
        </button>
      </div>
    );
  return (
    <div className="timeline-wrap">
      {entries.length === 0 ? (
        <p className="muted" data-testid="timeline">
          {t('timeline.empty')}
        </p>
      ) : (
        <ol className="timeline" data-testid="timeline" aria-label={t('timeline.title')}>
          {entries.map((a) => (
            <TimelineEntry key={a.id} activity={a} />
          ))}
        </ol>
      )}
      {q.hasNextPage && (
        <button
          type="button"
          className="btn"
          disabled={q.isFetchingNextPage}
          onClick={() => void q.fetchNextPage()}
        >
          {q.isFetchingNextPage ? t('common:state.loading') : t('common:action.loadMore')}
        </button>
      )}
    </div>
  );
}

export function KindLabel(props: { kind: string }) {
  const { t } = useTranslation('activities');
  return <>{KNOWN_KINDS.has(props.kind) ? t(`kind.${props.kind}`) : props.kind}</>;
}

function TimelineEntry(props: { activity: Activity }) {
  const a = props.activity;
  const { t } = useTranslation('activities');
  const fmt = useFormat();
  const { byId } = useMembers();
  const authorId = a.owner_id ?? a.created_by;
  const author =
    a.actor_type === 'system' || a.source === 'system'
      ? t('timeline.system')
      : ((authorId ? byId.get(authorId)?.display_name : undefined) ?? t('timeline.unknownAuthor'));
  const timeZone = useMe().workspace.timezone;
  const status = taskStatus(a, timeZone);
  return (
    <li className={`timeline-entry timeline-${a.kind}`} data-testid="timeline-entry" data-kind={a.kind}>
      <span className="timeline-icon" aria-hidden="true">
        {kindIcon(a.kind)}
      </span>
      <div className="timeline-main">
        <div className="timeline-head">
          <span className="badge">
            <KindLabel kind={a.kind} />
          </span>
          <strong className="timeline-subject">{a.subject}</strong>
          {status && <TaskBadge status={status} />}
        </div>
        <div className="muted small">
          {author} ·{' '}
          <time dateTime={a.occurred_at} title={fmt.dateTime(a.occurred_at)}>
            {fmt.relative(a.occurred_at)}
          </time>
          {a.due_at && status !== 'done' && (
            <>
              {' · '}
              {t('timeline.due')}{' '}
              <time dateTime={a.due_at} title={fmt.dateTime(a.due_at)}>
                {fmt.dateTime(a.due_at)}
              </time>
            </>
          )}
          {a.completion && (
            <>
              {' · '}
              {t('timeline.completedAt')}{' '}
              <time dateTime={a.completion.completed_at} title={fmt.dateTime(a.completion.completed_at)}>
                {fmt.relative(a.completion.completed_at)}
              </time>
            </>
          )}
        </div>
        {a.body_html && (
          // The server renders markdown with raw HTML disabled and unsafe link schemes refused
          // (activity.presenter.ts, documented in docs/api.md), so its HTML is inserted as is.
          // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by the server (see above)
          <div className="timeline-body" dangerouslySetInnerHTML={{ __html: a.body_html }} />
        )}
        {status !== null && status !== 'done' && a.abilities.includes('complete') && (
          <CompleteButton activity={a} />
        )}
      </div>
    </li>
  );
}

export function TaskBadge(props: { status: Exclude<ReturnType<typeof taskStatus>, null> }) {
  const { t } = useTranslation('activities');
  const cls =
    props.status === 'overdue'
      ? 'badge badge-overdue'
      : props.status === 'done'
        ? 'badge badge-success'
        : 'badge';
  return <span className={cls}>{t(`due.${props.status}`)}</span>;
}
