import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../platform/kv.js';
import { checkMst } from './mst.check.js';
import {
  type CachedMstEntry,
  CachedMstRegistry,
  FakeMstRegistry,
  HttpMstRegistry,
  KvMstRegistryCache,
  MST_CACHE_TTL_SECONDS,
  MST_NOT_FOUND_TTL_SECONDS,
  type MstRegistryCache,
  type MstRegistryRecord,
  MstRegistryUnavailableError,
  NAMED_MST_RECORDS,
  parseRegistryStatus,
} from './mst.registry.js';
import { loadMstVectors } from './mst.vectors.js';

const T0 = new Date('2026-11-21T08:00:00.000Z');

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    nowMs: () => t,
    advance(seconds: number) {
      t += seconds * 1000;
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject');
}

async function unavailable(p: Promise<unknown>): Promise<MstRegistryUnavailableError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(MstRegistryUnavailableError);
  return e as MstRegistryUnavailableError;
}

describe('parseRegistryStatus', () => {
  it.each([
    ['active', 'active'],
    ['Suspended', 'suspended'],
    [' CLOSED ', 'closed'],
    ['unknown', 'unknown'],
    ['NNT đang hoạt động (đã được cấp GCN ĐKT)', 'active'],
    ['NNT đang hoạt động (được cấp thông báo MST)', 'active'],
    ['NNT đã chuyển cơ quan thuế quản lý', 'active'],
    ['NNT tạm nghỉ kinh doanh có thời hạn', 'suspended'],
    ['NNT tạm ngừng hoạt động', 'suspended'],
    ['Doanh nghiệp đã giải thể', 'closed'],
    ['NNT không hoạt động tại địa chỉ đã đăng ký', 'suspended'],
    ['NNT chờ làm thủ tục phá sản', 'suspended'],
    ['NNT ngừng hoạt động và đã hoàn thành thủ tục chấm dứt hiệu lực MST', 'closed'],
    ['NNT ngừng hoạt động nhưng chưa hoàn thành thủ tục chấm dứt hiệu lực MST', 'closed'],
    // Decomposed (NFD) text from a proxy is read the same.
    ['NNT đang hoạt động'.normalize('NFD'), 'active'],
    ['something else', 'unknown'],
    ['', 'unknown'],
    [null, 'unknown'],
    [undefined, 'unknown'],
  ] as const)('%j → %s', (raw, expected) => {
    expect(parseRegistryStatus(raw)).toBe(expected);
  });
});

