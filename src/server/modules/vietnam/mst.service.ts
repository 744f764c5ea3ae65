import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { AppPlatform, DB } from '../../db.js';
import { requirePermission } from '../../platform/auth/actor.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { KeyValueStore } from '../../platform/kv.js';
import type { MstRegistryLookup } from '../../platform/platform.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { checkMst, type MstCheck } from './mst/mst.check.js';
import { sameCompanyName } from './mst/mst.compare.js';
import {
  type CachedMstEntry,
  CachedMstRegistry,
  HttpMstRegistry,
  KvMstRegistryCache,
  type MstRegistryCache,
  MstRegistryUnavailableError,
} from './mst/mst.registry.js';

/**
 * MST checks as the product uses them (R-CRM-001, seed flow 1): the digits first (a bad code is a 422
 * naming the field), then the GDT registry through the cached provider. An outage never blocks a write:
 * the MST is stored as `stale` and the answer carries a warning. A registry name that differs from the
 * entered one replaces it, with a warning. Without a configured registry, a code with good digits stays
 * `unverified` (nothing claims a registry check that did not happen).
 */

export type MstStatus = 'unverified' | 'valid' | 'invalid' | 'stale';

export interface MstWarning {
  code: 'mst_registry_unavailable' | 'mst_not_registered' | 'name_normalized' | 'mst_registry_inactive';
  field: string;
  message: string;
}

export interface RegistryAnswer {
  status: 'found' | 'not_found' | 'unavailable' | 'not_configured';
  name: string | null;
  address: string | null;
  registry_status: string | null;
  fetched_at: string | null;
  cached: boolean;
}

export interface MstVerification {
  check: MstCheck;
  registry: RegistryAnswer;
  mstStatus: MstStatus;
  /** The registry's canonical name when it differs from the entered one. */
  canonicalName: string | null;
  warnings: MstWarning[];
}

type MstLookup = MstRegistryLookup;

/** A database-backed registry cache (shared by every workspace: the registry's answers are public). */
export class DbMstRegistryCache implements MstRegistryCache {
  constructor(private readonly db: Database<DB>) {}

  async get(mst: string): Promise<CachedMstEntry | null> {
    const r = await this.db.system((k) =>
      sql<{
        found: boolean;
        name: string | null;
        address: string | null;
        status: string | null;
        source: string;
        fetched_at: Date;
      }>`
        SELECT found, name, address, status, source, fetched_at FROM crm_core.crm_vn_mst_registry
        WHERE mst = ${mst} AND expires_at > now()`.execute(k),
    );
    const row = r.rows[0];
    if (!row) return null;
    return {
      record: row.found
        ? {
            mst,
            name: row.name ?? '',
            address: row.address,
            status: (row.status ?? 'unknown') as 'active' | 'suspended' | 'closed' | 'unknown',
            source: row.source,
            fetchedAt: row.fetched_at.toISOString(),
          }
        : null,
      fetchedAt: row.fetched_at.toISOString(),
    };
  }

  async set(mst: string, entry: CachedMstEntry, ttlSeconds: number): Promise<void> {
    const rec = entry.record;
    await this.db.system((k) =>
      sql`INSERT INTO crm_core.crm_vn_mst_registry (mst, found, name, address, status, source, fetched_at, expires_at)
          VALUES (${mst}, ${rec !== null}, ${rec?.name ?? null}, ${rec?.address ?? null}, ${rec?.status ?? null},
                  ${rec?.source ?? 'registry'}, ${entry.fetchedAt}::timestamptz,
                  ${entry.fetchedAt}::timestamptz + make_interval(secs => ${ttlSeconds}))
          ON CONFLICT (mst) DO UPDATE SET found = EXCLUDED.found, name = EXCLUDED.name, address = EXCLUDED.address,
            status = EXCLUDED.status, source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at,
            expires_at = EXCLUDED.expires_at`.execute(k),
    );
  }
}

/** The 422 of a code whose digits are wrong, naming the field it came from. */
export function mstError(check: Extract<MstCheck, { valid: false }>, field = 'vn_mst'): AppError {
  return new AppError(check.reason, check.message, {
    fields: [{ field, pointer: `/${field}`, in: 'body', code: check.reason, message: check.message }],
  });
}

