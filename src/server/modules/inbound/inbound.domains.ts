import { domainToASCII } from 'node:url';

/**
 * Mail domains: normalization, the personal-provider list (R-CRM-003: never tracked, never
 * auto-attached) and the parent chain used to match a sub-domain (`hn.acme.vn`) to a tracked `acme.vn`.
 */

/**
 * Consumer mailbox providers, worldwide and Vietnamese. A sub-domain of one (`hcm.vnn.vn`) is personal
 * too. A company using one of these for business mail must be logged by hand (or through CHAT hints).
 */
export const PERSONAL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.com.vn',
  'yahoo.co.uk',
  'yahoo.fr',
  'ymail.com',
  'rocketmail.com',
  'outlook.com',
  'outlook.com.vn',
  'hotmail.com',
  'hotmail.co.uk',
  'hotmail.fr',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'mail.ru',
  'yandex.ru',
  'yandex.com',
  'zoho.com',
  'tutanota.com',
  'fastmail.com',
  'qq.com',
  '163.com',
  '126.com',
  'naver.com',
  'daum.net',
  // Vietnamese ISPs' consumer mail.
  'vnn.vn',
  'fpt.vn',
  'viettel.vn',
]);

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A lower-case ASCII (punycode) domain, or null if it is not a plausible host name with a dot. */
export function normalizeDomain(input: string): string | null {
  let d = input.trim().toLowerCase();
  if (d.startsWith('@')) d = d.slice(1);
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d === '' || d.length > 253) return null;
  const ascii = domainToASCII(d);
  if (!ascii) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return null;
  return ascii;
}

/** The domain and its parents down to two labels: `a.b.acme.vn` → [a.b.acme.vn, b.acme.vn, acme.vn]. */
export function domainChain(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export function isPersonalDomain(domain: string): boolean {
  return domainChain(domain).some((d) => PERSONAL_DOMAINS.has(d));
}

/** The normalized domain of an address, or null. */
export function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at <= 0) return null;
  return normalizeDomain(address.slice(at + 1));
}

/** Lower-cased address with a normalized domain, or null when it is not an address. */
export function normalizeAddress(address: string): string | null {
  const a = address.trim();
  const at = a.lastIndexOf('@');
  if (at <= 0 || at > 64) return null;
  const local = a.slice(0, at).toLowerCase();
  const domain = normalizeDomain(a.slice(at + 1));
  if (!domain || local === '' || /\s/.test(local)) return null;
  return `${local}@${domain}`;
}
