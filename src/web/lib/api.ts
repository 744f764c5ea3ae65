import { client } from '../../shared/api-client/client.gen.js';
import type { Problem } from '../../shared/api-client/types.gen.js';
import { sessionStore } from '../app/session.js';

/**
 * The web app talks to the API through the client generated from the committed OpenAPI document (the
 * same one the CLI uses). This module configures it for the browser: same origin, the session's access
 * token (refreshed shortly before it expires, and once more on a 401), and an Idempotency-Key on every
 * write so a retried click never creates a record twice.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `Request failed (${status})`);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.problem?.code ?? 'network_error';
  }
  /** Field path → message, from the problem's `errors` (validation and blocked transitions). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) out[e.field] ??= e.message;
    return out;
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function authedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const send = async (token: string | null): Promise<Response> => {
    const r = request.clone();
    if (token && !r.headers.has('authorization')) r.headers.set('authorization', `Bearer ${token}`);
    if (WRITE_METHODS.has(r.method) && !r.headers.has('idempotency-key'))
      r.headers.set('idempotency-key', crypto.randomUUID());
    return fetch(r);
  };
  const isAuthCall = new URL(request.url, location.origin).pathname.startsWith('/crm/v1/auth/');
  const token = isAuthCall ? null : await sessionStore.getState().validAccessToken();
  const response = await send(token);
  if (response.status !== 401 || isAuthCall || !token) return response;
  // The token may have been revoked or expired in between: one refresh, one retry, else sign out.
  const fresh = await sessionStore.getState().refresh();
  if (!fresh) return response;
  return send(fresh);
}

client.setConfig({ baseUrl: '', fetch: authedFetch });

interface Result<T> {
  data?: T;
  error?: unknown;
  response?: Response;
}

/** Awaits a generated SDK call and returns its data, or throws an ApiError carrying the problem. */
export async function call<T>(promise: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await promise;
  } catch (error) {
    throw new ApiError(0, {
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      code: 'network_error',
      detail: error instanceof Error ? error.message : String(error),
      instance: '',
      request_id: '',
    });
  }
  const status = result.response?.status ?? 0;
  if (result.error !== undefined || status >= 400) {
    const problem = isProblem(result.error) ? result.error : null;
    throw new ApiError(status, problem);
  }
  return result.data as T;
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'code' in value && 'status' in value;
}

/** A file behind the API's authentication (QR images, invoice XML/HTML), fetched with the session's token. */
export async function fetchBlob(url: string): Promise<Blob> {
  const blob = await call(client.get<{ 200: Blob }, unknown, false>({ url, parseAs: 'blob' }));
  if (!(blob instanceof Blob)) throw new ApiError(0, null);
  return blob;
}

export { client };
