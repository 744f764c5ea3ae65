import autocannon from 'autocannon';
import { type LatencySummary, round, summarize } from './stats.js';

/**
 * One closed-loop load run with autocannon: `connections` keep-alive connections, each sending its next
 * request as soon as the previous answer arrives, for `durationSeconds`. Every request is chosen by
 * `next()` and carries a tag (a search term, "get"); latencies are recorded per response, exactly, and
 * grouped by tag, so one mixed run also yields per-term figures.
 */

export interface LoadRequest {
  path: string;
  tag: string;
  /** Default GET. */
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadSpec {
  /** Origin, e.g. http://127.0.0.1:4000 */
  origin: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  next: () => LoadRequest;
}

export interface TagResult {
  requests: number;
  /** This tag's share of the run's throughput. */
  rps: number;
  latencyMs: LatencySummary;
}

export interface LoadResult {
  durationSeconds: number;
  requests: number;
  rps: number;
  /** Responses other than 2xx (each one is a benchmark bug or a server failure; reported, never hidden). */
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: LatencySummary;
  byTag: Record<string, TagResult>;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const tagOfContext = new WeakMap<object, string>();
  const all: number[] = [];
  const byTag = new Map<string, number[]>();
  let lastTag = '';
  let non2xx = 0;
  const started = process.hrtime.bigint();

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.origin,
        connections: spec.connections,
        duration: spec.durationSeconds,
        pipelining: 1,
        timeout: 10,
        headers: spec.headers ?? {},
        requests: [
          {
            method: 'GET',
            // Called before each request is sent; the context belongs to the connection's current request.
            setupRequest: (request, context) => {
              const r = spec.next();
              tagOfContext.set(context, r.tag);
              return {
                ...request,
                path: r.path,
                ...(r.method ? { method: r.method } : {}),
                ...(r.body !== undefined ? { body: r.body } : {}),
                ...(r.headers ? { headers: { ...request.headers, ...r.headers } } : {}),
              };
            },
            // Called synchronously just before autocannon emits 'response' for the same request.
            onResponse: (_status, _body, context) => {
              lastTag = tagOfContext.get(context) ?? 'unknown';
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode > 299) {
        non2xx++;
        return;
      }
      all.push(responseTime);
      let list = byTag.get(lastTag);
      if (!list) {
        list = [];
        byTag.set(lastTag, list);
      }
      list.push(responseTime);
    });
  });

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const tags: Record<string, TagResult> = {};
  for (const [tag, samples] of byTag) {
    tags[tag] = {
      requests: samples.length,
      rps: round(samples.length / seconds, 1),
      latencyMs: summarize(samples),
    };
  }
  return {
    durationSeconds: round(seconds, 2),
    requests: all.length,
    rps: round(all.length / seconds, 1),
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: summarize(all),
    byTag: tags,
  };
}
