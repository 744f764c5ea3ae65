import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { z } from 'zod';
import { buildWebApp, WEB_DIST, webBuildNeeded } from '../src/server/platform/http/web-build.js';
import { type ServerProcess, startServerProcess } from '../src/server/platform/realtime/testing.js';
import { chromiumPath } from '../test/e2e/chromium.js';
import { log } from './log.js';
import { type LatencySummary, summarize } from './stats.js';

/**
 * The web app, measured in Debian's Chromium (headless, this machine's 2 cores):
 * - board first render: from the navigation's start (`performance.timeOrigin`) to the board root
 *   carrying `data-board-ready="true"`, recorded in the page by a MutationObserver (no polling delay).
 *   It spans the app's scripts, the session refresh, /me, the pipelines, the board request and React
 *   rendering every card. Warm: the same tab reloading (assets cached, as a returning user); cold: a
 *   new browser context each time (nothing cached).
 * - the same for a board of 1,000 deals (the issue's "stays smooth" size);
 * - the production bundle: every asset raw and gzipped, the entry chunk apart from the lazy route chunks.
 *
 * Run by `npm run bench`, or alone: `node --import tsx bench/web.ts` (a temporary PGlite server, or
 * BENCH_WEB_DATABASE_URL), which prints the JSON and replaces only its own section of docs/benchmarks.md.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface WebResult {
  browser: string;
  database: string;
  board200: { deals: number; warm: LatencySummary; cold: LatencySummary; samples: number };
  board1000: { deals: number; warm: LatencySummary; samples: number };
  bundle: {
    entry: BundleFile[];
    routes: BundleFile[];
    totalGzipBytes: number;
    entryGzipBytes: number;
  };
  loadAverage: { atStart: number; atEnd: number };
}

const session = z.object({ tokens: z.object({ access_token: z.string() }) });
const pipelines = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      is_default: z.boolean(),
      stages: z.array(z.object({ id: z.string(), code: z.string(), category: z.string() })),
    }),
  ),
});
const idOnly = z.object({ id: z.string() });

async function call<T>(origin: string, url: string, schema: z.ZodType<T>, token?: string, body?: unknown) {
  const res = await fetch(`${origin}${url}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return schema.parse(JSON.parse(text));
}

interface Workspace {
  email: string;
  password: string;
  pipelineId: string;
}

/** A workspace with `deals` open deals spread over the default pipeline's open stages. */
async function prepareWorkspace(origin: string, deals: number): Promise<Workspace> {
  const email = `web-${randomBytes(5).toString('hex')}@bench.local`;
  const password = 'web-bench-password-1';
  const signup = await call(origin, '/crm/v1/auth/signup', session, undefined, {
    workspace_name: `Web bench ${deals}`,
    email,
    password,
    display_name: 'Trần Văn Bench',
  });
  const token = signup.tokens.access_token;
  const p = (await call(origin, '/crm/v1/pipelines', pipelines, token)).data.find((x) => x.is_default);
  if (!p) throw new Error('no default pipeline');
  const open = p.stages.filter((s) => s.category === 'open');
  // Deals in proposal and later need a primary contact (the default pipeline's entry rules).
  const accounts: Array<{ id: string; contact: string }> = [];
  for (let i = 0; i < 20; i++) {
    const account = await call(origin, '/crm/v1/accounts', idOnly, token, {
      name: `Công ty TNHH Bench ${i + 1}`,
    });
    const contact = await call(origin, '/crm/v1/contacts', idOnly, token, {
      first_name: 'Lan',
      last_name: `Nguyễn ${i + 1}`,
      account_id: account.id,
    });
    accounts.push({ id: account.id, contact: contact.id });
  }
  // Concurrency 4: quick to seed, without queueing the single server process.
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < deals; i = next++) {
      await call(origin, '/crm/v1/deals', idOnly, token, {
        name: `Hợp đồng phần mềm ${i + 1}`,
        account_id: accounts[i % accounts.length]?.id,
        primary_contact_id: accounts[i % accounts.length]?.contact,
        pipeline_id: p.id,
        stage_id: open[i % open.length]?.id,
        amount_minor: 10_000_000 * ((i % 40) + 1),
        currency: i % 5 === 0 ? 'USD' : 'VND',
        expected_close_date: new Date(Date.now() + ((i % 90) - 20) * 86_400_000).toISOString().slice(0, 10),
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { email, password, pipelineId: p.id };
}

// Records, inside the page, when the board root first carries data-board-ready="true".
const READY_PROBE = `
  window.__boardReadyAt = null;
  new MutationObserver((_, obs) => {
    if (document.querySelector('[data-board-ready="true"]')) {
      window.__boardReadyAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-board-ready'] });
`;

async function signIn(browser: Browser, origin: string, ws: Workspace) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'vi-VN' });
  await context.addInitScript(READY_PROBE);
  const page = await context.newPage();
  await page.goto(`${origin}/login`);
  await page.locator('input[name="email"]').fill(ws.email);
  await page.locator('input[name="password"]').fill(ws.password);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/\/dashboard$/);
  return { context, page };
}

