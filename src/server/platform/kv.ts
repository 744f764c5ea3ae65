import { Redis } from 'ioredis';

/**
 * A small expiring key-value store for counters and flags that must be shared between server processes
 * when there are several (login lockouts, revoked sessions). In-process by default; Redis when
 * REDIS_URL is set.
 */
export interface KeyValueStore {
  /** Increments a counter, creating it with the given TTL; returns the new value. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Remaining seconds, or -1 when the key does not exist. */
  ttl(key: string): Promise<number>;
  close(): Promise<void>;
}

export class MemoryStore implements KeyValueStore {
  readonly #map = new Map<string, { value: string; expiresAt: number }>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.#timer = setInterval(() => this.#sweep(), 60_000);
    this.#timer.unref();
  }

  #live(key: string): { value: string; expiresAt: number } | undefined {
    const e = this.#map.get(key);
    if (e && e.expiresAt <= this.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return e;
  }

  #sweep(): void {
    const t = this.now();
    for (const [k, e] of this.#map) if (e.expiresAt <= t) this.#map.delete(k);
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const e = this.#live(key);
    const next = (e ? Number(e.value) : 0) + 1;
    this.#map.set(key, { value: String(next), expiresAt: e?.expiresAt ?? this.now() + ttlSeconds * 1000 });
    return next;
  }
  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }
  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#map.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }
  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }
  async ttl(key: string): Promise<number> {
    const e = this.#live(key);
    return e ? Math.ceil((e.expiresAt - this.now()) / 1000) : -1;
  }
  async close(): Promise<void> {
    clearInterval(this.#timer);
  }
}

export class RedisStore implements KeyValueStore {
  constructor(
    readonly redis: Redis,
    private readonly prefix = 'crm:',
  ) {}
  async increment(key: string, ttlSeconds: number): Promise<number> {
    const k = this.prefix + key;
    const [[, count]] = (await this.redis.multi().incr(k).expire(k, ttlSeconds, 'NX').exec()) as [
      [Error | null, number],
    ];
    return count;
  }
  async get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }
  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'EX', ttlSeconds);
  }
  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
  async ttl(key: string): Promise<number> {
    const t = await this.redis.ttl(this.prefix + key);
    return t < 0 ? -1 : t;
  }
  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export function createRedis(url: string): Redis {
  // Fail fast instead of queueing commands forever when Redis is down.
  return new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
}

/**
 * A Redis client whose connection is up before the app serves: without the offline queue, a command sent
 * while the first connection is still being made fails, and the first requests after start answered 500
 * (seen in CI). A Redis that does not answer within `timeoutMs` does not block start-up: commands then
 * fail fast as before, and the client keeps reconnecting.
 */
export async function connectRedis(url: string, timeoutMs = 3000): Promise<Redis> {
  const redis = createRedis(url);
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    redis.once('ready', done);
  });
  return redis;
}
