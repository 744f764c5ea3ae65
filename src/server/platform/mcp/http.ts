import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors.js';
import { ctxOf } from '../http/context.js';
import type { McpTool } from './tool.js';

/** The MCP SDK is loaded at the first request (Node caches the modules), not at start-up. */
const loadSdk = () =>
  Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('./server.js')]);

/**
 * Streamable HTTP at `/mcp` (MCP 2025-06-18), stateless: each POST carries one JSON-RPC message and is
 * answered by a server built for that request's actor (API key `Authorization: Bearer crm_sk_…` or
 * `X-API-Key`; the platform's authentication answers 401 problem+json without one). No session state,
 * so any node can answer any request and a workspace's identity never outlives its request.
 * GET (server-initiated stream) and DELETE (session end) have nothing to serve without sessions: 405.
 */
export function mcpHttpRoutes<P>(platform: P, tools: readonly McpTool<P>[]): FastifyPluginAsync {
  return async (app) => {
    app.post(
      '/mcp',
      {
        // A JSON-RPC POST is not a REST write: one endpoint carries reads, writes and the handshake, and MCP
        // clients send no Idempotency-Key (the tools' writes still go through the services).
        config: { idempotency: 'off' },
        schema: {
          hide: true,
        },
      },
      async (request, reply) => {
        const ctx = ctxOf(request);
        const [{ StreamableHTTPServerTransport }, { createMcpServer }] = await loadSdk();
        const server = createMcpServer(tools, platform, ctx, request.log);
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
        });
        reply.raw.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        reply.hijack();
        try {
          await transport.handleRequest(request.raw, reply.raw, request.body);
        } catch (err) {
          // Hijacked: Fastify's error handler can no longer answer, so answer a JSON-RPC error here.
          request.log.error({ err }, 'mcp transport failed');
          if (!reply.raw.headersSent) {
            reply.raw.writeHead(500, { 'content-type': 'application/json' });
            reply.raw.end(
              JSON.stringify({
                jsonrpc: '2.0',
                error: { code: -32603, message: 'Internal error' },
                id: null,
              }),
            );
          }
        }
      },
    );

    const notAllowed = async (): Promise<never> => {
      throw new AppError(
        'method_not_allowed',
        'This MCP endpoint is stateless: send JSON-RPC messages with POST (no GET stream, no sessions)',
        { headers: { allow: 'POST' } },
      );
    };
    app.get('/mcp', { schema: { hide: true } }, notAllowed);
    app.delete('/mcp', { schema: { hide: true } }, notAllowed);
  };
}
