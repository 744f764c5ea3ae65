import { z } from 'zod';
import type { KeyValueStore } from '../../../platform/kv.js';
import type { MstRegistryLookup, MstRegistryRecord } from '../../../platform/platform.js';
import { normalizeMst } from './mst.check.js';

/**
 * Providers for the GDT taxpayer registry (tra cứu người nộp thuế). GDT publishes no guaranteed API, so the
 * product talks to a configurable HTTP endpoint (a proxy the operator runs, or a commercial lookup service)
 * through HttpMstRegistry, tests use FakeMstRegistry, and CachedMstRegistry puts a 7-day cache in front of
 * either. The outage rule (R-CRM-001) is the caller's: every failure to get an answer is one error type,
 * MstRegistryUnavailableError, and the caller stores the code as stale instead of failing the write.
 */

export type { MstRegistryRecord } from '../../../platform/platform.js';
export type MstRegistryStatus = MstRegistryRecord['status'];

export interface MstLookupOptions {
  /** Cancels the lookup; a cancelled lookup rejects with the signal's reason, not as an outage. */
  signal?: AbortSignal;
}

export interface MstRegistry {
  /** A short name of the provider, as its records carry it in `source` (e.g. `registry.example.vn`, `fake`). */
  readonly source?: string;
  /**
   * The registry's record for a normalized tax code (10, 13 or 12 digits), or null when the registry
   * answered that no such taxpayer exists.
   * @throws MstRegistryUnavailableError when no answer could be had (outage, timeout, 5xx, garbage).
   * @throws RangeError when `mst` is not a normalized tax code (a programming error).
   */
  lookup(mst: string, opts?: MstLookupOptions): Promise<MstRegistryRecord | null>;
}

/** Why no answer could be had; `outage` is a provider saying so itself (the fake's outage mode). */
export type MstRegistryFailure = 'timeout' | 'network' | 'http_status' | 'malformed' | 'outage';

export class MstRegistryUnavailableError extends Error {
  readonly code = 'mst_registry_unavailable';
  readonly failure: MstRegistryFailure;
  /** The HTTP status, for `http_status`. */
  readonly status: number | undefined;

  constructor(
    failure: MstRegistryFailure,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MstRegistryUnavailableError';
    this.failure = failure;
    this.status = options.status;
  }
}

const NORMALIZED_MST = /^(?:[0-9]{10}(?:[0-9]{3})?|[0-9]{12})$/;

function assertNormalized(mst: string): void {
  if (!NORMALIZED_MST.test(mst)) {
    throw new RangeError(
      `registry lookups take a normalized tax code (10, 13 or 12 digits), got ${JSON.stringify(mst)}`,
    );
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/**
 * Maps a registry's status to the product's four. Besides the four English values, proxies that pass GDT's
 * own Vietnamese wording through are understood ("NNT đang hoạt động (đã được cấp GCN ĐKT)", "NNT tạm nghỉ
 * kinh doanh có thời hạn", "NNT ngừng hoạt động và đã hoàn thành thủ tục chấm dứt hiệu lực MST", …). The order
 * matters: "tạm ngừng hoạt động" (temporarily) contains "ngừng hoạt động" (ceased), which contains
 * "hoạt động" (operating). Anything else is `unknown` rather than a failed lookup: the name is still worth
 * having.
 */
export function parseRegistryStatus(raw: string | null | undefined): MstRegistryStatus {
  if (raw === null || raw === undefined) return 'unknown';
  const s = raw.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ');
  if (s === 'active' || s === 'suspended' || s === 'closed' || s === 'unknown') return s;
  if (/tạm nghỉ|tạm ngừng/.test(s)) return 'suspended';
  if (/ngừng hoạt động|chấm dứt hiệu lực|giải thể|đóng mã số thuế/.test(s)) return 'closed';
  if (/không hoạt động tại địa chỉ|phá sản|bỏ trốn/.test(s)) return 'suspended';
  if (/đang hoạt động|đã chuyển cơ quan thuế/.test(s)) return 'active';
  return 'unknown';
}

/** Longest texts accepted from a registry; anything longer is not a taxpayer record. */
const MAX_NAME = 500;
const MAX_ADDRESS = 1000;
const MAX_BODY_BYTES = 64 * 1024;

const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => {
      const t = v?.normalize('NFC').trim();
      return t ? t : null;
    });

/** The JSON contract of HttpMstRegistry's endpoint (see HttpMstRegistry). Unknown members are ignored. */
const RegistryAnswerSchema = z.object({
  mst: z.string().min(10).max(20),
  name: z
    .string()
    .max(MAX_NAME)
    .transform((v) => v.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1)),
  address: optionalText(MAX_ADDRESS),
  status: z.string().max(300).nullish(),
});