async function renderTimes(
  browser: Browser,
  origin: string,
  ws: Workspace,
  samples: number,
  cold: boolean,
): Promise<number[]> {
  const url = `${origin}/pipeline/${ws.pipelineId}`;
  const times: number[] = [];
  let { context, page } = await signIn(browser, origin, ws);
  for (let i = 0; i < samples + 2; i++) {
    if (cold && i > 0) {
      // A new context has an empty cache: sign in again (outside the measurement), then load the board.
      await context.close();
      ({ context, page } = await signIn(browser, origin, ws));
    }
    await page.goto(url);
    await page.waitForFunction(
      () => (window as unknown as { __boardReadyAt: number | null }).__boardReadyAt !== null,
      null,
      {
        timeout: 60_000,
      },
    );
    const at = await page.evaluate(() => (window as unknown as { __boardReadyAt: number }).__boardReadyAt);
    if (i >= 2) times.push(at); // two warm-ups
  }
  await context.close();
  return times;
}

function bundleReport(): WebResult['bundle'] {
  const assets = path.join(WEB_DIST, 'assets');
  const html = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
  const entryNames = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1] ?? ''));
  const files = readdirSync(assets)
    .filter((f) => /\.(js|css)$/.test(f))
    .map((file) => {
      const buf = readFileSync(path.join(assets, file));
      return { file, bytes: buf.length, gzipBytes: gzipSync(buf).length };
    })
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
  const entry = files.filter((f) => entryNames.has(f.file));
  const routes = files.filter((f) => !entryNames.has(f.file));
  const sum = (xs: BundleFile[]) => xs.reduce((s, f) => s + f.gzipBytes, 0);
  return { entry, routes, totalGzipBytes: sum(files), entryGzipBytes: sum(entry) };
}

