import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFor, addMember, createWorkspace } from '../../../../test/factories.js';
import { ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import type { DB } from '../../db.js';
import { createDatabase } from '../../platform/db/database.js';
import { MIGRATIONS } from '../../platform/db/migrate.js';
import { verifyAllAudit } from './audit.service.js';

interface AuditPage {
  data: Array<{
    seq: number;
    action: string;
    entity_id: string;
    actor: { type: string; label: string };
    diff: object;
  }>;
  page: { next_cursor: string | null; has_more: boolean };
}

describe('audit module', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('lists the workspace log newest first, filtered and paginated, for admins only', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Audited Co' });
    await ws.admin.client.patch(`/crm/v1/accounts/${a.id}`, { industry: 'Retail' });
    const all = await ws.admin.client.get<AuditPage>('/crm/v1/audit?limit=100');
    expect(all.status).toBe(200);
    const seqs = all.body.data.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));
    const forAccount = await ws.admin.client.get<AuditPage>(`/crm/v1/audit?entity_id=${a.id}`);
    expect(forAccount.body.data.map((r) => r.action)).toEqual(['account.updated', 'account.created']);
    expect(forAccount.body.data[0]?.diff).toEqual({ industry: { from: null, to: 'Retail' } });
    const byAction = await ws.admin.client.get<AuditPage>('/crm/v1/audit?action=account.created');
    expect(byAction.body.data.every((r) => r.action === 'account.created')).toBe(true);

    const first = await ws.admin.client.get<AuditPage>('/crm/v1/audit?limit=1');
    expect(first.body.page.has_more).toBe(true);
    const second = await ws.admin.client.get<AuditPage>(
      `/crm/v1/audit?limit=1&cursor=${first.body.page.next_cursor}`,
    );
    expect(second.body.data[0]?.seq).toBe((first.body.data[0]?.seq ?? 0) - 1);

    const manager = await addMember(t, ws, 'manager');
    const denied = await manager.client.get('/crm/v1/audit');
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('forbidden');
  });

  it('never shows another workspace’s entries', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const acc = await accountFor(t, a.admin, { name: 'Secret Co' });
    const seen = await b.admin.client.get<AuditPage>(`/crm/v1/audit?entity_id=${acc.id}`);
    expect(seen.status).toBe(200);
    expect(seen.body.data).toEqual([]);
  });

  it('verifies the chain through the API and across workspaces as the operator', async () => {
    const ws = await createWorkspace(t);
    await accountFor(t, ws.admin);
    await accountFor(t, ws.admin);
    const v = await ws.admin.client.get<{ ok: boolean; rows: number; workspace_id: string }>(
      '/crm/v1/audit/verify',
    );
    // workspace.created, pipeline.created, exchange_rate.created, then the two accounts.
    expect(v.body).toEqual({ workspace_id: ws.id, rows: 5, ok: true });
    const [op] = await verifyAllAudit(t.db, ws.id);
    expect(op).toEqual({ workspace_id: ws.id, rows: 5, ok: true });

    await t.db.owner((k) =>
      sql`UPDATE crm_core.crm_audit_log SET actor_label = 'someone else' WHERE tenant_id = ${ws.id} AND seq = 2`.execute(
        k,
      ),
    );
    const broken = await ws.admin.client.get<{ ok: boolean; broken_at: { seq: number; reason: string } }>(
      '/crm/v1/audit/verify',
    );
    expect(broken.body.ok).toBe(false);
    expect(broken.body.broken_at).toEqual({ seq: 2, reason: 'hash_mismatch' });
  });
});

describe.skipIf(ENGINE !== 'pglite')('cyberos-crm audit verify (end to end on an on-disk PGlite)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-cli-'));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/cyberos-crm.js', ...args], {
      env: { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'silent', NODE_ENV: 'development' },
      encoding: 'utf8',
      timeout: 120_000,
    });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates, seeds, verifies (exit 0), then reports a tampered row (exit 3)', async () => {
    expect(cli('migrate', 'up', '--json').status).toBe(0);
    const seeded = cli('seed', '--json');
    expect(seeded.status).toBe(0);
    expect(JSON.parse(seeded.stdout)).toMatchObject({ email: 'demo@cyberos.local', created: true });

    const ok = cli('audit', 'verify', '--json');
    expect(ok.status).toBe(0);
    const report = JSON.parse(ok.stdout) as {
      ok: boolean;
      workspaces: Array<{ rows: number; workspace_id: string }>;
    };
    expect(report.ok).toBe(true);
    expect(report.workspaces[0]?.rows).toBeGreaterThan(10);

    const db = await createDatabase<DB>({ kind: 'pglite', dataDir: path.join(dir, 'pglite') });
    await db.owner((k) =>
      sql`UPDATE crm_core.crm_audit_log SET action = 'tampered' WHERE seq = 5`.execute(k),
    );
    await db.destroy();

    const bad = cli('audit', 'verify');
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/BROKEN at seq 5 \(hash_mismatch\)/);
    const status = cli('migrate', 'status', '--json');
    expect(JSON.parse(status.stdout)).toHaveLength(Object.keys(MIGRATIONS).length);
  }, 180_000);
});