/**
 * The body as UTF-8 text, refusing more than `maxBytes` without buffering it: a broken or hostile endpoint
 * streaming megabytes must not cost more memory than a record could need.
 */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const oversized = () =>
    new MstRegistryUnavailableError('malformed', 'The tax registry sent an oversized answer');
  if (Number(res.headers.get('content-length') ?? '0') > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw oversized();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw oversized();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface HttpMstRegistryOptions {
  /** Base URL; the lookup is `GET ${url}/${mst}` (a trailing slash on the base is ignored). */
  url: string;
  /** Whole-request budget (connect, headers and body). */
  timeoutMs: number;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers (an API key for the operator's proxy, say). */
  headers?: Record<string, string>;
  /** Stored as the record's `source`; defaults to the URL's host. */
  source?: string;
  now?: () => Date;
}

/**
 * The registry behind an HTTP endpoint. Contract:
 *
 * ```
 * GET {url}/{mst}            mst normalized: 0100109106, 0100109106001 (branch), 001203012345 (personal)
 * Accept: application/json
 *
 * 200 application/json  {
 *   "mst": "0100109106",                       // the code asked for (a dash before a branch is allowed)
 *   "name": "TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI",  // registered name, non-empty, ≤ 500 chars
 *   "address": "…" | null,                     // optional, ≤ 1000 chars
 *   "status": "active" | "suspended" | "closed" | "unknown" | GDT's Vietnamese status text   // optional
 * }
 * 404                    no taxpayer with this code (the body is ignored)
 * anything else          the registry is unavailable: 5xx, 429, other 4xx, redirects left unresolved,
 *                        non-JSON, a body over 64 KiB, a record for another code, no answer in time
 * ```
 * Texts are NFC-normalized and trimmed. `fetchedAt` is the local clock at the answer.
 */
export class HttpMstRegistry implements MstRegistry {
  readonly source: string;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #headers: Record<string, string>;
  readonly #now: () => Date;

  constructor(options: HttpMstRegistryOptions) {
    const base = new URL(options.url);
    this.#base = base.href.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#headers = { accept: 'application/json', ...options.headers };
    this.source = options.source ?? base.host;
    this.#now = options.now ?? (() => new Date());
  }

  async lookup(mst: string, opts: MstLookupOptions = {}): Promise<MstRegistryRecord | null> {
    assertNormalized(mst);
    throwIfCancelled(opts.signal);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    for (let attempt = 1; ; attempt++) {
      try {
        const text = await this.#fetchText(mst, signal);
        return text === null ? null : this.#parse(mst, text);
      } catch (e) {
        if (e instanceof MstRegistryUnavailableError) throw e;
        throwIfCancelled(opts.signal);
        if (timeout.aborted) {
          throw new MstRegistryUnavailableError(
            'timeout',
            `The tax registry did not answer within ${this.#timeoutMs} ms`,
            { cause: e },
          );
        }
        // A pooled keep-alive connection that the registry closed just as the request went out fails as a
        // socket error; a GET is safe to repeat once, on a fresh connection, within the same time budget.
        if (attempt < 2) continue;
        throw new MstRegistryUnavailableError('network', 'The tax registry could not be reached', {
          cause: e,
        });
      }
    }
  }

  /**
   * The body of a 200 answer, or null for a 404. The request and the body read share the signal, so the
   * timeout also covers a registry that sends headers and then stalls.
   */
  async #fetchText(mst: string, signal: AbortSignal): Promise<string | null> {
    const res = await this.#fetch(`${this.#base}/${mst}`, {
      method: 'GET',
      headers: this.#headers,
      signal,
      redirect: 'manual',
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 404) return null;
      throw new MstRegistryUnavailableError('http_status', `The tax registry answered HTTP ${res.status}`, {
        status: res.status,
      });
    }
    return readCapped(res, MAX_BODY_BYTES);
  }

  #parse(mst: string, text: string): MstRegistryRecord {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new MstRegistryUnavailableError('malformed', 'The tax registry sent an answer that is not JSON', {
        cause: e,
      });
    }
    const parsed = RegistryAnswerSchema.safeParse(json);
    if (!parsed.success) {
      throw new MstRegistryUnavailableError(
        'malformed',
        'The tax registry sent an answer of an unknown shape',
        {
          cause: parsed.error,
        },
      );
    }
    // A record for another code is a broken proxy, not an answer about this one.
    if (normalizeMst(parsed.data.mst) !== mst) {
      throw new MstRegistryUnavailableError('malformed', 'The tax registry answered about another tax code');
    }
    return {
      mst,
      name: parsed.data.name,
      address: parsed.data.address,
      status: parseRegistryStatus(parsed.data.status),
      source: this.source,
      fetchedAt: this.#now().toISOString(),
    };
  }
}