/** Digits, then registry; never throws for an outage. `enteredName` enables the name comparison. */
export async function verifyMst(
  registry: MstLookup | null,
  raw: string,
  enteredName: string | null,
  options: { refresh?: boolean } = {},
): Promise<MstVerification> {
  const check = checkMst(raw);
  const none: RegistryAnswer = {
    status: 'not_configured',
    name: null,
    address: null,
    registry_status: null,
    fetched_at: null,
    cached: false,
  };
  if (!check.valid) return { check, registry: none, mstStatus: 'invalid', canonicalName: null, warnings: [] };
  if (!registry) return { check, registry: none, mstStatus: 'unverified', canonicalName: null, warnings: [] };
  // Branch codes are registered under their own 13 digits; the registry is asked for the normalized code.
  try {
    const answer = await registry.lookup(check.normalized, options.refresh ? { refresh: true } : {});
    const rec = answer.record;
    if (!rec) {
      return {
        check,
        registry: { ...none, status: 'not_found', fetched_at: answer.fetchedAt, cached: answer.cached },
        mstStatus: 'invalid',
        canonicalName: null,
        warnings: [
          {
            code: 'mst_not_registered',
            field: 'vn_mst',
            message: `The tax registry has no taxpayer with MST ${check.display}; check the code with the customer`,
          },
        ],
      };
    }
    const warnings: MstWarning[] = [];
    const differs = enteredName !== null && rec.name !== '' && !sameCompanyName(enteredName, rec.name);
    if (differs) {
      warnings.push({
        code: 'name_normalized',
        field: 'name',
        message: `Name set to the registry's "${rec.name}" (was "${enteredName}")`,
      });
    }
    if (rec.status === 'closed' || rec.status === 'suspended') {
      warnings.push({
        code: 'mst_registry_inactive',
        field: 'vn_mst',
        message: `The registry lists MST ${check.display} as ${rec.status}`,
      });
    }
    return {
      check,
      registry: {
        status: 'found',
        name: rec.name,
        address: rec.address,
        registry_status: rec.status,
        fetched_at: answer.fetchedAt,
        cached: answer.cached,
      },
      mstStatus: 'valid',
      canonicalName: differs ? rec.name : null,
      warnings,
    };
  } catch (e) {
    if (!(e instanceof MstRegistryUnavailableError)) throw e;
    return {
      check,
      registry: { ...none, status: 'unavailable' },
      mstStatus: 'stale',
      canonicalName: null,
      warnings: [
        {
          code: 'mst_registry_unavailable',
          field: 'vn_mst',
          message:
            'The tax registry did not answer; the MST was saved with good check digits and marked stale (it is re-checked later)',
        },
      ],
    };
  }
}

export interface ValidateMstJson {
  valid: boolean;
  normalized: string;
  display: string | null;
  kind: string | null;
  reason?: string;
  message?: string;
  registry: RegistryAnswer | null;
  status: MstStatus;
  warnings: MstWarning[];
}

export function presentVerification(v: MstVerification): ValidateMstJson {
  const c = v.check;
  return {
    valid: c.valid,
    normalized: c.normalized,
    display: c.valid ? c.display : null,
    kind: c.kind,
    ...(c.valid ? {} : { reason: c.reason, message: c.message }),
    registry: c.valid ? v.registry : null,
    status: v.mstStatus,
    warnings: v.warnings,
  };
}

/** POST /vn/mst/validate: digits and registry, nothing stored (a 200 even for an invalid code). */
export async function validateMst(
  p: AppPlatform,
  ctx: RequestContext,
  input: { mst: string; name?: string | null | undefined },
): Promise<ValidateMstJson> {
  requirePermission(ctx.actor, 'crm.account.view');
  return presentVerification(await verifyMst(p.mstRegistry, input.mst, input.name ?? null));
}

export interface AccountMstFields {
  vn_mst: string | null;
  mst_status: MstStatus;
  mst_checked_at: Date | null;
  /** Set when the registry's canonical name replaces the entered one. */
  name?: string;
  warnings: MstWarning[];
}

/**
 * What an account write stores for its MST. Vietnamese accounts (country VN) get the full check: bad
 * digits are a 422 naming `vn_mst`, the registry decides valid / invalid / stale and may rename the
 * account. Other accounts keep the code as entered, unverified. Runs before the write transaction
 * (a registry call must never hold a database transaction open).
 */
export async function accountMstFields(
  registry: MstLookup | null,
  account: { country: string | null; vn_mst: string | null; name: string },
): Promise<AccountMstFields> {
  if (!account.vn_mst) return { vn_mst: null, mst_status: 'unverified', mst_checked_at: null, warnings: [] };
  if (account.country !== 'VN') {
    return { vn_mst: account.vn_mst, mst_status: 'unverified', mst_checked_at: null, warnings: [] };
  }
  const v = await verifyMst(registry, account.vn_mst, account.name);
  if (!v.check.valid) throw mstError(v.check);
  return {
    vn_mst: v.check.display,
    mst_status: v.mstStatus,
    mst_checked_at: v.registry.status === 'found' || v.registry.status === 'not_found' ? new Date() : null,
    ...(v.canonicalName ? { name: v.canonicalName } : {}),
    warnings: v.warnings,
  };
}

/**
 * The platform's registry: MST_REGISTRY_URL's HTTP adapter behind a 7-day cache (Redis when REDIS_URL is
 * set, so every process shares it; else the database). Null without a URL: no lookup is pretended.
 */
export function mstRegistryFor(
  config: Config,
  db: Database<DB>,
  kv: KeyValueStore,
  log: Pick<FastifyBaseLogger, 'warn'>,
): MstRegistryLookup | null {
  if (!config.MST_REGISTRY_URL) return null;
  const cache = config.REDIS_URL ? new KvMstRegistryCache(kv) : new DbMstRegistryCache(db);
  return new CachedMstRegistry(
    new HttpMstRegistry({ url: config.MST_REGISTRY_URL, timeoutMs: config.MST_REGISTRY_TIMEOUT_MS }),
    cache,
    { onCacheError: (err, operation) => log.warn({ err, operation }, 'MST registry cache failed') },
  );
}
