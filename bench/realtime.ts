import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { z } from 'zod';
import { NatsJetStreamBus } from '../src/server/platform/events/nats-bus.js';
import {
  natsAnswers,
  type ServerProcess,
  startServerProcess,
} from '../src/server/platform/realtime/testing.js';
import { log } from './log.js';
import type { TargetResult } from './result.js';
import { ensurePostgresDatabase } from './seed.js';
import { type LatencySummary, summarize } from './stats.js';

/**
 * Real-time delivery (DESIGN §9: a deal move reaching another subscriber's WebSocket, p95 ≤ 30 ms).
 *
 * Each sample: the time from sending `POST /crm/v1/deals/:id/move` to the `deal.stage_changed` event
 * of that move (matched by deal id and version) arriving on another socket subscribed to the pipeline
 * room. That spans the request, the commit, the relay (woken by the commit) publishing to the bus, the
 * fan-out and the socket: everything a colleague's board waits for. Moves go one at a time (no queue in
 * front), alternating 20 deals between two stages, after a warm-up.
 *
 * Two set-ups, each real `src/server/main.ts` processes (relay inline, as `npm start` runs):
 * - one process, in-process bus;
 * - two processes on one PostgreSQL and NATS JetStream: moves through process 1, socket on process 2.
 *
 * Run by `npm run bench` after the other scenarios, or alone: `node --import tsx bench/realtime.ts
 * [--quick]` (BENCH_REALTIME_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/crm_bench_realtime;
 * NATS_URL, default nats://127.0.0.1:4222), which prints the JSON and replaces only its own section of
 * docs/benchmarks.md.
 */

export const REALTIME_P95_TARGET_MS = 30;
const DEALS = 20;

export interface DeliveryRun {
  processes: 1 | 2;
  bus: string;
  moves: number;
  /** Moves whose event did not arrive within 5 s. */
  lost: number;
  /** Move request sent → event on the other socket. */
  latencyMs: LatencySummary;
  /** Move request sent → its HTTP answer (for comparison: the rest is the event's way). */
  moveResponseMs: LatencySummary;
  /** The event's `occurredAt` (set in the writing transaction, just before commit) → on the socket. */
  fromCommitMs: LatencySummary;
}

export interface RealtimeResult {
  endpoint: string;
  database: string;
  single: DeliveryRun;
  acrossProcesses: DeliveryRun | null;
  /** Why the two-process run did not happen (no NATS, or PGlite). */
  acrossProcessesSkipped?: string;
  /** 1-minute load average at start and end (2 cores: above ~2, other work competed for the CPU). */
  loadAverage: { atStart: number; atEnd: number };
}

const session = z.object({ tokens: z.object({ access_token: z.string() }) });
const pipelinesSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      is_default: z.boolean(),
      stages: z.array(z.object({ id: z.string(), code: z.string() })),
    }),
  ),
});
const dealSchema = z.object({ id: z.string(), version: z.number() });
const frameSchema = z.object({
  type: z.string(),
  event: z
    .object({ type: z.string(), dealId: z.string(), version: z.number().optional(), occurredAt: z.string() })
    .optional(),
});

async function call<T>(
  origin: string,
  method: string,
  url: string,
  schema: z.ZodType<T>,
  token?: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${origin}${url}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return schema.parse(JSON.parse(text));
}

interface Board {
  token: string;
  pipelineId: string;
  stages: [string, string];
  deals: Array<{ id: string; version: number; at: 0 | 1 }>;
}

/** A fresh workspace (sign-up), its default pipeline's first two stages, and DEALS deals. */
async function prepareBoard(origin: string): Promise<Board> {
  const signup = await call(origin, 'POST', '/crm/v1/auth/signup', session, undefined, {
    workspace_name: 'Realtime bench',
    email: `rt-${randomBytes(5).toString('hex')}@bench.local`,
    password: 'realtime-bench-password-1',
    display_name: 'Realtime Bench',
  });
  const token = signup.tokens.access_token;
  const { data } = await call(origin, 'GET', '/crm/v1/pipelines', pipelinesSchema, token);
  const p = data.find((x) => x.is_default);
  const a = p?.stages.find((s) => s.code === 'qualifying');
  const b = p?.stages.find((s) => s.code === 'discovery');
  if (!p || !a || !b) throw new Error('the default pipeline lacks qualifying/discovery');
  const deals: Board['deals'] = [];
  for (let i = 0; i < DEALS; i++) {
    const d = await call(origin, 'POST', '/crm/v1/deals', dealSchema, token, { name: `RT ${i}` });
    deals.push({ id: d.id, version: d.version, at: 0 });
  }
  return { token, pipelineId: p.id, stages: [a.id, b.id], deals };
}

