import { sql } from 'kysely';
import type { AppDatabase } from '../src/server/db.js';
import { seedVolume } from '../src/server/seed/bulk.js';
import { type LoadResult, runLoad } from './load.js';
import { log } from './log.js';
import type { RunSummary } from './result.js';
import { type LatencySummary, round, summarize } from './stats.js';

/**
 * Global search scenario of issue 3 ("global search over 100k accounts + 300k contacts p95 ≤ 50 ms"):
 * `GET /crm/v1/search?q=` (accounts, contacts and deals, 5 per group) at the run's concurrency, with a
 * mix of common names, rare names, partial words, phone numbers in three spellings and an email.
 *
 * Data: CONTACTS_PER_ACCOUNT contacts per live account of the measured workspace (Vietnamese names at
 * their real family-name frequency, a mobile phone and an email each), written by the app's own bulk
 * seeder (`cyberos-crm seed`, src/server/seed/bulk.ts) — skipped when they are already there.
 */

const CONTACTS_PER_ACCOUNT = 3;
export const GLOBAL_SEARCH_P95_TARGET_MS = 50;

export interface GlobalSearchData {
  contacts: number;
  channels: number;
  seededThisRun: boolean;
  seedSeconds: number;
  /** Terms built from the data (phone numbers and an email that exist). */
  terms: Array<{ term: string; kind: string; cls: string }>;
}

export interface GlobalSearchTerm {
  term: string;
  kind: string;
  cls: string;
  /** Rows in the first answer, per group (accounts/contacts/deals). */
  hits: string;
  inMix: { requests: number; latencyMs: LatencySummary };
}

export interface GlobalSearchResult {
  endpoint: string;
  contacts: number;
  channels: number;
  seededThisRun: boolean;
  seedSeconds: number;
  overall: RunSummary;
  /** Per class of term: its requests in the mix, and the worst p50/p95 among its terms. */
  byClass: Array<{ cls: string; requests: number; worstP50: number; worstP95: number }>;
  terms: GlobalSearchTerm[];
}

async function counts(db: AppDatabase, tenantId: string): Promise<{ contacts: number; channels: number }> {
  const r = await db.owner((k) =>
    sql<{ contacts: number; channels: number }>`SELECT
      (SELECT count(*)::int FROM crm_core.crm_contacts WHERE tenant_id = ${tenantId}::uuid) AS contacts,
      (SELECT count(*)::int FROM crm_core.crm_contact_channels WHERE tenant_id = ${tenantId}::uuid) AS channels`.execute(
      k,
    ),
  );
  return { contacts: Number(r.rows[0]?.contacts ?? 0), channels: Number(r.rows[0]?.channels ?? 0) };
}

/** Seeds the contacts when missing (idempotent), then picks the phone and email terms from the data. */
export async function ensureGlobalSearchData(
  db: AppDatabase,
  tenantId: string,
  ownerId: string,
  accounts: number,
): Promise<GlobalSearchData> {
  let have = await counts(db, tenantId);
  const want = Math.floor(accounts * CONTACTS_PER_ACCOUNT * 0.99); // live accounts only (0.5% deleted)
  let seeded = false;
  let seedSeconds = 0;
  if (have.contacts < want) {
    log(`global search: seeding ${CONTACTS_PER_ACCOUNT} contacts per account (have ${have.contacts})`);
    const r = await seedVolume(
      db,
      tenantId,
      ownerId,
      { accounts: 0, contactsPerAccount: CONTACTS_PER_ACCOUNT, dealsPerAccount: 0, activitiesPerDeal: 0 },
      log,
    );
    seeded = true;
    seedSeconds = r.seconds;
    // VACUUM, not only ANALYZE: a GIN index's own statistics live in its metapage (see account.search.test).
    await db.owner(async (k) => {
      await sql`VACUUM (ANALYZE) crm_core.crm_contacts`.execute(k);
      await sql`VACUUM (ANALYZE) crm_core.crm_contact_channels`.execute(k);
    });
    have = await counts(db, tenantId);
  }
  log(`global search: ${have.contacts} contacts, ${have.channels} channels in the measured workspace`);
  const picks = await db.owner((k) =>
    sql<{ kind: string; value: string }>`
      (SELECT kind, value FROM crm_core.crm_contact_channels
        WHERE tenant_id = ${tenantId}::uuid AND kind = 'phone' ORDER BY id LIMIT 3 OFFSET 1000)
      UNION ALL
      (SELECT kind, value FROM crm_core.crm_contact_channels
        WHERE tenant_id = ${tenantId}::uuid AND kind = 'email' ORDER BY id LIMIT 1 OFFSET 2000)`.execute(k),
  );
  const phones = picks.rows.filter((r) => r.kind === 'phone').map((r) => r.value);
  const email = picks.rows.find((r) => r.kind === 'email')?.value;
  const terms: GlobalSearchData['terms'] = [
    { term: 'nguyen', kind: 'common family name (Nguyễn ≈ 38% of contacts)', cls: 'common name' },
    { term: 'Trần Thị', kind: 'common family + middle name, with diacritics', cls: 'common name' },
    { term: 'linh', kind: 'common given name (word start)', cls: 'common name' },
    { term: 'Tô Bảo Oanh', kind: 'rare full name', cls: 'rare name' },
    { term: 'khoa', kind: 'given name of ~2.6%', cls: 'rare name' },
    { term: 'qwxz', kind: 'no match at all', cls: 'rare name' },
    { term: 'nguy', kind: 'partial word (prefix)', cls: 'partial word' },
    { term: 'uyen', kind: 'partial word inside "nguyen" (substring tier)', cls: 'partial word' },
    { term: 'thanh con', kind: 'partial phrase over accounts ("Thành Công")', cls: 'partial word' },
  ];
  const [p1, p2, p3] = phones;
  if (p1)
    terms.push({
      term: `0${p1.slice(3, 6)} ${p1.slice(6, 9)} ${p1.slice(9)}`,
      kind: 'phone, national with spaces',
      cls: 'phone',
    });
  if (p2) terms.push({ term: p2, kind: 'phone, E.164', cls: 'phone' });
  if (p3) terms.push({ term: p3.slice(1), kind: 'phone, 84… without +', cls: 'phone' });
  if (email) terms.push({ term: email, kind: 'email address', cls: 'email' });
  return { ...have, seededThisRun: seeded, seedSeconds: round(seedSeconds, 1), terms };
}

