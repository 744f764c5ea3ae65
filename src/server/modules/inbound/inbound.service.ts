import type { Kysely } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { type Actor, requirePermission } from '../../platform/auth/actor.js';
import { sqlState, UNIQUE_VIOLATION } from '../../platform/db/errors.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { mayAssignOwner } from '../activities/activity.policy.js';
import { accountLink } from '../activities/activity.repository.js';
import type { CreateActivityInput } from '../activities/activity.schema.js';
import { createActivity } from '../activities/activity.service.js';
import { canSeeDeal } from '../deals/deal.visibility.js';
import { type Attendance, type ParsedMeeting, parseCalendar } from './inbound.calendar.js';
import { domainChain, domainOf, isPersonalDomain, normalizeDomain } from './inbound.domains.js';
import { type ParsedEmail, parseEmail } from './inbound.email.js';
import {
  contactsByAddress,
  hourlyCounts,
  insertItem,
  listItems,
  listTracked,
  loggedBefore,
  membersByAddress,
  openDeals,
  ownDomains,
  trackedAmong,
} from './inbound.repository.js';
import type {
  ChatNoteInput,
  InboundItemJson,
  InboundResultJson,
  InboundSettingsInput,
  InboundSettingsJson,
  ItemsQuery,
  ReceivedItemPage,
  ReconciliationJson,
  ReconciliationQuery,
  TrackedDomainInput,
  TrackedDomainJson,
} from './inbound.schema.js';
import type { InboundChannel, InboundItemRow, SkipReason, TrackedDomainRow } from './inbound.table.js';

/**
 * Activity auto-log (seed flow 4). The EMAIL, CHAT and Calendar systems deliver what they saw; each unit
 * is logged on the timeline through the activities service (its authorization, audit, event and
 * (source, source_event_id) idempotency) only when a participant's domain is tracked for an account,
 * and every unit is recorded as received (logged, or skipped with a reason) for the reconciliation.
 *
 * Personal mail domains (gmail.com …) can never be tracked, and their participants are never matched to
 * anything (R-CRM-003), even when a contact carries that address.
 */

type Ctx = RequestContext;

interface Person {
  address: string;
  domain: string;
}

interface Match {
  accountId: string | null;
  contactId: string | null;
  contactIds: string[];
  dealId: string | null;
  dealMatch: InboundItemJson['deal_match'];
  matchedDomains: string[];
  personal: number;
  /** Set when nothing can be attached. */
  skip: SkipReason | null;
}

/** Participants of the workspace's own domains are us, not the customer. */
function isOwn(domain: string, own: ReadonlySet<string>): boolean {
  return domainChain(domain).some((d) => own.has(d));
}

/**
 * Finds the account (first external participant, in order, whose domain or a parent domain is tracked),
 * the contacts (by address, preferring the account's), and the account's open deal when there is
 * exactly one the actor may see.
 */
async function match(
  db: Kysely<DB>,
  actor: Actor,
  people: Person[],
  own: ReadonlySet<string>,
): Promise<Match> {
  const tenantId = actor.workspaceId;
  const external = people.filter((p) => !isOwn(p.domain, own));
  const personal = external.filter((p) => isPersonalDomain(p.domain));
  const business = external.filter((p) => !isPersonalDomain(p.domain));
  const none = (skip: SkipReason): Match => ({
    accountId: null,
    contactId: null,
    contactIds: [],
    dealId: null,
    dealMatch: null,
    matchedDomains: [],
    personal: personal.length,
    skip,
  });
  if (external.length === 0) return none('no_tracked_domain');
  if (business.length === 0) return none('personal_domain');
  const tracked = await trackedAmong(db, tenantId, [
    ...new Set(business.flatMap((p) => domainChain(p.domain))),
  ]);
  const accountOf = new Map(tracked.map((t) => [t.domain, t.account_id]));
  let accountId: string | null = null;
  const matchedDomains: string[] = [];
  for (const p of business) {
    const hit = domainChain(p.domain).find((d) => accountOf.has(d)); // longest (most specific) first
    if (!hit) continue;
    if (!matchedDomains.includes(hit)) matchedDomains.push(hit);
    accountId ??= accountOf.get(hit) ?? null;
  }
  if (!accountId) return none('no_tracked_domain');
  const contacts = await contactsByAddress(
    db,
    tenantId,
    business.map((p) => p.address),
  );
  const order = new Map(business.map((p, i) => [p.address, i]));
  contacts.sort((a, b) => (order.get(a.address) ?? 0) - (order.get(b.address) ?? 0));
  const contactIds = [...new Set(contacts.map((c) => c.id))];
  const contactId = (contacts.find((c) => c.account_id === accountId) ?? contacts[0])?.id ?? null;
  const deals = await openDeals(db, tenantId, accountId);
  const only = deals.length === 1 ? deals[0] : undefined;
  const dealMatch: Match['dealMatch'] =
    deals.length === 0
      ? 'none_open'
      : deals.length > 1
        ? 'ambiguous'
        : only && canSeeDeal(actor, only)
          ? 'single_open'
          : 'not_visible';
  return {
    accountId,
    contactId,
    contactIds,
    dealId: dealMatch === 'single_open' && only ? only.id : null,
    dealMatch,
    matchedDomains,
    personal: personal.length,
    skip: null,
  };
}