export async function measureWeb(options: {
  databaseUrl?: string;
  quick?: boolean;
}): Promise<WebResult | null> {
  const exe = chromiumPath();
  if (!exe) {
    log('web: no Chromium (apt-get install chromium): skipped');
    return null;
  }
  if (webBuildNeeded()) {
    log('web: building the app');
    await buildWebApp();
  }
  const loadAtStart = os.loadavg()[0] ?? 0;
  const samples = options.quick ? 5 : 15;
  let server: ServerProcess | null = null;
  const browser = await chromium.launch({
    executablePath: exe,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  try {
    const dataDir = path.join(os.tmpdir(), `crm-bench-web-${process.pid}`);
    server = await startServerProcess(
      options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { DATA_DIR: dataDir },
    );
    log('web: seeding 200 + 1,000 deals');
    const ws200 = await prepareWorkspace(server.origin, 200);
    const ws1000 = await prepareWorkspace(server.origin, 1000);
    log('web: board of 200 deals, warm');
    const warm = await renderTimes(browser, server.origin, ws200, samples, false);
    log('web: board of 200 deals, cold');
    const cold = await renderTimes(browser, server.origin, ws200, Math.max(3, Math.round(samples / 3)), true);
    log('web: board of 1,000 deals, warm');
    const big = await renderTimes(
      browser,
      server.origin,
      ws1000,
      Math.max(3, Math.round(samples / 2)),
      false,
    );
    return {
      browser: `${browser.version()} (headless, --disable-gpu)`,
      database: options.databaseUrl ? 'PostgreSQL' : 'PGlite (temporary)',
      board200: { deals: 200, warm: summarize(warm), cold: summarize(cold), samples: warm.length },
      board1000: { deals: 1000, warm: summarize(big), samples: big.length },
      bundle: bundleReport(),
      loadAverage: {
        atStart: Math.round(loadAtStart * 100) / 100,
        atEnd: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
    };
  } finally {
    await browser.close();
    await server?.stop();
  }
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
export const WEB_SECTION_START = '<!-- web:start -->';
export const WEB_SECTION_END = '<!-- web:end -->';

export function renderWeb(r: WebResult, when?: string): string[] {
  const row = (name: string, s: LatencySummary, n: number) =>
    `| ${name} | ${n} | ${s.p50} | ${s.p95} | ${s.max} |`;
  return [
    WEB_SECTION_START,
    '### Web app: board first render in Chromium, and the bundle',
    '',
    `Chromium ${r.browser}; server: one \`src/server/main.ts\` process on ${r.database}. Time from the`,
    "navigation's start to the board showing every card (`data-board-ready`), measured in the page: scripts,",
    'session refresh, /me, pipelines, the board request and React rendering. Warm = the same tab reloading',
    `(assets cached); cold = a new browser context each time.${when ? ` Measured ${when}.` : ''}`,
    `Load average ${r.loadAverage.atStart} → ${r.loadAverage.atEnd} (2 cores).`,
    '',
    '| board | samples | p50 ms | p95 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    row(`${r.board200.deals} deals, warm`, r.board200.warm, r.board200.samples),
    row(`${r.board200.deals} deals, cold`, r.board200.cold, Math.max(3, Math.round(r.board200.samples / 3))),
    row(`${r.board1000.deals} deals, warm`, r.board1000.warm, r.board1000.samples),
    '',
    `Production bundle (\`npm run build\`, code-split by route): entry ${kb(r.bundle.entryGzipBytes)} gzipped,`,
    `everything ${kb(r.bundle.totalGzipBytes)} gzipped. Largest files:`,
    '',
    '| file | kind | raw | gzip |',
    '| --- | --- | ---: | ---: |',
    ...[
      ...r.bundle.entry.map((f) => ({ ...f, kind: 'entry' })),
      ...r.bundle.routes.map((f) => ({ ...f, kind: 'lazy' })),
    ]
      .sort((a, b) => b.gzipBytes - a.gzipBytes)
      .slice(0, 14)
      .map(
        (f) => `| ${f.file.replace(/-[\w-]{8}\./, '.')} | ${f.kind} | ${kb(f.bytes)} | ${kb(f.gzipBytes)} |`,
      ),
    WEB_SECTION_END,
  ];
}

/** Replaces (or appends) the web section of docs/benchmarks.md. */
export function writeWebSection(r: WebResult): void {
  const file = path.join(ROOT, 'docs', 'benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const section = renderWeb(r, new Date().toISOString().slice(0, 16).replace('T', ' ')).join('\n');
  const a = doc.indexOf(WEB_SECTION_START);
  const b = doc.indexOf(WEB_SECTION_END);
  const next =
    a >= 0 && b > a
      ? doc.slice(0, a) + section + doc.slice(b + WEB_SECTION_END.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  measureWeb({ databaseUrl: process.env.BENCH_WEB_DATABASE_URL || undefined, quick })
    .then((r) => {
      if (!r) return;
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      writeWebSection(r);
      log('web: wrote its section of docs/benchmarks.md');
    })
    .catch((err: unknown) => {
      process.stderr.write(
        `web bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    });
}
