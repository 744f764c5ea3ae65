import { type QueryExecutorProvider, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertWorkspaceRow, userActorOf } from '../../../../test/fixtures/platform-db.js';
import { testDb } from '../../../../test/helpers.js';
import type { AppDatabase } from '../../db.js';
import { newId } from '../ids.js';
import { writeTransaction } from '../unit-of-work.js';
import { createDatabase, type Database } from './database.js';
import { sqlState } from './errors.js';
import { MIGRATION_TABLE } from './migrate.js';

/**
 * Tenant isolation proven at the database itself (raw SQL, no HTTP, no repositories): whatever a bug in
 * the code above does, PostgreSQL row-level security and the grants are the second wall (DESIGN §2.5, §6).
 */

const INSUFFICIENT_PRIVILEGE = '42501'; // both "permission denied" and "violates row-level security policy"

/** The tables this file seeds with rows of both workspaces (every tenant table of the platform and accounts). */
const SEEDED = [
  'crm_workspaces',
  'crm_users',
  'crm_memberships',
  'crm_invitations',
  'crm_refresh_tokens',
  'crm_api_keys',
  'crm_audit_log',
  'crm_audit_heads',
  'crm_outbox',
  'crm_idempotency_keys',
  'crm_accounts',
] as const;

const MIGRATION_TABLES = new Set([MIGRATION_TABLE, `${MIGRATION_TABLE}_lock`]);

interface Tenant {
  id: string;
  userId: string;
  accountId: string;
  idempotencyKey: string;
}

interface TableInfo {
  relname: string;
  relrowsecurity: boolean;
  relforcerowsecurity: boolean;
  has_tenant_id: boolean;
  app_can_select: boolean;
}

async function failure(p: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  try {
    await p;
  } catch (error) {
    return { code: sqlState(error), message: error instanceof Error ? error.message : String(error) };
  }
  throw new Error('expected the statement to fail, it succeeded');
}

const table = (name: string) => sql.id('crm_core', name);