/** Activities keep at most 4096 bytes of metadata: lists are cut until it fits. */
function fitMetadata(build: (cap: number) => Record<string, unknown>): Record<string, unknown> {
  for (const cap of [50, 20, 10, 5, 2, 0]) {
    const m = build(cap);
    if (JSON.stringify(m).length <= 4000) return m;
  }
  return { truncated: true };
}

const cut = <T>(list: T[], cap: number) => list.slice(0, cap);

/**
 * The entry's owner: the first of `candidates` (our side of the conversation, in order of preference)
 * who is an active member, so a rep's mail lands as the rep's activity. Kept only when the actor may
 * assign it (an API key of an admin or manager may; a sales rep's session logs as itself).
 */
async function ownerAmong(db: Kysely<DB>, actor: Actor, candidates: string[]): Promise<string | undefined> {
  const members = await membersByAddress(db, actor.workspaceId, [...new Set(candidates)]);
  for (const a of candidates) {
    const m = members.find((x) => x.email === a);
    if (m) return mayAssignOwner(actor, m.user_id) ? m.user_id : undefined;
  }
  return undefined;
}

interface Unit {
  channel: InboundChannel;
  externalId: string;
  occurredAt: Date | null;
  direction: 'in' | 'out' | null;
  match: Match;
  /** The entry to log when the match allows it (source_event_id included). */
  activity: CreateActivityInput | null;
  /** Forced skip (a cancelled meeting never logged, an update already applied). */
  skip?: SkipReason;
  detail: Record<string, unknown>;
}

/**
 * Logs one unit and records it: a unit already counted as logged is a duplicate (nothing written on the
 * timeline); otherwise the activities service writes the entry (its replay answers an entry written
 * earlier, e.g. before a crash, which is then counted here once).
 */
async function record(p: AppPlatform, ctx: Ctx, u: Unit): Promise<InboundItemJson> {
  const { actor } = ctx;
  const tenantId = actor.workspaceId;
  let reason: SkipReason | null = u.skip ?? u.match.skip;
  if (!reason && !u.activity) reason = 'no_tracked_domain';
  let activityId: string | null = null;
  if (!reason && u.activity) {
    const before = await p.db.read(tenantId, (db) => loggedBefore(db, tenantId, u.channel, u.externalId));
    if (before.logged && u.activity.source_event_id === u.externalId) reason = 'duplicate';
    else {
      const { activity } = await createActivity(p, ctx, u.activity);
      activityId = activity.id;
    }
  }
  const base = {
    tenant_id: tenantId,
    channel: u.channel,
    external_id: u.externalId,
    occurred_at: u.occurredAt,
    direction: u.direction,
    account_id: u.match.accountId,
    contact_id: u.match.contactId,
    deal_id: u.match.dealId,
    detail: u.detail,
    actor_type: actor.type,
    created_by: actor.userId,
  };
  if (activityId) {
    const counted = await p.db.read(tenantId, (db) =>
      insertItem(db, { ...base, id: newId(), outcome: 'logged', reason: null, activity_id: activityId }),
    );
    if (!counted) reason = 'duplicate'; // a concurrent delivery of the same unit was counted first
  }
  if (reason) {
    await p.db.read(tenantId, (db) =>
      insertItem(db, { ...base, id: newId(), outcome: 'skipped', reason, activity_id: null }),
    );
  }
  return {
    channel: u.channel,
    external_id: u.externalId,
    outcome: reason ? 'skipped' : 'logged',
    reason,
    direction: u.direction,
    activity_id: reason ? null : activityId,
    account_id: u.match.accountId,
    contact_id: u.match.contactId,
    contact_ids: u.match.contactIds,
    deal_id: u.match.dealId,
    deal_match: u.match.dealMatch,
    matched_domains: u.match.matchedDomains,
    personal_participants: u.match.personal,
  };
}

