import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Phone query → E.164, for the channel lookup of global search (vietnam.md §6).
 *
 * TEMPORARY local copy: the contacts module's `normalizePhone` (contacts/contact.phone.ts) was not yet
 * committed when search was; once it is, import `toE164` from there and delete this file, so the value
 * searched is normalized exactly as the value stored.
 */

/** 2018 renumbering of 11-digit mobiles: old national prefix (with the trunk 0) → new one. */
const VN_2018: Readonly<Record<string, string>> = {
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

/** The E.164 form of a typed number (default region VN), or null when it is not a valid number. */
export function toE164(raw: string): string | null {
  let c = raw
    .normalize('NFKC')
    .trim()
    .replace(/\(0\)/g, '')
    .replace(/[\s.\-()/]/g, '');
  if (!/^\+?\d+$/.test(c)) return null;
  if (c.startsWith('00')) c = `+${c.slice(2)}`;
  // Old 11-digit mobiles in national or international spelling: rewrite the prefix first.
  const national = /^0\d{10}$/.test(c) ? c : /^\+?84\d{10}$/.test(c) ? `0${c.replace(/^\+?84/, '')}` : null;
  const next = national ? VN_2018[national.slice(0, 4)] : undefined;
  if (national && next) c = `${next}${national.slice(4)}`;
  // "84…" without "+": the country code (nobody dials a Vietnamese national number without its 0).
  if (/^84\d{9,10}$/.test(c)) c = `+${c}`;
  const parsed = parsePhoneNumberFromString(c, 'VN');
  return parsed?.isValid() ? parsed.number : null;
}
