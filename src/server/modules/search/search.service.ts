import type { AppPlatform } from '../../db.js';
import { can } from '../../platform/auth/actor.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { toE164 } from '../contacts/contact.phone.js';
import { type ContactHitRow, type SearchGroupName, type SearchPlan, searchAll } from './search.repository.js';
import type {
  AccountHit,
  ContactHit,
  DealHit,
  LeadHit,
  SearchGroup,
  SearchQuery,
  SearchResponse,
} from './search.schema.js';

/**
 * Global search: one query across accounts, contacts, deals and leads, grouped by type, each group
 * ranked (exact name, name prefix, word start, anywhere), diacritic-insensitive, with deal ACLs applied.
 * Leads match on name, company and email; open ones rank before disqualified and converted ones.
 *
 * How the query is read:
 * - phone-looking (digits with +, spaces, dots, dashes, parentheses; at least 8 digits): normalized to
 *   E.164 (default region VN, 2018 mobile prefixes rewritten) and looked up exactly among phone and Zalo
 *   channels — `0912 345 678`, `+84912345678` and `84912345678` find the same contact — and among
 *   leads' phones (stored E.164 too). Contact and lead names are not searched then (names hold no such
 *   digit runs); accounts still are (an MST is 10 digits).
 * - email-looking (an "@", no space): lower-cased, matched as a prefix of email channel values and of
 *   leads' emails (the exact address ranks first).
 * - anything else: the name search of each type.
 * A group the actor may not view (permission) is omitted from the response, not an error.
 */

const PHONE_RE = /^\+?[\d\s.\-()]+$/;
const MIN_PHONE_DIGITS = 8;

export type QueryKind = { kind: 'phone'; e164: string } | { kind: 'email'; value: string } | { kind: 'text' };

/** Classifies a (trimmed) query; exported for tests. */
export function classifyQuery(q: string): QueryKind {
  if (PHONE_RE.test(q) && (q.match(/\d/g)?.length ?? 0) >= MIN_PHONE_DIGITS) {
    const e164 = toE164(q) ?? bestEffortE164(q);
    return { kind: 'phone', e164 };
  }
  if (q.includes('@') && !/\s/.test(q)) return { kind: 'email', value: q.normalize('NFC').toLowerCase() };
  return { kind: 'text' };
}

/** The tax codes (MST) a typed number may be: 10 digits, or 13 for a dependent unit (stored 10-3). */
function taxCodesOf(q: string): string[] {
  const d = q.replace(/\D/g, '');
  if (d.length === 10) return [d];
  if (d.length === 13) return [`${d.slice(0, 10)}-${d.slice(10)}`, d];
  return [];
}

/**
 * A number libphonenumber deems invalid cannot be stored as such by the contacts module, but the exact
 * lookup is free: try the obvious E.164 spelling (national 0 → +84) rather than nothing.
 */
function bestEffortE164(q: string): string {
  const digits = q.replace(/\D/g, '');
  if (q.trim().startsWith('+')) return `+${digits}`;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  if (digits.startsWith('0')) return `+84${digits.slice(1)}`;
  return `+${digits}`;
}

function page<T>(rows: T[], limit: number): SearchGroup<T> {
  return { data: rows.slice(0, limit), has_more: rows.length > limit };
}

const presentContact = (r: ContactHitRow): ContactHit => ({
  id: r.id,
  display_name: r.display_name,
  title: r.title,
  account: r.account_id && r.account_name !== null ? { id: r.account_id, name: r.account_name } : null,
  matched_channel:
    r.channel_id && r.channel_kind && r.channel_value
      ? { id: r.channel_id, kind: r.channel_kind, value: r.channel_value }
      : null,
});

/**
 * Runs the search: the permitted, requested groups in one statement, each fetching limit + 1 rows (for
 * `has_more`). Never throws for a missing permission: that group is left out.
 */
export async function globalSearch(
  p: AppPlatform,
  ctx: RequestContext,
  query: SearchQuery,
): Promise<SearchResponse> {
  const { actor } = ctx;
  const { q, limit, types } = query;
  const want = (t: SearchQuery['types'][number], permission: Parameters<typeof can>[1]) =>
    types.includes(t) && can(actor, permission);
  const parsed = classifyQuery(q);
  const n = limit + 1;
  let plan: SearchPlan;
  if (parsed.kind === 'text') {
    const groups: SearchGroupName[] = [];
    if (want('accounts', 'crm.account.view')) groups.push('accounts');
    if (want('contacts', 'crm.contact.view')) groups.push('contacts');
    if (want('deals', 'crm.deal.view')) groups.push('deals');
    if (want('leads', 'crm.lead.view')) groups.push('leads');
    plan = { kind: 'name', n, q, groups };
  } else {
    // A phone or an email cannot be a substring of an account's or a deal's searchable text (names, tax
    // code, domains; deal names), so those searches are skipped for them, not run to find nothing: a
    // number still finds the account whose tax code it is.
    plan = { kind: 'lookup', n };
    if (want('accounts', 'crm.account.view') && parsed.kind === 'phone') {
      plan.accounts = { mst: taxCodesOf(q) };
    }
    if (want('contacts', 'crm.contact.view')) {
      plan.contacts =
        parsed.kind === 'phone'
          ? { value: parsed.e164, prefix: false, kinds: ['phone', 'zalo'] }
          : { value: parsed.value, prefix: true, kinds: ['email'] };
    }
    if (want('leads', 'crm.lead.view')) {
      plan.leads =
        parsed.kind === 'phone' ? { by: 'phone', value: parsed.e164 } : { by: 'email', value: parsed.value };
    }
  }

  const rows = await p.db.read(actor.workspaceId, (db) => searchAll(db, actor, plan));
  const out: SearchResponse = { q };
  if (want('accounts', 'crm.account.view')) {
    out.accounts = page(
      rows.accounts.map(
        (r): AccountHit => ({
          id: r.id,
          name: r.name,
          vn_mst: r.vn_mst,
          legal_type: r.legal_type,
        }),
      ),
      limit,
    );
  }
  if (want('contacts', 'crm.contact.view')) out.contacts = page(rows.contacts.map(presentContact), limit);
  if (want('deals', 'crm.deal.view')) {
    out.deals = page(
      rows.deals.map(
        (r): DealHit => ({
          id: r.id,
          name: r.name,
          amount_minor: r.amount_minor === null ? null : Number(r.amount_minor),
          currency: r.currency,
          status: r.status,
          stage: { id: r.stage_id, code: r.stage_code, name_vi: r.stage_name_vi, name_en: r.stage_name_en },
          account:
            r.account_id && r.account_name !== null ? { id: r.account_id, name: r.account_name } : null,
        }),
      ),
      limit,
    );
  }
  if (want('leads', 'crm.lead.view')) {
    out.leads = page(
      rows.leads.map(
        (r): LeadHit => ({
          id: r.id,
          display_name: r.display_name,
          company_name: r.company_name,
          email: r.email,
          phone: r.phone,
          status: r.status,
        }),
      ),
      limit,
    );
  }
  return out;
}