describe('FakeMstRegistry', () => {
  it('is seeded with exactly the named taxpayers of the public vectors, all with valid codes', async () => {
    const named = loadMstVectors().named;
    expect(NAMED_MST_RECORDS.map((r) => r.mst).sort()).toEqual(Object.keys(named).sort());
    const fake = FakeMstRegistry.withNamedCompanies([], { now: () => T0 });
    for (const { mst, name } of NAMED_MST_RECORDS) {
      expect(checkMst(mst).valid).toBe(true);
      expect(name).toBe(name.normalize('NFC'));
      expect(await fake.lookup(mst)).toEqual({
        mst,
        name,
        address: null,
        status: 'active',
        source: 'fake',
        fetchedAt: T0.toISOString(),
      });
    }
  });

  it('answers null for an unknown code and counts every call', async () => {
    const fake = new FakeMstRegistry([{ mst: '0100109106-001', name: 'Chi nhánh', status: 'closed' }]);
    expect(await fake.lookup('0100112437')).toBeNull();
    expect(await fake.lookup('0100109106001')).toMatchObject({ name: 'Chi nhánh', status: 'closed' });
    expect(await fake.lookup('0100112437')).toBeNull();
    expect(fake.callCount()).toBe(3);
    expect(fake.callCount('0100112437')).toBe(2);
    expect(fake.calls).toEqual(['0100112437', '0100109106001', '0100112437']);
    fake.resetCalls();
    expect(fake.callCount()).toBe(0);
  });

  it('can add and remove records', async () => {
    const fake = new FakeMstRegistry();
    fake.put({ mst: '0300588569', name: 'CÔNG TY CỔ PHẦN SỮA VIỆT NAM', address: 'TP. Hồ Chí Minh' });
    expect(await fake.lookup('0300588569')).toMatchObject({ address: 'TP. Hồ Chí Minh', status: 'active' });
    fake.remove('0300588569');
    expect(await fake.lookup('0300588569')).toBeNull();
  });

  it('fails every lookup in outage mode, counting them, until cleared', async () => {
    const fake = FakeMstRegistry.withNamedCompanies();
    fake.setOutage('timeout');
    const e = await unavailable(fake.lookup('0100109106'));
    expect(e.failure).toBe('timeout');
    expect(e.code).toBe('mst_registry_unavailable');
    fake.setOutage('outage');
    expect((await unavailable(fake.lookup('0100109106'))).failure).toBe('outage');
    fake.setOutage(null);
    expect(await fake.lookup('0100109106')).not.toBeNull();
    expect(fake.callCount('0100109106')).toBe(3);
  });

  it('refuses codes that are not normalized', async () => {
    const fake = new FakeMstRegistry();
    await expect(fake.lookup('0100109106-001')).rejects.toThrow(RangeError);
    await expect(fake.lookup('12345')).rejects.toThrow(RangeError);
    expect(fake.callCount()).toBe(0);
  });

  it('honours a cancelled signal', async () => {
    const fake = FakeMstRegistry.withNamedCompanies();
    const ctl = new AbortController();
    ctl.abort(new Error('user left'));
    await expect(fake.lookup('0100109106', { signal: ctl.signal })).rejects.toThrow('user left');
  });
});

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('HttpMstRegistry against a local HTTP server', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler;
  const seen: { url: string | undefined; headers: http.IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      handler(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/registry`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  beforeEach(() => {
    seen.length = 0;
  });

  // Only the connections a test left hanging are cut: closing every connection would also kill idle
  // keep-alive sockets the client still pools, and the next test would fail on a reused dead socket.
  const hanging: http.ServerResponse[] = [];
  afterEach(() => {
    for (const res of hanging.splice(0)) res.destroy();
  });

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
  };

  const registry = (opts: { timeoutMs?: number; headers?: Record<string, string> } = {}) =>
    new HttpMstRegistry({
      url: `${base}/`,
      timeoutMs: opts.timeoutMs ?? 5000,
      now: () => T0,
      ...(opts.headers ? { headers: opts.headers } : {}),
    });

  it('returns the record of a found taxpayer, normalized', async () => {
    handler = json(200, {
      mst: '0100109106',
      name: '  TẬP ĐOÀN CÔNG NGHIỆP -  VIỄN THÔNG QUÂN ĐỘI '.normalize('NFD'),
      address: ' Lô D26, Khu đô thị mới Cầu Giấy, Hà Nội ',
      status: 'NNT đang hoạt động (đã được cấp GCN ĐKT)',
      extra: 'ignored',
    });
    const r = await registry({ headers: { 'x-api-key': 'k1' } }).lookup('0100109106');
    expect(r).toEqual({
      mst: '0100109106',
      name: 'TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI',
      address: 'Lô D26, Khu đô thị mới Cầu Giấy, Hà Nội',
      status: 'active',
      source: new URL(base).host,
      fetchedAt: T0.toISOString(),
    } satisfies MstRegistryRecord);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/registry/0100109106');
    expect(seen[0]?.headers.accept).toBe('application/json');
    expect(seen[0]?.headers['x-api-key']).toBe('k1');
  });

  it('accepts a branch answered with a dash, and a missing address and status', async () => {
    handler = json(200, { mst: '0100109106-001', name: 'CHI NHÁNH' });
    expect(await registry().lookup('0100109106001')).toMatchObject({
      mst: '0100109106001',
      address: null,
      status: 'unknown',
    });
    expect(seen[0]?.url).toBe('/registry/0100109106001');
  });

  it('treats 404 as "no such taxpayer"', async () => {
    handler = json(404, { error: 'not found' });
    expect(await registry().lookup('0100233488')).toBeNull();
  });

  it.each([500, 502, 503, 429, 400, 401, 403, 301])('treats HTTP %i as unavailable', async (status) => {
    handler = json(status, { error: 'nope' }, status === 301 ? { location: 'http://127.0.0.1:1/' } : {});
    const e = await unavailable(registry().lookup('0100109106'));
    expect(e.failure).toBe('http_status');
    expect(e.status).toBe(status);
  });

  it('times out on a registry that never answers', async () => {
    handler = (_req, res) => {
      // Never respond: the request hangs until the client gives up.
      hanging.push(res);
    };
    const e = await unavailable(registry({ timeoutMs: 50 }).lookup('0100109106'));
    expect(e.failure).toBe('timeout');
  });

  it('times out on a registry that stalls in the middle of the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"mst":"0100109106",');
      hanging.push(res);
    };
    const e = await unavailable(registry({ timeoutMs: 100 }).lookup('0100109106'));
    expect(e.failure).toBe('timeout');
  });

  it.each([
    ['not JSON', '<html>Bảo trì hệ thống</html>'],
    ['JSON null', 'null'],
    ['an array', '[]'],
    ['no name', JSON.stringify({ mst: '0100109106' })],
    ['an empty name', JSON.stringify({ mst: '0100109106', name: '   ' })],
    ['a numeric name', JSON.stringify({ mst: '0100109106', name: 42 })],
    ['no mst', JSON.stringify({ name: 'X' })],
    ['another code', JSON.stringify({ mst: '0100112437', name: 'VIETCOMBANK' })],
    ['an over-long name', JSON.stringify({ mst: '0100109106', name: 'A'.repeat(501) })],
    ['an oversized body', JSON.stringify({ mst: '0100109106', name: 'X', pad: 'x'.repeat(70_000) })],
  ])('treats an answer with %s as unavailable', async (_what, body) => {
    handler = json(200, body);
    const e = await unavailable(registry().lookup('0100109106'));
    expect(e.failure).toBe('malformed');
  });

  it('refuses a declared oversized body without reading it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) });
      res.write('{"mst":"0100109106"');
      hanging.push(res);
    };
    expect((await unavailable(registry().lookup('0100109106'))).failure).toBe('malformed');
  });

  it('stops reading an endless body at the size limit', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 8; i++) res.write(chunk);
      hanging.push(res);
    };
    expect((await unavailable(registry().lookup('0100109106'))).failure).toBe('malformed');
  });

  it('reads a multi-byte UTF-8 name split across chunks', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = Buffer.from(JSON.stringify({ mst: '0100109106', name: 'TẬP ĐOÀN VIỄN THÔNG' }), 'utf8');
      const cut = body.indexOf(Buffer.from('Ậ', 'utf8')) + 1; // inside the three bytes of Ậ
      res.write(body.subarray(0, cut));
      setImmediate(() => res.end(body.subarray(cut)));
    };
    expect((await registry().lookup('0100109106'))?.name).toBe('TẬP ĐOÀN VIỄN THÔNG');
  });

  it('treats a refused connection as unavailable', async () => {
    // Port 1 on loopback: nothing listens there.
    const r = new HttpMstRegistry({ url: 'http://127.0.0.1:1/', timeoutMs: 5000 });
    const e = await unavailable(r.lookup('0100109106'));
    expect(e.failure).toBe('network');
  });

  it('repeats the request once when the connection drops, then answers', async () => {
    let requests = 0;
    handler = (req, res) => {
      requests++;
      if (requests === 1) req.socket.destroy();
      else json(200, { mst: '0100109106', name: 'VIETTEL' })(req, res);
    };
    expect(await registry().lookup('0100109106')).toMatchObject({ name: 'VIETTEL' });
    expect(requests).toBe(2);
  });

  it('gives up after the second dropped connection', async () => {
    let requests = 0;
    handler = (req) => {
      requests++;
      req.socket.destroy();
    };
    expect((await unavailable(registry().lookup('0100109106'))).failure).toBe('network');
    expect(requests).toBe(2);
  });

  it('does not repeat a request that got an HTTP answer', async () => {
    let requests = 0;
    handler = (req, res) => {
      requests++;
      json(503, {})(req, res);
    };
    await unavailable(registry().lookup('0100109106'));
    expect(requests).toBe(1);
  });

  it('passes a caller cancellation through instead of reporting an outage', async () => {
    handler = (_req, res) => {
      hanging.push(res);
    };
    const ctl = new AbortController();
    const pending = registry({ timeoutMs: 10_000 }).lookup('0100109106', { signal: ctl.signal });
    ctl.abort(new Error('request closed'));
    const e = await rejection(pending);
    expect(e).not.toBeInstanceOf(MstRegistryUnavailableError);
    expect((e as Error).message).toBe('request closed');
  });

  it('refuses a code that is not normalized before any request', async () => {
    handler = json(200, {});
    await expect(registry().lookup('../admin')).rejects.toThrow(RangeError);
    await expect(registry().lookup('0100109106-001')).rejects.toThrow(RangeError);
    expect(seen).toHaveLength(0);
  });

  it('uses an injected fetch and a configured source', async () => {
    const urls: string[] = [];
    const r = new HttpMstRegistry({
      url: 'https://registry.example.vn/api/mst',
      timeoutMs: 1000,
      source: 'gdt-proxy',
      now: () => T0,
      fetch: async (input) => {
        urls.push(String(input));
        return new Response(
          JSON.stringify({ mst: '0101248141', name: 'CÔNG TY CỔ PHẦN FPT', status: 'active' }),
        );
      },
    });
    expect(await r.lookup('0101248141')).toMatchObject({ source: 'gdt-proxy', name: 'CÔNG TY CỔ PHẦN FPT' });
    expect(urls).toEqual(['https://registry.example.vn/api/mst/0101248141']);
  });
});

/** A cache that records what it was given, for checking TTLs passed down. */
class RecordingCache implements MstRegistryCache {
  readonly entries = new Map<string, CachedMstEntry>();
  readonly ttls: number[] = [];
  failGet = false;
  failSet = false;
  async get(mst: string): Promise<CachedMstEntry | null> {
    if (this.failGet) throw new Error('cache down');
    return this.entries.get(mst) ?? null;
  }
  async set(mst: string, entry: CachedMstEntry, ttlSeconds: number): Promise<void> {
    if (this.failSet) throw new Error('cache down');
    this.entries.set(mst, entry);
    this.ttls.push(ttlSeconds);
  }
}

describe('CachedMstRegistry', () => {
  const VIETTEL = '0100109106';
  const UNKNOWN = '0100233488';

  function setup(options: { ttlSeconds?: number; notFoundTtlSeconds?: number } = {}) {
    const clock = manualClock();
    const inner = FakeMstRegistry.withNamedCompanies([], { now: clock.now });
    const kv = new MemoryStore(clock.nowMs);
    const cache = new KvMstRegistryCache(kv);
    const registry = new CachedMstRegistry(inner, cache, { ...options, now: clock.now });
    return { clock, inner, kv, cache, registry };
  }

  it('asks the registry once and then answers from the cache', async () => {
    const { inner, registry, clock } = setup();
    const first = await registry.lookup(VIETTEL);
    expect(first).toMatchObject({ cached: false, fetchedAt: T0.toISOString() });
    expect(first.record?.name).toBe('TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI');
    clock.advance(3600);
    const second = await registry.lookup(VIETTEL);
    expect(second).toEqual({ record: first.record, cached: true, fetchedAt: T0.toISOString() });
    expect(inner.callCount(VIETTEL)).toBe(1);
  });

  it('keeps a found record for 7 days by default, then asks again', async () => {
    const { inner, registry, clock } = setup();
    await registry.lookup(VIETTEL);
    clock.advance(MST_CACHE_TTL_SECONDS - 1);
    expect((await registry.lookup(VIETTEL)).cached).toBe(true);
    clock.advance(1);
    const again = await registry.lookup(VIETTEL);
    expect(again.cached).toBe(false);
    expect(again.fetchedAt).toBe(new Date(T0.getTime() + MST_CACHE_TTL_SECONDS * 1000).toISOString());
    expect(inner.callCount(VIETTEL)).toBe(2);
  });

  it('caches "no such taxpayer" for a shorter time', async () => {
    const { inner, registry, clock } = setup();
    expect(await registry.lookup(UNKNOWN)).toEqual({
      record: null,
      cached: false,
      fetchedAt: T0.toISOString(),
    });
    clock.advance(MST_NOT_FOUND_TTL_SECONDS - 1);
    expect(await registry.lookup(UNKNOWN)).toEqual({
      record: null,
      cached: true,
      fetchedAt: T0.toISOString(),
    });
    clock.advance(1);
    expect((await registry.lookup(UNKNOWN)).cached).toBe(false);
    expect(inner.callCount(UNKNOWN)).toBe(2);
  });

  it('honours configured TTLs and passes them to the cache', async () => {
    const clock = manualClock();
    const inner = FakeMstRegistry.withNamedCompanies([], { now: clock.now });
    const cache = new RecordingCache();
    const registry = new CachedMstRegistry(inner, cache, {
      ttlSeconds: 60,
      notFoundTtlSeconds: 10,
      now: clock.now,
    });
    await registry.lookup(VIETTEL);
    await registry.lookup(UNKNOWN);
    expect(cache.ttls).toEqual([60, 10]);
    clock.advance(10);
    expect((await registry.lookup(VIETTEL)).cached).toBe(true);
    expect((await registry.lookup(UNKNOWN)).cached).toBe(false);
    clock.advance(50);
    expect((await registry.lookup(VIETTEL)).cached).toBe(false);
  });

  it('never keeps not-found answers longer than found ones', async () => {
    const clock = manualClock();
    const cache = new RecordingCache();
    const registry = new CachedMstRegistry(new FakeMstRegistry(), cache, {
      ttlSeconds: 60,
      notFoundTtlSeconds: 3600,
      now: clock.now,
    });
    await registry.lookup(UNKNOWN);
    expect(cache.ttls).toEqual([60]);
  });

  it('judges freshness by its own clock even when the cache keeps entries longer', async () => {
    const clock = manualClock();
    const inner = FakeMstRegistry.withNamedCompanies([], { now: clock.now });
    const cache = new RecordingCache(); // never expires anything
    const registry = new CachedMstRegistry(inner, cache, { now: clock.now });
    await registry.lookup(VIETTEL);
    clock.advance(MST_CACHE_TTL_SECONDS);
    expect((await registry.lookup(VIETTEL)).cached).toBe(false);
    expect(inner.callCount()).toBe(2);
  });

  it('serves nothing during an outage once the entry has expired, and caches no failure', async () => {
    const { inner, registry, clock } = setup();
    await registry.lookup(VIETTEL);
    inner.setOutage('http_status');
    // Still fresh: the outage is invisible.
    expect((await registry.lookup(VIETTEL)).cached).toBe(true);
    clock.advance(MST_CACHE_TTL_SECONDS);
    expect((await unavailable(registry.lookup(VIETTEL))).failure).toBe('http_status');
    // An uncached code fails too, and the failure is not remembered.
    await unavailable(registry.lookup('0100112437'));
    inner.setOutage(null);
    expect(await registry.lookup('0100112437')).toMatchObject({
      cached: false,
      record: { mst: '0100112437' },
    });
  });

  it('skips the cache read on refresh and stores the fresh answer', async () => {
    const { inner, registry, clock } = setup();
    await registry.lookup(VIETTEL);
    inner.put({ mst: VIETTEL, name: 'TÊN MỚI', status: 'suspended' });
    clock.advance(60);
    const fresh = await registry.lookup(VIETTEL, { refresh: true });
    expect(fresh).toMatchObject({ cached: false, record: { name: 'TÊN MỚI', status: 'suspended' } });
    expect(await registry.lookup(VIETTEL)).toMatchObject({ cached: true, record: { name: 'TÊN MỚI' } });
  });

  it('carries on without a failing cache and reports the failures', async () => {
    const clock = manualClock();
    const inner = FakeMstRegistry.withNamedCompanies([], { now: clock.now });
    const cache = new RecordingCache();
    cache.failGet = true;
    cache.failSet = true;
    const errors: string[] = [];
    const registry = new CachedMstRegistry(inner, cache, {
      now: clock.now,
      onCacheError: (e, op) => errors.push(`${op}: ${(e as Error).message}`),
    });
    expect(await registry.lookup(VIETTEL)).toMatchObject({ cached: false, record: { mst: VIETTEL } });
    expect(errors).toEqual(['get: cache down', 'set: cache down']);
  });

  it('passes a caller signal to the registry', async () => {
    const { registry, inner } = setup();
    const ctl = new AbortController();
    ctl.abort(new Error('gone'));
    await expect(registry.lookup(VIETTEL, { signal: ctl.signal })).rejects.toThrow('gone');
    expect(inner.callCount()).toBe(0);
  });

  it('refuses codes that are not normalized', async () => {
    const { registry } = setup();
    await expect(registry.lookup('0100109106-001')).rejects.toThrow(RangeError);
  });
});

describe('KvMstRegistryCache', () => {
  it('round-trips found and not-found entries with the TTL on the store', async () => {
    const clock = manualClock();
    const kv = new MemoryStore(clock.nowMs);
    const cache = new KvMstRegistryCache(kv);
    const record: MstRegistryRecord = {
      mst: '0100109106',
      name: 'TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI',
      address: null,
      status: 'active',
      source: 'fake',
      fetchedAt: T0.toISOString(),
    };
    await cache.set('0100109106', { record, fetchedAt: T0.toISOString() }, 120);
    await cache.set('0100233488', { record: null, fetchedAt: T0.toISOString() }, 30);
    expect(await cache.get('0100109106')).toEqual({ record, fetchedAt: T0.toISOString() });
    expect(await cache.get('0100233488')).toEqual({ record: null, fetchedAt: T0.toISOString() });
    expect(await kv.ttl('vn:mst-registry:0100109106')).toBe(120);
    clock.advance(30);
    expect(await cache.get('0100233488')).toBeNull();
    expect(await cache.get('0100109106')).not.toBeNull();
    clock.advance(90);
    expect(await cache.get('0100109106')).toBeNull();
    await kv.close();
  });

  it('drops an unreadable entry and reports a miss', async () => {
    const kv = new MemoryStore();
    const cache = new KvMstRegistryCache(kv, 'p:');
    await kv.set('p:0100109106', '{not json', 60);
    await kv.set('p:0100112437', JSON.stringify({ record: { mst: 1 }, fetchedAt: 'yesterday' }), 60);
    expect(await cache.get('0100109106')).toBeNull();
    expect(await cache.get('0100112437')).toBeNull();
    expect(await kv.get('p:0100109106')).toBeNull();
    expect(await kv.get('p:0100112437')).toBeNull();
    expect(await cache.get('0300588569')).toBeNull();
    await kv.close();
  });
});
