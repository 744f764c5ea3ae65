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
  /**
   * `multiStatement`: the inner driver sends a parameterless query as one simple-protocol message that may
   * hold several statements (node-postgres), so a transaction that needs a scope switch can send BEGIN and
   * the switch together. PGlite's driver cannot (extended protocol); it pays no network round trip anyway.
   */
  constructor(
    private readonly inner: Dialect,
    private readonly options: { multiStatement?: boolean } = {},
  ) {}
  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    this.#driver = new ScopedDriver(this.inner.createDriver(), this.options.multiStatement ?? false);
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
  /** The scope was set inside the open transaction: a rollback undoes it. */
  setInTx: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES: ReadonlySet<string> = new Set(['crm_app', 'crm_system', 'none']);

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

  constructor(
    private readonly inner: Driver,
    private readonly multiStatement: boolean,
  ) {}

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
      st = { key: null, inTx: false, setInTx: false };
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
    if (!(await this.#beginWithScope(inner, settings))) {
      await this.ensureScope(inner);
      await this.inner.beginTransaction(inner, settings);
    }
    const st = this.#states.get(inner);
    if (st) st.inTx = true;
    const ctx = context.getStore();
    if (ctx) ctx.txDepth++;
  }

  /**
   * BEGIN and a scope switch in one round trip (a write on a connection last used for another workspace,
   * the common case with many workspaces on a LIFO pool). The switch then runs inside the transaction, so
   * a rollback undoes it: the connection's scope is marked unknown on rollback and set again on its next
   * use. Literals, not parameters (a parameterless message is what may carry two statements): the role is
   * one of ours and the workspace id a UUID, checked here; anything else takes the two-step path.
   */
  async #beginWithScope(conn: DatabaseConnection, settings: TransactionSettings): Promise<boolean> {
    if (!this.multiStatement || settings.isolationLevel || settings.accessMode) return false;
    const want = currentScope();
    const key = scopeKey(want);
    const st = this.#states.get(conn);
    if (st?.key === key) return false;
    const role = want.role === 'owner' ? 'none' : want.role;
    const tenant = want.tenantId ?? '';
    if (!ROLES.has(role) || (tenant !== '' && !UUID.test(tenant))) return false;
    const state = st ?? { key: null, inTx: false, setInTx: false };
    this.#states.set(conn, state);
    state.key = null;
    try {
      await conn.executeQuery(
        CompiledQuery.raw(
          `begin; select set_config('role', '${role}', false), set_config('app.tenant_id', '${tenant}', false)`,
        ),
      );
    } catch (error) {
      // BEGIN may have opened a block the failed switch aborted: never hand the connection back in it.
      await conn.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
      throw error;
    }
    this.switches++;
    state.key = key;
    state.setInTx = true;
    return true;
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
    const st = this.#states.get(inner);
    if (st?.setInTx) st.key = null; // the rollback undoes the set_config it began with
    try {
      await this.inner.rollbackTransaction(inner);
    } finally {
      this.#endTx(inner);
    }
  }

  #endTx(inner: DatabaseConnection): void {
    const st = this.#states.get(inner);
    if (st) {
      st.inTx = false;
      st.setInTx = false;
    }
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
