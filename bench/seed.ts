import { type RawBuilder, sql } from 'kysely';
import pg from 'pg';
import type { AppDatabase, AppPlatform } from '../src/server/db.js';
import { signUp } from '../src/server/modules/users/user.service.js';
import {
  adminEmail,
  BENCH_PASSWORD,
  BRAND_FIRST,
  BRAND_SECOND,
  CITIES,
  DOMAIN_SUFFIXES,
  expand,
  FAMILY_NAMES,
  INDUSTRIES,
  LEAD_SOURCES,
  LEGAL_FORMS,
  LIFECYCLES,
  MST_PREFIXES,
  type SeedSizes,
  SIZES,
  STREETS,
  slugOf,
  TLDS,
  workspaceSlug,
} from './dataset.js';
import { log } from './log.js';

/**
 * Seeding: workspaces, admins and memberships through the app's own sign-up use case (so audit chains,
 * sessions and roles are exactly what production makes), then the accounts in one set-based
 * `INSERT … SELECT … FROM generate_series` as the schema owner. Skipped when every bench workspace
 * already holds the expected number of accounts.
 */

export interface BenchWorkspace {
  index: number;
  id: string;
  slug: string;
  adminEmail: string;
  adminUserId: string;
  accounts: number;
}

export interface SeedResult {
  workspaces: BenchWorkspace[];
  /** The measured workspace (index 0). */
  big: BenchWorkspace;
  seeded: boolean;
  seedSeconds: number;
  totalAccountsInDatabase: number;
  tableBytes: number;
  indexBytes: number;
}

/** Creates the PostgreSQL database named in `url` when it does not exist (connecting to `postgres`). */
export async function ensurePostgresDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported bench database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await client.end();
  }
}

const meta = (i: number) => ({ ip: '127.0.0.1', userAgent: 'bench-seed', requestId: `bench-seed-${i}` });

/** Finds or creates (through sign-up) the bench workspaces with their admin. */
async function ensureWorkspaces(
  db: AppDatabase,
  platform: AppPlatform,
  count: number,
): Promise<BenchWorkspace[]> {
  const out: BenchWorkspace[] = [];
  for (let i = 0; i < count; i++) {
    const slug = workspaceSlug(i);
    const email = adminEmail(i);
    const existing = await findWorkspace(db, slug);
    if (!existing) {
      await signUp(
        platform,
        {
          workspace_name: `Bench ${i === 0 ? 'Measured' : 'Neighbour'} ${String(i).padStart(2, '0')}`,
          workspace_slug: slug,
          email,
          password: BENCH_PASSWORD,
          display_name: `Bench Admin ${i}`,
          locale: 'vi',
        },
        meta(i),
      );
    }
    const ws = await findWorkspace(db, slug);
    if (!ws) throw new Error(`workspace ${slug} was not created`);
    out.push({ index: i, id: ws.id, slug, adminEmail: email, adminUserId: ws.adminUserId, accounts: 0 });
  }
  return out;
}

async function findWorkspace(
  db: AppDatabase,
  slug: string,
): Promise<{ id: string; adminUserId: string } | null> {
  const r = await db.owner((k) =>
    sql<{ id: string; admin_user_id: string | null }>`
      SELECT w.id,
             (SELECT m.user_id FROM crm_core.crm_memberships m
               WHERE m.tenant_id = w.id AND m.role = 'admin' ORDER BY m.created_at LIMIT 1) AS admin_user_id
        FROM crm_core.crm_workspaces w WHERE w.slug = ${slug}`.execute(k),
  );
  const row = r.rows[0];
  if (!row) return null;
  if (!row.admin_user_id) throw new Error(`workspace ${slug} has no admin; drop the bench database`);
  return { id: row.id, adminUserId: row.admin_user_id };
}

async function countAccounts(db: AppDatabase, ids: string[]): Promise<Map<string, number>> {
  const r = await db.owner((k) =>
    sql<{ tenant_id: string; n: number }>`
      SELECT tenant_id, count(*)::int AS n FROM crm_core.crm_accounts
       WHERE tenant_id IN (${sql.join(ids.map((id) => sql`${id}::uuid`))}) GROUP BY tenant_id`.execute(k),
  );
  return new Map(r.rows.map((row) => [row.tenant_id, Number(row.n)]));
}

/** A text[] built from a JSON parameter: works the same on node-postgres and PGlite. */
function textArray(values: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`ARRAY(SELECT e FROM jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)
    WITH ORDINALITY t(e, o) ORDER BY o)`;
}

