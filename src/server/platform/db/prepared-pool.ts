import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * Server-side prepared statements for every parameterized query, per connection.
 *
 * node-postgres sends each query as an unnamed statement: PostgreSQL parses and plans it on every
 * execution. Measured on the deal-move path (docs/benchmarks.md) parse + bind (= planning) were ~0.35 ms
 * of each statement's ~0.5 ms. Naming a statement (a hash of its text) makes pg parse it once per
 * connection; after five executions PostgreSQL may switch to a cached generic plan when it costs no more
 * than the custom ones (plan_cache_mode auto). Partition pruning and RLS still apply at execution.
 *
 * Bounded: each connection keeps at most MAX_PER_CONNECTION statements, least recently used first out
 * (DEALLOCATE on the server, and forgotten by the client so a later use prepares it again). Texts longer
 * than MAX_TEXT (bulk inserts with many rows) and queries without parameters (BEGIN, COMMIT) stay unnamed.
 * Requires a session (not transaction-mode) pooler in front of PostgreSQL, as the tenancy design does.
 */

const MAX_PER_CONNECTION = 256;
const MAX_TEXT = 10_000;

interface PgInternals {
  connection?: { parsedStatements?: Record<string, string> };
}

const statementName = (text: string): string =>
  `k_${createHash('sha1').update(text).digest('hex').slice(0, 32)}`;

class PreparingClient implements PostgresPoolClient {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly cache: Map<string, string>,
    private readonly max: number,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    a: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    const c = this.client as unknown as {
      query(x: unknown, v?: unknown[]): Promise<PostgresQueryResult<R>> | PostgresCursor<R>;
    };
    if (typeof a !== 'string') return c.query(a) as PostgresCursor<R>;
    const values = parameters ? [...parameters] : [];
    if (values.length === 0 || a.length > MAX_TEXT)
      return c.query(a, values) as Promise<PostgresQueryResult<R>>;
    let name = this.cache.get(a);
    if (name !== undefined) {
      // Most recently used last: re-insert.
      this.cache.delete(a);
      this.cache.set(a, name);
    } else {
      name = statementName(a);
      this.cache.set(a, name);
      if (this.cache.size > this.max) this.evictOldest();
    }
    return c.query({ name, text: a, values }) as Promise<PostgresQueryResult<R>>;
  }

  private evictOldest(): void {
    const oldest = this.cache.entries().next().value;
    if (!oldest) return;
    const [text, name] = oldest;
    this.cache.delete(text);
    const parsed = (this.client as unknown as PgInternals).connection?.parsedStatements;
    if (parsed) delete parsed[name];
    // Queued behind whatever runs now on this connection. Should it fail, the statement is still on the
    // server: tell the client so, or its next use would try to prepare it again and fail.
    this.client.query(`DEALLOCATE "${name}"`).catch(() => {
      if (parsed) parsed[name] = text;
    });
  }

  release(): void {
    this.client.release();
  }
}

export function preparingPool(pool: pg.Pool, options: { maxPerConnection?: number } = {}): PostgresPool {
  // One wrapper per physical connection, kept for its life: the driver (and the scope tracker behind it)
  // recognises a connection by this object, and the statement cache belongs to the connection.
  const wrappers = new WeakMap<pg.PoolClient, PreparingClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new PreparingClient(client, new Map(), options.maxPerConnection ?? MAX_PER_CONNECTION);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
