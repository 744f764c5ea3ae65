import type { GlobalSearchResult } from './global-search.js';
import type { RealtimeResult } from './realtime.js';
import type { LatencySummary } from './stats.js';
import type { WebResult } from './web.js';

/** The JSON document a run prints and writes to bench/results/latest.json. */

export interface RunSummary {
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: LatencySummary;
}

export interface TermResult {
  term: string;
  kind: string;
  /** Matching accounts in the measured workspace (the API's include_total). */
  matches: number;
  /** Rows on the first page (limit 25). */
  firstPageRows: number;
  /** This term's requests inside the mixed run (its latency under the realistic mix). */
  inMix: { requests: number; latencyMs: LatencySummary };
  /** The term alone, same concurrency: what it sustains by itself. */
  alone: RunSummary;
}

export interface RoundResult {
  round: number;
  order: 'app→baseline' | 'baseline→app';
  app: RunSummary;
  baseline: RunSummary;
  ratio: number;
}

export interface SideMedians {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
}

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResult {
  schema: 'cyberos-crm-bench/1';
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  git: { commit: string; dirty: boolean };
  mode: { engine: 'postgres' | 'pglite'; quick: boolean; indicativeOnly: boolean };
  machine: {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    os: string;
    node: string;
    database: string;
    databaseVersion: string;
    /** 1-minute load average when measuring started and when it ended: other work on the machine shows here. */
    loadAverage: { atStart: number; atEnd: number };
  };
  dataset: {
    measuredWorkspaceAccounts: number;
    otherWorkspaces: number;
    accountsPerOtherWorkspace: number;
    totalAccountsInDatabase: number;
    accountsTableMiB: number;
    accountsIndexesMiB: number;
    seededThisRun: boolean;
    seedSeconds: number;
  };
  method: {
    loadGenerator: string;
    connections: number;
    appPoolMax: number;
    /** PostgreSQL plan_cache_mode of the app's sessions (ADR 0027); absent in runs before it, and on PGlite. */
    appPlanCacheMode?: string;
    baselinePoolMax: number;
    searchWarmupSeconds: number;
    searchMixSeconds: number;
    searchTermAloneSeconds: number;
    getByIdWarmupSeconds: number;
    getByIdRounds: number;
    getByIdRoundSeconds: number;
    getByIdIdPool: number;
    auth: string;
  };
  search: {
    endpoint: string;
    overall: RunSummary;
    terms: TermResult[];
  };
  getById: {
    appEndpoint: string;
    baselineEndpoint: string;
    sql: string;
    app: SideMedians;
    baseline: SideMedians;
    /** median app req/s ÷ median baseline req/s */
    ratio: number;
    rounds: RoundResult[];
  };
  /** Issue 3: the pipeline board and deal moves (absent in results from before those existed). */
  pipeline?: {
    /** `run` at the run's connections; `serverTime` one request at a time (no queueing). */
    board: { endpoint: string; deals: number; run: RunSummary; serverTime?: RunSummary };
    /** All moves in the measured workspace (one audit chain). */
    moves: MovesSummary;
    /** The same load spread over every bench workspace (the server's capacity). */
    movesAcrossWorkspaces?: MovesSummary & { workspaces: number };
  };
  /** Issue 3: global search over accounts + contacts + deals (absent in older results). */
  globalSearch?: GlobalSearchResult;
  /** Issue 6: the board as one GraphQL query, and the activity auto-log's throughput. */
  surfaces?: {
    graphqlBoard: { endpoint: string; deals: number; run: RunSummary; serverTime: RunSummary };
    autolog: { endpoint: string; run: RunSummary; emailsPerSecond: number };
  };
  /** Issue 4: a deal move reaching another board's WebSocket (absent in older results). */
  realtime?: RealtimeResult;
  /** The web app in Chromium (null: no Chromium on the machine). */
  web?: WebResult | null;
  targets: TargetResult[];
  pass: boolean;
}

export interface MovesSummary {
  endpoint: string;
  connections: number;
  durationSeconds: number;
  moves: number;
  movesPerSecond: number;
  failures: number;
  latencyMs: RunSummary['latencyMs'];
}
