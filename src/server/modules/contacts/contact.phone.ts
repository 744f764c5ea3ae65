import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Phone numbers to E.164 (vietnam.md §6). The "max" metadata is used because validity by number type
 * (mobile vs fixed line vs too short) is what tells a typo from a number; the "min" metadata only checks
 * lengths.
 *
 * Vietnam renumbered its 11-digit mobiles to 10 digits in 2018. libphonenumber marks the old numbers
 * invalid and does not convert them, and people still type them from old business cards, so the old
 * prefix is rewritten FIRST; the raw input is kept by the caller.
 */

/** 2018 renumbering: old 4-digit national mobile prefix (with the trunk 0) → new 3-digit prefix. */
export const VN_2018_MOBILE_PREFIXES: Readonly<Record<string, string>> = {
  '0162': '032',
  '0163': '033',
  '0164': '034',
  '0165': '035',
  '0166': '036',
  '0167': '037',
  '0168': '038',
  '0169': '039',
  '0120': '070',
  '0121': '079',
  '0122': '077',
  '0126': '076',
  '0128': '078',
  '0123': '083',
  '0124': '084',
  '0125': '085',
  '0127': '081',
  '0129': '082',
  '0186': '056',
  '0188': '058',
  '0199': '059',
};

export type PhoneResult =
  | { ok: true; e164: string; type: string | undefined; rewritten: boolean }
  | { ok: false; reason: 'characters' | 'invalid' };

// Digits with the usual separators, an optional leading "+" and an optional "(0)"-style group.
const PHONE_CHARS_RE = /^\+?[\d\s.\-()/]+$/;

/**
 * Rewrites an old 11-digit Vietnamese mobile to its new 10-digit national form. Accepts the national
 * form (01621234567) and the international ones (+84 162…, 84162…, 0084162…); input is digits only
 * (separators removed) with an optional leading "+". Anything else is returned unchanged.
 */
export function rewriteVnLegacyMobile(compact: string): string {
  let national: string | null = null;
  if (/^0\d{10}$/.test(compact)) national = compact;
  else if (/^\+84\d{10}$/.test(compact)) national = `0${compact.slice(3)}`;
  else if (/^0084\d{10}$/.test(compact)) national = `0${compact.slice(4)}`;
  else if (/^84\d{10}$/.test(compact)) national = `0${compact.slice(2)}`;
  if (!national) return compact;
  const next = VN_2018_MOBILE_PREFIXES[national.slice(0, 4)];
  return next ? `${next}${national.slice(4)}` : compact;
}

/**
 * Parses a phone number typed by a person into E.164. Default region `VN`: a national number with the
 * trunk 0 is Vietnamese; `84…` and `0084…` without "+" are read as the country code 84 (nobody dials a
 * Vietnamese national number without its 0). Letters, or a number libphonenumber deems invalid for its
 * region (too short, unassigned prefix), are rejected.
 */
export function normalizePhone(raw: string, defaultRegion: 'VN' = 'VN'): PhoneResult {
  const input = raw.normalize('NFKC').trim();
  if (input === '' || !PHONE_CHARS_RE.test(input)) return { ok: false, reason: 'characters' };
  // "(0)" as in "+84 (0) 912…" is a trunk prefix that must not be dialled after the country code.
  let compact = input.replace(/\(0\)/g, '').replace(/[\s.\-()/]/g, '');
  if (compact.startsWith('00') && !compact.startsWith('0084')) compact = `+${compact.slice(2)}`;
  const legacy = compact;
  compact = rewriteVnLegacyMobile(compact);
  const rewritten = compact !== legacy;
  if (compact.startsWith('0084')) compact = `+${compact.slice(2)}`;
  else if (/^84\d{9,10}$/.test(compact)) compact = `+${compact}`;
  const digits = compact.replace(/^\+/, '');
  if (!/^\d{4,17}$/.test(digits)) return { ok: false, reason: 'invalid' };
  const parsed = parsePhoneNumberFromString(compact, defaultRegion);
  if (!parsed?.isValid()) return { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number, type: parsed.getType(), rewritten };
}

/** The E.164 form, or null when the input is not a valid phone number. */
export function toE164(raw: string): string | null {
  const r = normalizePhone(raw);
  return r.ok ? r.e164 : null;
}
