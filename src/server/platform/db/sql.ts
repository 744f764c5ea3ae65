import { type RawBuilder, sql } from 'kysely';

/**
 * A JSON value as a jsonb SQL expression. Bound as text and cast, because the drivers disagree on
 * jsonb parameters: pg turns JS arrays into PostgreSQL array literals, PGlite JSON-encodes strings again.
 */
export function jsonb<T>(value: T): RawBuilder<string> {
  return sql<string>`${JSON.stringify(value)}::text::jsonb`;
}