/**
 * The one INSERT that makes every account of the given workspaces. Rows of all workspaces are
 * interleaved in created_at order (ids are UUIDv7 of that time), as in a database where the tenants
 * grew side by side, rather than each workspace in one contiguous block of the heap.
 */
function insertAccountsSql(targets: ReadonlyArray<{ tenantId: string; ownerId: string; n: number }>) {
  const legal = expand(LEGAL_FORMS);
  const industries = expand(INDUSTRIES);
  const family = expand(FAMILY_NAMES);
  const values = sql.join(targets.map((t) => sql`(${t.tenantId}::uuid, ${t.ownerId}::uuid, ${t.n}::int)`));
  return sql`
    WITH a AS MATERIALIZED (
      SELECT ${textArray(legal.map((l) => l.prefix))} AS prefix,
             ${textArray(legal.map((l) => l.legalType))} AS ltype,
             ${textArray(industries.map((x) => x.words))} AS iwords,
             ${textArray(industries.map((x) => x.industry))} AS industry,
             ${textArray(family)} AS fam,
             ${textArray(family.map(slugOf))} AS fam_slug,
             ${textArray(BRAND_FIRST)} AS b1,
             ${textArray(BRAND_FIRST.map(slugOf))} AS b1_slug,
             ${textArray(BRAND_SECOND)} AS b2,
             ${textArray(BRAND_SECOND.map(slugOf))} AS b2_slug,
             ${textArray(CITIES.map((c) => c.name))} AS city,
             ${textArray(CITIES.map((c) => c.province))} AS province,
             ${textArray(expand(DOMAIN_SUFFIXES))} AS dsuf,
             ${textArray(expand(TLDS))} AS tld,
             ${textArray(expand(LIFECYCLES))} AS lifecycle,
             ${textArray(SIZES)} AS size,
             ${textArray(LEAD_SOURCES)} AS lead,
             ${textArray(MST_PREFIXES)} AS mstp,
             ${textArray(STREETS)} AS street
    ),
    r AS (
      SELECT w.tenant_id, w.owner_id,
             1 + floor(random() * cardinality(a.prefix))::int AS li,
             1 + floor(random() * cardinality(a.iwords))::int AS ii,
             random() AS u_brand,
             1 + floor(random() * cardinality(a.fam))::int AS fi,
             1 + floor(random() * cardinality(a.b1))::int AS b1i,
             1 + floor(random() * cardinality(a.b2))::int AS b2i,
             random() AS u_city,
             1 + floor(random() * cardinality(a.city))::int AS ci,
             random() AS u_dom,
             1 + floor(random() * cardinality(a.dsuf))::int AS dsi,
             1 + floor(random() * cardinality(a.tld))::int AS ti,
             random() AS u_web,
             random() AS u_mst,
             1 + floor(random() * cardinality(a.mstp))::int AS mi,
             floor(random() * 100000000)::bigint AS mst_n,
             random() AS u_owner,
             random() AS u_del,
             random() AS u_country,
             1 + floor(random() * cardinality(a.lifecycle))::int AS lci,
             1 + floor(random() * cardinality(a.size))::int AS si,
             1 + floor(random() * (cardinality(a.lead) + 1))::int AS lsi,
             1 + floor(random() * cardinality(a.street))::int AS sti,
             1 + floor(random() * 500)::int AS house,
             floor(random() * 100000000)::int AS phone_n,
             now() - random() * interval '1095 days' AS ts,
             random() AS u_upd
        FROM a, (VALUES ${values}) AS w(tenant_id, owner_id, n), generate_series(1, w.n) AS g
    ),
    b AS (
      SELECT r.*,
             a.prefix[r.li] AS prefix, a.ltype[r.li] AS legal_type,
             a.iwords[r.ii] AS iwords, a.industry[r.ii] AS industry,
             CASE WHEN r.u_brand < 0.3 THEN a.fam[r.fi] || ' ' || a.b2[r.b2i]
                  ELSE a.b1[r.b1i] || ' ' || a.b2[r.b2i] END AS brand,
             CASE WHEN r.u_brand < 0.3 THEN a.fam_slug[r.fi] || a.b2_slug[r.b2i]
                  ELSE a.b1_slug[r.b1i] || a.b2_slug[r.b2i] END AS brand_slug,
             CASE WHEN r.u_city < 0.25 THEN a.city[r.ci] END AS city,
             a.province[r.ci] AS province,
             a.dsuf[r.dsi] AS dsuf, a.tld[r.ti] AS tld,
             CASE WHEN r.u_mst < 0.65 THEN a.mstp[r.mi] || lpad(r.mst_n::text, 8, '0') END AS mst,
             a.lifecycle[r.lci] AS lifecycle, a.size[r.si] AS size, a.lead[r.lsi] AS lead_source,
             r.house || ' ' || a.street[r.sti] AS street
        FROM r, a
    ),
    c AS (
      SELECT b.*, CASE WHEN b.u_dom < 0.7 THEN b.brand_slug || b.dsuf || b.tld END AS domain FROM b
    )
    INSERT INTO crm_core.crm_accounts (
      tenant_id, id, name, legal_type, vn_mst, mst_status, mst_checked_at, industry, size, website, domains,
      country, phone, email, addresses, lifecycle, lead_source, owner_id, created_at, updated_at,
      created_by, updated_by, version, deleted_at)
    SELECT c.tenant_id,
           -- UUIDv7 of created_at: 48-bit ms timestamp over a random UUID, version nibble set to 7.
           encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
             PLACING substring(int8send(floor(extract(epoch FROM c.ts) * 1000)::bigint) FROM 3)
             FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
           concat_ws(' ', c.prefix, c.iwords, c.brand, c.city),
           c.legal_type,
           c.mst,
           CASE WHEN c.mst IS NOT NULL AND c.u_mst < 0.35 THEN 'valid' ELSE 'unverified' END,
           CASE WHEN c.mst IS NOT NULL AND c.u_mst < 0.35 THEN c.ts + (now() - c.ts) * c.u_upd END,
           c.industry,
           c.size,
           CASE WHEN c.domain IS NOT NULL AND c.u_web < 0.8 THEN 'https://www.' || c.domain END,
           CASE WHEN c.domain IS NOT NULL THEN ARRAY[c.domain] ELSE '{}'::text[] END,
           CASE WHEN c.u_country < 0.95 THEN 'VN' WHEN c.u_country < 0.97 THEN 'SG'
                WHEN c.u_country < 0.99 THEN 'JP' ELSE 'KR' END,
           '+84' || (20 + c.phone_n % 80)::text || lpad((c.phone_n % 10000000)::text, 7, '0'),
           CASE WHEN c.domain IS NOT NULL THEN 'info@' || c.domain END,
           jsonb_build_array(jsonb_build_object('kind', 'headquarters', 'street', c.street, 'ward', NULL,
             'district', NULL, 'province', c.province, 'country', 'VN', 'postal_code', NULL)),
           c.lifecycle,
           c.lead_source,
           CASE WHEN c.u_owner < 0.6 THEN c.owner_id END,
           c.ts,
           c.ts + (now() - c.ts) * c.u_upd,
           c.owner_id,
           c.owner_id,
           1,
           CASE WHEN c.u_del < 0.005 THEN c.ts + (now() - c.ts) * c.u_upd END
      FROM c
     ORDER BY c.ts`;
}

