import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Every query runs as a database role and, for tenant work, with its workspace set. The scope is a
 * property of the async context (set by Database.read/transaction/system), not something each query
 * must remember: a query issued outside any scope runs as `crm_app` with no workspace, and row-level
 * security then returns nothing.
 *
 * Why session-level settings tracked per connection instead of `BEGIN; SET LOCAL …; COMMIT` around each
 * request: that costs three extra round trips per read (DESIGN §10). Here a connection keeps its role
 * and workspace between uses and we only send one `set_config` when the next use needs a different
 * scope, never inside a transaction (so a rollback cannot undo it behind our back). See
 * docs/decisions/0004-tenancy-and-rls.md.
 */

export type DbRole = 'crm_app' | 'crm_system' | 'owner';

export interface DbScope {
  role: DbRole;
  tenantId: string | null;
}

interface ContextState {
  scope: DbScope;
  /** Set while this async context holds a connection for a transaction (re-entrancy detection). */
  txDepth: number;
}

const context = new AsyncLocalStorage<ContextState>();

/** With no scope, a query gets the least privilege there is: the app role and no workspace. */
export const NO_SCOPE: DbScope = { role: 'crm_app', tenantId: null };

export function currentScope(): DbScope {
  return context.getStore()?.scope ?? NO_SCOPE;
}

/**
 * Runs fn with the given scope. A nested scope inherits "inside a transaction" from its parent, so that
 * asking for a fresh connection from inside a transaction is caught (it would deadlock PGlite).
 */
export function runInScope<T>(scope: DbScope, fn: () => Promise<T>): Promise<T> {
  return context.run({ scope, txDepth: context.getStore()?.txDepth ?? 0 }, fn);
}

export class ScopedDialect implements Dialect {
  #driver: ScopedDriver | null = null;
  constructor(private readonly inner: Dialect) {}
  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    this.#driver = new ScopedDriver(this.inner.createDriver());
    return this.#driver;
  }
  /** Scope switches so far (each one is a `set_config` round trip). */
  switches(): number {
    return this.#driver?.switches ?? 0;
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

const scopeKey = (s: DbScope): string => `${s.role}|${s.tenantId ?? ''}`;

const SET_SCOPE_SQL =
  "select set_config('role', $1, false) as role, set_config('app.tenant_id', $2, false) as tenant";

interface ConnState {
  key: string | null;
  inTx: boolean;
}

class ScopedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly driver: ScopedDriver,
  ) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    await this.driver.ensureScope(this.inner);
    return this.inner.executeQuery<R>(q);
  }
  async *streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    await this.driver.ensureScope(this.inner);
    yield* this.inner.streamQuery<R>(q, chunkSize);
  }
}

class ScopedDriver implements Driver {
  readonly #states = new WeakMap<DatabaseConnection, ConnState>();
  /** Number of scope switches, exposed for tests and metrics (how often we paid the extra round trip). */
  switches = 0;

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const state = context.getStore();
    if (state && state.txDepth > 0) {
      throw new Error(
        'a second database connection was requested inside a transaction: run the query on the transaction (trx)',
      );
    }
    return new ScopedConnection(await this.inner.acquireConnection(), this);
  }

  async ensureScope(conn: DatabaseConnection): Promise<void> {
    const want = currentScope();
    const key = scopeKey(want);
    let st = this.#states.get(conn);
    if (st?.key === key) return;
    if (st?.inTx) throw new Error('database scope changed inside a transaction');
    if (!st) {
      st = { key: null, inTx: false };
      this.#states.set(conn, st);
    }
    st.key = null; // unknown until the statement succeeds
    const role = want.role === 'owner' ? 'none' : want.role;
    await conn.executeQuery(CompiledQuery.raw(SET_SCOPE_SQL, [role, want.tenantId ?? '']));
    this.switches++;
    st.key = key;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const inner = (conn as ScopedConnection).inner;
    await this.ensureScope(inner);
    await this.inner.beginTransaction(inner, settings);
    const st = this.#states.get(inner);
    if (st) st.inTx = true;
    const ctx = context.getStore();
    if (ctx) ctx.txDepth++;
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    const inner = (conn as ScopedConnection).inner;
    try {
      await this.inner.commitTransaction(inner);
    } finally {
      this.#endTx(inner);
    }
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    const inner = (conn as ScopedConnection).inner;
    try {
      await this.inner.rollbackTransaction(inner);
    } finally {
      this.#endTx(inner);
    }
  }

  #endTx(inner: DatabaseConnection): void {
    const st = this.#states.get(inner);
    if (st) st.inTx = false;
    const ctx = context.getStore();
    if (ctx && ctx.txDepth > 0) ctx.txDepth--;
  }

  async savepoint(
    conn: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.savepoint?.((conn as ScopedConnection).inner, name, compile);
  }
  async rollbackToSavepoint(
    conn: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.((conn as ScopedConnection).inner, name, compile);
  }
  async releaseSavepoint(
    conn: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.((conn as ScopedConnection).inner, name, compile);
  }

  releaseConnection(conn: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((conn as ScopedConnection).inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
