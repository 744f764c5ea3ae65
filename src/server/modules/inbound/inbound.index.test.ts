import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import { contactsByAddressQuery } from './inbound.repository.js';

/**
 * Matching a message's addresses to contacts must be able to use the channel-value index (built in the
 * "C" collation): compared in the default collation it could not, and every message scanned all of the
 * workspace's channels. With sequential scans priced out and enough channels that a lookup by key wins,
 * the plan names the index only if it is usable.
 */

let t: TestApp;
let ws: TestWorkspace;

beforeAll(async () => {
  t = await testApp();
  ws = await createWorkspace(t);
  // 2,000 contacts with an email each, so that a plan by key beats walking the workspace's channels.
  await t.db.owner(async (k) => {
    await sql`INSERT INTO crm_core.crm_contacts (tenant_id, id, display_name)
      SELECT ${ws.id}::uuid, gen_random_uuid(), 'Filler ' || i FROM generate_series(1, 2000) AS i`.execute(k);
    await sql`INSERT INTO crm_core.crm_contact_channels (tenant_id, id, contact_id, kind, value, raw_value)
      SELECT c.tenant_id, gen_random_uuid(), c.id, 'email', md5(c.id::text) || '@filler.vn', 'x'
      FROM crm_core.crm_contacts c WHERE c.tenant_id = ${ws.id}::uuid`.execute(k);
    await sql`ANALYZE crm_core.crm_contacts`.execute(k);
    await sql`ANALYZE crm_core.crm_contact_channels`.execute(k);
  });
});
afterAll(async () => t.close());

describe('auto-log contact matching', () => {
  it('looks addresses up through the channel-value index', async () => {
    const plan = await t.db.transaction(ws.id, async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const q = contactsByAddressQuery(trx, ws.id, ['lan@khachhang.vn', 'sales@banhang.vn']).compile();
      const r = await trx.executeQuery<{ 'QUERY PLAN': string }>({
        ...q,
        sql: `EXPLAIN ${q.sql}`,
      });
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan, `${ENGINE}:\n${plan}`).toMatch(/crm_contact_channels_value_idx/);
  });
});
