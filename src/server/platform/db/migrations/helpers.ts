import { type Kysely, sql } from 'kysely';

/**
 * SQL fragments shared by migrations from 0005 on. A migration's SQL must never change once released,
 * so a fragment here is only ever added to, never edited (0001–0004 keep their own copies).
 */

/** Enables and forces RLS on a tenant table with the standard workspace policy. */
export const tenantRls = (table: string, column = 'tenant_id'): string => `
  ALTER TABLE crm_core.${table} ENABLE ROW LEVEL SECURITY;
  ALTER TABLE crm_core.${table} FORCE ROW LEVEL SECURITY;
  CREATE POLICY ${table}_tenant_isolation ON crm_core.${table}
    USING (${column} = crm_core.current_tenant_id())
    WITH CHECK (${column} = crm_core.current_tenant_id());
`;

/** The audit columns of every business table (DESIGN §5); millisecond precision for keyset cursors. */
export const businessColumns = `
    created_at timestamptz(3) NOT NULL DEFAULT now(),
    updated_at timestamptz(3) NOT NULL DEFAULT now(),
    created_by uuid,
    updated_by uuid,
    version integer NOT NULL DEFAULT 1,
    deleted_at timestamptz(3)`;

export const BUYING_ROLE_CHECK = `IN ('decision_maker','influencer','technical','finance','user','gatekeeper')`;

/**
 * Edits a function where it is, in the catalog (the pattern of migration 0032): each pair replaces one
 * exact passage of its current text, which must occur exactly once, or the migration fails. Undo with
 * `reverseEdits(pairs)`, which restores the text byte for byte. A migration so carries only the passages
 * it changes, not a second copy of the function.
 */
export async function editFunction(
  db: Kysely<unknown>,
  signature: string,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  const r = await sql<{ def: string }>`SELECT pg_get_functiondef(${signature}::regprocedure) AS def`.execute(
    db,
  );
  const def = r.rows[0]?.def;
  if (!def) throw new Error(`no function ${signature}`);
  const edited = pairs.reduce((text, [from, to]) => {
    const n = text.split(from).length - 1;
    if (n !== 1)
      throw new Error(`${signature}: expected one passage, found ${n}: ${from.trim().slice(0, 60)}`);
    return text.replace(from, () => to);
  }, def);
  await sql.raw(edited).execute(db);
}

/** The edits that undo `pairs`, in the order that undoes them. */
export const reverseEdits = (pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> =>
  pairs.map(([from, to]): [string, string] => [to, from]).reverse();