function result(items: InboundItemJson[]): InboundResultJson {
  const logged = items.filter((i) => i.outcome === 'logged').length;
  return { items, logged, skipped: items.length - logged };
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

// ---------------------------------------------------------------------------------------------- email

/** `POST /inbound/email`: one raw message. */
export async function receiveEmail(p: AppPlatform, ctx: Ctx, raw: Buffer): Promise<InboundResultJson> {
  requirePermission(ctx.actor, 'crm.activity.create');
  const mail = await parseEmail(raw);
  const tenantId = ctx.actor.workspaceId;
  const from = mail.participants[0];
  const { own, m, owner } = await p.db.read(tenantId, async (db) => {
    const own = new Set(await ownDomains(db, tenantId));
    // Out: the sender is ours; in: the first of our recipients.
    const ours = mail.participants
      .filter((x) => own.size === 0 || isOwn(x.domain, own))
      .map((x) => x.address);
    return {
      own,
      m: await emailMatch(db, ctx.actor, mail, own),
      owner: await ownerAmong(db, ctx.actor, ours),
    };
  });
  const direction: 'in' | 'out' =
    own.size > 0
      ? from && isOwn(from.domain, own)
        ? 'out'
        : 'in'
      : from && m.matchedDomains.some((d) => domainChain(from.domain).includes(d))
        ? 'in'
        : 'out';
  const occurredAt = mail.date && mail.date.getTime() <= Date.now() + 86_400_000 ? mail.date : new Date();
  const metadata = fitMetadata((cap) => ({
    direction,
    message_id: mail.messageIdPresent ? mail.eventId : null,
    ...(mail.messageIdPresent ? {} : { fallback_id: mail.eventId }),
    in_reply_to: mail.inReplyTo,
    from: from?.address ?? null,
    to: cut(
      mail.participants.filter((x) => x.role === 'to').map((x) => x.address),
      cap,
    ),
    cc: cut(
      mail.participants.filter((x) => x.role === 'cc').map((x) => x.address),
      cap,
    ),
    attachments: cut(mail.attachments, cap),
    attachment_count: mail.attachments.length,
    contact_ids: cut(m.contactIds, cap),
    matched_domains: m.matchedDomains,
    deal_match: m.dealMatch,
  }));
  const item = await record(p, ctx, {
    channel: 'email',
    externalId: mail.eventId,
    occurredAt,
    direction,
    match: m,
    activity: m.accountId
      ? {
          kind: 'email',
          subject: clip(mail.subject || '(no subject)', 300),
          body_markdown: mail.text ? clip(mail.text, 100_000) : null,
          occurred_at: occurredAt,
          account_id: m.accountId,
          contact_id: m.contactId,
          deal_id: m.dealId,
          source: 'email',
          source_event_id: mail.eventId,
          metadata,
          ...(owner ? { owner_id: owner } : {}),
        }
      : null,
    detail: { subject: clip(mail.subject, 200), participants: mail.participants.length },
  });
  return result([item]);
}

function emailMatch(db: Kysely<DB>, actor: Actor, mail: ParsedEmail, own: ReadonlySet<string>) {
  return match(db, actor, mail.participants, own);
}

// ------------------------------------------------------------------------------------------- calendar

const ATTENDANCE_VI: Record<string, string> = {
  accepted: 'accepted',
  declined: 'declined',
  tentative: 'tentative',
  needs_action: 'no answer',
  delegated: 'delegated',
  unknown: 'unknown',
};

const ATTENDED: Record<Attendance, number> = {
  accepted: 0,
  tentative: 1,
  needs_action: 1,
  delegated: 1,
  unknown: 1,
  declined: 2,
};

function meetingBody(mt: ParsedMeeting): string {
  const lines: string[] = [];
  if (mt.location) lines.push(`Location: ${mt.location}`);
  if (mt.participants.length > 0) {
    lines.push('', 'Attendees:');
    for (const a of mt.participants.slice(0, 100)) {
      const who = a.name ? `${a.name} <${a.address}>` : a.address;
      lines.push(`- ${who}${a.role === 'organizer' ? ' (organizer)' : ` — ${ATTENDANCE_VI[a.attendance]}`}`);
    }
  }
  if (mt.description) lines.push('', mt.description);
  return clip(lines.join('\n').trim(), 100_000);
}

/** `POST /inbound/calendar`: every VEVENT (and RECURRENCE-ID override) of one iCalendar file. */
export async function receiveCalendar(p: AppPlatform, ctx: Ctx, body: string): Promise<InboundResultJson> {
  requirePermission(ctx.actor, 'crm.activity.create');
  const meetings = parseCalendar(body);
  const tenantId = ctx.actor.workspaceId;
  const items: InboundItemJson[] = [];
  for (const mt of meetings) {
    const { m, before, owner } = await p.db.read(tenantId, async (db) => {
      const own = new Set(await ownDomains(db, tenantId));
      // The organizer when it is one of us, else the first of us who accepted, else any of us.
      const rank = (x: ParsedMeeting['participants'][number]) =>
        x.role === 'organizer' ? 0 : x.attendance === 'accepted' ? 1 : 2;
      const ours = mt.participants
        .filter((x) => own.size === 0 || isOwn(x.domain, own))
        .sort((a, b) => rank(a) - rank(b))
        .map((x) => x.address);
      return {
        // Who attended comes first: a declined attendee is the contact only when nobody else is known.
        m: await match(
          db,
          ctx.actor,
          [...mt.participants].sort((a, b) => ATTENDED[a.attendance] - ATTENDED[b.attendance]),
          own,
        ),
        before: await loggedBefore(db, tenantId, 'calendar', mt.eventId),
        owner: await ownerAmong(db, ctx.actor, ours),
      };
    });
    const metadata = fitMetadata((cap) => ({
      uid: mt.uid,
      recurrence_id: mt.recurrenceId,
      sequence: mt.sequence,
      start: mt.start.toISOString(),
      end: mt.end?.toISOString() ?? null,
      time_zone: mt.timeZone,
      location: mt.location ? clip(mt.location, 200) : null,
      recurrence: mt.recurrence ? clip(mt.recurrence, 200) : null,
      cancelled: mt.cancelled,
      attendees: cut(
        mt.participants.map((a) => ({ address: a.address, role: a.role, attendance: a.attendance })),
        cap,
      ),
      contact_ids: cut(m.contactIds, cap),
      deal_match: m.dealMatch,
    }));
    // A later SEQUENCE of a meeting already logged is a change (rescheduled, cancelled): entries are
    // append-only, so it is logged as a note pointing at the meeting's UID. An equal or older one is a
    // duplicate; a cancelled meeting never logged is skipped.
    let activity: CreateActivityInput | null = null;
    let skip: SkipReason | undefined;
    const link = {
      account_id: m.accountId,
      contact_id: m.contactId,
      deal_id: m.dealId,
      ...(owner ? { owner_id: owner } : {}),
    };
    if (before.logged) {
      if (before.sequence !== null && mt.sequence > before.sequence) {
        const what = mt.cancelled ? 'Meeting cancelled' : 'Meeting updated';
        activity = {
          kind: 'note',
          subject: clip(`${what}: ${mt.summary || '(no title)'}`, 300),
          body_markdown: `${mt.cancelled ? 'Cancelled' : `Now ${mt.start.toISOString()}`}\n\n${meetingBody(mt)}`,
          occurred_at: new Date(),
          ...link,
          source: 'calendar',
          source_event_id: clip(`${mt.eventId}#${mt.sequence}`, 300),
          metadata,
        };
      } else skip = 'duplicate';
    } else if (mt.cancelled) skip = 'cancelled';
    else {
      activity = {
        kind: 'meeting',
        subject: clip(mt.summary || '(no title)', 300),
        body_markdown: meetingBody(mt) || null,
        occurred_at: mt.start,
        ...link,
        source: 'calendar',
        source_event_id: clip(mt.eventId, 300),
        metadata,
      };
    }
    items.push(
      await record(p, ctx, {
        channel: 'calendar',
        externalId: mt.eventId,
        occurredAt: mt.start,
        direction: null,
        match: m,
        activity: m.accountId ? activity : null,
        ...(skip ? { skip } : {}),
        detail: { sequence: mt.sequence, summary: clip(mt.summary, 200), cancelled: mt.cancelled },
      }),
    );
  }
  return result(items);
}

// ----------------------------------------------------------------------------------------------- chat

/**
 * `POST /inbound/chat`: meeting notes. Hints (account_id, contact_id, deal_id) are explicit links and
 * are checked by the activities service (422 naming the hint); without hints, participants' emails
 * are matched like an email's.
 */
export async function receiveChat(
  p: AppPlatform,
  ctx: Ctx,
  input: ChatNoteInput,
): Promise<InboundResultJson> {
  requirePermission(ctx.actor, 'crm.activity.create');
  const tenantId = ctx.actor.workspaceId;
  const people = input.participants
    .map((a) => a.normalize('NFKC').trim().toLowerCase())
    .flatMap((address) => {
      const domain = domainOf(address);
      return domain ? [{ address, domain }] : [];
    });
  const hinted = Boolean(input.account_id || input.contact_id || input.deal_id);
  const m: Match = hinted
    ? {
        accountId: input.account_id ?? null,
        contactId: input.contact_id ?? null,
        contactIds: input.contact_id ? [input.contact_id] : [],
        dealId: input.deal_id ?? null,
        dealMatch: input.deal_id ? 'hint' : null,
        matchedDomains: [],
        personal: people.filter((x) => isPersonalDomain(x.domain)).length,
        skip: null,
      }
    : await p.db.read(tenantId, async (db) =>
        match(db, ctx.actor, people, new Set(await ownDomains(db, tenantId))),
      );
  const firstLine = input.text.split('\n')[0]?.trim() ?? '';
  const item = await record(p, ctx, {
    channel: 'chat',
    externalId: input.message_id,
    occurredAt: input.occurred_at,
    direction: null,
    match: m,
    activity:
      hinted || m.accountId
        ? {
            kind: input.kind,
            subject: clip(input.subject ?? (firstLine || 'Meeting notes'), 300),
            body_markdown: input.text,
            occurred_at: input.occurred_at,
            ...(m.accountId ? { account_id: m.accountId } : {}),
            ...(m.contactId ? { contact_id: m.contactId } : {}),
            ...(m.dealId ? { deal_id: m.dealId } : {}),
            source: 'chat',
            source_event_id: input.message_id,
            metadata: fitMetadata((cap) => ({
              message_id: input.message_id,
              channel_name: input.channel_name ?? null,
              participants: cut(
                people.map((x) => x.address),
                cap,
              ),
              contact_ids: cut(m.contactIds, cap),
              deal_match: m.dealMatch,
            })),
          }
        : null,
    detail: { participants: people.length, hinted },
  });
  return result([item]);
}

// ------------------------------------------------------------------------------------ tracked domains

function presentTracked(r: TrackedDomainRow): TrackedDomainJson {
  return {
    id: r.id,
    account_id: r.account_id,
    domain: r.domain,
    created_at: r.created_at.toISOString(),
    created_by: r.created_by,
  };
}

const accountNotFound = () => new AppError('account_not_found', 'Account not found');

/** The domain as stored, or 422 naming `field`: not a domain, or a personal mail provider (R-CRM-003). */
function trackableDomain(raw: string, field: ReadonlyArray<PropertyKey>): string {
  const domain = normalizeDomain(raw);
  if (!domain) throw fieldError(field, 'invalid', 'must be a domain name such as acme.com.vn');
  if (isPersonalDomain(domain)) {
    throw fieldError(
      field,
      'personal_domain',
      `${domain} is a personal mail provider: it can never be tracked (mail from it is never auto-logged)`,
    );
  }
  return domain;
}

/** Tracks a domain for an account. 409 `tracked_domain_taken` when another account (or this one) has it. */
export async function addTrackedDomain(
  p: AppPlatform,
  ctx: Ctx,
  accountId: string,
  input: TrackedDomainInput,
): Promise<TrackedDomainJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.update');
  const domain = trackableDomain(input.domain, ['domain']);
  const tenantId = actor.workspaceId;
  try {
    return await p.write(ctx, async (uow) => {
      const a = await accountLink(uow.trx, tenantId, accountId);
      if (!a || a.deleted_at) throw accountNotFound();
      const own = await ownDomains(uow.trx, tenantId);
      if (isOwn(domain, new Set(own))) {
        throw fieldError(['domain'], 'own_domain', `${domain} is one of the workspace's own domains`);
      }
      const row = await uow.trx
        .insertInto('crm_core.crm_inbound_tracked_domains')
        .values({ tenant_id: tenantId, id: newId(), account_id: accountId, domain, created_by: actor.userId })
        .returningAll()
        .executeTakeFirstOrThrow();
      const json = presentTracked(row);
      uow.audit({
        action: 'tracked_domain.added',
        entityType: 'account',
        entityId: accountId,
        diff: diffRecords(null, { tracked_domain: domain }),
      });
      return json;
    });
  } catch (e) {
    if (sqlState(e) === UNIQUE_VIOLATION) {
      const holder = await p.db.read(tenantId, (db) =>
        db
          .selectFrom('crm_core.crm_inbound_tracked_domains')
          .select('account_id')
          .where('tenant_id', '=', tenantId)
          .where('domain', '=', domain)
          .executeTakeFirst(),
      );
      throw new AppError(
        'tracked_domain_taken',
        `${domain} is already tracked ${holder?.account_id === accountId ? 'for this account' : 'for another account'}`,
        { extra: { account_id: holder?.account_id ?? null } },
      );
    }
    throw e;
  }
}

