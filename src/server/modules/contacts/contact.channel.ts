import { fieldError } from '../../platform/errors.js';
import { normalizeEmail } from './contact.email.js';
import { normalizePhone } from './contact.phone.js';
import type { ChannelInput } from './contact.schema.js';
import type { ChannelKind } from './contact.table.js';

/**
 * Channel values to their one normalized spelling (pure functions). The normalized `value` is what the
 * (tenant_id, value) index, lookups and duplicate detection use; the caller keeps `raw_value`.
 */

export type NormalizeResult = { ok: true; value: string } | { ok: false; code: string; message: string };

const fail = (code: string, message: string): NormalizeResult => ({ ok: false, code, message });

const LINKEDIN_RE =
  /^(?:https?:\/\/)?(?:[a-z]{2,3}\.|www\.|m\.)?linkedin\.com\/in\/([^/?#\s]+)\/?(?:[?#].*)?$/i;
const LINKEDIN_SLUG_RE = /^[\p{L}\p{N}_-]{3,100}$/u;

/** `https://www.linkedin.com/in/<slug>`, lower-cased (LinkedIn profile slugs are case-insensitive). */
export function normalizeLinkedIn(raw: string): NormalizeResult {
  const m = LINKEDIN_RE.exec(raw.trim());
  if (!m?.[1]) {
    return fail(
      'invalid_linkedin',
      'must be a LinkedIn profile URL such as https://www.linkedin.com/in/name',
    );
  }
  let slug: string;
  try {
    slug = decodeURIComponent(m[1]).normalize('NFC').toLowerCase();
  } catch {
    return fail('invalid_linkedin', 'the profile name in the URL is not valid');
  }
  if (!LINKEDIN_SLUG_RE.test(slug))
    return fail('invalid_linkedin', 'the profile name in the URL is not valid');
  return { ok: true, value: `https://www.linkedin.com/in/${encodeURIComponent(slug)}` };
}

const TELEGRAM_LINK_RE =
  /^(?:https?:\/\/)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)\/([^/?#\s]+)\/?(?:[?#].*)?$/i;
const TELEGRAM_HANDLE_RE = /^[a-zA-Z0-9_]{5,32}$/;

/**
 * A Telegram username without "@": accepts `@handle`, `handle` and t.me links. Lower-cased, because
 * Telegram usernames are case-insensitive (one spelling per person for lookups).
 */
export function normalizeTelegram(raw: string): NormalizeResult {
  const input = raw.trim();
  const handle = (TELEGRAM_LINK_RE.exec(input)?.[1] ?? input).replace(/^@/, '');
  if (!TELEGRAM_HANDLE_RE.test(handle)) {
    return fail('invalid_telegram', 'must be a Telegram username (5–32 letters, digits or _) or a t.me link');
  }
  return { ok: true, value: handle.toLowerCase() };
}

const ZALO_LINK_RE = /^(?:https?:\/\/)?(?:www\.)?zalo\.me\/([^/?#\s]+)\/?(?:[?#].*)?$/i;
// Zalo user ids are long decimal numbers that do not start with 0; phones are tried first.
const ZALO_ID_RE = /^[1-9]\d{9,24}$/;

/** Zalo: a phone number (E.164, like phones) or a numeric Zalo id; zalo.me links are accepted. */
export function normalizeZalo(raw: string): NormalizeResult {
  const input = ZALO_LINK_RE.exec(raw.trim())?.[1] ?? raw.trim();
  const phone = normalizePhone(input);
  if (phone.ok) return { ok: true, value: phone.e164 };
  if (ZALO_ID_RE.test(input)) return { ok: true, value: input };
  return fail('invalid_zalo', 'must be a phone number or a numeric Zalo id');
}

export function normalizePhoneChannel(raw: string): NormalizeResult {
  const r = normalizePhone(raw);
  if (r.ok) return { ok: true, value: r.e164 };
  return r.reason === 'characters'
    ? fail('invalid_phone', 'must contain only digits, spaces, dots, dashes, parentheses and a leading +')
    : fail('invalid_phone', 'is not a valid phone number');
}

export function normalizeEmailChannel(raw: string): NormalizeResult {
  const r = normalizeEmail(raw);
  return r.ok ? { ok: true, value: r.email } : fail('invalid_email', 'must be an email address');
}

/** The normalized value of one channel of the given kind. */
export function normalizeChannel(kind: ChannelKind, raw: string): NormalizeResult {
  switch (kind) {
    case 'email':
      return normalizeEmailChannel(raw);
    case 'phone':
      return normalizePhoneChannel(raw);
    case 'linkedin':
      return normalizeLinkedIn(raw);
    case 'telegram':
      return normalizeTelegram(raw);
    case 'zalo':
      return normalizeZalo(raw);
  }
}

export interface NormalizedChannel {
  kind: ChannelKind;
  value: string;
  raw_value: string;
  label: string | null;
  is_primary: boolean;
  position: number;
}

/**
 * Normalizes a contact's whole channel list, or throws a 422 naming the first bad entry
 * (`channels.2.value`). Rules: no two channels of one kind with the same normalized value; at most one
 * primary per kind, and when none is marked the first of that kind is primary.
 */
export function normalizeChannels(inputs: readonly ChannelInput[]): NormalizedChannel[] {
  const seen = new Map<string, number>();
  const primaryOf = new Map<ChannelKind, number>();
  const out: NormalizedChannel[] = [];
  inputs.forEach((c, i) => {
    const r = normalizeChannel(c.kind, c.value);
    if (!r.ok) throw fieldError(['channels', i, 'value'], r.code, `channels.${i}.value ${r.message}`);
    const key = `${c.kind}\u0000${r.value}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw fieldError(
        ['channels', i, 'value'],
        'duplicate',
        `channels.${i}.value is the same ${c.kind} as channels.${first}.value`,
      );
    }
    seen.set(key, i);
    if (c.is_primary) {
      const other = primaryOf.get(c.kind);
      if (other !== undefined) {
        throw fieldError(
          ['channels', i, 'is_primary'],
          'duplicate_primary',
          `only one ${c.kind} channel may be primary (channels.${other} already is)`,
        );
      }
      primaryOf.set(c.kind, i);
    }
    out.push({
      kind: c.kind,
      value: r.value,
      raw_value: c.value,
      label: c.label ?? null,
      is_primary: c.is_primary ?? false,
      position: i,
    });
  });
  for (const c of out) {
    if (!primaryOf.has(c.kind)) {
      c.is_primary = true;
      primaryOf.set(c.kind, c.position);
    }
  }
  return out;
}

/**
 * Every normalized value a lookup string may stand for (`channel=` filter, global search): a phone typed
 * as `0912 345 678`, `+84912345678` or `84912345678` becomes `+84912345678`; an address, a handle or a
 * profile URL its own normalized form. Unknown shapes are looked up as typed (trimmed), so a Zalo id or
 * bare handle still matches.
 */
export function channelLookupValues(raw: string): string[] {
  const out = new Set<string>();
  const input = raw.trim();
  if (input === '') return [];
  for (const kind of ['email', 'phone', 'linkedin', 'telegram', 'zalo'] as const) {
    const r = normalizeChannel(kind, input);
    if (r.ok) out.add(r.value);
  }
  if (out.size === 0) out.add(input);
  return [...out];
}
