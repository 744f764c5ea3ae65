import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * Display-only preview of the E.164 form the server will store for a typed phone number. Mirrors
 * src/server/modules/contacts/contact.phone.ts (default region VN, the 2018 renumbering of 11-digit
 * mobiles rewritten first) but with the small "min" metadata, so it checks lengths, not number types:
 * the server's answer (a 422 on `channels.<i>.value`) stays the authority.
 */

/** 2018 renumbering: old national mobile prefix (with the trunk 0) → new prefix (same table as the server). */
const VN_2018_MOBILE_PREFIXES: Readonly<Record<string, string>> = {
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

function rewriteVnLegacyMobile(compact: string): string {
  let national: string | null = null;
  if (/^0\d{10}$/.test(compact)) national = compact;
  else if (/^\+84\d{10}$/.test(compact)) national = `0${compact.slice(3)}`;
  else if (/^0084\d{10}$/.test(compact)) national = `0${compact.slice(4)}`;
  else if (/^84\d{10}$/.test(compact)) national = `0${compact.slice(2)}`;
  if (!national) return compact;
  const next = VN_2018_MOBILE_PREFIXES[national.slice(0, 4)];
  return next ? `${next}${national.slice(4)}` : compact;
}

export type PhonePreview = { ok: true; e164: string; rewritten: boolean } | { ok: false };

export function previewPhone(raw: string): PhonePreview {
  const input = raw.normalize('NFKC').trim();
  if (input === '' || !/^\+?[\d\s.\-()/]+$/.test(input)) return { ok: false };
  let compact = input.replace(/\(0\)/g, '').replace(/[\s.\-()/]/g, '');
  if (compact.startsWith('00') && !compact.startsWith('0084')) compact = `+${compact.slice(2)}`;
  const legacy = compact;
  compact = rewriteVnLegacyMobile(compact);
  const rewritten = compact !== legacy;
  if (compact.startsWith('0084')) compact = `+${compact.slice(2)}`;
  else if (/^84\d{9,10}$/.test(compact)) compact = `+${compact}`;
  if (!/^\d{4,17}$/.test(compact.replace(/^\+/, ''))) return { ok: false };
  const parsed = parsePhoneNumberFromString(compact, 'VN');
  if (!parsed?.isValid()) return { ok: false };
  return { ok: true, e164: parsed.number, rewritten };
}
