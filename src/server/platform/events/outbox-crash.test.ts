import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE, freshDb } from '../../../../test/helpers.js';
import { createDatabase, type Database } from '../db/database.js';
import { migrateUp } from '../db/migrate.js';
import { InProcessBus } from './bus.js';
import type { EventEnvelope } from './outbox.js';
import { OutboxRelay } from './relay.js';

/**
 * "Nothing is lost when a process dies" (DESIGN rule 7), with a real death: a child process commits an
 * event through the unit of work and is SIGKILLed (no shutdown hook runs, nothing is flushed by us), then
 * this process opens the same database and delivers the event. On PGlite the database is an on-disk data
 * directory the killed process had open, so this also proves PGlite recovers a data directory after a
 * crash.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const CHILD = path.join(ROOT, 'test/fixtures/outbox-crash-child.ts');

type Mode = 'after-commit' | 'in-publish';

interface ChildReport {
  committed?: boolean;
  workspaceId?: string;
  aggregateId?: string;
  eventId?: string | null;
  publishing?: string;
  error?: string;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  reports: ChildReport[];
  stderr: string;
}

function runChild(mode: Mode, target: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: { ...process.env, CRASH_ENGINE: ENGINE, CRASH_TARGET: target, CRASH_MODE: mode },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const reports = out
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as ChildReport);
      resolve({ code, signal, reports, stderr: err });
    });
  });
}

interface OutboxState {
  id: string;
  status: string;
  attempts: number;
  lease_held: boolean;
}

describe('outbox survives a killed process', () => {
  let pgUrl: string | undefined;
  let dropPg: (() => Promise<void>) | undefined;
  const tempDirs: string[] = [];

  beforeAll(async () => {
    if (ENGINE === 'postgres') {
      const fresh = await freshDb('crash');
      await migrateUp(fresh.db);
      pgUrl = fresh.url;
      dropPg = fresh.drop;
    }
  });
  afterAll(async () => {
    await dropPg?.();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  /** The database the child used: the same PostgreSQL database, or a new PGlite instance on its data dir. */
  function target(): string {
    if (ENGINE === 'postgres') return pgUrl ?? '';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-crash-'));
    tempDirs.push(dir);
    return path.join(dir, 'pglite');
  }

  async function open(where: string): Promise<Database<unknown>> {
    return ENGINE === 'postgres'
      ? createDatabase({ kind: 'postgres', url: where, poolMax: 2 })
      : createDatabase({ kind: 'pglite', dataDir: where });
  }

  const stateOf = async (db: Database<unknown>, id: string): Promise<OutboxState[]> =>
    (
      await db.owner((k) =>
        sql<OutboxState>`SELECT id, status, attempts, coalesce(locked_until > now(), false) AS lease_held
                         FROM crm_core.crm_outbox WHERE id = ${id}`.execute(k),
      )
    ).rows;

  async function relayAll(db: Database<unknown>): Promise<EventEnvelope[]> {
    const bus = new InProcessBus();
    const delivered: EventEnvelope[] = [];
    bus.subscribe('*', (e) => {
      delivered.push(e);
    });
    const relay = new OutboxRelay(db, bus);
    await relay.drain();
    expect(await relay.runOnce()).toBe(0);
    return delivered;
  }

  it('an event committed just before SIGKILL is delivered afterwards, with its id', {
    timeout: 180_000,
  }, async () => {
    const where = target();
    const child = await runChild('after-commit', where);
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const [committed] = child.reports;
    expect(committed?.committed).toBe(true);
    const eventId = committed?.eventId ?? '';
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);

    const db = await open(where);
    try {
      expect(await stateOf(db, eventId)).toEqual([
        { id: eventId, status: 'pending', attempts: 0, lease_held: false },
      ]);
      const delivered = await relayAll(db);
      expect(delivered.map((e) => e.id)).toEqual([eventId]);
      expect(delivered[0]).toMatchObject({
        type: 'crash.test',
        workspace_id: committed?.workspaceId,
        aggregate: { type: 'crash', id: committed?.aggregateId },
        data: { n: 1 },
      });
      expect(await stateOf(db, eventId)).toEqual([
        { id: eventId, status: 'published', attempts: 1, lease_held: false },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('an event whose relay was SIGKILLed after the claim, before publishing, is delivered once its lease ends', {
    timeout: 180_000,
  }, async () => {
    const where = target();
    const child = await runChild('in-publish', where);
    expect({ signal: child.signal, stderr: child.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const [committed, publishing] = child.reports;
    const eventId = committed?.eventId ?? '';
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(publishing).toEqual({ publishing: eventId });
    expect(child.reports).toHaveLength(2);

    const db = await open(where);
    try {
      // The dead relay's claim committed: the row is leased (for an hour, see the child), so nobody takes it.
      expect(await stateOf(db, eventId)).toEqual([
        { id: eventId, status: 'pending', attempts: 1, lease_held: true },
      ]);
      expect(await relayAll(db)).toEqual([]);
      // The lease ends (moved into the past rather than waited for): the event goes out, same id.
      await db.owner((k) =>
        sql`UPDATE crm_core.crm_outbox SET locked_until = now() - interval '1 second' WHERE id = ${eventId}`.execute(
          k,
        ),
      );
      const delivered = await relayAll(db);
      expect(delivered.map((e) => e.id)).toEqual([eventId]);
      expect(delivered[0]).toMatchObject({ type: 'crash.test', aggregate: { id: committed?.aggregateId } });
      expect(await stateOf(db, eventId)).toEqual([
        { id: eventId, status: 'published', attempts: 2, lease_held: false },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
