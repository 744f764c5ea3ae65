import { describe, expect, it } from 'vitest';
import { fakeLookup, PUBLIC_HOSTS } from '../../../../test/factories/webhooks.js';
import {
  blockedAddressReason,
  checkTarget,
  checkUrlShape,
  pinnedLookup,
  portAllowed,
  type TargetPolicy,
  TargetRefused,
} from './webhook.ssrf.js';

/** The SSRF guard's pure checks and its resolution, with a fake resolver (tests never do real DNS). */

const STRICT: TargetPolicy = { allowPrivate: false, allowHttp: false };
const DEV: TargetPolicy = { allowPrivate: false, allowHttp: true };
const OPEN: TargetPolicy = { allowPrivate: true, allowHttp: true };

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TargetRefused) return e.reason;
    throw e;
  }
  throw new Error('expected TargetRefused');
}

async function refusedAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TargetRefused) return e.reason;
    throw e;
  }
  throw new Error('expected TargetRefused');
}

describe('blockedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'RFC 1918'],
    ['172.16.0.1', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local'],
    ['fd12:3456:789a::1', 'unique local'],
    ['fec0::1', 'site-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'documentation'],
    // IPv4-mapped IPv6, in both spellings, is judged by the IPv4 address inside.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'RFC 1918'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    // Forms that embed an IPv4 address some other way are refused outright.
    ['::127.0.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'translation'],
    ['2002:7f00:1::1', 'translation'],
    ['2001:0:4136:e378::1', 'translation'],
  ])('%s is refused (%s)', (ip, reason) => {
    expect(blockedAddressReason(ip)).toContain(reason);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '2606:2800:220:1:248:1893:25c8:1946',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
  ])('%s is public', (ip) => {
    expect(blockedAddressReason(ip)).toBeNull();
  });

  it('is not fooled by a non-address', () => {
    expect(blockedAddressReason('example.com')).toBe('not an IP address');
  });
});

describe('checkUrlShape', () => {
  it('accepts public https URLs and reports the host and port', () => {
    expect(checkUrlShape('https://hooks.example.com/crm?token=x', STRICT)).toMatchObject({
      host: 'hooks.example.com',
      port: 443,
      literal: false,
    });
    expect(checkUrlShape('https://93.184.216.34:8443/x', STRICT)).toMatchObject({
      port: 8443,
      literal: true,
    });
    expect(checkUrlShape('https://[2606:2800:220:1:248:1893:25c8:1946]/x', STRICT).host).toBe(
      '2606:2800:220:1:248:1893:25c8:1946',
    );
  });

  it.each([
    ['not a url', 'absolute URL'],
    ['/relative/path', 'absolute URL'],
    ['ftp://hooks.example.com/', 'https'],
    ['file:///etc/passwd', 'https'],
    ['gopher://hooks.example.com/', 'https'],
    ['http://hooks.example.com/', 'development only'],
    ['https://user:pass@hooks.example.com/', 'user name or password'],
    ['https://token@hooks.example.com/', 'user name or password'],
    ['https://hooks.example.com/#frag', 'fragment'],
    ['https://hooks.example.com:22/', 'port 22'],
    ['https://hooks.example.com:25/', 'port 25'],
    ['https://hooks.example.com:0/', 'port 0'],
    ['https://localhost/', 'localhost'],
    ['https://api.localhost/', 'localhost'],
    ['https://LOCALHOST./', 'localhost'],
    ['https://intranet/', 'fully qualified'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    // The URL parser turns odd IPv4 spellings into dotted quads, so they are caught too.
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://017700000001/', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['https://10.0.0.1/', 'RFC 1918'],
    ['https://0.0.0.0/', 'this network'],
  ])('%s is refused (%s)', (url, reason) => {
    expect(refused(() => checkUrlShape(url, STRICT))).toContain(reason);
  });

  it('plain http only where the policy allows it; private targets only with allowPrivate', () => {
    expect(checkUrlShape('http://hooks.example.com/', DEV).port).toBe(80);
    expect(refused(() => checkUrlShape('http://127.0.0.1:8080/', DEV))).toContain('loopback');
    expect(checkUrlShape('http://127.0.0.1:8080/', OPEN)).toMatchObject({ host: '127.0.0.1', literal: true });
    expect(checkUrlShape('http://localhost:8080/', OPEN).host).toBe('localhost');
  });

  it('ports: 80, 443 and 1024–65535', () => {
    expect([80, 443, 1024, 8080, 65535].every(portAllowed)).toBe(true);
    expect([0, 1, 21, 22, 25, 110, 143, 445, 587, 1023].some(portAllowed)).toBe(false);
  });
});

describe('resolveTarget (via checkTarget)', () => {
  const lookup = fakeLookup({ ...PUBLIC_HOSTS });

  it('returns every address of a public name', async () => {
    const r = await checkTarget('https://dual.example.com/x', STRICT, lookup);
    expect(r.addresses.map((a) => a.family)).toEqual([4, 6]);
  });

  it.each([
    ['https://internal.example.com/', 'RFC 1918'],
    ['https://metadata.example.com/', 'link-local'],
    ['https://mapped.example.com/', 'loopback'],
    // One private record among public ones is enough to refuse: the connection could pick either.
    ['https://mixed.example.com/', '192.168.1.10'],
    ['https://nowhere.example.com/', 'could not be resolved (ENOTFOUND)'],
  ])('%s is refused (%s)', async (url, reason) => {
    expect(await refusedAsync(checkTarget(url, STRICT, lookup))).toContain(reason);
  });

  it('a name with no address is refused', async () => {
    expect(await refusedAsync(checkTarget('https://empty.example.com/', STRICT, async () => []))).toContain(
      'no address',
    );
  });

  it('allowPrivate admits private answers (development, tests, on-premises)', async () => {
    const r = await checkTarget('https://internal.example.com/', OPEN, lookup);
    expect(r.addresses).toEqual([{ address: '10.0.0.5', family: 4 }]);
  });

  it('an IP literal is not looked up', async () => {
    const r = await checkTarget('https://93.184.216.34/', STRICT, async () => {
      throw new Error('must not be called');
    });
    expect(r.addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });
});

describe('pinnedLookup', () => {
  const pinned = pinnedLookup([
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
  ]);

  function ask(options: { all?: boolean; family?: number | string } | number) {
    return new Promise<unknown[]>((resolve) =>
      pinned('rebound.example.com', options, (...args) => resolve(args)),
    );
  }

  it('answers only with the checked addresses, whatever the name', async () => {
    expect(await ask({})).toEqual([null, '93.184.216.34', 4]);
    expect(await ask({ family: 6 })).toEqual([null, '2606:2800:220:1:248:1893:25c8:1946', 6]);
    expect(await ask(4)).toEqual([null, '93.184.216.34', 4]);
    expect(await ask({ all: true })).toEqual([
      null,
      [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
      ],
    ]);
  });

  it('fails when no checked address has the family asked for', async () => {
    const only4 = pinnedLookup([{ address: '93.184.216.34', family: 4 }]);
    const [err] = await new Promise<unknown[]>((resolve) =>
      only4('x.example.com', { family: 6 }, (...args) => resolve(args)),
    );
    expect((err as { code?: string }).code).toBe('ENOTFOUND');
  });
});
