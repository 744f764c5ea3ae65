import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Security headers, computed once with helmet and set on every response (errors included) by a plain
 * onRequest hook. @fastify/helmet re-ran helmet's middleware chain per request, a measurable share of an
 * authenticated read (docs/benchmarks.md); the headers do not depend on the request, so there is
 * nothing to recompute. Routes with their own policy (the /docs page) overwrite the CSP themselves.
 *
 * The API serves JSON, so the CSP denies everything (`useDefaults: false`: helmet's defaults would add
 * `style-src 'unsafe-inline'` and friends) and framing is refused both ways.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader(name: string) {
      return headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
    frameguard: { action: 'deny' },
    referrerPolicy: false,
    // Not useful on a JSON API (they govern documents a browser renders); each costs bytes on every
    // response. What remains follows OWASP's REST Security Cheat Sheet.
    crossOriginOpenerPolicy: false,
    xXssProtection: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    originAgentCluster: false,
  })({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}

/** Sets the security headers and echoes the request id, in one synchronous hook (hot path). */
export function installSecurityHeaders(app: FastifyInstance): void {
  const headers = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    done();
  });
}
