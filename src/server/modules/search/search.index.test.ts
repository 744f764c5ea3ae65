import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertContact, insertDeal } from '../../../../test/factories/search.js';
import { accountFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { ENGINE, type TestApp, testApp } from '../../../../test/helpers.js';
import type { DB } from '../../db.js';
import type { SearchResponse } from './search.schema.js';

/**
 * The indexes stay usable under RLS (DESIGN §10): the statements the search functions of migration
 * 0009 assemble are run as `crm_search` with the workspace set, and their plans must name the trigram,
 * name and channel-value indexes — never a sequential scan. A guard checks that the functions' text
 * still holds those statements.
 */

let t: TestApp;
let ws: TestWorkspace;

beforeAll(async () => {
  t = await testApp();
  ws = await createWorkspace(t);
  for (const name of ['Acme Holdings', 'Công ty Acme', 'Bigacme Person']) {
    await insertContact(t, ws.id, {
      display_name: name,
      channels: [{ kind: 'phone', value: '+84912345678' }],
    });
    await insertDeal(t, ws.id, { name: `${name} deal` });
  }
  // 3,000 more contacts with a channel each, and deals, in one statement each, as the schema owner.
  await t.db.owner(async (k) => {
    await sql`INSERT INTO crm_core.crm_contacts (tenant_id, id, display_name)
      SELECT ${ws.id}::uuid, gen_random_uuid(), 'Filler ' || md5(i::text) FROM generate_series(1, 3000) AS i`.execute(
      k,
    );
    await sql`INSERT INTO crm_core.crm_contact_channels (tenant_id, id, contact_id, kind, value, raw_value)
      SELECT c.tenant_id, gen_random_uuid(), c.id, 'email', md5(c.id::text) || '@filler.vn', 'x'
      FROM crm_core.crm_contacts c WHERE c.tenant_id = ${ws.id}::uuid`.execute(k);
    await sql`INSERT INTO crm_core.crm_deals (tenant_id, id, name, pipeline_id, stage_id, probability)
      SELECT ${ws.id}::uuid, gen_random_uuid(), 'Filler deal ' || md5(i::text), s.pipeline_id, s.id, 10
      FROM generate_series(1, 3000) AS i,
        (SELECT pipeline_id, id FROM crm_core.crm_pipeline_stages WHERE tenant_id = ${ws.id}::uuid LIMIT 1) s`.execute(
      k,
    );
    // VACUUM too: a GIN index's statistics live in its metapage and only VACUUM refreshes them.
    await sql`VACUUM ANALYZE crm_core.crm_contacts`.execute(k);
    await sql`VACUUM ANALYZE crm_core.crm_contact_channels`.execute(k);
    await sql`VACUUM ANALYZE crm_core.crm_deals`.execute(k);
  });
});
afterAll(async () => t.close());

async function fnText(signature: string): Promise<string> {
  const r = await t.db.owner((k) =>
    sql<{ src: string }>`SELECT prosrc AS src FROM pg_proc WHERE oid = ${signature}::regprocedure`.execute(k),
  );
  return (r.rows[0]?.src ?? '').replace(/'\s*\|\|\s*'/g, '');
}

/** EXPLAINs each statement as crm_search with the workspace set; returns its row count and plan. */
/** `generic`: planned as the functions' static statements are (migration 0032), without the values. */
async function plans(
  statements: Record<string, { sql: string; types: string; args: string; generic?: boolean }>,
): Promise<Record<string, { rows: number; plan: string }>> {
  return t.db.owner((k: Kysely<DB>) =>
    k.transaction().execute(async (trx) => {
      await sql`SET LOCAL ROLE crm_search`.execute(trx);
      await sql`SELECT set_config('app.tenant_id', ${ws.id}, true)`.execute(trx);
      const out: Record<string, { rows: number; plan: string }> = {};
      for (const [label, s] of Object.entries(statements)) {
        const name = `search_${label}_${process.pid}`;
        await sql.raw(`PREPARE ${name}(${s.types}) AS ${s.sql}`).execute(trx);
        try {
          const mode = s.generic ? 'force_generic_plan' : 'auto';
          await sql.raw(`SET LOCAL plan_cache_mode = ${mode}`).execute(trx);
          const rows = await sql.raw(`EXECUTE ${name}(${s.args})`).execute(trx);
          const explained = await sql
            .raw<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${s.args})`)
            .execute(trx);
          out[label] = {
            rows: rows.rows.length,
            plan: explained.rows.map((r) => r['QUERY PLAN']).join('\n'),
          };
        } finally {
          await sql.raw(`DEALLOCATE ${name}`).execute(trx);
        }
      }
      return out;
    }),
  );
}

const TYPES = 'uuid, text, text, text, text, int, uuid, text';

describe('search indexes under RLS', () => {
  it('finds the needles through the API among the filler', async () => {
    const res = await ws.admin.client.get<SearchResponse>('/crm/v1/search?q=acme&limit=20');
    expect(res.body.contacts?.data.map((c) => c.display_name)).toEqual([
      'Acme Holdings',
      'Công ty Acme',
      'Bigacme Person',
    ]);
    expect(res.body.deals?.data).toHaveLength(3);
    const phone = await ws.admin.client.get<SearchResponse>('/crm/v1/search?q=0912345678&types=contacts');
    expect(phone.body.contacts?.data).toHaveLength(3);
  });

  it('contact name search: trigram index for a sparse tier, name index for prefixes', async () => {
    const src = await fnText('crm_core.crm_contact_search(text, int)');
    for (const fragment of [
      'WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_contacts a WHERE a.tenant_id = $1 AND a.deleted_at IS NULL AND %s LIMIT 200)',
      'SELECT m.id, %s, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
      // Static since migration 0032 (a generic plan per connection): tiers 0-1 and the name-order probe.
      'AND a.name_fold COLLATE "C" >= v_q COLLATE "C" AND a.name_fold COLLATE "C" < v_next COLLATE "C"',
      'ORDER BY a.name_fold COLLATE "C", a.id LIMIT 2000) a',
      "format(' AND a.search_text LIKE %L'",
    ]) {
      expect(src, fragment).toContain(fragment);
    }
    const base = 'a.tenant_id = $1 AND a.deleted_at IS NULL';
    const args = `'${ws.id}', 'acme', 'acme%', '% acme%', 'acmf', 6, NULL, NULL`;
    const p = await plans({
      anywhere: {
        sql:
          `WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_contacts a WHERE ${base}` +
          " AND NOT a.search_text LIKE $4 AND NOT a.name_fold LIKE $3 AND true AND a.search_text LIKE '%acme%' LIMIT 200)" +
          ' SELECT m.id, 3, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
        types: TYPES,
        args,
      },
      word: {
        sql:
          `WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_contacts a WHERE ${base}` +
          ' AND a.search_text LIKE $4 AND NOT a.name_fold LIKE $3 LIMIT 200)' +
          ' SELECT m.id, 2, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
        types: TYPES,
        args,
      },
      prefix: {
        sql:
          `SELECT a.id, CASE WHEN a.name_fold = $2 THEN 0 ELSE 1 END, a.name_fold FROM crm_core.crm_contacts a WHERE ${base}` +
          ' AND a.name_fold COLLATE "C" >= $2 COLLATE "C" AND a.name_fold COLLATE "C" < $5 COLLATE "C"' +
          ' AND a.name_fold LIKE $3 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6',
        types: TYPES,
        args,
        generic: true,
      },
      probe: {
        sql:
          'SELECT a.id FROM (SELECT a.id, a.name_fold, a.search_text FROM crm_core.crm_contacts a' +
          ` WHERE ${base} ORDER BY a.name_fold COLLATE "C", a.id LIMIT 2000) a` +
          ' WHERE a.search_text LIKE $4 AND NOT a.name_fold LIKE $3 ORDER BY a.name_fold COLLATE "C", a.id LIMIT $6',
        types: TYPES,
        args,
        generic: true,
      },
    });
    expect(p.anywhere?.rows).toBe(1); // Bigacme Person
    expect(p.anywhere?.plan, `${ENGINE}:\n${p.anywhere?.plan}`).toMatch(
      /Bitmap Index Scan on crm_contacts_search_idx/,
    );
    expect(p.anywhere?.plan).not.toMatch(/Seq Scan/);
    expect(p.word?.rows).toBe(1); // Công ty Acme
    expect(p.word?.plan, `${ENGINE}:\n${p.word?.plan}`).toMatch(
      /Bitmap Index Scan on crm_contacts_search_idx/,
    );
    expect(p.prefix?.rows).toBe(1); // Acme Holdings (no exact "acme")
    expect(p.prefix?.plan, `${ENGINE}:\n${p.prefix?.plan}`).toMatch(
      /Index (Only )?Scan using crm_contacts_name_idx/,
    );
    expect(p.probe?.rows).toBe(1); // Công ty Acme, within the first 2,000 names
    expect(p.probe?.plan, `${ENGINE}:\n${p.probe?.plan}`).toMatch(
      /Index (Only )?Scan using crm_contacts_name_idx/,
    );
    expect(p.probe?.plan).not.toMatch(/Seq Scan/);
  });

  it('deal name search: trigram index with the ACL applied', async () => {
    // A workspace of more than 2,000 deals (this one) goes to the tiers (migration 0030).
    const src = await fnText('crm_core.crm_deal_search_tiers(text, uuid, text, int)');
    const acl =
      "(a.acl_mode = 'default' OR $8 = 'admin' OR a.owner_id = $7 OR $7 = ANY(a.acl_member_ids) OR $8 = ANY(a.acl_roles))";
    expect(src.replace(/''/g, "'")).toContain(acl);
    const base = `a.tenant_id = $1 AND a.deleted_at IS NULL AND ${acl}`;
    const p = await plans({
      anywhere: {
        sql:
          `WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_deals a WHERE ${base}` +
          " AND NOT a.name_fold LIKE $4 AND NOT a.name_fold LIKE $3 AND true AND a.name_fold LIKE '%acme%' LIMIT 200)" +
          ' SELECT m.id, 3, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
        types: TYPES,
        args: `'${ws.id}', 'acme', 'acme%', '% acme%', 'acmf', 6, NULL, 'sales_rep'`,
      },
    });
    expect(p.anywhere?.rows).toBe(1); // Bigacme Person deal
    expect(p.anywhere?.plan, `${ENGINE}:\n${p.anywhere?.plan}`).toMatch(
      /Bitmap Index Scan on crm_deals_search_idx/,
    );
    expect(p.anywhere?.plan).not.toMatch(/Seq Scan/);
  });

  it('account quick search: the trigram index of the workspace partition for a sparse tier', async () => {
    await accountFor(t, ws.admin, { name: 'Bigacme Trading' });
    await t.db.owner(async (k) => {
      await sql`INSERT INTO crm_core.crm_accounts (tenant_id, id, name)
        SELECT ${ws.id}::uuid, gen_random_uuid(), 'Filler ' || md5(i::text) FROM generate_series(1, 3000) AS i`.execute(
        k,
      );
      await sql`VACUUM ANALYZE crm_core.crm_accounts`.execute(k);
    });
    const src = await fnText('crm_core.crm_account_quick_search(text, int)');
    expect(src).toContain(
      'WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a WHERE a.tenant_id = $1 AND a.deleted_at IS NULL AND %s LIMIT 200)',
    );
    const base = 'a.tenant_id = $1 AND a.deleted_at IS NULL';
    const p = await plans({
      anywhere: {
        sql:
          `WITH m AS MATERIALIZED (SELECT a.id, a.name_fold FROM crm_core.crm_accounts a WHERE ${base}` +
          " AND NOT a.search_text LIKE $4 AND NOT a.name_fold LIKE $3 AND true AND a.search_text LIKE '%acme%' LIMIT 200)" +
          ' SELECT m.id, 3, m.name_fold FROM m ORDER BY m.name_fold COLLATE "C", m.id LIMIT $6',
        types: TYPES,
        args: `'${ws.id}', 'acme', 'acme%', '% acme%', 'acmf', 6, NULL, NULL`,
      },
    });
    expect(p.anywhere?.rows).toBe(1);
    expect(p.anywhere?.plan, `${ENGINE}:\n${p.anywhere?.plan}`).toMatch(
      /Bitmap Index Scan on crm_accounts_p\d{2}_tenant_id_search_text_idx/,
    );
    expect(p.anywhere?.plan).not.toMatch(/Seq Scan/);
  });

  it('a phrase at a word start, sparse in name order, comes through the words-and-pairs index', async () => {
    // Names that sort after the 3,000 fillers, so each tier-2 probe comes up short (migration 0023).
    await insertContact(t, ws.id, { display_name: 'Nguyễn Thành Công', channels: [] });
    await insertContact(t, ws.id, { display_name: 'Trương Thành Long Công', channels: [] });
    await insertDeal(t, ws.id, { name: 'Triển khai Thành Công' });
    await accountFor(t, ws.admin, { name: 'Xây dựng Thành Công' });
    const res = await ws.admin.client.get<SearchResponse>('/crm/v1/search?q=Th%C3%A0nh%20C%C3%B4ng&limit=5');
    expect(res.status, res.raw).toBe(200);
    // The word start first; "Thành Long Công" holds both words apart (tier 3, after it).
    expect(res.body.contacts?.data.map((c) => c.display_name)).toEqual([
      'Nguyễn Thành Công',
      'Trương Thành Long Công',
    ]);
    expect(res.body.deals?.data.map((d) => d.name)).toEqual(['Triển khai Thành Công']);
    expect(res.body.accounts?.data.map((a) => a.name)).toEqual(['Xây dựng Thành Công']);

    const src = await fnText('crm_core.crm_contact_search(text, int)');
    expect(src).toContain('crm_core.account_search_words(a.search_text) @@ $9');
    const p = await plans({
      words: {
        sql:
          'SELECT a.id FROM crm_core.crm_contacts a WHERE a.tenant_id = $1 AND a.deleted_at IS NULL' +
          " AND crm_core.account_search_words(a.search_text) @@ 'thanh_cong:*'::tsquery" +
          " AND (a.search_text || '') LIKE $4 AND NOT a.name_fold LIKE $3 LIMIT $6",
        types: TYPES,
        args: `'${ws.id}', 'thanh cong', 'thanh cong%', '% thanh cong%', 'thanh con', 6, NULL, NULL`,
      },
    });
    expect(p.words?.rows).toBe(1);
    expect(p.words?.plan, `${ENGINE}:\n${p.words?.plan}`).toMatch(
      /Bitmap Index Scan on crm_contacts_words_idx/,
    );
  });

  it('joins the hits of a name search back to their rows by key, whatever the workspace size', async () => {
    // Generic plans are made for an average workspace: joined plainly, the contacts' join-back was
    // planned as a hash join over every contact of the workspace (migration 0034).
    const src = await fnText('crm_core.crm_global_search_by_name(text, uuid, text, int, text[])');
    for (const fragment of [
      'CROSS JOIN LATERAL (SELECT * FROM crm_core.crm_accounts a WHERE a.tenant_id = v_t AND a.id = h.id OFFSET 0) a',
      'CROSS JOIN LATERAL (SELECT * FROM crm_core.crm_contacts c WHERE c.tenant_id = v_t AND c.id = h.id OFFSET 0) c',
      'CROSS JOIN LATERAL (SELECT * FROM crm_core.crm_deals d WHERE d.tenant_id = v_t AND d.id = h.id OFFSET 0) d',
      'CROSS JOIN LATERAL (SELECT * FROM crm_core.crm_leads l WHERE l.tenant_id = v_t AND l.id = h.id OFFSET 0) l',
    ]) {
      expect(src, fragment).toContain(fragment);
    }
    const p = await plans({
      contacts: {
        sql:
          'SELECT c.id, a.name FROM (SELECT * FROM crm_core.crm_contact_search($2, $6) LIMIT $6) h' +
          ' CROSS JOIN LATERAL (SELECT * FROM crm_core.crm_contacts c WHERE c.tenant_id = $1 AND c.id = h.id OFFSET 0) c' +
          ' LEFT JOIN LATERAL (SELECT * FROM crm_core.crm_accounts a WHERE a.tenant_id = $1' +
          ' AND a.id = c.account_id AND a.deleted_at IS NULL OFFSET 0) a ON true',
        types: TYPES,
        args: `'${ws.id}', 'filler', 'filler%', '% filler%', 'fillfr', 5, NULL, NULL`,
        generic: true,
      },
    });
    expect(p.contacts?.rows).toBe(5);
    // A probe of the contacts by (workspace, id) per hit; which index serves it is the planner's choice.
    expect(p.contacts?.plan, `${ENGINE}:\n${p.contacts?.plan}`).toMatch(
      /Index (Only )?Scan using crm_contacts_\w+ on crm_contacts c\b.*\n\s+Index Cond: \(\(tenant_id = \$1\) AND \(id = /,
    );
    expect(p.contacts?.plan).not.toMatch(/Hash Join|Seq Scan on crm_contacts/);
  });

  it('channel lookup: a range of the value btree', async () => {
    const src = await fnText('crm_core.crm_contact_channel_search(text, boolean, text[], int)');
    expect(src).toContain('AND ch.value COLLATE "C" >= p_value COLLATE "C"');
    expect(src).toContain('AND ch.value COLLATE "C" < v_hi COLLATE "C"');
    const p = await plans({
      exact: {
        sql:
          'SELECT ch.contact_id, ch.id, ch.kind, ch.value FROM crm_core.crm_contact_channels ch' +
          ' WHERE ch.tenant_id = $1 AND ch.value COLLATE "C" >= $2 COLLATE "C" AND ch.value COLLATE "C" < $3 COLLATE "C"' +
          ' AND ($4 IS NULL OR ch.kind = ANY($4)) ORDER BY ch.value COLLATE "C" LIMIT $5',
        types: 'uuid, text, text, text[], int',
        args: `'${ws.id}', '+84912345678', '+84912345678' || chr(1), ARRAY['phone','zalo'], 24`,
      },
    });
    expect(p.exact?.rows).toBe(3);
    expect(p.exact?.plan, `${ENGINE}:\n${p.exact?.plan}`).toMatch(
      /Index (Only )?Scan using crm_contact_channels_value_idx/,
    );
  });

  it('joins a page of ids back by primary key, not by scanning the workspace', async () => {
    // The statement of search.repository.ts searchContactsByName: without the LIMIT around the function
    // the planner assumed 1,000 rows and hash-joined a sequential scan of every contact.
    const plan = await t.db.read(ws.id, (k) =>
      sql<{ 'QUERY PLAN': string }>`EXPLAIN
        SELECT c.id, c.display_name, a.name AS account_name
        FROM (SELECT * FROM crm_core.crm_contact_search('acme', 6) LIMIT 6) h
        JOIN crm_core.crm_contacts c ON c.tenant_id = ${ws.id}::uuid AND c.id = h.id
        LEFT JOIN crm_core.crm_accounts a
          ON a.tenant_id = ${ws.id}::uuid AND a.id = c.account_id AND a.deleted_at IS NULL
        ORDER BY h.rank, h.name_fold COLLATE "C", h.id`.execute(k),
    );
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text, `${ENGINE}:\n${text}`).toMatch(/Index Scan using crm_contacts_pkey/);
    expect(text).not.toMatch(/Seq Scan on crm_contacts/);
  });
});
