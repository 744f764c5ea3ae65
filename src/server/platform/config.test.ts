import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisAnswers } from '../../../test/helpers.js';
import { ConfigError, loadConfig, parseEnv } from './config.js';
import { newId } from './ids.js';
import { createRedis, MemoryStore, RedisStore } from './kv.js';

/** Configuration parsing and the key-value stores (MemoryStore always, RedisStore when Redis answers). */

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const SECRET = 'a-very-long-secret-of-more-than-32-characters';

describe('parseEnv', () => {
  it('applies defaults for an empty environment', () => {
    const e = parseEnv({});
    expect(e).toMatchObject({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 3000,
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      BODY_LIMIT_BYTES: 1024 * 1024,
      IDEMPOTENCY_TTL_SECONDS: 86_400,
    });
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.JWT_SECRET).toBeUndefined();
  });

  it('parses numbers, booleans and lists', () => {
    const e = parseEnv({
      PORT: '8080',
      TRUST_PROXY: 'yes',
      CORS_ORIGINS: 'https://a.example, https://b.example,,',
      DATABASE_URL: 'postgresql://u@db:5432/crm',
      RATE_LIMIT_MAX: '50',
    });
    expect(e).toMatchObject({
      PORT: 8080,
      TRUST_PROXY: true,
      CORS_ORIGINS: ['https://a.example', 'https://b.example'],
      DATABASE_URL: 'postgresql://u@db:5432/crm',
      RATE_LIMIT_MAX: 50,
    });
  });

  it('treats empty and blank strings as unset', () => {
    const e = parseEnv({ PORT: '', JWT_SECRET: '', RATE_LIMIT_MAX: '  ', DATABASE_POOL_MAX: '\t' });
    // A blank number must not coerce to 0 (PORT=0 would listen on a random port).
    expect([e.PORT, e.RATE_LIMIT_MAX, e.DATABASE_POOL_MAX]).toEqual([3000, 600, 10]);
    expect(e.JWT_SECRET).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3.5'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_SECRET', 'too-short'],
    ['NODE_ENV', 'staging'],
    ['TRUST_PROXY', 'maybe'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['BODY_LIMIT_BYTES', '10'],
    ['METRICS_TOKEN', 'short'],
    ['PUBLIC_URL', 'not a url'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const err = configError(() => parseEnv({ [name]: value }));
    expect(err.message).toContain(name);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(new RegExp(`^${name}: `));
  });

  it('lists every bad variable at once', () => {
    const err = configError(() => parseEnv({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' }));
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect(err.message).toMatch(/^Invalid configuration:/);
  });

  it('explains why a JWT secret is refused', () => {
    expect(configError(() => parseEnv({ JWT_SECRET: 'x'.repeat(31) })).message).toContain(
      'at least 32 characters',
    );
    expect(parseEnv({ JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toBe('x'.repeat(32));
  });

  it('requires JWT_SECRET in production', () => {
    const err = configError(() => parseEnv({ NODE_ENV: 'production' }));
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).toContain('production');
    expect(parseEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET }).NODE_ENV).toBe('production');
  });

  it('requires OIDC_ISSUER and OIDC_JWKS_URL together', () => {
    const noJwks = configError(() => parseEnv({ OIDC_ISSUER: 'https://id.example' }));
    expect(noJwks.message).toContain('OIDC_JWKS_URL');
    const noIssuer = configError(() => parseEnv({ OIDC_JWKS_URL: 'https://id.example/jwks' }));
    expect(noIssuer.message).toContain('OIDC_ISSUER');
    const both = parseEnv({ OIDC_ISSUER: 'https://id.example', OIDC_JWKS_URL: 'https://id.example/jwks' });
    expect(both.OIDC_ISSUER).toBe('https://id.example');
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'crm-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a development JWT secret into DATA_DIR/secrets.json (0600) and reuses it', () => {
    const dataDir = path.join(dir, 'data');
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.secretSources).toEqual({ JWT_SECRET: 'generated' });
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.dataDir).toBe(path.resolve(dataDir));

    const file = path.join(dataDir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ jwtSecret: first.jwtSecret });

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.secretSources).toEqual({ JWT_SECRET: 'stored' });
    expect(second.jwtSecret).toBe(first.jwtSecret);

    // Another data directory gets another secret.
    const other = loadConfig({ DATA_DIR: path.join(dir, 'other') });
    expect(other.jwtSecret).not.toBe(first.jwtSecret);
  });

  it('uses JWT_SECRET from the environment and writes nothing', () => {
    const c = loadConfig({ DATA_DIR: dir, JWT_SECRET: SECRET });
    expect(c.jwtSecret).toBe(SECRET);
    expect(c.secretSources).toEqual({ JWT_SECRET: 'env' });
    expect(existsSync(path.join(dir, 'secrets.json'))).toBe(false);
    expect(c).not.toHaveProperty('JWT_SECRET');
  });

  it('fails in production without JWT_SECRET and never generates one', () => {
    const err = configError(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir }));
    expect(err.message).toContain('JWT_SECRET');
    expect(existsSync(path.join(dir, 'secrets.json'))).toBe(false);
  });

  it('defaults SEED_DEMO to true except in production', () => {
    expect(loadConfig({ DATA_DIR: dir }).SEED_DEMO).toBe(true);
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }).SEED_DEMO).toBe(true);
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: SECRET }).SEED_DEMO).toBe(false);
    expect(loadConfig({ DATA_DIR: dir, SEED_DEMO: 'false' }).SEED_DEMO).toBe(false);
    expect(
      loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: SECRET, SEED_DEMO: '1' }).SEED_DEMO,
    ).toBe(true);
  });

  it('builds the OIDC settings only when configured', () => {
    expect(loadConfig({ DATA_DIR: dir, JWT_SECRET: SECRET }).oidc).toBeNull();
    const c = loadConfig({
      DATA_DIR: dir,
      JWT_SECRET: SECRET,
      OIDC_ISSUER: 'https://id.example',
      OIDC_JWKS_URL: 'https://id.example/jwks',
      OIDC_AUDIENCE: 'crm',
    });
    expect(c.oidc).toEqual({
      issuer: 'https://id.example',
      jwksUrl: 'https://id.example/jwks',
      audience: 'crm',
    });
  });

  it('refuses a bad value with a ConfigError before touching DATA_DIR', () => {
    const dataDir = path.join(dir, 'never');
    const err = configError(() => loadConfig({ DATA_DIR: dataDir, PORT: 'abc' }));
    expect(err.message).toContain('PORT');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('MemoryStore', () => {
  let now = 1_000_000;
  let store: MemoryStore;
  beforeEach(() => {
    now = 1_000_000;
    store = new MemoryStore(() => now);
  });
  afterEach(async () => store.close());

  it('increments a counter and keeps the TTL of its first increment (fixed window)', async () => {
    expect(await store.increment('c', 10)).toBe(1);
    expect(await store.ttl('c')).toBe(10);
    now += 4_000;
    expect(await store.increment('c', 10)).toBe(2);
    expect(await store.increment('c', 10)).toBe(3);
    expect(await store.ttl('c')).toBe(6);
    expect(await store.get('c')).toBe('3');
  });

  it('expires counters and values with the injected clock', async () => {
    await store.increment('c', 10);
    await store.set('v', 'hello', 5);
    now += 4_999;
    expect(await store.get('v')).toBe('hello');
    now += 1;
    expect(await store.get('v')).toBeNull();
    expect(await store.ttl('v')).toBe(-1);
    expect(await store.get('c')).toBe('1');
    now += 5_000;
    expect(await store.get('c')).toBeNull();
    expect(await store.increment('c', 10)).toBe(1);
    expect(await store.ttl('c')).toBe(10);
  });

  it('sets, overwrites and deletes values; ttl is -1 for a missing key', async () => {
    expect(await store.get('missing')).toBeNull();
    expect(await store.ttl('missing')).toBe(-1);
    await store.set('k', 'a', 60);
    await store.set('k', 'b', 30);
    expect(await store.get('k')).toBe('b');
    expect(await store.ttl('k')).toBe(30);
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
    await store.delete('k');
  });

  it('keeps keys independent', async () => {
    await store.increment('a', 10);
    await store.increment('a', 10);
    expect(await store.increment('b', 10)).toBe(1);
  });
});

describe.skipIf(!(await redisAnswers()))('RedisStore (Redis on 127.0.0.1:6379)', () => {
  let store: RedisStore;
  const prefix = `crm-test:${newId()}:`;
  beforeAll(async () => {
    const redis = createRedis('redis://127.0.0.1:6379');
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.once('error', reject);
    });
    // A prefix of our own: tests never touch other keys on a shared Redis.
    store = new RedisStore(redis, prefix);
  });
  afterAll(async () => store.close());

  it('increments a counter with a TTL set once', async () => {
    expect(await store.increment('c', 100)).toBe(1);
    expect(await store.increment('c', 5)).toBe(2);
    const ttl = await store.ttl('c');
    // EXPIRE NX: the second increment did not shorten the window to 5 s.
    expect(ttl).toBeGreaterThan(5);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await store.get('c')).toBe('2');
  });

  it('sets, reads and deletes values with a TTL', async () => {
    expect(await store.get('missing')).toBeNull();
    expect(await store.ttl('missing')).toBe(-1);
    await store.set('k', 'v', 60);
    expect(await store.get('k')).toBe('v');
    const ttl = await store.ttl('k');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
  });

  it('uses its prefix', async () => {
    await store.set('p', '1', 60);
    expect(await store.redis.get('p')).toBeNull();
    expect(await store.redis.get(`${prefix}p`)).toBe('1');
    await store.delete('p');
  });
});
