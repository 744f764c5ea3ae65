import { type RawBuilder, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertWorkspaceRow, userActorOf } from '../../../../test/fixtures/platform-db.js';
import { ENGINE, testDb } from '../../../../test/helpers.js';
import type { AppDatabase } from '../../db.js';
import { type Actor, systemActor } from '../auth/actor.js';
import { newId } from '../ids.js';
import { writeTransaction } from '../unit-of-work.js';
import {
  type AuditRow,
  appendAudit,
  type ChainVerification,
  diffRecords,
  GENESIS_HASH,
  hashAuditRow,
  REDACTED,
  verifyAuditChain,
} from './audit.js';

/** A deferred promise: lets a test hold a transaction open until it decides to let go. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('audit chain', () => {
  let db: AppDatabase;

  beforeAll(async () => {
    db = await testDb();
  });

  const write = (actor: Actor, entityId: string, diff = {}) =>
    writeTransaction(db, { actor, requestId: `req-${entityId}` }, async (uow) => {
      uow.audit({ action: 'thing.updated', entityType: 'thing', entityId, diff });
    });

  const rowsOf = async (ws: string): Promise<AuditRow[]> =>
    (
      await db.read(ws, (k) =>
        sql<AuditRow>`SELECT * FROM crm_core.crm_audit_log WHERE tenant_id = ${ws} ORDER BY seq`.execute(k),
      )
    ).rows;

  const verify = (ws: string): Promise<ChainVerification> => db.read(ws, (k) => verifyAuditChain(k, ws));

  /** A workspace with a five-row chain (one transaction writes two entries, so batches chain too). */
  async function chainOfFive(): Promise<{ ws: string; rows: AuditRow[] }> {
    const ws = await insertWorkspaceRow(db);
    const actor = userActorOf(ws);
    await write(actor, 'e1', { name: { from: null, to: 'A' } });
    await writeTransaction(db, { actor, requestId: 'batch' }, async (uow) => {
      uow.audit({ action: 'thing.created', entityType: 'thing', entityId: 'e2', diff: {} });
      uow.audit({ action: 'thing.created', entityType: 'thing', entityId: 'e3', diff: {} });
    });
    await write(actor, 'e4', { name: { from: 'A', to: 'B' } });
    await write(systemActor(ws), 'e5');
    return { ws, rows: await rowsOf(ws) };
  }

  it('chains rows: seq 1..n, each prev_hash is the previous hash, the first is the genesis hash', async () => {
    const { ws, rows } = await chainOfFive();
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    for (const row of rows) {
      const { hash, ...rest } = row;
      expect(hashAuditRow(rest)).toBe(hash);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.map((r) => r.entity_id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(rows[0]).toMatchObject({
      actor_type: 'user',
      diff: { name: { from: null, to: 'A' } },
      request_id: 'req-e1',
    });
    expect(rows[4]).toMatchObject({ actor_type: 'system', actor_id: null, actor_label: 'system' });
    const head = await db.read(ws, (k) =>
      sql<{
        seq: number;
        hash: string;
      }>`SELECT seq, hash FROM crm_core.crm_audit_heads WHERE tenant_id = ${ws}`.execute(k),
    );
    expect(head.rows).toEqual([{ seq: 5, hash: rows[4]?.hash }]);
    expect(await verify(ws)).toEqual({ workspaceId: ws, rows: 5, ok: true });
    // crm_system (the verifier of scheduled jobs) reaches the same verdict.
    expect(await db.system((k) => verifyAuditChain(k, ws, 2))).toEqual({
      workspaceId: ws,
      rows: 5,
      ok: true,
    });
  });

  it('links format-2 rows in the database exactly as the verifier recomputes them in Node', async () => {
    const { rows } = await chainOfFive();
    expect(rows.map((r) => r.hash_format)).toEqual([2, 2, 2, 2, 2]);
    // The two entries of one transaction: the second links to the first.
    expect(rows[2]?.prev_hash).toBe(rows[1]?.hash);
    // Non-ASCII text and a diff with nested values hash the same on both sides.
    const ws = await insertWorkspaceRow(db);
    await write(userActorOf(ws), 'Công ty Thành Công', {
      name: { from: 'Hưng Thịnh', to: 'Hưng Thịnh "Mới" \\ đ' },
      tags: { from: ['a'], to: ['a', 'b'] },
    });
    expect(await verify(ws)).toEqual({ workspaceId: ws, rows: 1, ok: true });
  });

  it('a chain begun before migration 0026 (format 1) goes on in format 2 and still verifies', async () => {
    const ws = await insertWorkspaceRow(db);
    const actor = userActorOf(ws);
    // Two rows as the first writer made them: hashed in Node over every field, head moved by hand.
    let prev = GENESIS_HASH;
    for (const seq of [1, 2]) {
      const row = {
        tenant_id: ws,
        seq,
        id: newId(),
        occurred_at: new Date(),
        actor_type: 'user',
        actor_id: actor.id,
        actor_label: actor.label,
        action: 'thing.created',
        entity_type: 'thing',
        entity_id: `old-${seq}`,
        diff: {},
        request_id: null,
        prev_hash: prev,
        hash_format: 1,
      };
      const hash = hashAuditRow(row);
      await db.owner((k) =>
        sql`INSERT INTO crm_core.crm_audit_log (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
              action, entity_type, entity_id, diff, request_id, prev_hash, hash, hash_format)
            VALUES (${ws}, ${seq}, ${row.id}, ${row.occurred_at}, 'user', ${actor.id}, ${actor.label},
              'thing.created', 'thing', ${row.entity_id}, '{}', NULL, ${prev}, ${hash}, 1)`.execute(k),
      );
      prev = hash;
    }
    await db.owner((k) =>
      sql`INSERT INTO crm_core.crm_audit_heads (tenant_id, seq, hash) VALUES (${ws}, 2, ${prev})`.execute(k),
    );
    await write(actor, 'new-3');
    const rows = await rowsOf(ws);
    expect(rows.map((r) => [Number(r.seq), r.hash_format])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(rows[2]?.prev_hash).toBe(prev);
    expect(await verify(ws)).toEqual({ workspaceId: ws, rows: 3, ok: true });
    // A format-1 row passed off as format 2 no longer verifies.
    await db.owner((k) =>
      sql`UPDATE crm_core.crm_audit_log SET hash_format = 2 WHERE tenant_id = ${ws} AND seq = 2`.execute(k),
    );
    expect((await verify(ws)).brokenAt).toEqual({ seq: 2, reason: 'hash_mismatch' });
  });

  describe('tampering by the table owner is detected', () => {
    const tamper = (q: RawBuilder<unknown>) => db.owner((k) => q.execute(k));

    it('a changed diff: hash_mismatch at that row', async () => {
      const { ws } = await chainOfFive();
      await tamper(
        sql`UPDATE crm_core.crm_audit_log SET diff = '{"name":{"from":"A","to":"Z"}}' WHERE tenant_id = ${ws} AND seq = 4`,
      );
      expect(await verify(ws)).toEqual({
        workspaceId: ws,
        rows: 3,
        ok: false,
        brokenAt: { seq: 4, reason: 'hash_mismatch' },
      });
    });

    it('a changed row whose hash was recomputed: the next row no longer links to it', async () => {
      const { ws, rows } = await chainOfFive();
      const target = rows[1] as AuditRow;
      const forged = { ...target, actor_label: 'somebody else' };
      const { hash: _old, ...rest } = forged;
      await tamper(
        sql`UPDATE crm_core.crm_audit_log SET actor_label = ${forged.actor_label}, hash = ${hashAuditRow(rest)}
            WHERE tenant_id = ${ws} AND seq = 2`,
      );
      expect((await verify(ws)).brokenAt).toEqual({ seq: 3, reason: 'prev_hash_mismatch' });
    });

    it('a deleted middle row: sequence_gap at the row after it', async () => {
      const { ws } = await chainOfFive();
      await tamper(sql`DELETE FROM crm_core.crm_audit_log WHERE tenant_id = ${ws} AND seq = 3`);
      expect(await verify(ws)).toEqual({
        workspaceId: ws,
        rows: 2,
        ok: false,
        brokenAt: { seq: 4, reason: 'sequence_gap' },
      });
    });

    it('a deleted last row: head_mismatch', async () => {
      const { ws } = await chainOfFive();
      await tamper(sql`DELETE FROM crm_core.crm_audit_log WHERE tenant_id = ${ws} AND seq = 5`);
      expect(await verify(ws)).toEqual({
        workspaceId: ws,
        rows: 4,
        ok: false,
        brokenAt: { seq: 5, reason: 'head_mismatch' },
      });
    });

    it('a changed prev_hash: prev_hash_mismatch at that row', async () => {
      const { ws, rows } = await chainOfFive();
      await tamper(
        sql`UPDATE crm_core.crm_audit_log SET prev_hash = ${rows[0]?.prev_hash} WHERE tenant_id = ${ws} AND seq = 2`,
      );
      expect(await verify(ws)).toEqual({
        workspaceId: ws,
        rows: 1,
        ok: false,
        brokenAt: { seq: 2, reason: 'prev_hash_mismatch' },
      });
    });
  });

  describe('diffRecords', () => {
    it('keeps changed fields, skips unchanged and ignored ones, redacts secrets', () => {
      const at = new Date('2026-01-02T03:04:05.000Z');
      const diff = diffRecords(
        {
          name: 'Old',
          same: { a: 1, b: [1, 2] },
          password_hash: 'old-hash',
          api_token: 'tok-1',
          client_secret: null,
          hash: 'h1',
          updated_at: at,
          version: 1,
          owner_id: 'u1',
        },
        {
          name: 'New',
          same: { b: [1, 2], a: 1 },
          password_hash: 'new-hash',
          api_token: 'tok-2',
          client_secret: 's3cr3t',
          hash: 'h2',
          updated_at: new Date(),
          version: 2,
          owner_id: null,
          closed_at: at,
        },
      );
      expect(diff).toEqual({
        name: { from: 'Old', to: 'New' },
        password_hash: { from: REDACTED, to: REDACTED },
        api_token: { from: REDACTED, to: REDACTED },
        client_secret: { from: null, to: REDACTED },
        hash: { from: REDACTED, to: REDACTED },
        owner_id: { from: 'u1', to: null },
        closed_at: { from: null, to: '2026-01-02T03:04:05.000Z' },
      });
      expect(JSON.stringify(diff)).not.toMatch(/tok-|s3cr3t|old-hash|new-hash/);
    });

    it('describes a creation (before = null) and a deletion (after = null)', () => {
      expect(diffRecords(null, { name: 'A', token_hash: 'x', empty: null })).toEqual({
        name: { from: null, to: 'A' },
        token_hash: { from: null, to: REDACTED },
      });
      expect(diffRecords({ name: 'A' }, null)).toEqual({ name: { from: 'A', to: null } });
      expect(diffRecords({ name: 'A', version: 1 }, { name: 'A', version: 2 })).toEqual({});
    });
  });

  it('a rolled-back transaction leaves no audit row and no gap', async () => {
    const ws = await insertWorkspaceRow(db);
    const actor = userActorOf(ws);
    await write(actor, 'kept-1');
    await expect(
      writeTransaction(db, { actor, requestId: 'doomed' }, async (uow) => {
        uow.audit({ action: 'thing.updated', entityType: 'thing', entityId: 'doomed', diff: {} });
        // Fail after the audit was collected; the platform writes it only if fn returns...
        throw new Error('use case failed');
      }),
    ).rejects.toThrow('use case failed');
    // ...and a failure after the audit row was written (same transaction) rolls it back too.
    await expect(
      db.transaction(ws, async (trx) => {
        await appendAudit(trx, actor, 'doomed-2', [
          { action: 'thing.updated', entityType: 'thing', entityId: 'doomed-2', diff: {} },
        ]);
        throw new Error('failed after append');
      }),
    ).rejects.toThrow('failed after append');
    await write(actor, 'kept-2');
    const rows = await rowsOf(ws);
    expect(rows.map((r) => [Number(r.seq), r.entity_id])).toEqual([
      [1, 'kept-1'],
      [2, 'kept-2'],
    ]);
    expect(await verify(ws)).toEqual({ workspaceId: ws, rows: 2, ok: true });
  });

  it('keeps independent chains per workspace', async () => {
    const a = await insertWorkspaceRow(db);
    const b = await insertWorkspaceRow(db);
    for (const [ws, id] of [
      [a, 'a1'],
      [b, 'b1'],
      [a, 'a2'],
      [b, 'b2'],
      [a, 'a3'],
    ] as const) {
      await write(userActorOf(ws), id);
    }
    const ra = await rowsOf(a);
    const rb = await rowsOf(b);
    expect(ra.map((r) => [Number(r.seq), r.entity_id])).toEqual([
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
    ]);
    expect(rb.map((r) => [Number(r.seq), r.entity_id])).toEqual([
      [1, 'b1'],
      [2, 'b2'],
    ]);
    expect(rb[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(await verify(a)).toMatchObject({ ok: true, rows: 3 });
    expect(await verify(b)).toMatchObject({ ok: true, rows: 2 });
    // A's scope cannot see (or verify) B's chain.
    expect(await db.read(a, (k) => verifyAuditChain(k, b))).toEqual({
      workspaceId: b,
      rows: 0,
      ok: true,
    });
  });

  it('20 concurrent appends to one workspace make a valid chain 1..20', async () => {
    const ws = await insertWorkspaceRow(db);
    await Promise.all(Array.from({ length: 20 }, (_, i) => write(userActorOf(ws), `c${i}`)));
    const rows = await rowsOf(ws);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.entity_id)).size).toBe(20);
    expect(await verify(ws)).toEqual({ workspaceId: ws, rows: 20, ok: true });
  });

  describe.skipIf(ENGINE === 'pglite')('locking (PostgreSQL: several connections)', () => {
    it("an open append of A blocks only A's next append, which then chains after it", async () => {
      const a = await insertWorkspaceRow(db);
      const b = await insertWorkspaceRow(db);
      const actorA = userActorOf(a);
      const holding = deferred<number>();
      const release = deferred();

      const first = db.transaction(a, async (trx) => {
        await appendAudit(trx, actorA, 'first', [
          { action: 'x', entityType: 'thing', entityId: 'a-first', diff: {} },
        ]);
        const pid = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        holding.resolve(pid.rows[0]?.pid ?? -1);
        await release.promise;
      });
      const holderPid = await holding.promise;

      // Another workspace is not held up by A's open chain head.
      await write(userActorOf(b), 'b-during');
      expect((await rowsOf(b)).map((r) => Number(r.seq))).toEqual([1]);

      let secondDone = false;
      const second = write(actorA, 'a-second').then(() => {
        secondDone = true;
      });
      // Wait until PostgreSQL reports the second append blocked by the first transaction.
      await waitFor('the second append of A to wait on the chain head lock', async () => {
        const r = await db.owner((k) =>
          sql<{ pid: number }>`SELECT pid FROM pg_stat_activity
                               WHERE ${holderPid} = ANY (pg_blocking_pids(pid))`.execute(k),
        );
        return r.rows.length > 0 ? true : undefined;
      });
      expect(secondDone).toBe(false);

      release.resolve();
      await first;
      await second;
      const rows = await rowsOf(a);
      expect(rows.map((r) => [Number(r.seq), r.entity_id])).toEqual([
        [1, 'a-first'],
        [2, 'a-second'],
      ]);
      expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
      expect(await verify(a)).toEqual({ workspaceId: a, rows: 2, ok: true });
    });
  });
});
