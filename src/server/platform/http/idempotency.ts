import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { sha256 } from '../auth/crypto.js';
import type { Database } from '../db/database.js';
import { jsonb } from '../db/sql.js';
import { AppError } from '../errors.js';
import { canonicalJson } from '../json.js';

/**
 * Idempotency-Key on POST/PATCH/PUT/DELETE (DESIGN §7, seed 001):
 * - same key + same request → the stored status and body replayed (header `Idempotent-Replayed: true`);
 * - same key + different request → 422 `idempotency_key_reused`;
 * - same key while the first request is still running → 409 `idempotency_request_in_progress`;
 * - required for API-key clients (400 `idempotency_key_required`), optional for browser sessions.
 * Keys are scoped to (workspace, principal) and kept IDEMPOTENCY_TTL_SECONDS (24 h by default).
 *
 * Requests that fail schema validation never reach this hook (nothing to replay); 5xx outcomes are
 * forgotten so the client can retry. An in-progress marker whose holder died is taken over after its
 * lease (LOCK_SECONDS) expires.
 */

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { workspaceId: string; principalId: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /**
     * 'off' for POST routes that are not REST writes (GraphQL, MCP: one endpoint carrying reads, writes
     * and handshakes, whose clients send no Idempotency-Key). Their writes still go through the services.
     */
    idempotency?: 'off';
  }
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const LOCK_SECONDS = 60;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'] as const;

interface StoredKey {
  request_hash: string;
  status: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: string | null;
  response_headers: Record<string, string> | null;
  locked_until: Date | null;
  expires_at: Date;
}

/**
 * Names of response fields that hold a secret shown once (API-key tokens, webhook signing secrets,
 * invitation tokens, session tokens). They are never written to the idempotency store: a replay answers
 * the same status and shape with these fields null (and `secrets_redacted: true`), so a client that lost
 * the original response rotates the secret instead of reading it back from the database.
 */
const SECRET_FIELDS = new Set(['token', 'secret', 'access_token', 'refresh_token', 'password']);

export function redactSecrets(body: string | null): string {
  if (!body) return '';
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body;
  }
  let found = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_FIELDS.has(k) && typeof x === 'string') {
          found = true;
          out[k] = null;
        } else out[k] = walk(x);
      }
      return out;
    }
    return v;
  };
  const redacted = walk(json);
  if (!found) return body;
  return JSON.stringify(
    redacted !== null && typeof redacted === 'object' && !Array.isArray(redacted)
      ? { ...redacted, secrets_redacted: true }
      : redacted,
  );
}