/** One row of the workspace in every platform table, written in its own scope as the app would. */
async function seedTenant(db: AppDatabase): Promise<Tenant> {
  const id = await insertWorkspaceRow(db);
  const userId = newId();
  const accountId = newId();
  const idempotencyKey = `key-${newId()}`;
  const tag = id.slice(-12);
  await db.transaction(id, async (trx) => {
    await sql`INSERT INTO crm_core.crm_users (id, email, display_name)
              VALUES (${userId}, ${`u-${tag}@test.local`}, 'Tenant user')`.execute(trx);
    await sql`INSERT INTO crm_core.crm_memberships (tenant_id, id, user_id, role)
              VALUES (${id}, ${newId()}, ${userId}, 'admin')`.execute(trx);
    await sql`INSERT INTO crm_core.crm_invitations (tenant_id, id, email, role, token_hash, expires_at)
              VALUES (${id}, ${newId()}, ${`inv-${tag}@test.local`}, 'viewer', ${`inv-${tag}`},
                      now() + interval '1 day')`.execute(trx);
    await sql`INSERT INTO crm_core.crm_refresh_tokens (tenant_id, id, family_id, user_id, token_hash, expires_at)
              VALUES (${id}, ${newId()}, ${newId()}, ${userId}, ${`rt-${tag}`}, now() + interval '1 day')`.execute(
      trx,
    );
    await sql`INSERT INTO crm_core.crm_api_keys (tenant_id, id, name, token_prefix, token_hash, scopes, created_by)
              VALUES (${id}, ${newId()}, 'key', 'crm_', ${`ak-${tag}`}, ARRAY['crm.read'], ${userId})`.execute(
      trx,
    );
    await sql`INSERT INTO crm_core.crm_idempotency_keys
                (tenant_id, principal_id, key, method, path, request_hash, status, expires_at)
              VALUES (${id}, ${userId}, ${idempotencyKey}, 'POST', '/x', 'h', 'completed',
                      now() + interval '1 day')`.execute(trx);
    await sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${id}, ${accountId}, 'Tenant account')`.execute(
      trx,
    );
  });
  // Audit log, chain head and outbox through the unit of work, like every write of the app.
  await writeTransaction(db, { actor: userActorOf(id, userId), requestId: 'tenancy' }, async (uow) => {
    uow.audit({ action: 'account.created', entityType: 'account', entityId: accountId, diff: {} });
    uow.emit({ type: 'account.created', aggregateType: 'account', aggregateId: accountId, data: {} });
  });
  return { id, userId, accountId, idempotencyKey };
}

async function tables(db: AppDatabase): Promise<TableInfo[]> {
  const r = await db.owner((k) =>
    sql<TableInfo>`
      SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
             EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS has_tenant_id,
             has_any_column_privilege('crm_app', c.oid, 'SELECT') AS app_can_select
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'crm_core' AND c.relkind IN ('r', 'p')
      ORDER BY c.relname`.execute(k),
  );
  return r.rows.filter((t) => !MIGRATION_TABLES.has(t.relname));
}

/** Rows of the table the current scope can see; with `otherThan`, only those not of that workspace. */
async function visibleRows(k: QueryExecutorProvider, t: TableInfo, otherThan?: string): Promise<number> {
  const tenantColumn = t.has_tenant_id ? 'tenant_id' : t.relname === 'crm_workspaces' ? 'id' : null;
  const where =
    otherThan === undefined
      ? sql``
      : tenantColumn
        ? sql`WHERE ${sql.ref(tenantColumn)} <> ${otherThan}`
        : // crm_users has no tenant column: a user of another workspace is one without a membership here.
          sql`WHERE NOT EXISTS (SELECT 1 FROM crm_core.crm_memberships m
                                WHERE m.user_id = crm_users.id AND m.tenant_id = ${otherThan})`;
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${table(t.relname)} ${where}`.execute(k);
  return r.rows[0]?.n ?? -1;
}

describe('tenancy at the database level', () => {
  let db: AppDatabase;
  let a: Tenant;
  let b: Tenant;
  let all: TableInfo[];

  beforeAll(async () => {
    db = await testDb();
    a = await seedTenant(db);
    b = await seedTenant(db);
    all = await tables(db);
  });

  describe('without a workspace (a forgotten scope)', () => {
    it('reads nothing from any tenant table, although the same query in a workspace finds its rows', async () => {
      const readable = all.filter((t) => t.app_can_select);
      expect(readable.map((t) => t.relname)).toEqual(expect.arrayContaining([...SEEDED]));
      for (const t of readable) {
        const unscoped = await db.unscoped((k) => visibleRows(k, t));
        expect({ table: t.relname, rows: unscoped }).toEqual({ table: t.relname, rows: 0 });
        if ((SEEDED as readonly string[]).includes(t.relname)) {
          const scoped = await db.read(a.id, (k) => visibleRows(k, t));
          expect({ table: t.relname, positive: scoped > 0 }).toEqual({ table: t.relname, positive: true });
        }
      }
    });

    it('cannot insert into tenant tables, whatever tenant_id it names', async () => {
      const attempts = [
        sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${a.id}, ${newId()}, 'no scope')`,
        sql`INSERT INTO crm_core.crm_memberships (tenant_id, id, user_id, role)
            VALUES (${a.id}, ${newId()}, ${b.userId}, 'admin')`,
        sql`INSERT INTO crm_core.crm_outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload)
            VALUES (${a.id}, ${newId()}, 't', 'x', 'y', '{}')`,
        sql`INSERT INTO crm_core.crm_audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_label, action,
              entity_type, entity_id, prev_hash, hash)
            VALUES (${a.id}, 999999, ${newId()}, now(), 'system', 's', 'a', 'e', 'i', 'p', 'h')`,
        sql`INSERT INTO crm_core.crm_workspaces (id, slug, name) VALUES (${newId()}, ${`ws-${newId().slice(-12)}`}, 'x')`,
        // Users are global, but are created only inside some workspace's transaction.
        sql`INSERT INTO crm_core.crm_users (id, email, display_name)
            VALUES (${newId()}, ${`nobody-${newId().slice(-12)}@test.local`}, 'x')`,
      ];
      for (const stmt of attempts) {
        const err = await failure(db.unscoped((k) => stmt.execute(k)));
        expect(err.code).toBe(INSUFFICIENT_PRIVILEGE);
        expect(err.message).toMatch(/row-level security/);
      }
      const leaked = await db.owner((k) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_accounts
                           WHERE tenant_id = ${a.id} AND name = 'no scope'`.execute(k),
      );
      expect(leaked.rows[0]?.n).toBe(0);
    });
  });

  describe('with workspace A set', () => {
    it("sees only A's rows in every tenant table", async () => {
      for (const t of all.filter((x) => x.app_can_select)) {
        const foreign = await db.read(a.id, (k) => visibleRows(k, t, a.id));
        expect({ table: t.relname, foreign }).toEqual({ table: t.relname, foreign: 0 });
      }
      // B's rows exist (the owner sees them) but A cannot find them even by primary key.
      const byOwner = await db.owner((k) =>
        sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM crm_core.crm_accounts WHERE id = ${b.accountId}`.execute(k),
      );
      expect(byOwner.rows[0]?.n).toBe(1);
      const byA = await db.read(a.id, (k) =>
        sql`SELECT id FROM crm_core.crm_accounts WHERE tenant_id = ${b.id} AND id = ${b.accountId}`.execute(
          k,
        ),
      );
      expect(byA.rows).toEqual([]);
      const users = await db.read(a.id, (k) =>
        sql<{ id: string }>`SELECT id FROM crm_core.crm_users WHERE id IN (${a.userId}, ${b.userId})`.execute(
          k,
        ),
      );
      expect(users.rows.map((u) => u.id)).toEqual([a.userId]);
    });

    it("cannot insert rows carrying B's tenant_id", async () => {
      const attempts = [
        sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${b.id}, ${newId()}, 'planted')`,
        sql`INSERT INTO crm_core.crm_outbox (tenant_id, id, topic, aggregate_type, aggregate_id, payload)
            VALUES (${b.id}, ${newId()}, 'planted', 'x', 'y', '{}')`,
        sql`INSERT INTO crm_core.crm_memberships (tenant_id, id, user_id, role)
            VALUES (${b.id}, ${newId()}, ${a.userId}, 'admin')`,
        sql`INSERT INTO crm_core.crm_audit_heads (tenant_id, seq, hash) VALUES (${b.id}, 0, 'x')
            ON CONFLICT (tenant_id) DO NOTHING`,
      ];
      for (const stmt of attempts) {
        const err = await failure(db.transaction(a.id, (trx) => stmt.execute(trx)));
        expect(err.code).toBe(INSUFFICIENT_PRIVILEGE);
        expect(err.message).toMatch(/row-level security/);
      }
      const planted = await db.read(b.id, (k) =>
        sql<{ n: number }>`SELECT (SELECT count(*) FROM crm_core.crm_accounts WHERE name = 'planted')
                                 + (SELECT count(*) FROM crm_core.crm_outbox WHERE topic = 'planted') AS n`.execute(
          k,
        ),
      );
      expect(Number(planted.rows[0]?.n)).toBe(0);
    });

    it("updates and deletes none of B's rows, which stay intact", async () => {
      const snapshot = () =>
        db.owner((k) =>
          sql<Record<string, unknown>>`
            SELECT (SELECT row_to_json(x) FROM crm_core.crm_accounts x WHERE tenant_id = ${b.id} AND id = ${b.accountId}) AS account,
                   (SELECT row_to_json(x) FROM crm_core.crm_workspaces x WHERE id = ${b.id}) AS workspace,
                   (SELECT row_to_json(x) FROM crm_core.crm_memberships x WHERE tenant_id = ${b.id}) AS membership,
                   (SELECT row_to_json(x) FROM crm_core.crm_idempotency_keys x WHERE tenant_id = ${b.id}) AS idem,
                   (SELECT row_to_json(x) FROM crm_core.crm_audit_heads x WHERE tenant_id = ${b.id}) AS head`.execute(
            k,
          ),
        );
      const before = (await snapshot()).rows[0];
      expect(before?.account).not.toBeNull();
      expect(before?.idem).not.toBeNull();

      const updates = [
        sql`UPDATE crm_core.crm_accounts SET name = 'hijacked', version = version + 1
            WHERE tenant_id = ${b.id} AND id = ${b.accountId}`,
        sql`UPDATE crm_core.crm_accounts SET name = 'hijacked' WHERE id = ${b.accountId}`,
        sql`UPDATE crm_core.crm_workspaces SET name = 'hijacked' WHERE id = ${b.id}`,
        sql`UPDATE crm_core.crm_memberships SET role = 'viewer' WHERE tenant_id = ${b.id}`,
        sql`UPDATE crm_core.crm_audit_heads SET seq = 0 WHERE tenant_id = ${b.id}`,
        sql`DELETE FROM crm_core.crm_idempotency_keys WHERE tenant_id = ${b.id} AND key = ${b.idempotencyKey}`,
        sql`DELETE FROM crm_core.crm_idempotency_keys`,
      ];
      for (const stmt of updates) {
        const r = await db.transaction(a.id, (trx) => stmt.execute(trx));
        if (stmt === updates[updates.length - 1]) {
          // The unqualified DELETE removed A's own key only.
          expect(r.numAffectedRows).toBe(1n);
        } else {
          expect(r.numAffectedRows).toBe(0n);
        }
      }
      // Moving one of A's rows into B is refused by the policy's WITH CHECK.
      const moved = await failure(
        db.transaction(a.id, (trx) =>
          sql`UPDATE crm_core.crm_accounts SET tenant_id = ${b.id} WHERE id = ${a.accountId}`.execute(trx),
        ),
      );
      expect(moved.code).toBe(INSUFFICIENT_PRIVILEGE);
      expect(moved.message).toMatch(/row-level security/);
      // crm_app may not delete accounts at all (soft delete only).
      const del = await failure(
        db.transaction(a.id, (trx) =>
          sql`DELETE FROM crm_core.crm_accounts WHERE id = ${b.accountId}`.execute(trx),
        ),
      );
      expect(del.code).toBe(INSUFFICIENT_PRIVILEGE);
      expect(del.message).toMatch(/permission denied/);

      expect((await snapshot()).rows[0]).toEqual(before);
    });
  });

  describe('roles and grants', () => {
    it('runs tenant work as crm_app: not superuser, no BYPASSRLS', async () => {
      const who = (k: QueryExecutorProvider) =>
        sql<{ current_user: string; rolsuper: boolean; rolbypassrls: boolean }>`
          SELECT current_user AS current_user, r.rolsuper, r.rolbypassrls
          FROM pg_roles r WHERE r.rolname = current_user`.execute(k);
      const expected = [{ current_user: 'crm_app', rolsuper: false, rolbypassrls: false }];
      expect((await db.read(a.id, (k) => who(k))).rows).toEqual(expected);
      expect((await db.transaction(a.id, (trx) => who(trx))).rows).toEqual(expected);
      expect((await db.unscoped((k) => who(k))).rows).toEqual(expected);
      const system = await db.system((k) => who(k));
      expect(system.rows[0]).toMatchObject({ current_user: 'crm_system', rolsuper: false });
    });

    it('crm_app owns no crm_core object and is no member of an owner', async () => {
      const owners = await db.owner((k) =>
        sql<{ tablename: string; tableowner: string; app_is_member: boolean }>`
          SELECT tablename, tableowner, pg_has_role('crm_app', tableowner, 'MEMBER') AS app_is_member
          FROM pg_tables WHERE schemaname = 'crm_core'`.execute(k),
      );
      expect(owners.rows.length).toBeGreaterThanOrEqual(SEEDED.length);
      expect(owners.rows.filter((r) => r.tableowner === 'crm_app' || r.app_is_member)).toEqual([]);
      const other = await db.owner((k) =>
        sql<{ name: string }>`
          SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'crm_core' AND pg_has_role('crm_app', c.relowner, 'MEMBER')
          UNION ALL
          SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'crm_core' AND pg_has_role('crm_app', p.proowner, 'MEMBER')`.execute(k),
      );
      expect(other.rows).toEqual([]);
    });

    it('every crm_core table (but the migration bookkeeping) has RLS enabled and forced', async () => {
      expect(all.map((t) => t.relname)).toEqual(expect.arrayContaining([...SEEDED]));
      const weak = all
        .filter((t) => !t.relrowsecurity || !t.relforcerowsecurity)
        .map((t) => `${t.relname} (enabled=${t.relrowsecurity}, forced=${t.relforcerowsecurity})`);
      expect(weak).toEqual([]);
    });

    it('crm_app can neither update nor delete the audit log', async () => {
      const rows = await db.read(a.id, (k) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_audit_log`.execute(k),
      );
      expect(rows.rows[0]?.n).toBe(1);
      for (const stmt of [
        sql`UPDATE crm_core.crm_audit_log SET action = 'rewritten' WHERE tenant_id = ${a.id}`,
        sql`DELETE FROM crm_core.crm_audit_log WHERE tenant_id = ${a.id}`,
        sql`TRUNCATE crm_core.crm_audit_log`,
      ]) {
        const err = await failure(db.transaction(a.id, (trx) => stmt.execute(trx)));
        expect(err.code).toBe(INSUFFICIENT_PRIVILEGE);
        expect(err.message).toMatch(/permission denied/);
      }
    });

    it('crm_system cannot read business tables', async () => {
      const err = await failure(
        db.system((k) => sql`SELECT id FROM crm_core.crm_accounts LIMIT 1`.execute(k)),
      );
      expect(err.code).toBe(INSUFFICIENT_PRIVILEGE);
      expect(err.message).toMatch(/permission denied/);
    });
  });

  describe('scope switching on one connection', () => {
    let single: Database<unknown>;
    let own = false;

    beforeAll(async () => {
      const url = process.env.TEST_DATABASE_URL;
      if (url) {
        single = await createDatabase({ kind: 'postgres', url, poolMax: 1 });
        own = true;
      } else {
        single = db as unknown as Database<unknown>; // PGlite is one connection already
      }
    });
    afterAll(async () => {
      if (own) await single.destroy();
    });

    const readAs = (ws: string) =>
      single.read(ws, (k) =>
        sql<{ t: string }>`SELECT current_setting('app.tenant_id') AS t FROM crm_core.crm_workspaces`.execute(
          k,
        ),
      );

    it('pays one set_config for a run of reads of one workspace, and one more for another workspace', async () => {
      const s0 = single.scopeSwitches();
      for (let i = 0; i < 20; i++) {
        const r = await readAs(a.id);
        expect(r.rows).toEqual([{ t: a.id }]);
      }
      const s1 = single.scopeSwitches();
      expect(s1 - s0).toBeLessThanOrEqual(1);
      expect((await readAs(b.id)).rows).toEqual([{ t: b.id }]);
      expect(single.scopeSwitches() - s1).toBe(1);
      await readAs(b.id);
      await single.transaction(b.id, (trx) => sql`SELECT 1`.execute(trx));
      expect(single.scopeSwitches() - s1).toBe(1);
      await readAs(a.id);
      expect(single.scopeSwitches() - s1).toBe(2);
    });

    it('a rolled-back transaction does not undo the connection scope behind the tracker', async () => {
      await readAs(a.id);
      await failure(
        single.transaction(b.id, async (trx) => {
          expect(
            (await sql<{ t: string }>`SELECT current_setting('app.tenant_id') AS t`.execute(trx)).rows,
          ).toEqual([{ t: b.id }]);
          throw new Error('rollback');
        }),
      );
      // On PostgreSQL the switch to B rode with BEGIN, inside the transaction, and the rollback undid it:
      // the tracker must know and set B again (one switch). On PGlite the switch ran before BEGIN and stays.
      const s = single.scopeSwitches();
      expect((await readAs(b.id)).rows).toEqual([{ t: b.id }]);
      expect(single.scopeSwitches() - s).toBe(process.env.TEST_DATABASE_URL ? 1 : 0);
      // And a committed transaction that switched keeps its scope for the next use, without a switch.
      await readAs(a.id);
      await single.transaction(b.id, (trx) => sql`SELECT 1`.execute(trx));
      const t = single.scopeSwitches();
      expect((await readAs(b.id)).rows).toEqual([{ t: b.id }]);
      expect(single.scopeSwitches()).toBe(t);
    });
  });

  describe('re-entrancy', () => {
    it('a db.read inside db.transaction throws instead of deadlocking, and rolls the transaction back', async () => {
      const marker = newId();
      const err = await failure(
        db.transaction(a.id, async (trx) => {
          await sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${a.id}, ${marker}, 'nested')`.execute(
            trx,
          );
          await db.read(a.id, (k) => sql`SELECT 1`.execute(k));
        }),
      );
      expect(err.message).toMatch(/second database connection was requested inside a transaction/);
      for (const nested of [
        () => db.transaction(a.id, (t2) => sql`SELECT 1`.execute(t2)),
        () => db.system((k) => sql`SELECT 1`.execute(k)),
        () => db.read(b.id, (k) => sql`SELECT 1`.execute(k)),
      ]) {
        const e = await failure(db.transaction(a.id, async () => nested()));
        expect(e.message).toMatch(/second database connection/);
      }
      // The connection was released and the insert rolled back.
      const r = await db.read(a.id, (k) =>
        sql`SELECT id FROM crm_core.crm_accounts WHERE id = ${marker}`.execute(k),
      );
      expect(r.rows).toEqual([]);
    });
  });
});
