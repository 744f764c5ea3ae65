import type { Activity } from '../../../shared/api-client/types.gen.js';

/** The kinds a person may log (the API's MANUAL_ACTIVITY_KINDS); system kinds are written by the server. */
export const LOG_KINDS = ['call', 'meeting', 'email', 'note', 'task', 'site_visit'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

export type SubjectKind = 'deal' | 'account' | 'contact' | 'lead';
export interface Subject {
  kind: SubjectKind;
  id: string;
}

/** A glyph per kind; decorative (aria-hidden), the kind's name is always written beside it. */
const ICONS: Record<string, string> = {
  // Plain symbols present in common system fonts (emoji fonts are not everywhere, e.g. Linux servers).
  call: '☎',
  meeting: '⚇',
  email: '✉',
  note: '✎',
  task: '☐',
  site_visit: '⌂',
  deal_created: '✦',
  stage_changed: '→',
  deal_won: '★',
  deal_lost: '✕',
  deal_cancelled: '⊘',
  owner_claimed: '⚑',
  owner_released: '⚐',
  owner_changed: '⇄',
  tag_added: '#',
  tag_removed: '#',
  contact_created: '✚',
  task_completed: '✓',
};
export const kindIcon = (kind: string): string => ICONS[kind] ?? '•';

/** Known kinds have a label in the `activities` namespace (`kind.<kind>`); others show as is. */
export const KNOWN_KINDS = new Set(Object.keys(ICONS));

export type TaskStatus = 'overdue' | 'today' | 'upcoming' | 'done' | null;

const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
function dayIn(d: Date, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) {
    const options = { year: 'numeric', month: '2-digit', day: '2-digit' } as const;
    try {
      f = new Intl.DateTimeFormat('en-CA', { ...options, timeZone });
    } catch {
      // An unknown zone name: the browser's own day is the best remaining guess.
      f = new Intl.DateTimeFormat('en-CA', options);
    }
    dayFormats.set(timeZone, f);
  }
  return f.format(d);
}

/**
 * Where a task stands: the API gives open/done; the due date decides the rest, with "today" meaning the
 * workspace's day (its time zone), as the API's `due=today` filter does.
 */
export function taskStatus(a: Activity, timeZone: string, now = new Date()): TaskStatus {
  if (a.task_state === null) return null;
  if (a.task_state === 'done') return 'done';
  if (!a.due_at) return 'upcoming';
  const due = new Date(a.due_at);
  if (due.getTime() < now.getTime()) return 'overdue';
  return dayIn(due, timeZone) === dayIn(now, timeZone) ? 'today' : 'upcoming';
}