export function installIdempotency<DB>(app: FastifyInstance, db: Database<DB>, ttlSeconds: number): void {
  app.decorateRequest('idempotency', null);

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!WRITE_METHODS.has(request.method) || request.is404) return;
    const actor = request.actor;
    if (!actor || request.routeOptions.config.auth === 'public') return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) {
      if (actor.via === 'api_key') {
        throw new AppError(
          'idempotency_key_required',
          'API-key clients must send an Idempotency-Key header on writes',
          {
            fields: [
              {
                field: 'Idempotency-Key',
                pointer: '',
                in: 'headers',
                code: 'required',
                message: 'required for API-key clients',
              },
            ],
          },
        );
      }
      return;
    }
    if (typeof header !== 'string' || !KEY_RE.test(header)) {
      throw new AppError('bad_request', 'Idempotency-Key must be 1–255 visible ASCII characters', {
        fields: [
          {
            field: 'Idempotency-Key',
            pointer: '',
            in: 'headers',
            code: 'invalid',
            message: '1–255 visible ASCII',
          },
        ],
      });
    }
    const id = { workspaceId: actor.workspaceId, principalId: actor.id, key: header };
    const requestHash = sha256(
      canonicalJson({ method: request.method, url: request.url, body: request.body ?? null }),
    );

    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await db.read(id.workspaceId, (k) =>
        sql`INSERT INTO crm_core.crm_idempotency_keys
              (tenant_id, principal_id, key, method, path, request_hash, status, locked_until, expires_at)
            VALUES (${id.workspaceId}, ${id.principalId}, ${id.key}, ${request.method}, ${request.url},
                    ${requestHash}, 'in_progress', now() + make_interval(secs => ${LOCK_SECONDS}),
                    now() + make_interval(secs => ${ttlSeconds}))
            ON CONFLICT DO NOTHING`.execute(k),
      );
      if (Number(inserted.numAffectedRows ?? 0) === 1) {
        request.idempotency = id;
        return;
      }
      const existing = (
        await db.read(id.workspaceId, (k) =>
          sql<StoredKey & { expired: boolean; lock_free: boolean }>`
            SELECT request_hash, status, response_status, response_body, response_headers, locked_until, expires_at,
                   expires_at <= now() AS expired, (locked_until IS NULL OR locked_until <= now()) AS lock_free
            FROM crm_core.crm_idempotency_keys
            WHERE tenant_id = ${id.workspaceId} AND principal_id = ${id.principalId} AND key = ${id.key}`.execute(
            k,
          ),
        )
      ).rows[0];
      if (!existing) continue; // deleted between our insert and select: try again
      if (existing.expired) {
        await db.read(id.workspaceId, (k) =>
          sql`DELETE FROM crm_core.crm_idempotency_keys
              WHERE tenant_id = ${id.workspaceId} AND principal_id = ${id.principalId} AND key = ${id.key}
                AND expires_at <= now()`.execute(k),
        );
        continue;
      }
      if (existing.request_hash !== requestHash) {
        throw new AppError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request; use a new key for a new request',
        );
      }
      if (existing.status === 'completed') {
        reply.header('idempotent-replayed', 'true');
        for (const [k, v] of Object.entries(existing.response_headers ?? {})) reply.header(k, v);
        reply.code(existing.response_status ?? 200).send(existing.response_body ?? '');
        return reply;
      }
      if (!existing.lock_free) {
        throw new AppError(
          'idempotency_request_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly',
          { headers: { 'retry-after': '1' } },
        );
      }
      // The first request's holder died mid-flight: take its place, unless someone else just did.
      const taken = await db.read(id.workspaceId, (k) =>
        sql`UPDATE crm_core.crm_idempotency_keys SET locked_until = now() + make_interval(secs => ${LOCK_SECONDS})
            WHERE tenant_id = ${id.workspaceId} AND principal_id = ${id.principalId} AND key = ${id.key}
              AND status = 'in_progress' AND (locked_until IS NULL OR locked_until <= now())`.execute(k),
      );
      if (Number(taken.numAffectedRows ?? 0) === 1) {
        request.idempotency = id;
        return;
      }
    }
    throw new AppError('idempotency_request_in_progress', 'Concurrent requests with this Idempotency-Key', {
      headers: { 'retry-after': '1' },
    });
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const id = request.idempotency;
    if (!id) return payload;
    request.idempotency = null;
    if (
      reply.statusCode >= 500 ||
      (typeof payload !== 'string' && payload !== null && payload !== undefined)
    ) {
      await db.read(id.workspaceId, (k) =>
        sql`DELETE FROM crm_core.crm_idempotency_keys
            WHERE tenant_id = ${id.workspaceId} AND principal_id = ${id.principalId} AND key = ${id.key}`.execute(
          k,
        ),
      );
      return payload;
    }
    const stored = redactSecrets(payload as string | null);
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    await db.read(id.workspaceId, (k) =>
      sql`UPDATE crm_core.crm_idempotency_keys
          SET status = 'completed', response_status = ${reply.statusCode}, response_body = ${stored},
              response_headers = ${jsonb(headers)}, locked_until = NULL
          WHERE tenant_id = ${id.workspaceId} AND principal_id = ${id.principalId} AND key = ${id.key}`.execute(
        k,
      ),
    );
    return payload;
  };

  // Attached to write routes only (as route-level hooks, after the app-level auth check): reads, the
  // hottest paths, do not pay for two extra hooks that would only return at once.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => WRITE_METHODS.has(m))) return;
    if ((route.config as { idempotency?: 'off' } | undefined)?.idempotency === 'off') return;
    const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    route.preHandler = [...asArray(route.preHandler), preHandler];
    route.onSend = [...asArray(route.onSend), onSend];
  });
}
