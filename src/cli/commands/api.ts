import { randomUUID } from 'node:crypto';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { type Client, createClient, createConfig } from '../../shared/api-client/client/index.js';
import { getCrmV1Audit } from '../../shared/api-client/index.js';
import { resolveCredentials } from '../config.js';

/**
 * What every REST command shares: the generated client bound to the configured server and key, the
 * mapping of API errors to exit codes, and the output helpers (tables, `--json`, `[step]` lines).
 *
 * Exit codes: 0 ok · 1 failure (server error, network) · 2 usage · 3 audit chain broken · 4 invalid
 * input (422/400, an invalid MST, rejected import rows) · 5 not found · 6 not signed in, bad key or
 * missing scope · 7 conflict (version, closed deal, duplicate) · 8 rate limited (retry later).
 */

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auditBroken: 3,
  invalid: 4,
  notFound: 5,
  auth: 6,
  conflict: 7,
  rateLimited: 8,
} as const;

export interface Problem {
  code?: string;
  status?: number;
  title?: string;
  detail?: string;
  errors?: Array<{ field: string; message: string; code?: string }>;
  [key: string]: unknown;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly problem: Problem | null = null,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 400 || status === 422) return EXIT.invalid;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 429) return EXIT.rateLimited;
  return EXIT.failure;
}

/** One line per offending field, or the detail: what a person needs to fix the input. */
export function problemMessage(p: Problem | null, status: number): string {
  if (!p) return `HTTP ${status}`;
  const head = `${p.code ?? `HTTP ${status}`}: ${p.detail ?? p.title ?? ''}`.trim();
  const fields = (p.errors ?? []).map((e) => `  ${e.field}: ${e.message}`);
  return [head, ...fields].join('\n');
}

/** A row-sized summary of a problem (import's rejected-rows file): `code: field: message; …`. */
export function problemSummary(p: Problem | null, status: number): string {
  if (!p) return `HTTP ${status}`;
  const fields = (p.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return `${p.code ?? status}: ${fields.length ? fields.join('; ') : (p.detail ?? p.title ?? '')}`;
}

export interface Session {
  client: Client;
  url: string;
}

/** The client for the configured server; not signed in → exit 6 with how to sign in. */
export function session(): Session {
  const creds = resolveCredentials();
  if (!creds) {
    throw new CliError(
      'not signed in: run `cyberos-crm login --url <server> --api-key <crm_sk_…>` or set CRM_URL and CRM_API_KEY',
      EXIT.auth,
    );
  }
  return { client: apiClient(creds.url, creds.apiKey), url: creds.url };
}

export function apiClient(url: string, apiKey: string): Client {
  const client = createClient(
    createConfig({
      baseUrl: url,
      headers: { authorization: `Bearer ${apiKey}`, 'user-agent': 'cyberos-crm-cli/0.1' },
    }),
  );
  // Writes with an API key need an Idempotency-Key: one per request unless the caller chose one
  // (import uses one per row of the file, so running the same file again replays instead of duplicating).
  client.interceptors.request.use((request) => {
    if (request.method !== 'GET' && !request.headers.has('idempotency-key')) {
      request.headers.set('idempotency-key', `cli-${randomUUID()}`);
    }
    return request;
  });
  return client;
}

/** fetch failed before any answer (refused, DNS, TLS): exit 1 with the reason. */
export function networkError(e: unknown): CliError {
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return new CliError(
    `cannot reach the server (${e instanceof Error ? e.message : String(e)}${cause})`,
    EXIT.failure,
  );
}

type Result<T> = { data: T | undefined; error?: unknown; response?: Response };

/** The answer's data, or a CliError carrying the problem and the exit code of its status. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await pending;
  } catch (e) {
    throw networkError(e);
  }
  if (!r.response) throw networkError(r.error);
  const status = r.response.status;
  if (r.error !== undefined || status >= 400) {
    const problem = typeof r.error === 'object' && r.error !== null ? (r.error as Problem) : null;
    throw new CliError(problemMessage(problem, status), exitCodeForStatus(status), problem);
  }
  return r.data as T;
}

// ---- output ----

export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `[mst]      text`, the step lines of the seed's examples. */
export function step(tag: string, text: string): void {
  process.stdout.write(`${`[${tag}]`.padEnd(12)} ${text}\n`);
}

/** A borderless table like the seed's examples (header row, columns padded). */
export function table(head: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const t = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

export function printTable(head: string[], rows: Array<Array<string | number | null | undefined>>): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  process.stdout.write(`${table(head, rows)}\n`);
}

const DECIMALS: Record<string, number> = { VND: 0, USD: 2 };

/** Minor units as people read them: `750,000,000 VND`, `1,234.50 USD`. */
export function money(amountMinor: number | null | undefined, currency: string): string {
  if (amountMinor === null || amountMinor === undefined) return '';
  const d = DECIMALS[currency] ?? 2;
  const major = amountMinor / 10 ** d;
  return `${major.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })} ${currency}`;
}

/** Parses a major-unit amount (`750000000`, `1,234.50`) to minor units of the currency; usage error else. */
export function parseAmount(raw: string, currency: string): number {
  const d = DECIMALS[currency] ?? 2;
  const clean = raw.replace(/[,_\s]/g, '');
  if (!/^\d+(\.\d+)?$/.test(clean)) throw new CliError(`--amount: not an amount: ${raw}`, EXIT.invalid);
  const [whole, frac = ''] = clean.split('.');
  if (frac.length > d) throw new CliError(`--amount: ${currency} has ${d} decimals`, EXIT.invalid);
  return Number(whole) * 10 ** d + Number(frac.padEnd(d, '0') || '0');
}

/**
 * The `[audit]` line: the newest audit entry of the record, with its chain position. Reading the audit
 * log needs `crm.audit.view` (scope `crm.admin`); without it the line is left out, the write stands.
 */
export async function auditLine(s: Session, entityType: string, entityId: string): Promise<void> {
  const r = await getCrmV1Audit({
    client: s.client,
    query: { entity_type: entityType, entity_id: entityId, limit: 1 },
  }).catch(() => null);
  const entry = r?.data?.data[0];
  if (!entry) return;
  step('audit', `${entry.action} seq=${entry.seq} chain=${entry.hash.slice(0, 12)}…`);
}

/**
 * Wraps an action: a CliError becomes its message (or the problem as JSON with --json) on stderr and its
 * exit code; anything else is a failure (1).
 */
export function run<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const cmd = args[args.length - 1] as Command | undefined;
      const json = Boolean(
        cmd && typeof cmd.optsWithGlobals === 'function' && (cmd.optsWithGlobals() as OutputOptions).json,
      );
      if (e instanceof CliError) {
        if (json) process.stderr.write(`${JSON.stringify({ error: e.problem ?? { detail: e.message } })}\n`);
        else process.stderr.write(`error: ${e.message}\n`);
        process.exitCode = e.exitCode;
        return;
      }
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.failure;
    }
  };
}

/** Every page of a list, one after the other (export, forecast's deals). */
export async function* pages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data: T[]; page: { next_cursor: string | null } }>,
): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  do {
    const p = await fetchPage(cursor);
    yield p.data;
    cursor = p.page.next_cursor ?? undefined;
  } while (cursor);
}