interface IndexDef {
  name: string;
  def: string;
}

/**
 * (Re)creates every account of the bench workspaces in one owner transaction. Secondary indexes are
 * dropped first and rebuilt after the load (what a bulk load should do: building a trigram GIN index
 * once is many times faster than maintaining it row by row); their definitions are read back from the
 * catalog, so whatever the migrations define is restored exactly.
 */
async function loadAccounts(db: AppDatabase, workspaces: BenchWorkspace[], sizes: SeedSizes): Promise<void> {
  const targets = workspaces.map((w) => ({
    tenantId: w.id,
    ownerId: w.adminUserId,
    n: w.index === 0 ? sizes.big : sizes.perOther,
  }));
  await db.owner((k) =>
    k.transaction().execute(async (trx) => {
      // One INSERT for every workspace: row-level security (forced, even for the table owner) would
      // refuse it unless the login role bypasses RLS, as the superuser does.
      const who = await sql<{ ok: boolean }>`
        SELECT rolsuper OR rolbypassrls AS ok FROM pg_roles WHERE rolname = current_user`.execute(trx);
      if (!who.rows[0]?.ok) throw new Error('the bench seeds as a superuser (or BYPASSRLS) login role');
      await sql`SET LOCAL maintenance_work_mem = '1GB'`.execute(trx);
      await sql`SET LOCAL work_mem = '512MB'`.execute(trx);
      // A fixed seed: the same names (and so the same search selectivity) on every reseed.
      await sql`SELECT setseed(0.4242)`.execute(trx);
      const indexes = await sql<IndexDef>`
        SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = 'crm_core.crm_accounts'::regclass
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`.execute(trx);
      for (const ix of indexes.rows) await sql.raw(`DROP INDEX crm_core."${ix.name}"`).execute(trx);
      const t0 = Date.now();
      const ids = sql.join(workspaces.map((w) => sql`${w.id}::uuid`));
      // What hangs off the accounts goes first (foreign keys); the pipeline and search scenarios re-seed it.
      for (const table of [
        'crm_activities',
        'crm_stage_transitions',
        'crm_deal_contacts',
        'crm_deals',
        'crm_contact_channels',
        'crm_contacts',
      ]) {
        await sql`DELETE FROM ${sql.table(`crm_core.${table}`)} WHERE tenant_id IN (${ids})`.execute(trx);
      }
      await sql`DELETE FROM crm_core.crm_accounts WHERE tenant_id IN (${ids})`.execute(trx);
      await insertAccountsSql(targets).execute(trx);
      log(`  inserted ${targets.reduce((s, t) => s + t.n, 0)} accounts in ${secondsSince(t0)} s`);
      for (const ix of indexes.rows) {
        const t1 = Date.now();
        // Accounts are partitioned (migration 0004): the definition of a partitioned index reads "ON ONLY",
        // which would build an invalid parent index and none on the partitions — every scan a seq scan.
        await sql.raw(ix.def.replace(' ON ONLY ', ' ON ')).execute(trx);
        log(`  rebuilt index ${ix.name} in ${secondsSince(t1)} s`);
      }
    }),
  );
}

