import { promises as dnsPromises } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for every URL a workspace admin can point the CRM at (DESIGN §6, OWASP API7).
 *
 * Two halves: a pure check of the URL's shape (scheme, credentials, port, host names that are local by
 * definition) and of each IP address, and an async resolution that checks EVERY address a name resolves
 * to (a name with one public and one private record is refused: the connection could pick either). The
 * resolution runs on create/update and again before every delivery, and the sender connects to the very
 * addresses that were checked (a pinned `lookup`), so DNS rebinding between check and connect gains
 * nothing.
 *
 * The address ranges are node's own `net.BlockList` (which also matches IPv4-mapped IPv6 forms such as
 * `::ffff:127.0.0.1` and `::ffff:7f00:1` against the IPv4 rules); the WHATWG URL parser has already
 * normalised the odd IPv4 spellings (`2130706433`, `0x7f.1`) to dotted quads.
 */

export interface TargetPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS: admits loopback/private/link-local targets (dev, tests, on-premises). */
  allowPrivate: boolean;
  /** Plain http is accepted outside production only; production webhooks are https. */
  allowHttp: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (tests inject a fake: they never do real DNS). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = async (hostname) => {
  const found = await dnsPromises.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export class TargetRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TargetRefused';
  }
}

type Range = readonly [network: string, prefix: number];

/** Non-public address space, grouped by the reason given to the user. */
const BLOCKED: ReadonlyArray<readonly [reason: string, v4: readonly Range[], v6: readonly Range[]]> = [
  ['a loopback address', [['127.0.0.0', 8]], [['::1', 128]]],
  ['an unspecified or "this network" address', [['0.0.0.0', 8]], [['::', 128]]],
  [
    'a private (RFC 1918) address',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
    [],
  ],
  ['a shared (carrier-grade NAT) address', [['100.64.0.0', 10]], []],
  ['a link-local address (incl. cloud metadata endpoints)', [['169.254.0.0', 16]], [['fe80::', 10]]],
  ['a unique local (fc00::/7) address', [], [['fc00::', 7]]],
  ['a site-local address', [], [['fec0::', 10]]],
  ['a multicast address', [['224.0.0.0', 4]], [['ff00::', 8]]],
  [
    'a reserved or documentation address',
    [
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['240.0.0.0', 4],
    ],
    [
      ['2001:db8::', 32],
      ['100::', 64],
      // IPv4-compatible (deprecated) form: ::a.b.c.d would smuggle any IPv4 address.
      ['::', 96],
    ],
  ],
  [
    'an address translation prefix (NAT64, 6to4, Teredo) that can hide an internal IPv4 address',
    [['192.88.99.0', 24]],
    [
      ['64:ff9b::', 96],
      ['64:ff9b:1::', 48],
      ['2002::', 16],
      ['2001::', 32],
    ],
  ],
];

const LISTS: ReadonlyArray<readonly [string, BlockList]> = BLOCKED.map(([reason, v4, v6]) => {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return [reason, list] as const;
});

/** Why an IP address is not a public unicast address, or null when it is. Pure. */
export function blockedAddressReason(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [reason, list] of LISTS) {
    if (list.check(ip, type)) return reason;
  }
  return null;
}

/** Ports that are never HTTP: posting to them is only useful for protocol smuggling (SMTP, SSH, …). */
export function portAllowed(port: number): boolean {
  return port === 80 || port === 443 || (port >= 1024 && port <= 65535);
}

export interface CheckedUrl {
  url: URL;
  /** Host without IPv6 brackets. */
  host: string;
  port: number;
  /** The host is an IP literal (no DNS involved). */
  literal: boolean;
}

/**
 * Checks a URL's shape without touching the network. Throws TargetRefused naming what is wrong.
 * Rules: http(s) only (http only when the policy allows it), no user:password, no fragment, a port of 80,
 * 443 or 1024–65535, no `localhost` names, and an IP literal must be public (unless allowPrivate).
 */
export function checkUrlShape(raw: string, policy: TargetPolicy): CheckedUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('must be an absolute URL such as https://example.com/hooks/crm');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TargetRefused('must use https');
  }
  if (url.protocol === 'http:' && !policy.allowHttp) {
    throw new TargetRefused('must use https (plain http is accepted in development only)');
  }
  if (url.username || url.password) {
    throw new TargetRefused(
      'must not contain a user name or password; put a token in the path or query instead',
    );
  }
  if (url.hash) throw new TargetRefused('must not contain a #fragment (it is never sent)');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (!portAllowed(port)) {
    throw new TargetRefused(`port ${port} is not allowed (use 80, 443 or 1024–65535)`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) throw new TargetRefused('must name a host');
  const literal = isIP(host) !== 0;
  if (!policy.allowPrivate) {
    const lower = host.toLowerCase().replace(/\.$/, '');
    if (lower === 'localhost' || lower.endsWith('.localhost')) {
      throw new TargetRefused('must not point at this server (localhost)');
    }
    if (literal) {
      const reason = blockedAddressReason(host);
      if (reason) throw new TargetRefused(`must not point at ${reason} (${host})`);
    } else if (!lower.includes('.')) {
      throw new TargetRefused('must use a fully qualified host name');
    }
  }
  return { url, host, port, literal };
}

/**
 * The addresses to connect to: the literal itself, or every address the name resolves to, each checked.
 * Throws TargetRefused when the name does not resolve or any address is not public.
 */
export async function resolveTarget(
  checked: CheckedUrl,
  policy: TargetPolicy,
  lookup: HostLookup,
): Promise<ResolvedAddress[]> {
  if (checked.literal) {
    return [{ address: checked.host, family: isIP(checked.host) === 6 ? 6 : 4 }];
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await lookup(checked.host);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw new TargetRefused(
      `host ${checked.host} could not be resolved${typeof code === 'string' ? ` (${code})` : ''}`,
    );
  }
  if (addresses.length === 0) throw new TargetRefused(`host ${checked.host} has no address`);
  if (!policy.allowPrivate) {
    for (const a of addresses) {
      const reason = blockedAddressReason(a.address);
      if (reason) {
        throw new TargetRefused(`host ${checked.host} resolves to ${reason} (${a.address})`);
      }
    }
  }
  return addresses;
}

/** Shape check and resolution in one: what create/update and the dispatcher call. */
export async function checkTarget(
  raw: string,
  policy: TargetPolicy,
  lookup: HostLookup,
): Promise<{ checked: CheckedUrl; addresses: ResolvedAddress[] }> {
  const checked = checkUrlShape(raw, policy);
  return { checked, addresses: await resolveTarget(checked, policy, lookup) };
}

/**
 * A `lookup` for node:http(s) that answers only with the already-checked addresses, whatever the name:
 * the connection goes where the guard looked, never to a fresh (possibly rebound) DNS answer. Node 20
 * asks with `all: true` when it tries several addresses (happy eyeballs).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (
    _hostname: string,
    options: { all?: boolean; family?: number | string } | number,
    callback: (...args: unknown[]) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options;
    const family =
      opts.family === 6 || opts.family === 'IPv6' ? 6 : opts.family === 4 || opts.family === 'IPv4' ? 4 : 0;
    const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
    if (usable.length === 0) {
      const err = Object.assign(new Error('no checked address of the requested family'), {
        code: 'ENOTFOUND',
      });
      callback(err);
      return;
    }
    if (opts.all)
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, usable[0]?.address, usable[0]?.family);
  };
}
