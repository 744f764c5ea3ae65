import { createHash } from 'node:crypto';
import ical, { type Attendee, type Organizer, type ParameterValue, type VEvent } from 'node-ical';
import { AppError } from '../../platform/errors.js';
import { domainOf } from './inbound.domains.js';
import { dropNul } from './inbound.email.js';

/**
 * An iCalendar file reduced to meetings: one per VEVENT and one per RECURRENCE-ID override, with
 * organizer, attendees and their attendance (PARTSTAT). node-ical resolves TZID (Asia/Ho_Chi_Minh …)
 * to instants.
 */

export type Attendance = 'accepted' | 'declined' | 'tentative' | 'needs_action' | 'delegated' | 'unknown';

export interface MeetingAttendee {
  address: string;
  name: string | null;
  domain: string;
  role: 'organizer' | 'attendee';
  attendance: Attendance;
}

export interface ParsedMeeting {
  /** UID, plus `/` and the RECURRENCE-ID instant for one occurrence of a series. */
  eventId: string;
  uid: string;
  recurrenceId: string | null;
  sequence: number;
  cancelled: boolean;
  summary: string;
  description: string;
  location: string | null;
  start: Date;
  end: Date | null;
  timeZone: string | null;
  recurrence: string | null;
  participants: MeetingAttendee[];
}

const bad = (field: string, message: string) =>
  new AppError('validation_failed', message, {
    fields: [{ field, pointer: '', in: 'body', code: 'invalid', message }],
  });

function textOf(v: ParameterValue | undefined): string {
  if (v === undefined || v === null) return '';
  return dropNul(typeof v === 'string' ? v : String(v.val ?? '')).trim();
}

const PARTSTAT: Record<string, Attendance> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentative',
  'NEEDS-ACTION': 'needs_action',
  DELEGATED: 'delegated',
};

function person(
  v: Attendee | Organizer,
  role: MeetingAttendee['role'],
): Omit<MeetingAttendee, 'domain'> & { domain: string | null } {
  const value = typeof v === 'string' ? v : v.val;
  const params: Record<string, unknown> = typeof v === 'string' ? {} : (v.params ?? {});
  const address = dropNul(String(value ?? ''))
    .replace(/^mailto:/i, '')
    .normalize('NFKC')
    .trim()
    .toLowerCase();
  const cn = typeof params.CN === 'string' ? dropNul(params.CN).replace(/^"|"$/g, '').trim() : '';
  const stat = typeof params.PARTSTAT === 'string' ? params.PARTSTAT.toUpperCase() : '';
  return {
    address,
    name: cn || null,
    domain: domainOf(address),
    role,
    attendance: role === 'organizer' ? 'accepted' : (PARTSTAT[stat] ?? (stat ? 'unknown' : 'needs_action')),
  };
}

/** `FREQ=WEEKLY;COUNT=6;BYDAY=WE` out of rrule.js's `DTSTART…\nRRULE:…` rendering. */
function rruleText(rendered: string): string {
  const line = rendered.split('\n').find((l) => l.startsWith('RRULE:'));
  return line ? line.slice('RRULE:'.length) : rendered;
}

function meetingOf(ev: VEvent, method: string | null): ParsedMeeting {
  if (!ev.uid) throw bad('UID', 'A VEVENT has no UID (RFC 5545 requires one)');
  if (!(ev.start instanceof Date) || Number.isNaN(ev.start.getTime())) {
    throw bad('DTSTART', `VEVENT ${ev.uid} has no valid DTSTART`);
  }
  const recurrenceId =
    ev.recurrenceid instanceof Date && !Number.isNaN(ev.recurrenceid.getTime())
      ? ev.recurrenceid.toISOString()
      : null;
  const participants: MeetingAttendee[] = [];
  const seen = new Set<string>();
  const push = (p: ReturnType<typeof person>) => {
    if (!p.domain || seen.has(p.address)) return;
    seen.add(p.address);
    participants.push({ ...p, domain: p.domain });
  };
  if (ev.organizer) push(person(ev.organizer, 'organizer'));
  const attendees = ev.attendee === undefined ? [] : Array.isArray(ev.attendee) ? ev.attendee : [ev.attendee];
  for (const a of attendees) push(person(a, 'attendee'));
  const end = ev.end instanceof Date && !Number.isNaN(ev.end.getTime()) ? ev.end : null;
  const tz = (ev.start as Date & { tz?: string }).tz;
  const uid = dropNul(String(ev.uid));
  const id = recurrenceId ? `${uid}/${recurrenceId}` : uid;
  return {
    // Long UIDs are hashed: entries keep source event ids of at most 300 characters.
    eventId: id.length <= 250 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`,
    uid: uid.slice(0, 300),
    recurrenceId,
    sequence: Number.isFinite(ev.sequence) ? Number(ev.sequence) : 0,
    cancelled: ev.status === 'CANCELLED' || method === 'CANCEL',
    summary: textOf(ev.summary).replace(/\s+/g, ' '),
    description: textOf(ev.description),
    location: textOf(ev.location) || null,
    start: ev.start,
    end,
    timeZone: tz && tz !== 'Etc/UTC' ? tz : null,
    recurrence: ev.rrule ? rruleText(ev.rrule.toString()) : null,
    participants,
  };
}

/** Parses an iCalendar body. 422 naming BEGIN:VCALENDAR / VEVENT / UID / DTSTART when it is not usable. */
export function parseCalendar(body: string): ParsedMeeting[] {
  if (!/^\s*BEGIN:VCALENDAR/i.test(body)) {
    throw bad('BEGIN:VCALENDAR', 'Not an iCalendar file: it must start with BEGIN:VCALENDAR');
  }
  let data: ReturnType<typeof ical.sync.parseICS>;
  try {
    data = ical.sync.parseICS(body);
  } catch (e) {
    throw bad('body', `Not a parseable iCalendar file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const method = typeof data.vcalendar?.method === 'string' ? data.vcalendar.method.toUpperCase() : null;
  const out: ParsedMeeting[] = [];
  for (const [key, c] of Object.entries(data)) {
    if (key === 'vcalendar' || !c || c.type !== 'VEVENT') continue;
    const ev = c as VEvent;
    out.push(meetingOf(ev, method));
    // Overrides are stored under both the date and the instant key; take each once.
    const overrides = new Map<string, VEvent>();
    for (const o of Object.values(ev.recurrences ?? {})) {
      const m = meetingOf(o as VEvent, method);
      if (m.recurrenceId && m.eventId !== out[out.length - 1]?.eventId) overrides.set(m.eventId, o as VEvent);
    }
    for (const o of overrides.values()) out.push(meetingOf(o, method));
  }
  if (out.length === 0) throw bad('VEVENT', 'The calendar contains no VEVENT');
  return out;
}