const secondsSince = (t0: number): string => ((Date.now() - t0) / 1000).toFixed(1);

/**
 * Makes sure the bench data is in place: the workspaces (always checked), then the accounts (loaded
 * when a count differs from the expected size, or when `reseed`). Runs ANALYZE either way, so the
 * planner's statistics are fresh after any migration.
 */
export async function ensureBenchData(
  db: AppDatabase,
  platform: AppPlatform,
  sizes: SeedSizes,
  options: { reseed: boolean },
): Promise<SeedResult> {
  const t0 = Date.now();
  const workspaces = await ensureWorkspaces(db, platform, 1 + sizes.others);
  const expected = (w: BenchWorkspace) => (w.index === 0 ? sizes.big : sizes.perOther);
  let counts = await countAccounts(
    db,
    workspaces.map((w) => w.id),
  );
  const complete = workspaces.every((w) => (counts.get(w.id) ?? 0) === expected(w));
  const seeded = options.reseed || !complete;
  if (seeded) {
    log(options.reseed ? 'seeding accounts (--reseed)' : 'seeding accounts (counts differ from expected)');
    await loadAccounts(db, workspaces, sizes);
    const tv = Date.now();
    await db.owner((k) => sql`VACUUM (ANALYZE) crm_core.crm_accounts`.execute(k));
    log(`  vacuum analyze in ${secondsSince(tv)} s`);
    counts = await countAccounts(
      db,
      workspaces.map((w) => w.id),
    );
  } else {
    log('bench data already in place (counts match); skipping the seed (use --reseed to force it)');
    await db.owner((k) => sql`ANALYZE crm_core.crm_accounts`.execute(k));
  }
  for (const w of workspaces) {
    w.accounts = counts.get(w.id) ?? 0;
    if (w.accounts !== expected(w))
      throw new Error(`workspace ${w.slug} has ${w.accounts} accounts, not ${expected(w)}`);
  }
  const sizesRow = await db.owner((k) =>
    sql<{ total: number; table_bytes: number; index_bytes: number }>`
      SELECT (SELECT count(*)::bigint FROM crm_core.crm_accounts) AS total,
             pg_table_size('crm_core.crm_accounts') AS table_bytes,
             pg_indexes_size('crm_core.crm_accounts') AS index_bytes`.execute(k),
  );
  const s = sizesRow.rows[0];
  const big = workspaces[0];
  if (!big || !s) throw new Error('no bench workspace');
  return {
    workspaces,
    big,
    seeded,
    seedSeconds: Number(secondsSince(t0)),
    totalAccountsInDatabase: Number(s.total),
    tableBytes: Number(s.table_bytes),
    indexBytes: Number(s.index_bytes),
  };
}

/** Random live account ids of a workspace, for the get-by-id load. */
export async function sampleAccountIds(db: AppDatabase, tenantId: string, n: number): Promise<string[]> {
  const r = await db.owner((k) =>
    sql<{ id: string }>`
      SELECT id FROM crm_core.crm_accounts
       WHERE tenant_id = ${tenantId} AND deleted_at IS NULL ORDER BY random() LIMIT ${n}`.execute(k),
  );
  return r.rows.map((row) => row.id);
}
