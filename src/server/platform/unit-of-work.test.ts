import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertWorkspaceRow, userActorOf } from '../../../test/fixtures/platform-db.js';
import { testDb } from '../../../test/helpers.js';
import type { AppDatabase } from '../db.js';
import { systemActivityInsert } from '../modules/activities/activity.record.js';
import { verifyAuditChain } from './audit/audit.js';
import type { EventEnvelope } from './events/outbox.js';
import { newId } from './ids.js';
import { writeOneStatement } from './unit-of-work.js';

/**
 * One-statement writes (ADR 0025): the change, its side rows, events and audit rows commit together
 * without a transaction — or, when the change matches no row, none of them is written.
 */
describe('writeOneStatement', () => {
  let db: AppDatabase;
  beforeAll(async () => {
    db = await testDb();
  });

  async function accountIn(ws: string): Promise<string> {
    const id = newId();
    await db.transaction(ws, (trx) =>
      sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name) VALUES (${ws}, ${id}, 'Before')`.execute(
        trx,
      ),
    );
    return id;
  }

  const counts = (ws: string) =>
    db.read(ws, async (k) => {
      const r = await sql<{ audit: number; outbox: number; notes: number }>`SELECT
        (SELECT count(*)::int FROM crm_core.crm_audit_log WHERE tenant_id = ${ws}) AS audit,
        (SELECT count(*)::int FROM crm_core.crm_outbox WHERE tenant_id = ${ws}) AS outbox,
        (SELECT count(*)::int FROM crm_core.crm_activities WHERE tenant_id = ${ws}) AS notes`.execute(k);
      return r.rows[0];
    });

  const write = (ws: string, id: string, version: number, committed: EventEnvelope[][]) =>
    writeOneStatement(
      db,
      { actor: userActorOf(ws), requestId: 'req-1' },
      (k) => ({
        change: k
          .updateTable('crm_core.crm_accounts')
          .set({ name: 'After', version: sql`version + 1` })
          .where('tenant_id', '=', ws)
          .where('id', '=', id)
          .where('version', '=', version)
          .returning('id'),
        alongside: [
          systemActivityInsert(
            { trx: k, actor: userActorOf(ws) },
            { kind: 'tag_added', subject: 'side row', accountId: id, metadata: {} },
          ).insert,
        ],
        audits: [
          {
            action: 'account.updated',
            entityType: 'account',
            entityId: id,
            diff: { name: { from: 'Before', to: 'After' } },
          },
        ],
        events: [{ type: 'account.updated', aggregateType: 'account', aggregateId: id, data: { id } }],
      }),
      (envelopes) => committed.push([...envelopes]),
    );

  it('writes the change, the side rows, the event and a verifying audit row together', async () => {
    const ws = await insertWorkspaceRow(db);
    const id = await accountIn(ws);
    const committed: EventEnvelope[][] = [];
    expect(await write(ws, id, 1, committed)).toBe(true);
    const name = await db.read(ws, (k) =>
      k
        .selectFrom('crm_core.crm_accounts')
        .select(['name', 'version'])
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    expect(name).toEqual({ name: 'After', version: 2 });
    // The account's creation wrote no audit row here (raw insert): one row, one event, one note.
    expect(await counts(ws)).toEqual({ audit: 1, outbox: 1, notes: 1 });
    expect(committed.map((c) => c.map((e) => e.type))).toEqual([['account.updated']]);
    expect(await db.read(ws, (k) => verifyAuditChain(k, ws))).toEqual({ workspaceId: ws, rows: 1, ok: true });
  });

  it('writes nothing at all when the change matches no row (a stale version)', async () => {
    const ws = await insertWorkspaceRow(db);
    const id = await accountIn(ws);
    const committed: EventEnvelope[][] = [];
    expect(await write(ws, id, 7, committed)).toBe(false);
    expect(await counts(ws)).toEqual({ audit: 0, outbox: 0, notes: 0 });
    expect(committed).toEqual([]);
    // The chain head was not taken either: the next write starts the chain at 1.
    expect(await write(ws, id, 1, committed)).toBe(true);
    expect(await db.read(ws, (k) => verifyAuditChain(k, ws))).toEqual({ workspaceId: ws, rows: 1, ok: true });
  });

  it('ten concurrent writes of one version: exactly one applies, and the chain stays whole', async () => {
    const ws = await insertWorkspaceRow(db);
    const id = await accountIn(ws);
    const results = await Promise.all(Array.from({ length: 10 }, () => write(ws, id, 1, [])));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await counts(ws)).toEqual({ audit: 1, outbox: 1, notes: 1 });
    expect(await db.read(ws, (k) => verifyAuditChain(k, ws))).toEqual({ workspaceId: ws, rows: 1, ok: true });
  });
});