interface Arrival {
  /** performance.now() when the frame arrived. */
  at: number;
  /** Wall-clock ms from the event's occurredAt to arrival (same machine, same clock). */
  sinceEventMs: number;
}

/** Opens the subscriber socket; `arrived(key)` resolves when the event of `<dealId>:<version>` lands. */
async function subscriber(wsUrl: string, token: string, pipelineId: string) {
  const ws = new WebSocket(wsUrl);
  const waiting = new Map<string, (at: Arrival) => void>();
  const early = new Map<string, Arrival>();
  let ready: (() => void) | null = null;
  ws.on('message', (raw) => {
    const at = { at: performance.now(), sinceEventMs: Date.now() };
    const f = frameSchema.safeParse(JSON.parse(raw.toString()));
    if (!f.success) return;
    if (f.data.type === 'subscribed') ready?.();
    if (f.data.type !== 'event' || f.data.event?.type !== 'deal.stage_changed') return;
    const key = `${f.data.event.dealId}:${f.data.event.version}`;
    at.sinceEventMs -= Date.parse(f.data.event.occurredAt);
    const w = waiting.get(key);
    if (w) {
      waiting.delete(key);
      w(at);
    } else early.set(key, at);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const subscribed = new Promise<void>((resolve) => {
    ready = resolve;
  });
  ws.send(JSON.stringify({ type: 'auth', token }));
  ws.send(JSON.stringify({ type: 'subscribe', room: `pipeline:${pipelineId}` }));
  await subscribed;
  return {
    arrived(key: string, timeoutMs = 5000): Promise<Arrival | null> {
      const seen = early.get(key);
      if (seen !== undefined) {
        early.delete(key);
        return Promise.resolve(seen);
      }
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiting.delete(key);
          resolve(null);
        }, timeoutMs);
        waiting.set(key, (at) => {
          clearTimeout(t);
          resolve(at);
        });
      });
    },
    close: () => ws.close(),
  };
}

/** Moves one at a time through `writeOrigin`, timing each until its event reaches `wsUrl`'s socket. */
async function measureDelivery(
  writeOrigin: string,
  wsUrl: string,
  board: Board,
  warmup: number,
  moves: number,
): Promise<Omit<DeliveryRun, 'processes' | 'bus'>> {
  const sub = await subscriber(wsUrl, board.token, board.pipelineId);
  const delivery: number[] = [];
  const response: number[] = [];
  const fromCommit: number[] = [];
  let lost = 0;
  try {
    for (let i = 0; i < warmup + moves; i++) {
      const deal = board.deals[i % board.deals.length];
      if (!deal) throw new Error('no deals');
      const to = deal.at === 0 ? 1 : 0;
      const started = performance.now();
      const moved = await call(
        writeOrigin,
        'POST',
        `/crm/v1/deals/${deal.id}/move`,
        dealSchema,
        board.token,
        {
          stage_id: board.stages[to],
          version: deal.version,
        },
      );
      const answered = performance.now();
      deal.version = moved.version;
      deal.at = to;
      const at = await sub.arrived(`${deal.id}:${moved.version}`);
      if (i < warmup) continue;
      response.push(answered - started);
      if (at === null) lost++;
      else {
        delivery.push(at.at - started);
        fromCommit.push(at.sinceEventMs);
      }
    }
  } finally {
    sub.close();
  }
  return {
    moves,
    lost,
    latencyMs: summarize(delivery),
    moveResponseMs: summarize(response),
    fromCommitMs: summarize(fromCommit),
  };
}

export interface RealtimeOptions {
  /** PostgreSQL for the processes; undefined: PGlite in a temporary directory (single process only). */
  databaseUrl: string | undefined;
  natsUrl: string;
  quick: boolean;
}

