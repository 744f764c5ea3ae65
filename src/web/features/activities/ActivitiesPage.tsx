import { type InfiniteData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { getCrmV1Activities, getCrmV1LeadsById } from '../../../shared/api-client/sdk.gen.js';
import type { Activity, GetCrmV1ActivitiesResponse } from '../../../shared/api-client/types.gen.js';
import { useMe } from '../../app/session.js';
import { call } from '../../lib/api.js';
import { useFormat } from '../../lib/format.js';
import { SelectField } from '../../ui/Field.js';
import { CompleteButton } from './CompleteButton.js';
import { KNOWN_KINDS, kindIcon, LOG_KINDS, type LogKind, taskStatus } from './kinds.js';
import { LogActivityDialog } from './LogActivityDialog.js';
import { useMembers } from './members.js';
import { KindLabel, TaskBadge } from './Timeline.js';
import './activities.css';

type Section = 'overdue' | 'today' | 'upcoming' | 'done' | 'logged';
const LOGGED_KINDS = LOG_KINDS.filter((k) => k !== 'task');
const PAGE = 50;

type Row =
  | { type: 'header'; section: Section; count: number; more: boolean }
  | { type: 'item'; section: Section; activity: Activity }
  | { type: 'more'; section: Section };

/**
 * Activities page: my or the team's activities, tasks first by urgency (overdue, due today, upcoming,
 * done), then what was logged. One cursor-paged query per section (the API filters `due`); one
 * virtualized list over all of them so a long backlog stays smooth.
 */
export default function ActivitiesPage() {
  const { t } = useTranslation('activities');
  const [params, setParams] = useSearchParams();
  const scope = params.get('scope') === 'team' ? 'team' : 'mine';
  const kindParam = params.get('kind');
  const kind =
    kindParam && (LOG_KINDS as readonly string[]).includes(kindParam) ? (kindParam as LogKind) : '';
  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const logOpen = params.get('new') === '1';

  const showTasks = kind === '' || kind === 'task';
  const showLogged = kind !== 'task';
  const base = { owner_id: scope === 'mine' ? ('me' as const) : undefined };
  const overdue = useSection('overdue', { ...base, due: 'overdue' }, showTasks);
  const today = useSection('today', { ...base, due: 'today' }, showTasks);
  const upcoming = useSection('upcoming', { ...base, due: 'upcoming' }, showTasks);
  const done = useSection('done', { ...base, due: 'done' }, showTasks);
  const logged = useSection('logged', { ...base, kind: kind || LOGGED_KINDS.join(',') }, showLogged);

  const rows = useMemo<Row[]>(() => {
    const out: Row[] = [];
    const todayIds = new Set(items(today.data).map((a) => a.id));
    const byDue = (a: Activity, b: Activity) => (a.due_at ?? '').localeCompare(b.due_at ?? '');
    const sections: [Section, Activity[], boolean][] = [];
    if (showTasks) {
      sections.push(['overdue', items(overdue.data).sort(byDue), overdue.hasNextPage]);
      sections.push(['today', items(today.data).sort(byDue), today.hasNextPage]);
      // `upcoming` (due from now on) also holds what is due later today: shown once, under today.
      sections.push([
        'upcoming',
        items(upcoming.data)
          .filter((a) => !todayIds.has(a.id))
          .sort(byDue),
        upcoming.hasNextPage,
      ]);
    }
    if (showLogged) sections.push(['logged', items(logged.data), logged.hasNextPage]);
    if (showTasks) sections.push(['done', items(done.data), done.hasNextPage]);
    for (const [section, list, more] of sections) {
      if (list.length === 0 && !more) continue;
      out.push({ type: 'header', section, count: list.length, more });
      for (const a of list) out.push({ type: 'item', section, activity: a });
      if (more) out.push({ type: 'more', section });
    }
    return out;
  }, [
    showTasks,
    showLogged,
    overdue.data,
    overdue.hasNextPage,
    today.data,
    today.hasNextPage,
    upcoming.data,
    upcoming.hasNextPage,
    done.data,
    done.hasNextPage,
    logged.data,
    logged.hasNextPage,
  ]);
  const queries = { overdue, today, upcoming, done, logged };
  const loading = Object.values(queries).some((q) => q.isLoading);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.type === 'item' ? 64 : 40),
    overscan: 8,
  });

  return (
    <section className="page" aria-labelledby="activities-title">
      <header className="page-header row">
        <h1 id="activities-title">{t('page.title')}</h1>
        <span className="spacer" />
        <button type="button" className="btn btn-primary" onClick={() => setParam('new', '1')}>
          {t('page.logActivity')}
        </button>
      </header>
      <div className="activities-toolbar">
        <fieldset className="field plain-fieldset">
          <legend className="field-label">{t('page.scope')}</legend>
          <div className="segmented">
            <button type="button" aria-pressed={scope === 'mine'} onClick={() => setParam('scope', null)}>
              {t('page.mine')}
            </button>
            <button type="button" aria-pressed={scope === 'team'} onClick={() => setParam('scope', 'team')}>
              {t('page.team')}
            </button>
          </div>
        </fieldset>
        <SelectField
          label={t('page.type')}
          value={kind}
          onChange={(e) => setParam('kind', e.target.value || null)}
        >
          <option value="">{t('page.allTypes')}</option>
          {LOG_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`kind.${k}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="card activity-list" ref={scrollRef} data-testid="activities-list">
        {loading && rows.length === 0 ? (
          <p className="muted">{t('common:state.loading')}</p>
        ) : rows.length === 0 ? (
          <p className="muted">{t('page.empty')}</p>
        ) : (
          <ul className="virtual-list" style={{ height: virtual.getTotalSize() }}>
            {virtual.getVirtualItems().map((v) => {
              const row = rows[v.index];
              if (!row) return null;
              return (
                <li
                  key={v.key}
                  data-index={v.index}
                  ref={virtual.measureElement}
                  style={{ position: 'absolute', insetInlineStart: 0, width: '100%', top: v.start }}
                >
                  {row.type === 'header' && (
                    <h2 className="activity-group">
                      {t(`page.group.${row.section}`)}{' '}
                      <span className="muted small">
                        ({t('page.count', { count: row.count })}
                        {row.more ? '+' : ''})
                      </span>
                    </h2>
                  )}
                  {row.type === 'item' && (
                    <ActivityRow activity={row.activity} showOwner={scope === 'team'} />
                  )}
                  {row.type === 'more' && (
                    <div className="activity-item">
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={queries[row.section].isFetchingNextPage}
                        onClick={() => void queries[row.section].fetchNextPage()}
                      >
                        {t('common:action.loadMore')}
                      </button>
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>
      <LogActivityDialog
        open={logOpen}
        onClose={() => setParam('new', null)}
        initialKind={kind === '' ? undefined : kind}
      />
    </section>
  );
}

type Query = NonNullable<Parameters<typeof getCrmV1Activities>[0]>['query'];

function useSection(section: Section, query: Query, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ['activities', { section, ...query }],
    queryFn: ({ pageParam }) =>
      call(
        getCrmV1Activities({ query: { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.page.has_more ? (last.page.next_cursor ?? undefined) : undefined),
    enabled,
  });
}

function items(data: InfiniteData<GetCrmV1ActivitiesResponse> | undefined): Activity[] {
  return data?.pages.flatMap((p) => p.data) ?? [];
}

function ActivityRow(props: { activity: Activity; showOwner: boolean }) {
  const a = props.activity;
  const { t } = useTranslation('activities');
  const fmt = useFormat();
  const { byId } = useMembers();
  const timeZone = useMe().workspace.timezone;
  const status = taskStatus(a, timeZone);
  const link = a.deal_id
    ? { to: `/deals/${a.deal_id}`, label: t('page.open.deal') }
    : a.account_id
      ? { to: `/accounts/${a.account_id}`, label: t('page.open.account') }
      : a.contact_id
        ? { to: `/contacts/${a.contact_id}`, label: t('page.open.contact') }
        : null;
  const when =
    status && status !== 'done' && a.due_at ? a.due_at : (a.completion?.completed_at ?? a.occurred_at);
  return (
    <div className="activity-item" data-testid="activity-row">
      <span className="timeline-icon" aria-hidden="true">
        {kindIcon(a.kind)}
      </span>
      <div className="activity-text">
        <strong title={a.subject}>{a.subject}</strong>
        <span className="muted small">
          {KNOWN_KINDS.has(a.kind) ? <KindLabel kind={a.kind} /> : a.kind} ·{' '}
          <time dateTime={when} title={fmt.dateTime(when)}>
            {fmt.relative(when)}
          </time>
          {props.showOwner && a.owner_id && <> · {byId.get(a.owner_id)?.display_name ?? '…'}</>}
          {link && (
            <>
              {' · '}
              <Link to={link.to}>{link.label}</Link>
            </>
          )}
          {!link && a.lead_id && (
            <>
              {' · '}
              <LeadLink id={a.lead_id} />
            </>
          )}
        </span>
      </div>
      {status && <TaskBadge status={status} />}
      {status !== null && status !== 'done' && a.abilities.includes('complete') && (
        <CompleteButton activity={a} />
      )}
    </div>
  );
}

/**
 * An entry logged only on a lead names the lead (a converted lead's entries carry the customer's links,
 * shown like any other). The name comes from the lead itself under the drawer's query key, so opening
 * the lead reuses it; rows are virtualized, so only the visible ones ask.
 */
function LeadLink(props: { id: string }) {
  const { t } = useTranslation('activities');
  const q = useQuery({
    queryKey: ['lead', props.id],
    queryFn: () => call(getCrmV1LeadsById({ path: { id: props.id } })),
    meta: { silent: true },
    retry: false,
  });
  return (
    <Link to={`/leads/${props.id}`}>
      {q.data ? t('page.open.leadNamed', { name: q.data.display_name }) : t('page.open.lead')}
    </Link>
  );
}
