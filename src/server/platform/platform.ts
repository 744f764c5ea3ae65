import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { SessionRevocations } from './auth/authenticate.js';
import type { SessionTokens } from './auth/session-tokens.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { EventBus } from './events/bus.js';
import type { KeyValueStore } from './kv.js';
import type { OneStatementWrite, RequestContext, UnitOfWork } from './unit-of-work.js';

/** Everything the platform gives a module: built once in buildApp, passed to each module's routes. */
export interface Platform<DB> {
  config: Config;
  db: Database<DB>;
  kv: KeyValueStore;
  bus: EventBus;
  tokens: SessionTokens;
  revocations: SessionRevocations;
  log: FastifyBaseLogger;
  /** Email MX lookups (contacts); tests inject a fake, else EMAIL_MX_CHECK picks DNS or none. */
  mxResolver?: { resolveMx(domain: string): Promise<'valid' | 'no_mx' | 'unresolvable'> };
  /** GDT tax-registry lookups, cached (Vietnamese module); null when no registry is configured. */
  mstRegistry: MstRegistryLookup | null;
  /** One transaction in the actor's workspace, with audit entries and events written before commit. */
  write<T>(ctx: RequestContext, fn: (uow: UnitOfWork<DB>) => Promise<T>): Promise<T>;
  /**
   * One statement, no transaction (`writeOneStatement`): the change, its side rows, audit rows and events.
   * False, with nothing written, when the change matched no row.
   */
  writeOne(ctx: RequestContext, build: (k: Kysely<DB>) => OneStatementWrite): Promise<boolean>;
}

/** A tax-registry answer as the platform passes it around (the vietnam module's providers produce it). */
export interface MstRegistryRecord {
  mst: string;
  name: string;
  address: string | null;
  status: 'active' | 'suspended' | 'closed' | 'unknown';
  source: string;
  fetchedAt: string;
}

export interface MstRegistryLookup {
  /** `refresh` skips the cache (a person's "check again"); the fresh answer replaces the cached one. */
  lookup(
    mst: string,
    opts?: { refresh?: boolean },
  ): Promise<{ record: MstRegistryRecord | null; cached: boolean; fetchedAt: string }>;
}