/** Runs both set-ups (the second when NATS answers and the database is PostgreSQL). */
export async function measureRealtime(options: RealtimeOptions): Promise<RealtimeResult> {
  const warmup = options.quick ? 20 : 50;
  const moves = options.quick ? 100 : 400;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'crm-bench-rt-'));
  const common: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATA_DIR: tmp,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl, DATABASE_POOL_MAX: '10' } : {}),
  };
  const servers: ServerProcess[] = [];
  const stream = `CRM_BENCH_RT_${randomBytes(4).toString('hex')}`;
  let natsUsed = false;
  const loadAtStart = os.loadavg()[0] ?? 0;
  try {
    log(`real time, one process (in-process bus): ${warmup} warm-up + ${moves} moves, one at a time`);
    const solo = await startServerProcess(common);
    servers.push(solo);
    const soloBoard = await prepareBoard(solo.origin);
    const single: DeliveryRun = {
      processes: 1,
      bus: 'in-process',
      ...(await measureDelivery(solo.origin, solo.wsUrl, soloBoard, warmup, moves)),
    };
    log(`  one process: p50 ${single.latencyMs.p50} ms, p95 ${single.latencyMs.p95} ms, lost ${single.lost}`);
    await solo.stop();
    servers.length = 0;

    let acrossProcesses: DeliveryRun | null = null;
    let skipped: string | undefined;
    if (!options.databaseUrl) skipped = 'needs PostgreSQL (two processes cannot share an embedded PGlite)';
    else if (!(await natsAnswers(options.natsUrl))) skipped = `no NATS server answers at ${options.natsUrl}`;
    if (!skipped) {
      log(`real time, two processes over NATS JetStream (stream ${stream})`);
      const env = { ...common, NATS_URL: options.natsUrl, NATS_STREAM: stream };
      natsUsed = true;
      // One after the other: the first one's start-up creates the stream and runs any migration.
      const one = await startServerProcess(env);
      servers.push(one);
      const two = await startServerProcess(env);
      servers.push(two);
      const board = await prepareBoard(one.origin);
      acrossProcesses = {
        processes: 2,
        bus: 'NATS JetStream',
        ...(await measureDelivery(one.origin, two.wsUrl, board, warmup, moves)),
      };
      log(
        `  two processes: p50 ${acrossProcesses.latencyMs.p50} ms, p95 ${acrossProcesses.latencyMs.p95} ms, lost ${acrossProcesses.lost}`,
      );
    } else {
      log(`real time across processes skipped: ${skipped}`);
    }
    return {
      endpoint: 'WebSocket /crm/v1/ws, room pipeline:<id>; moves by POST /crm/v1/deals/:id/move',
      database: options.databaseUrl ? 'PostgreSQL' : 'PGlite (temporary)',
      single,
      acrossProcesses,
      ...(skipped ? { acrossProcessesSkipped: skipped } : {}),
      loadAverage: {
        atStart: Math.round(loadAtStart * 100) / 100,
        atEnd: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    if (natsUsed) {
      const bus = await NatsJetStreamBus.connect({ url: options.natsUrl, stream }).catch(() => null);
      await bus?.deleteStream().catch(() => {});
      await bus?.close();
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function realtimeTargets(r: RealtimeResult): TargetResult[] {
  const runs = [r.single, ...(r.acrossProcesses ? [r.acrossProcesses] : [])];
  return runs.map((run) => ({
    name: `deal move reaching another subscriber's WebSocket, p95 (${run.processes === 1 ? 'one process' : `two processes via ${run.bus}`})`,
    target: `≤ ${REALTIME_P95_TARGET_MS} ms`,
    measured: `${run.latencyMs.p95} ms (p50 ${run.latencyMs.p50} ms)${run.lost ? `; ${run.lost} lost` : ''}`,
    pass: run.latencyMs.p95 <= REALTIME_P95_TARGET_MS && run.lost === 0,
  }));
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
export const REALTIME_SECTION_START = '<!-- realtime:start -->';
export const REALTIME_SECTION_END = '<!-- realtime:end -->';

/** The "Real time" section of docs/benchmarks.md (between markers: the standalone run replaces it). */
export function renderRealtime(r: RealtimeResult, when?: string): string[] {
  const lines = [
    REALTIME_SECTION_START,
    '### Real time: a deal move reaching another board',
    '',
    `\`${r.endpoint}\`. Each sample: from sending the move request to its \`deal.stage_changed\` event arriving`,
    "on another socket subscribed to the pipeline (commit → the outbox relay's fast path, handed the commit's rows → bus →",
    `fan-out with the per-deal ACL → socket). One move at a time after a warm-up, 20 deals; ${r.database};`,
    `real \`src/server/main.ts\` processes. Budget: p95 ≤ 30 ms.${when ? ` Measured ${when}.` : ''}`,
    '',
    '| set-up | moves | p50 ms | p95 ms | p99 ms | max ms | lost | move answer p50 / p95 ms | commit → socket p50 / p95 ms | result |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const run of [r.single, r.acrossProcesses]) {
    if (!run) continue;
    const pass = run.latencyMs.p95 <= REALTIME_P95_TARGET_MS && run.lost === 0;
    lines.push(
      `| ${run.processes === 1 ? 'one process, in-process bus' : `two processes, ${run.bus} (move on 1, socket on 2)`} | ${run.moves} | ${ms(run.latencyMs.p50)} | ${ms(run.latencyMs.p95)} | ${ms(run.latencyMs.p99)} | ${ms(run.latencyMs.max)} | ${run.lost} | ${ms(run.moveResponseMs.p50)} / ${ms(run.moveResponseMs.p95)} | ${ms(run.fromCommitMs.p50)} / ${ms(run.fromCommitMs.p95)} | ${pass ? '**PASS**' : '**FAIL**'} |`,
    );
  }
  lines.push(
    '',
    `1-minute load average when this ran: ${r.loadAverage.atStart} → ${r.loadAverage.atEnd} (2 cores; above ~2, other work competed for the CPU).`,
  );
  if (r.acrossProcessesSkipped) lines.push('', `Two processes: not measured (${r.acrossProcessesSkipped}).`);
  lines.push(
    '',
    'Where the time goes (probes, 2026-11-21): the relay publishes the rows a commit wrote from the unit of',
    "work's envelopes, claiming exactly those by key in one autocommit statement (fast path, ADR 0008): commit →",
    '`bus.publish` p50 ≈ 1.1 ms, p95 ≈ 3–5 ms on PostgreSQL, against ≈ 2.8 / 5–8 ms for the woken poll pass it',
    'replaced (BEGIN, claim, COMMIT, timer hop; same process, alternating writes). Publish → socket (ACL',
    'filter, JSON, `ws.send`) ≈ 2 ms. The move request itself (in-process inject, load ≈ 5): p50 9 ms, of which',
    "≈ 5 ms are its 9 round trips (a role switch back from the relay's `crm_system` scope on the LIFO pool",
    'connection, BEGIN, lock, pipeline, update, transition, audit head + outbox, audit row, COMMIT). Above',
    'that, on this 2-core machine, the load of other work decides the tail: with the same code, p95 ≈ 15–21 ms',
    'at load ≈ 2 and 30–55 ms at load ≈ 7 (before the fast path: 19–24 ms and 36–45 ms, runs taken in pairs).',
  );
  lines.push(REALTIME_SECTION_END);
  return lines;
}

/** Replaces the section in docs/benchmarks.md, or inserts it before the analysis (others' text stays). */
export function writeRealtimeSection(file: string, section: string[]): void {
  const doc = readFileSync(file, 'utf8');
  const block = section.join('\n');
  const start = doc.indexOf(REALTIME_SECTION_START);
  const end = doc.indexOf(REALTIME_SECTION_END);
  let next: string;
  if (start >= 0 && end > start) {
    next = doc.slice(0, start) + block + doc.slice(end + REALTIME_SECTION_END.length);
  } else {
    const at = doc.indexOf('\n## Analysis');
    next = at >= 0 ? `${doc.slice(0, at)}\n${block}\n${doc.slice(at)}` : `${doc.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(file, next);
}

async function standalone(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const engine = process.env.BENCH_ENGINE || 'postgres';
  const databaseUrl =
    engine === 'pglite'
      ? undefined
      : process.env.BENCH_REALTIME_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/crm_bench_realtime';
  if (databaseUrl && (await ensurePostgresDatabase(databaseUrl))) log(`created database ${databaseUrl}`);
  const result = await measureRealtime({
    databaseUrl,
    natsUrl: process.env.NATS_URL || 'nats://127.0.0.1:4222',
    quick,
  });
  const targets = realtimeTargets(result);
  process.stdout.write(`${JSON.stringify({ realtime: result, targets }, null, 2)}\n`);
  if (databaseUrl && !quick) {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`node --import tsx bench/realtime.ts\`)`;
    writeRealtimeSection(path.join(root, 'docs', 'benchmarks.md'), renderRealtime(result, when));
    log('replaced the real-time section of docs/benchmarks.md');
  }
  log(targets.every((t) => t.pass) ? 'real-time targets met' : 'REAL-TIME TARGET MISSED');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  standalone().catch((err: unknown) => {
    process.stderr.write(
      `realtime bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
