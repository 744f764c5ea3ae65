import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, type ResolvedAddress } from './webhook.ssrf.js';

/**
 * One HTTP POST of a webhook, with node:http(s) only: connects to the addresses the SSRF guard checked
 * (pinned `lookup`, so DNS is not asked again between check and connect), a fresh connection per send
 * (no keep-alive pool that could outlive a check), redirects not followed, a total time limit, and at
 * most RESPONSE_LIMIT bytes of the answer kept.
 */

export const RESPONSE_LIMIT = 4096;
export const USER_AGENT = 'CyberOS-CRM-Webhooks/1.0 (+https://cyberos.dev/docs/webhooks)';

export interface SendRequest {
  url: URL;
  addresses: readonly ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  /** null when the receiver answered 2xx; else what went wrong, for people. */
  error: string | null;
  responseBody: string | null;
  /** The address actually connected to. */
  ip: string | null;
  /** A receiver's `Retry-After` in seconds (429/503), when it sent a usable one. */
  retryAfterSeconds: number | null;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); null when absent or unusable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Text the database can keep: no NUL, at most `max` characters. */
export const clip = (s: string, max: number): string => s.replaceAll('\u0000', '').slice(0, max);

export function send(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const client = req.url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    let ip: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: Omit<SendResult, 'latencyMs' | 'ip'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed(), ip });
    };
    let request: http.ClientRequest;
    try {
      request = client.request(req.url, {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: false,
        lookup: pinnedLookup(req.addresses) as unknown as http.RequestOptions['lookup'],
      });
    } catch (error) {
      finish({
        statusCode: null,
        error: clip(String(error), 2000),
        responseBody: null,
        retryAfterSeconds: null,
      });
      return;
    }
    timer = setTimeout(() => {
      finish({
        statusCode: null,
        error: `timed out after ${req.timeoutMs} ms`,
        responseBody: null,
        retryAfterSeconds: null,
      });
      request.destroy();
    }, req.timeoutMs);
    request.on('socket', (socket) => {
      socket.on('connect', () => {
        ip = socket.remoteAddress ?? null;
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code ? `${error.code}: ${error.message}` : error.message;
      finish({ statusCode: null, error: clip(detail, 2000), responseBody: null, retryAfterSeconds: null });
    });
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const status = res.statusCode ?? null;
        const body = Buffer.concat(chunks).subarray(0, RESPONSE_LIMIT).toString('utf8');
        const ok = status !== null && status >= 200 && status < 300;
        const retryAfter =
          status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : null;
        finish({
          statusCode: status,
          error: ok ? null : `HTTP ${status}${res.statusMessage ? ` ${clip(res.statusMessage, 100)}` : ''}`,
          responseBody: clip(body, RESPONSE_LIMIT),
          retryAfterSeconds: retryAfter,
        });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_LIMIT) chunks.push(chunk);
        size += chunk.length;
        // Enough to show the user; the rest of a large answer is not waited for.
        if (size >= RESPONSE_LIMIT) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    });
    request.end(req.body);
  });
}
