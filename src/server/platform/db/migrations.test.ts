import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb } from '../../../../test/helpers.js';
import type { AppDatabase } from '../../db.js';
import { MIGRATION_TABLE, MIGRATIONS, migrateDown, migrateUp, migrationStatus } from './migrate.js';

/**
 * Migrations are reversible (DESIGN §5): up → down (all) → up must leave exactly the schema the first up
 * made, on both engines. The snapshot is read from the catalogs, so anything a `down` forgets to drop
 * (or an `up` creates differently the second time) shows up as a difference.
 */

const BOOKKEEPING = [MIGRATION_TABLE, `${MIGRATION_TABLE}_lock`];
const APP_ROLES = ['crm_app', 'crm_system', 'crm_search'];

type Rows = Record<string, unknown>[];

interface SchemaSnapshot {
  schemaAcl: Rows;
  columns: Rows;
  constraints: Rows;
  indexes: Rows;
  rls: Rows;
  policies: Rows;
  functions: Rows;
  tableGrants: Rows;
  columnGrants: Rows;
  routineGrants: Rows;
  owners: Rows;
}

async function rows(k: Kysely<unknown>, query: ReturnType<typeof sql>): Promise<Rows> {
  const r = await query.execute(k);
  return r.rows as Rows;
}

async function snapshot(db: AppDatabase): Promise<SchemaSnapshot> {
  return db.owner(async (kdb) => {
    const k = kdb as Kysely<unknown>;
    const roles = sql.join(APP_ROLES);
    const functions = await rows(
      k,
      sql`SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args,
                 pg_get_function_result(p.oid) AS result, l.lanname AS language, p.prosecdef AS security_definer,
                 pg_get_userbyid(p.proowner) AS owner, p.provolatile AS volatility, p.proparallel AS parallel,
                 p.proisstrict AS strict, p.proconfig AS config, p.prosrc AS body,
                 coalesce(p.proacl::text[], '{}') AS acl
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
          WHERE n.nspname = 'crm_core' ORDER BY 1, 2`,
    );
    return {
      schemaAcl: await rows(
        k,
        sql`SELECT coalesce(nspacl::text[], '{}') AS acl, pg_get_userbyid(nspowner) AS owner
            FROM pg_namespace WHERE nspname = 'crm_core'`,
      ),
      columns: await rows(
        k,
        sql`SELECT c.relname AS table, a.attnum AS position, a.attname AS column,
                   format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
                   pg_get_expr(d.adbin, d.adrelid) AS default, a.attgenerated AS generated,
                   a.attidentity AS identity, co.collname AS collation
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
            WHERE n.nspname = 'crm_core' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY 1, 2`,
      ),
      constraints: await rows(
        k,
        sql`SELECT c.relname AS table, con.conname AS name, con.contype AS type,
                   pg_get_constraintdef(con.oid) AS definition, con.condeferrable AS deferrable
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = con.connamespace
            WHERE n.nspname = 'crm_core' ORDER BY 1, 2`,
      ),
      indexes: await rows(
        k,
        sql`SELECT tablename AS table, indexname AS name, indexdef AS definition
            FROM pg_indexes WHERE schemaname = 'crm_core' ORDER BY 1, 2`,
      ),
      rls: await rows(
        k,
        sql`SELECT c.relname AS table, c.relkind AS kind, c.relrowsecurity AS enabled,
                   c.relforcerowsecurity AS forced
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'crm_core' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY 1`,
      ),
      policies: await rows(
        k,
        sql`SELECT tablename AS table, policyname AS name, permissive, roles::text[] AS roles, cmd, qual, with_check
            FROM pg_policies WHERE schemaname = 'crm_core' ORDER BY 1, 2`,
      ),
      // The body is compared through its hash so that a failure message stays readable.
      functions: functions.map(({ body, ...f }) => ({
        ...f,
        body_sha256: createHash('sha256').update(String(body)).digest('hex'),
      })),
      tableGrants: await rows(
        k,
        sql`SELECT table_name AS table, grantee, privilege_type AS privilege, is_grantable AS grantable
            FROM information_schema.role_table_grants
            WHERE table_schema = 'crm_core' AND grantee IN (${roles}) ORDER BY 1, 2, 3`,
      ),
      columnGrants: await rows(
        k,
        sql`SELECT table_name AS table, column_name AS column, grantee, privilege_type AS privilege
            FROM information_schema.column_privileges
            WHERE table_schema = 'crm_core' AND grantee IN (${roles}) ORDER BY 1, 2, 3, 4`,
      ),
      routineGrants: await rows(
        k,
        sql`SELECT routine_name AS routine, specific_name, grantee, privilege_type AS privilege
            FROM information_schema.routine_privileges
            WHERE routine_schema = 'crm_core' AND grantee IN (${roles}, 'PUBLIC') ORDER BY 1, 3, 4`,
      ),
      owners: await rows(
        k,
        sql`SELECT c.relname AS name, c.relkind AS kind, pg_get_userbyid(c.relowner) AS owner
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'crm_core' ORDER BY 1`,
      ),
    };
  });
}

