import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb } from '../../../test/helpers.js';
import { buildApp } from '../app.js';
import type { AppDatabase } from '../db.js';
import { verifyAllAudit } from '../modules/audit/audit.service.js';
import { testConfig } from '../platform/config.js';
import { migrateUp } from '../platform/db/migrate.js';
import { DEMO, demoWorkspaceIds, seedDemo, seedDemoStories } from './demo.js';

/**
 * The demo workspace end to end on a database of its own: every part of the story goes through the use
 * cases (so the pipeline's rules, audit chain and timeline are exercised together), and it is believable:
 * deals in every stage in VND and USD, contacts with E.164 phones, a restricted deal, months of timeline.
 */
describe('demo workspace', () => {
  let fresh: Awaited<ReturnType<typeof freshDb>>;
  let db: AppDatabase;
  let close: () => Promise<void>;
  let workspaceId: string;
  let built: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    fresh = await freshDb('demo');
    db = fresh.db;
    await migrateUp(db);
    built = await buildApp({ config: testConfig(), db });
    close = () => built.app.close();
    const creds = await seedDemo(built.platform, 'demo-password-for-tests');
    expect(creds).toMatchObject({ email: DEMO.adminEmail, created: true });
    expect(await seedDemoStories(built.platform)).toEqual({ seeded: true });
    // A restart does not repeat it.
    expect(await seedDemoStories(built.platform)).toEqual({ seeded: false });
    workspaceId = (await demoWorkspaceIds(db)).workspaceId;
  }, 120_000);
  afterAll(async () => {
    await close();
    await fresh.drop();
  });

  it('has deals in every stage of the default pipeline, in VND and USD, one of them restricted', async () => {
    const r = await db.owner((k) =>
      sql<{ code: string; currency: string; acl_mode: string; status: string }>`
        SELECT s.code, d.currency, d.acl_mode, d.status FROM crm_core.crm_deals d
        JOIN crm_core.crm_pipeline_stages s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id
        WHERE d.tenant_id = ${workspaceId}`.execute(k),
    );
    expect(new Set(r.rows.map((d) => d.code))).toEqual(
      new Set([
        'qualifying',
        'discovery',
        'proposal',
        'negotiation',
        'closed_won',
        'closed_lost',
        'cancelled',
      ]),
    );
    expect(new Set(r.rows.map((d) => d.currency.trim()))).toEqual(new Set(['VND', 'USD']));
    expect(r.rows.some((d) => d.acl_mode === 'restricted')).toBe(true);
    expect(new Set(r.rows.map((d) => d.status))).toEqual(new Set(['open', 'won', 'lost', 'cancelled']));
  });

  it('has accounts of every legal type and contacts with normalized phones', async () => {
    const r = await db.owner((k) =>
      sql<{ legal_type: string; country: string }>`SELECT legal_type, country FROM crm_core.crm_accounts
        WHERE tenant_id = ${workspaceId}`.execute(k),
    );
    expect(new Set(r.rows.map((a) => a.legal_type))).toEqual(
      new Set(['sole_proprietor', 'llc', 'jsc', 'fdi', 'individual', 'other']),
    );
    expect(new Set(r.rows.map((a) => a.country))).toEqual(new Set(['VN', 'SG', 'US']));
    const phones = await db.owner((k) =>
      sql<{ value: string; raw_value: string }>`SELECT value, raw_value FROM crm_core.crm_contact_channels
        WHERE tenant_id = ${workspaceId} AND kind = 'phone'`.execute(k),
    );
    expect(phones.rows.length).toBeGreaterThan(10);
    expect(phones.rows.every((p) => /^\+\d{8,15}$/.test(p.value))).toBe(true);
    // The old 11-digit mobile prefix (0168…) was rewritten to the 2018 one (038…).
    expect(phones.rows).toContainEqual({ value: '+84386123456', raw_value: '01686 123 456' });
  });

  it('has months of timeline, stage history for every move, and a valid audit chain', async () => {
    const r = await db.owner((k) =>
      sql<{ oldest_days: number; entries: number; tasks: number; history: number }>`
        SELECT (SELECT extract(day FROM now() - min(occurred_at))::int FROM crm_core.crm_activities
                 WHERE tenant_id = ${workspaceId}) AS oldest_days,
               (SELECT count(*)::int FROM crm_core.crm_activities WHERE tenant_id = ${workspaceId}) AS entries,
               (SELECT count(*)::int FROM crm_core.crm_activities WHERE tenant_id = ${workspaceId}
                  AND kind = 'task') AS tasks,
               (SELECT count(*)::int FROM crm_core.crm_stage_transitions WHERE tenant_id = ${workspaceId}) AS history`.execute(
        k,
      ),
    );
    const x = r.rows[0];
    expect(x?.oldest_days).toBeGreaterThanOrEqual(60);
    expect(x?.entries).toBeGreaterThan(100);
    expect(x?.tasks).toBeGreaterThan(5);
    expect(x?.history).toBeGreaterThan(18);
    const [audit] = await verifyAllAudit(db, workspaceId);
    expect(audit).toMatchObject({ workspace_id: workspaceId, ok: true });
  });

  it('is a seller: won deals get their VietQR request and a signed hóa đơn from the won flow', async () => {
    for (let i = 0; i < 5; i++) {
      const n = (await built.relay.drain()) + (await built.wonFlow.drain());
      if (n === 0) break;
    }
    const r = await db.owner((k) =>
      sql<{ won: number; invoices: number; codes: number; waiting: number }>`
        SELECT (SELECT count(*)::int FROM crm_core.crm_deals WHERE tenant_id = ${workspaceId} AND status = 'won') AS won,
               (SELECT count(*)::int FROM crm_core.crm_vn_invoices WHERE tenant_id = ${workspaceId}) AS invoices,
               (SELECT count(*)::int FROM crm_core.crm_vn_vietqr_codes WHERE tenant_id = ${workspaceId}) AS codes,
               (SELECT count(*)::int FROM crm_core.crm_deal_flow_steps WHERE tenant_id = ${workspaceId}
                  AND status NOT IN ('done','skipped')) AS waiting`.execute(k),
    );
    const x = r.rows[0];
    expect(x?.won).toBeGreaterThan(0);
    expect(x).toMatchObject({ invoices: x?.won, codes: x?.won, waiting: 0 });
  });
});
