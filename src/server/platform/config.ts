import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration: every environment variable the server reads, parsed once with zod at boot. A bad value
 * stops start-up with a message naming the variable. Secrets never have a production default: in
 * development they are generated on first start and kept in `DATA_DIR/secrets.json`.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** PostgreSQL's plan_cache_mode for the app's sessions (ADR 0027; database.ts). */
export const PLAN_CACHE_MODES = ['force_generic_plan', 'auto', 'force_custom_plan'] as const;
export type PlanCacheMode = (typeof PLAN_CACHE_MODES)[number];

export const ENV_SCHEMA = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: intFrom(0, 65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_MAX: intFrom(1, 500).default(10),
  DATABASE_PLAN_CACHE_MODE: z.enum(PLAN_CACHE_MODES).default('force_generic_plan'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: intFrom(60, 86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: intFrom(3600, 90 * 86_400).default(30 * 86_400),
  CORS_ORIGINS: csv.default([]),
  TRUST_PROXY: bool.default(false),
  BODY_LIMIT_BYTES: intFrom(1024, 50 * 1024 * 1024).default(1024 * 1024),
  RATE_LIMIT_MAX: intFrom(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: intFrom(1, 3600).default(60),
  LOGIN_MAX_FAILURES: intFrom(1, 1000).default(5),
  LOGIN_LOCKOUT_SECONDS: intFrom(1, 86_400).default(900),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  OIDC_ISSUER: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url().optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_WORKSPACE_CLAIM: z.string().min(1).default('workspace_id'),
  OIDC_ROLE_CLAIM: z.string().min(1).default('crm_role'),
  OIDC_EMAIL_CLAIM: z.string().min(1).default('email'),
  OIDC_NAME_CLAIM: z.string().min(1).default('name'),
  OUTBOX_RELAY: z.enum(['inline', 'off']).default('inline'),
  OUTBOX_POLL_MS: intFrom(10, 60_000).default(250),
  /** Defaults to true except in production. */
  SEED_DEMO: bool.optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  IDEMPOTENCY_TTL_SECONDS: intFrom(60, 7 * 86_400).default(86_400),
  EMAIL_MX_CHECK: z.enum(['dns', 'off']).default('dns'),
  /** Webhooks (ADR 0014). true admits loopback/private targets: development, tests, on-premises only. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  WEBHOOK_TIMEOUT_MS: intFrom(1000, 60_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: intFrom(1, 50).default(12),
  /** Encrypts webhook signing secrets at rest (AES-256-GCM); without it they are stored as is. */
  WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Dead letters in a row after which a subscription is switched off; 0 never. */
  WEBHOOK_DISABLE_AFTER_DEAD: intFrom(0, 10_000).default(10),
  WEBHOOK_POLL_MS: intFrom(10, 60_000).default(1000),
  WEBHOOK_RETENTION_DAYS: intFrom(1, 3650).default(30),
  WORKFLOW_RUN_RETENTION_DAYS: intFrom(8, 3650).default(90),
  /** GDT registry adapter base URL (GET {url}/{mst}); unset: MSTs are checked by their digits only. */
  MST_REGISTRY_URL: z.url().optional(),
  MST_REGISTRY_TIMEOUT_MS: intFrom(100, 60_000).default(3000),
  /** Hóa đơn signing certificate: PEM files, or a PKCS#12 file (+ password). Unset: a self-signed demo one. */
  HOADON_CERT_FILE: z.string().min(1).optional(),
  HOADON_KEY_FILE: z.string().min(1).optional(),
  HOADON_PKCS12_FILE: z.string().min(1).optional(),
  HOADON_PKCS12_PASSWORD: z.string().optional(),
  /** How often the won-deal flow runner looks for due steps (it is also woken by each close). */
  WON_FLOW_POLL_MS: intFrom(50, 600_000).default(1000),
  /** NATS with JetStream (`nats://host:port`): the event bus across server processes; unset: in-process. */
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\//, 'must be a nats:// URL')
    .optional(),
  /** JetStream stream holding the domain events (created when missing). */
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
    .default('CRM_EVENTS'),
  /** The web app: `auto` builds it at start when its sources changed (in the background), `off` serves what is built. */
  WEB_BUILD: z.enum(['auto', 'off']).default('auto'),
});

export type Env = z.infer<typeof ENV_SCHEMA>;

export interface Config extends Omit<Env, 'JWT_SECRET' | 'SEED_DEMO'> {
  SEED_DEMO: boolean;
  jwtSecret: string;
  /** Where each secret came from, for the start-up log (never the value). */
  secretSources: Record<string, 'env' | 'generated' | 'stored'>;
  dataDir: string;
  oidc: { issuer: string; jwksUrl: string; audience: string | undefined } | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError listing every bad variable by name. */
export function parseEnv(env: NodeJS.ProcessEnv): Env {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`. Blank ones too: z.coerce.number() turns
  // "  " into 0, so `PORT=" "` silently listened on a random port and `RATE_LIMIT_MAX=" "` failed oddly.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const result = ENV_SCHEMA.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = result.data;
  const problems: string[] = [];
  if (Boolean(e.HOADON_CERT_FILE) !== Boolean(e.HOADON_KEY_FILE)) {
    problems.push(
      'HOADON_CERT_FILE, HOADON_KEY_FILE: set both (PEM certificate and its private key) or neither',
    );
  }
  if (e.HOADON_PKCS12_FILE && e.HOADON_CERT_FILE) {
    problems.push('HOADON_PKCS12_FILE: give either a PKCS#12 file or PEM files, not both');
  }
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) {
    problems.push('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)');
  }
  if ((e.OIDC_ISSUER && !e.OIDC_JWKS_URL) || (!e.OIDC_ISSUER && e.OIDC_JWKS_URL)) {
    problems.push('OIDC_JWKS_URL: OIDC_ISSUER and OIDC_JWKS_URL must be set together');
  }
  if (problems.length) throw new ConfigError(problems);
  return e;
}

interface StoredSecrets {
  jwtSecret?: string;
  [key: string]: string | undefined;
}

/**
 * Loads or creates the development secrets file. Only used when the environment does not provide the
 * secret and NODE_ENV is not production (parseEnv already refused that case).
 */
function devSecrets(dataDir: string): { secrets: StoredSecrets; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    return { secrets: JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: StoredSecrets = { jwtSecret: randomBytes(48).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}

/** Reads (or creates and stores) a named development secret in DATA_DIR/secrets.json. */
export function devSecret(
  dataDir: string,
  name: string,
  create: () => string,
): { value: string; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  const { secrets } = devSecrets(dataDir);
  const existing = secrets[name];
  if (existing) return { value: existing, created: false };
  const value = create();
  writeFileSync(file, JSON.stringify({ ...secrets, [name]: value }, null, 2), { mode: 0o600 });
  return { value, created: true };
}

/** Builds the runtime configuration from the environment (and, in development, `DATA_DIR/secrets.json`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const dataDir = path.resolve(e.DATA_DIR);
  const secretSources: Config['secretSources'] = {};
  let jwtSecret = e.JWT_SECRET;
  if (jwtSecret) {
    secretSources.JWT_SECRET = 'env';
  } else {
    const { secrets, created } = devSecrets(dataDir);
    if (!secrets.jwtSecret) throw new ConfigError([`JWT_SECRET: missing in ${dataDir}/secrets.json`]);
    jwtSecret = secrets.jwtSecret;
    secretSources.JWT_SECRET = created ? 'generated' : 'stored';
  }
  const { JWT_SECRET: _omit, ...rest } = e;
  return {
    ...rest,
    SEED_DEMO: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    jwtSecret,
    secretSources,
    dataDir,
    oidc:
      e.OIDC_ISSUER && e.OIDC_JWKS_URL
        ? { issuer: e.OIDC_ISSUER, jwksUrl: e.OIDC_JWKS_URL, audience: e.OIDC_AUDIENCE }
        : null,
  };
}

/** A configuration for tests: no files written, fixed secret, quiet logs. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO: 'false', OUTBOX_RELAY: 'off' });
  const { JWT_SECRET: _omit, ...rest } = base;
  return {
    ...rest,
    SEED_DEMO: false,
    jwtSecret: 'test-secret-test-secret-test-secret-0123456789',
    secretSources: { JWT_SECRET: 'env' },
    dataDir: path.resolve('./data-test'),
    oidc: null,
    ...overrides,
  };
}