/**
 * Specific names in information_schema.routine_privileges end with the function's oid, which changes
 * when a function is recreated: compare the name without it.
 */
function stable(s: SchemaSnapshot): SchemaSnapshot {
  return {
    ...s,
    routineGrants: s.routineGrants.map((g) => ({
      ...g,
      specific_name: String(g.specific_name).replace(/_\d+$/, ''),
    })),
  };
}

/** Everything left in crm_core that is not the migrator's own bookkeeping (tables, their indexes and row types). */
async function leftovers(db: AppDatabase): Promise<string[]> {
  return db.owner(async (kdb) => {
    const k = kdb as Kysely<unknown>;
    const keep = sql.join(BOOKKEEPING);
    const r = await sql<{ what: string }>`
      SELECT 'relation ' || c.relname || ' (' || c.relkind::text || ')' AS what
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'crm_core' AND c.relname NOT IN (${keep})
        AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                        WHERE i.indexrelid = c.oid AND t.relname IN (${keep}))
      UNION ALL
      SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'crm_core'
      UNION ALL
      SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'crm_core' AND (t.typrelid = 0 OR t.typrelid NOT IN (
          SELECT c.oid FROM pg_class c JOIN pg_namespace n2 ON n2.oid = c.relnamespace
          WHERE n2.nspname = 'crm_core' AND c.relname IN (${keep})))
        AND NOT (t.typcategory = 'A' AND t.typelem IN (
          SELECT c.reltype FROM pg_class c JOIN pg_namespace n2 ON n2.oid = c.relnamespace
          WHERE n2.nspname = 'crm_core' AND c.relname IN (${keep})))
      UNION ALL
      SELECT 'policy ' || polname FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'crm_core'
      UNION ALL
      SELECT 'operator ' || o.oprname FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
      WHERE n.nspname = 'crm_core'
      UNION ALL
      SELECT 'collation ' || co.collname FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace
      WHERE n.nspname = 'crm_core'
      UNION ALL
      SELECT 'schema grant ' || a.grantee::regrole::text
      FROM pg_namespace n, aclexplode(n.nspacl) a
      WHERE n.nspname = 'crm_core' AND a.grantee <> n.nspowner
      ORDER BY 1`.execute(k);
    return r.rows.map((x) => x.what);
  });
}