/** What a fake knows about a taxpayer; source and fetchedAt are filled in at lookup time. */
export interface FakeMstRecord {
  mst: string;
  name: string;
  address?: string | null;
  status?: MstRegistryStatus;
}

/**
 * The six well-known taxpayers of the public vectors (`named` in shared/testdata/mst.json) with their
 * registered names as GDT lists them: names that differ from the short brands people type ("Viettel"), so
 * demos and tests exercise the rename warning. Addresses are left out: the registry's addresses predate
 * the 2025 administrative reform and were not verified.
 */
export const NAMED_MST_RECORDS: readonly FakeMstRecord[] = [
  { mst: '0100109106', name: 'TẬP ĐOÀN CÔNG NGHIỆP - VIỄN THÔNG QUÂN ĐỘI', status: 'active' },
  { mst: '0100112437', name: 'NGÂN HÀNG THƯƠNG MẠI CỔ PHẦN NGOẠI THƯƠNG VIỆT NAM', status: 'active' },
  { mst: '0300588569', name: 'CÔNG TY CỔ PHẦN SỮA VIỆT NAM', status: 'active' },
  { mst: '0101248141', name: 'CÔNG TY CỔ PHẦN FPT', status: 'active' },
  { mst: '0102671977', name: 'CÔNG TY CỔ PHẦN VINHOMES', status: 'active' },
  { mst: '0100684378', name: 'TẬP ĐOÀN BƯU CHÍNH VIỄN THÔNG VIỆT NAM', status: 'active' },
];

/**
 * An in-memory registry for tests and demos. Records are keyed by their normalized code; the outage mode
 * makes every lookup fail with the given failure until cleared, and every lookup (failed or not) is
 * counted, so tests can prove a cache answered instead.
 */
export class FakeMstRegistry implements MstRegistry {
  readonly source: string;
  readonly #records = new Map<string, FakeMstRecord>();
  readonly #calls: string[] = [];
  readonly #now: () => Date;
  #outage: MstRegistryFailure | null = null;

  constructor(records: Iterable<FakeMstRecord> = [], options: { now?: () => Date; source?: string } = {}) {
    this.#now = options.now ?? (() => new Date());
    this.source = options.source ?? 'fake';
    for (const r of records) this.put(r);
  }

  /** A fake that knows the named taxpayers of the public vectors (NAMED_MST_RECORDS), plus `extra`. */
  static withNamedCompanies(
    extra: Iterable<FakeMstRecord> = [],
    options: { now?: () => Date; source?: string } = {},
  ): FakeMstRegistry {
    return new FakeMstRegistry([...NAMED_MST_RECORDS, ...extra], options);
  }

  put(record: FakeMstRecord): void {
    this.#records.set(normalizeMst(record.mst), { ...record, mst: normalizeMst(record.mst) });
  }

  remove(mst: string): void {
    this.#records.delete(normalizeMst(mst));
  }

  /** Every lookup fails with `failure` until `setOutage(null)`. */
  setOutage(failure: MstRegistryFailure | null): void {
    this.#outage = failure;
  }

  /** Number of lookups so far, for one code or for all. */
  callCount(mst?: string): number {
    return mst === undefined ? this.#calls.length : this.#calls.filter((c) => c === mst).length;
  }