const searchPath = (term: string) => `/crm/v1/search?q=${encodeURIComponent(term)}`;

const groupSize = (body: Record<string, unknown>, g: string): number => {
  const v = body[g] as { data?: unknown[] } | undefined;
  return v?.data?.length ?? 0;
};

/** Checks every term answers 200, then a warm-up and the measured mixed run. */
export async function globalSearchLoad(
  origin: string,
  headers: Record<string, string>,
  data: GlobalSearchData,
  connections: number,
  warmupSeconds: number,
  seconds: number,
): Promise<{ run: LoadResult; hits: Map<string, string> }> {
  const hits = new Map<string, string>();
  for (const t of data.terms) {
    const res = await fetch(`${origin}${searchPath(t.term)}`, { headers });
    const text = await res.text();
    if (!res.ok) throw new Error(`global search "${t.term}" answered ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as Record<string, unknown>;
    const h = ['accounts', 'contacts', 'deals'].map((g) => groupSize(body, g)).join('/');
    hits.set(t.term, h);
    log(`  global search "${t.term}": ${h} (accounts/contacts/deals)`);
  }
  let i = 0;
  const next = () => {
    const t = data.terms[i++ % data.terms.length];
    if (!t) throw new Error('no global search terms');
    return { path: searchPath(t.term), tag: t.term };
  };
  await runLoad({ origin, connections, durationSeconds: warmupSeconds, headers, next });
  const run = await runLoad({ origin, connections, durationSeconds: seconds, headers, next });
  return { run, hits };
}

/** The result section: overall, per class of term, per term. */
export function globalSearchResult(
  data: GlobalSearchData,
  run: LoadResult,
  hits: Map<string, string>,
  overall: RunSummary,
): GlobalSearchResult {
  const classes = [...new Set(data.terms.map((t) => t.cls))];
  return {
    endpoint: 'GET /crm/v1/search?q=<term> (accounts, contacts, deals, leads; 5 per group)',
    contacts: data.contacts,
    channels: data.channels,
    seededThisRun: data.seededThisRun,
    seedSeconds: data.seedSeconds,
    overall,
    byClass: classes.map((cls) => {
      const tags = data.terms.filter((t) => t.cls === cls).map((t) => run.byTag[t.term]);
      return {
        cls,
        requests: tags.reduce((n, x) => n + (x?.requests ?? 0), 0),
        worstP50: Math.max(...tags.map((x) => x?.latencyMs.p50 ?? Number.NaN)),
        worstP95: Math.max(...tags.map((x) => x?.latencyMs.p95 ?? Number.NaN)),
      };
    }),
    terms: data.terms.map((t) => ({
      term: t.term,
      kind: t.kind,
      cls: t.cls,
      hits: hits.get(t.term) ?? '?',
      inMix: {
        requests: run.byTag[t.term]?.requests ?? 0,
        latencyMs: run.byTag[t.term]?.latencyMs ?? summarize([]),
      },
    })),
  };
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const row = (cells: ReadonlyArray<string | number>) => `| ${cells.join(' | ')} |`;

/** The docs/benchmarks.md section (called by bench/report.ts). */
export function renderGlobalSearch(
  g: GlobalSearchResult,
  baseline: { rps: number; p50: number; p95: number },
): string[] {
  const o = g.overall;
  return [
    '',
    '### Global search: accounts + contacts + deals',
    '',
    `\`${g.endpoint}\` in the measured workspace with ${int(g.contacts)} contacts (${int(g.channels)} channels:`,
    'a mobile and an email each; Vietnamese names at real family-name frequency) next to its accounts; the',
    `terms below cycled in order by the same connections (${g.seededThisRun ? `contacts seeded by this run in ${Math.round(g.seedSeconds)} s` : 'contacts reused from an earlier run'}).`,
    'Each request runs four searches in one statement (accounts, contacts by name or by channel, deals under',
    'the ACL, leads: none in this workspace), each a SECURITY DEFINER function returning one ranked page of',
    'ids joined back through RLS.',
    '',
    row(['run', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'failed']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    row([
      'global search, mixed terms',
      int(o.rps),
      ms(o.latencyMs.p50),
      ms(o.latencyMs.p95),
      ms(o.latencyMs.p99),
      int(o.non2xx + o.errors + o.timeouts),
    ]),
    row([
      'bare baseline get-by-id, same run (median of rounds)',
      int(baseline.rps),
      ms(baseline.p50),
      ms(baseline.p95),
      '–',
      '–',
    ]),
    '',
    row(['class of term', 'requests', 'worst term p50 ms', 'worst term p95 ms']),
    row(['---', '---:', '---:', '---:']),
    ...g.byClass.map((c) => row([c.cls, int(c.requests), ms(c.worstP50), ms(c.worstP95)])),
    '',
    row(['term', 'what it exercises', 'hits (acc/con/deal)', 'mix p50', 'mix p95', 'mix p99']),
    row(['---', '---', '---', '---:', '---:', '---:']),
    ...g.terms.map((t) =>
      row([
        `\`${t.term}\``,
        t.kind,
        t.hits,
        ms(t.inMix.latencyMs.p50),
        ms(t.inMix.latencyMs.p95),
        ms(t.inMix.latencyMs.p99),
      ]),
    ),
    '',
    '**Global search analysis (reviewed 2026-11-21; words by hand in bench/global-search.ts).** Alone, one',
    'request takes 3–17 ms (in-process, sequential): database time per search function, mean of 30 warm calls',
    'on this data — accounts 0.3 ms for a common term, 1.8 ms for a term matching nothing, 10.7 ms for',
    '"thanh con"; contacts 0.1 / 1.2 / 4.8 ms ("Tô Bảo Oanh"); deals ≈ 1 ms; a channel lookup 0.2 ms.',
    'Under load the run is CPU-bound: 10 closed-loop clients on 2 cores shared by PostgreSQL, the app, the',
    "load generator (and, on this machine, other engineers' test suites: see the load average) wait in",
    'line, so latency ≈ 10 ÷ throughput, and a p95 ≤ 50 ms needs ≳ 300 req/s, i.e. ≲ 6.5 ms of CPU per',
    'request all included. The account search above, one search per request, misses the same floor in the',
    'same run.',
    '',
    'What the measurements changed: the first version joined each page of ids back with a hash join over',
    'the whole workspace (the planner assumes a set-returning function yields 1,000 rows: a sequential scan',
    'of 300k contacts per request, 66 → 13 ms alone once bounded by a LIMIT); three statements became one;',
    "a tier's probe ran twice (count, then return) and now runs once and stops at a page; the probe shrank",
    '5,000 → 2,000 rows and the trigram fallback is capped at 200 rows (a term matching nothing: accounts',
    '4.7 → 1.8 ms, contacts 3.5 → 1.2 ms). Mixed run: 152 req/s, p95 109 ms → 194 req/s, p95 96 ms. Then',
    'a number or an email stopped running the account and deal substring searches that cannot match it (a',
    'number now finds an account by exact tax code through its index): a phone query alone 9.4 → 1.4 ms, and',
    'the mix p50 49 → 30 ms. Tried and dropped: static SQL in place of EXECUTE inside the search functions',
    '(warm calls were no faster: planning is not where their time goes).',
    '',
    'What is left: phrases of common syllables. "thanh con" has 3,818 trigram candidates among the accounts',
    'for 45 phrase matches, all rechecked on the heap (11 ms); "Tô Bảo Oanh" reads the long posting lists',
    'of "anh"/"oan". Same root cause as the account search\'s "thanh cong", and the same next step: an index',
    'of adjacent syllable pairs (a Vietnamese phrase is a pair lookup with a short posting list). Cheaper',
    'steps: debounce the type-ahead in the UI, and answer its first keystrokes from the name prefixes',
    '(tiers 0–1, one range of the name index) before the full ranking.',
  ];
}
