/** SQLSTATE of a database error from either driver (pg and PGlite both expose `code`). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Name of the violated constraint, when the driver reports it. */
export function violatedConstraint(error: unknown): string | undefined {
  const c = (error as { constraint?: unknown } | null)?.constraint;
  return typeof c === 'string' ? c : undefined;
}

export const FOREIGN_KEY_VIOLATION = '23503';
export const UNIQUE_VIOLATION = '23505';
export const CHECK_VIOLATION = '23514';

/**
 * The column a single-column CHECK constraint guards, from PostgreSQL's default constraint name
 * `<table>_<column>_check` and the table the driver reports; undefined when the name is not of that form.
 */
export function checkedColumn(error: unknown): string | undefined {
  const constraint = violatedConstraint(error);
  const table = (error as { table?: unknown } | null)?.table;
  if (!constraint || typeof table !== 'string') return undefined;
  const m = constraint.match(/^(.+)_check\d*$/);
  const rest = m?.[1]?.startsWith(`${table}_`) ? m[1].slice(table.length + 1) : undefined;
  return rest && /^[a-z][a-z0-9_]*$/.test(rest) ? rest : undefined;
}