  /** The codes looked up, in order. */
  get calls(): readonly string[] {
    return [...this.#calls];
  }

  resetCalls(): void {
    this.#calls.length = 0;
  }

  async lookup(mst: string, opts: MstLookupOptions = {}): Promise<MstRegistryRecord | null> {
    assertNormalized(mst);
    throwIfCancelled(opts.signal);
    this.#calls.push(mst);
    if (this.#outage) {
      throw new MstRegistryUnavailableError(this.#outage, `The fake tax registry is down (${this.#outage})`);
    }
    const r = this.#records.get(mst);
    if (!r) return null;
    return {
      mst,
      name: r.name,
      address: r.address ?? null,
      status: r.status ?? 'active',
      source: this.source,
      fetchedAt: this.#now().toISOString(),
    };
  }
}

/** One cached registry answer; `record: null` is a cached "no such taxpayer". */
export interface CachedMstEntry {
  record: MstRegistryRecord | null;
  /** When the registry gave the answer (ISO 8601). */
  fetchedAt: string;
}

/**
 * Storage for registry answers. `set` stores for `ttlSeconds` (an implementation may keep entries longer:
 * CachedMstRegistry checks the age itself). Implementations: KvMstRegistryCache (Redis or memory) and the
 * database-backed one in the vietnam module's service.
 */
export interface MstRegistryCache {
  get(mst: string): Promise<CachedMstEntry | null>;
  set(mst: string, entry: CachedMstEntry, ttlSeconds: number): Promise<void>;
}

export interface MstLookupResult {
  record: MstRegistryRecord | null;
  /** True when the answer came from the cache, not from the registry just now. */
  cached: boolean;
  /** When the registry gave this answer (ISO 8601). */
  fetchedAt: string;
}

export interface CachedMstRegistryOptions {
  /** How long a found record is served from the cache. Default 7 days. */
  ttlSeconds?: number;
  /**
   * How long a "no such taxpayer" is served from the cache. Default 1 day: a company registered this week
   * would otherwise be reported as unregistered for a week after it first appeared in the registry.
   */
  notFoundTtlSeconds?: number;
  now?: () => Date;
  /**
   * Told about a failing cache (Redis down, database error). The lookup carries on without the cache: a
   * cache outage must not become a registry outage.
   */
  onCacheError?: (error: unknown, operation: 'get' | 'set') => void;
}

export const MST_CACHE_TTL_SECONDS = 7 * 24 * 3600;
export const MST_NOT_FOUND_TTL_SECONDS = 24 * 3600;

/**
 * A registry with a cache in front. Found and not-found answers are cached; an outage is never cached and
 * never answered from an expired entry (the caller marks the code stale and re-checks later). Entries are
 * fresh while younger than their TTL by this object's clock, whatever the cache's own expiry does.
 */
export class CachedMstRegistry implements MstRegistryLookup {
  readonly #ttl: number;
  readonly #notFoundTtl: number;
  readonly #now: () => Date;
  readonly #onCacheError: (error: unknown, operation: 'get' | 'set') => void;

  constructor(
    private readonly inner: MstRegistry,
    private readonly cache: MstRegistryCache,
    options: CachedMstRegistryOptions = {},
  ) {
    this.#ttl = options.ttlSeconds ?? MST_CACHE_TTL_SECONDS;
    this.#notFoundTtl = Math.min(options.notFoundTtlSeconds ?? MST_NOT_FOUND_TTL_SECONDS, this.#ttl);
    this.#now = options.now ?? (() => new Date());
    this.#onCacheError = options.onCacheError ?? (() => undefined);
  }

  /**
   * The answer for a normalized code, from the cache when fresh, else from the registry (then cached).
   * `refresh` skips the cache read (a user's "check again"); the fresh answer still replaces the entry.
   * @throws MstRegistryUnavailableError when the registry had to be asked and could not answer.
   */
  async lookup(mst: string, opts: MstLookupOptions & { refresh?: boolean } = {}): Promise<MstLookupResult> {
    assertNormalized(mst);
    if (!opts.refresh) {
      const hit = await this.#read(mst);
      if (hit) return { record: hit.record, cached: true, fetchedAt: hit.fetchedAt };
    }
    const record = await this.inner.lookup(mst, opts.signal ? { signal: opts.signal } : {});
    const fetchedAt = record?.fetchedAt ?? this.#now().toISOString();
    try {
      await this.cache.set(mst, { record, fetchedAt }, record ? this.#ttl : this.#notFoundTtl);
    } catch (e) {
      this.#onCacheError(e, 'set');
    }
    return { record, cached: false, fetchedAt };
  }

  async #read(mst: string): Promise<CachedMstEntry | null> {
    let entry: CachedMstEntry | null;
    try {
      entry = await this.cache.get(mst);
    } catch (e) {
      this.#onCacheError(e, 'get');
      return null;
    }
    if (!entry) return null;
    const fetched = Date.parse(entry.fetchedAt);
    if (Number.isNaN(fetched)) return null;
    const ageSeconds = (this.#now().getTime() - fetched) / 1000;
    return ageSeconds < (entry.record ? this.#ttl : this.#notFoundTtl) ? entry : null;
  }
}

const CachedEntrySchema = z.object({
  record: z
    .object({
      mst: z.string(),
      name: z.string(),
      address: z.string().nullable(),
      status: z.enum(['active', 'suspended', 'closed', 'unknown']),
      source: z.string(),
      fetchedAt: z.iso.datetime({ offset: true }),
    })
    .nullable(),
  fetchedAt: z.iso.datetime({ offset: true }),
});

/**
 * The registry cache over the platform key-value store (Redis when REDIS_URL is set, so every server
 * process shares it; in-process otherwise). An unreadable entry (an older format, a hand edit) is a miss
 * and is dropped.
 */
export class KvMstRegistryCache implements MstRegistryCache {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly prefix = 'vn:mst-registry:',
  ) {}

  async get(mst: string): Promise<CachedMstEntry | null> {
    const raw = await this.kv.get(this.prefix + mst);
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = CachedEntrySchema.safeParse(json);
    if (!parsed.success) {
      await this.kv.delete(this.prefix + mst);
      return null;
    }
    return parsed.data;
  }

  async set(mst: string, entry: CachedMstEntry, ttlSeconds: number): Promise<void> {
    await this.kv.set(this.prefix + mst, JSON.stringify(entry), Math.max(1, Math.ceil(ttlSeconds)));
  }
}
