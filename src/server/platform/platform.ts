import type { FastifyBaseLogger } from 'fastify';
import type { SessionRevocations } from './auth/authenticate.js';
import type { SessionTokens } from './auth/session-tokens.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { EventBus } from './events/bus.js';
import type { KeyValueStore } from './kv.js';
import type { RequestContext, UnitOfWork } from './unit-of-work.js';

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
  /** One transaction in the actor's workspace, with audit entries and events written before commit. */
  write<T>(ctx: RequestContext, fn: (uow: UnitOfWork<DB>) => Promise<T>): Promise<T>;
}