export async function listTrackedDomains(
  p: AppPlatform,
  ctx: Ctx,
  accountId?: string,
): Promise<{ data: TrackedDomainJson[] }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.view');
  const tenantId = actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    if (accountId) {
      const a = await accountLink(db, tenantId, accountId);
      if (!a || a.deleted_at) throw accountNotFound();
    }
    return { data: (await listTracked(db, tenantId, accountId)).map(presentTracked) };
  });
}

export async function removeTrackedDomain(
  p: AppPlatform,
  ctx: Ctx,
  accountId: string,
  id: string,
): Promise<void> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.update');
  const tenantId = actor.workspaceId;
  await p.write(ctx, async (uow) => {
    const row = await uow.trx
      .deleteFrom('crm_core.crm_inbound_tracked_domains')
      .where('tenant_id', '=', tenantId)
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .returning(['domain'])
      .executeTakeFirst();
    if (!row) throw new AppError('tracked_domain_not_found', 'Tracked domain not found');
    uow.audit({
      action: 'tracked_domain.removed',
      entityType: 'account',
      entityId: accountId,
      diff: diffRecords({ tracked_domain: row.domain }, null),
    });
  });
}

// ---------------------------------------------------------------------------------------- settings

export async function getInboundSettings(p: AppPlatform, ctx: Ctx): Promise<InboundSettingsJson> {
  requirePermission(ctx.actor, 'crm.account.view');
  const tenantId = ctx.actor.workspaceId;
  const row = await p.db.read(tenantId, (db) =>
    db
      .selectFrom('crm_core.crm_inbound_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
  );
  return {
    own_domains: row?.own_domains ?? [],
    version: row?.version ?? 0,
    updated_at: row?.updated_at.toISOString() ?? null,
  };
}

/** Replaces the workspace's own domains (admin). Personal providers and tracked domains are refused. */
export async function putInboundSettings(
  p: AppPlatform,
  ctx: Ctx,
  input: InboundSettingsInput,
): Promise<InboundSettingsJson> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.settings.manage');
  const tenantId = actor.workspaceId;
  const domains = [
    ...new Set(input.own_domains.map((d, i) => trackableDomain(d, ['own_domains', i]))),
  ].sort();
  return p.write(ctx, async (uow) => {
    const tracked = await trackedAmong(uow.trx, tenantId, domains);
    const clash = tracked[0];
    if (clash) {
      throw fieldError(
        ['own_domains', input.own_domains.findIndex((d) => normalizeDomain(d) === clash.domain)],
        'tracked_domain',
        `${clash.domain} is tracked for an account; remove it there first`,
      );
    }
    const before = await uow.trx
      .selectFrom('crm_core.crm_inbound_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .forUpdate()
      .executeTakeFirst();
    const row = before
      ? await uow.trx
          .updateTable('crm_core.crm_inbound_settings')
          .set({
            own_domains: domains,
            updated_by: actor.userId,
            updated_at: new Date(),
            version: before.version + 1,
          })
          .where('tenant_id', '=', tenantId)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await uow.trx
          .insertInto('crm_core.crm_inbound_settings')
          .values({
            tenant_id: tenantId,
            own_domains: domains,
            created_by: actor.userId,
            updated_by: actor.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
    uow.audit({
      action: 'inbound_settings.updated',
      entityType: 'workspace',
      entityId: tenantId,
      diff: diffRecords({ own_domains: before?.own_domains ?? [] }, { own_domains: row.own_domains }),
    });
    return { own_domains: row.own_domains, version: row.version, updated_at: row.updated_at.toISOString() };
  });
}

// -------------------------------------------------------------------------------------- reconciliation

type Counts = ReconciliationJson['totals'];
const zero = (): Counts => ({ received: 0, logged: 0, skipped: 0, skipped_by_reason: {} });
function add(c: Counts, outcome: string, reason: string | null, n: number) {
  c.received += n;
  if (outcome === 'logged') c.logged += n;
  else {
    c.skipped += n;
    const r = reason ?? 'unknown';
    c.skipped_by_reason[r] = (c.skipped_by_reason[r] ?? 0) + n;
  }
}

/** Received vs logged per UTC hour and channel over [from, to) (default: the last 24 hours). */
export async function reconciliation(
  p: AppPlatform,
  ctx: Ctx,
  query: ReconciliationQuery,
): Promise<ReconciliationJson> {
  requirePermission(ctx.actor, 'crm.reports.view');
  const to = query.to ?? new Date();
  const from = query.from ?? new Date(to.getTime() - 86_400_000);
  if (from >= to) throw fieldError(['from'], 'invalid', 'must be before to', 'query');
  const tenantId = ctx.actor.workspaceId;
  const rows = await p.db.read(tenantId, (db) => hourlyCounts(db, tenantId, from, to, query.channel));
  const totals = zero();
  const byChannel: Record<string, Counts> = {};
  const hours = new Map<string, Counts & { hour: string; channel: InboundChannel }>();
  for (const r of rows) {
    const n = Number(r.n);
    add(totals, r.outcome, r.reason, n);
    byChannel[r.channel] ??= zero();
    add(byChannel[r.channel] as Counts, r.outcome, r.reason, n);
    const key = `${r.hour}|${r.channel}`;
    let h = hours.get(key);
    if (!h) {
      h = { hour: r.hour, channel: r.channel, ...zero() };
      hours.set(key, h);
    }
    add(h, r.outcome, r.reason, n);
  }
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    totals,
    by_channel: byChannel,
    hours: [...hours.values()],
  };
}

const ITEM_SORT = 'received_desc';

function presentItem(r: InboundItemRow): ReceivedItemPage['data'][number] {
  return {
    id: r.id,
    channel: r.channel,
    external_id: r.external_id,
    received_at: r.received_at.toISOString(),
    occurred_at: r.occurred_at?.toISOString() ?? null,
    outcome: r.outcome,
    reason: r.reason,
    direction: r.direction,
    activity_id: r.activity_id,
    account_id: r.account_id,
    contact_id: r.contact_id,
    deal_id: r.deal_id,
    detail: r.detail,
    actor_type: r.actor_type,
    created_by: r.created_by,
  };
}

/** `GET /inbound/items`: what was received, newest first, to see why something was (not) logged. */
export async function listReceivedItems(
  p: AppPlatform,
  ctx: Ctx,
  query: ItemsQuery,
): Promise<ReceivedItemPage> {
  requirePermission(ctx.actor, 'crm.reports.view');
  const tenantId = ctx.actor.workspaceId;
  const after = query.cursor
    ? (decodeCursor(query.cursor, ITEM_SORT, ['instant', 'uuid']) as readonly [string, string])
    : null;
  const rows = await p.db.read(tenantId, (db) =>
    listItems(
      db,
      tenantId,
      {
        ...(query.channel ? { channel: query.channel } : {}),
        ...(query.outcome ? { outcome: query.outcome } : {}),
        ...(query.reason ? { reason: query.reason } : {}),
        ...(query.external_id ? { externalId: query.external_id } : {}),
        ...(query.from ? { from: query.from } : {}),
        ...(query.to ? { to: query.to } : {}),
      },
      after,
      query.limit + 1,
    ),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last
      ? encodeCursor(ITEM_SORT, [last.received_at.toISOString(), last.id])
      : null;
  return {
    data: page.map(presentItem),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}