describe('migrations: up → down → up', () => {
  let fresh: Awaited<ReturnType<typeof freshDb>>;
  let db: AppDatabase;
  const names = Object.keys(MIGRATIONS);

  beforeAll(async () => {
    fresh = await freshDb('migrations');
    db = fresh.db;
  });
  afterAll(async () => fresh?.drop());

  it('round-trips to an identical schema and reports status at each step', async () => {
    expect(names.length).toBeGreaterThan(0);
    expect(await migrateUp(db)).toEqual(names.map((n) => `up ${n}`));
    const status = await migrationStatus(db);
    expect(status.map((m) => m.name)).toEqual(names);
    expect(status.filter((m) => m.executedAt === null)).toEqual([]);
    const first = await snapshot(db);

    // The snapshot really covers what the migrations make (so that equality below means something).
    expect(first.columns).toContainEqual(
      expect.objectContaining({ table: 'crm_accounts', column: 'search_text', type: 'text', generated: 's' }),
    );
    expect(first.columns).toContainEqual(
      expect.objectContaining({
        table: 'crm_outbox',
        column: 'status',
        not_null: true,
        default: "'pending'::text",
      }),
    );
    expect(first.constraints).toContainEqual(
      expect.objectContaining({
        table: 'crm_api_keys',
        type: 'f',
        definition:
          'FOREIGN KEY (tenant_id, created_by) REFERENCES crm_core.crm_memberships(tenant_id, user_id)',
      }),
    );
    expect(first.indexes).toContainEqual(
      expect.objectContaining({
        name: 'crm_outbox_pending_idx',
        definition: expect.stringContaining('WHERE'),
      }),
    );
    // Accounts are hash-partitioned by workspace (0004): the parent and every partition enforce RLS.
    expect(first.rls).toContainEqual({ table: 'crm_accounts', kind: 'p', enabled: true, forced: true });
    const partitions = first.rls.filter((r) => /^crm_accounts_p\d{2}$/.test(String(r.table)));
    expect(partitions).toHaveLength(16);
    expect(partitions.every((r) => r.kind === 'r' && r.enabled && r.forced)).toBe(true);
    expect(first.policies).toContainEqual(
      expect.objectContaining({
        table: 'crm_accounts',
        name: 'crm_accounts_tenant_isolation',
        qual: '(tenant_id = crm_core.current_tenant_id())',
        with_check: '(tenant_id = crm_core.current_tenant_id())',
      }),
    );
    expect(first.functions).toContainEqual(
      expect.objectContaining({
        name: 'crm_account_search',
        security_definer: true,
        owner: 'crm_search',
        // VOLATILE since migration 0029: it asks the planner (EXPLAIN) before it probes.
        volatility: 'v',
      }),
    );
    expect(first.functions).toContainEqual(
      expect.objectContaining({ name: 'fold_text', security_definer: false, volatility: 'i' }),
    );
    expect(first.tableGrants).toContainEqual(
      expect.objectContaining({ table: 'crm_audit_log', grantee: 'crm_app', privilege: 'INSERT' }),
    );
    expect(first.tableGrants).not.toContainEqual(
      expect.objectContaining({ table: 'crm_audit_log', grantee: 'crm_app', privilege: 'UPDATE' }),
    );
    expect(first.columnGrants).toContainEqual(
      expect.objectContaining({
        table: 'crm_api_keys',
        column: 'last_used_at',
        grantee: 'crm_system',
        privilege: 'UPDATE',
      }),
    );
    expect(first.columnGrants).not.toContainEqual(
      expect.objectContaining({
        table: 'crm_users',
        column: 'password_hash',
        grantee: 'crm_app',
        privilege: 'SELECT',
      }),
    );
    expect(first.routineGrants).toContainEqual(
      expect.objectContaining({ routine: 'crm_account_search', grantee: 'crm_app', privilege: 'EXECUTE' }),
    );
    expect(first.routineGrants).not.toContainEqual(
      expect.objectContaining({ routine: 'crm_account_search', grantee: 'PUBLIC' }),
    );
    expect(first.schemaAcl[0]?.acl).toEqual(expect.arrayContaining([expect.stringMatching(/^crm_app=U\//)]));
    // The leftover probe sees what an up made (so that an empty list after down means something).
    expect(await leftovers(db)).toEqual(
      expect.arrayContaining([
        'relation crm_accounts (p)',
        'relation crm_accounts_search_idx (I)',
        'function current_tenant_id',
        'policy crm_audit_log_tenant_isolation',
        'type crm_outbox',
        'schema grant crm_app',
      ]),
    );

    expect(await migrateDown(db, Number.POSITIVE_INFINITY)).toEqual(
      [...names].reverse().map((n) => `down ${n}`),
    );
    expect(await leftovers(db)).toEqual([]);
    const after = await migrationStatus(db);
    expect(after.map((m) => m.name)).toEqual(names);
    expect(after.filter((m) => m.executedAt !== null)).toEqual([]);
    // Nothing left to undo: a further down is a no-op, not an error.
    expect(await migrateDown(db)).toEqual([]);

    expect(await migrateUp(db)).toEqual(names.map((n) => `up ${n}`));
    expect((await migrationStatus(db)).filter((m) => m.executedAt === null)).toEqual([]);
    const second = await snapshot(db);
    expect(stable(second)).toEqual(stable(first));
    // And up on a current schema does nothing.
    expect(await migrateUp(db)).toEqual([]);
  });
});
