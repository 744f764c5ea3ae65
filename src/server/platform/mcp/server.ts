import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { RequestContext } from '../unit-of-work.js';
import type { McpTool } from './tool.js';

export const MCP_SERVER_INFO = { name: 'cyberos-crm', version: '1.0.0' } as const;

const INSTRUCTIONS =
  'CyberOS CRM (multi-tenant B2B CRM, Vietnamese market first). Every tool acts as the API key that ' +
  'connected, in its workspace, with its scopes and its creator’s role. Money is in integer minor units ' +
  '(VND has none; USD cents). Ids are UUIDs. Errors come back as tool errors whose text is JSON ' +
  '{"error":{"code","status","message","fields"?}}: the code is stable, the message is for people. ' +
  'Typical flow: search_accounts → get_account → list_deals / create_deal → move_stage → close_deal ' +
  '(asks for confirm: true) → generate_vietqr. forecast and next_best_action answer from the live pipeline.';

/** The one mapping of errors to MCP tool errors (DESIGN rule 6): stable code, status, fields. */
export function toolError(e: unknown, log: Pick<FastifyBaseLogger, 'error'>, tool: string): CallToolResult {
  const error =
    e instanceof AppError
      ? {
          code: e.code,
          status: e.status,
          message: e.message,
          ...(e.fields.length > 0 ? { fields: e.fields } : {}),
          ...e.extra,
        }
      : { code: 'internal_error', status: 500, message: 'Something went wrong on our side; retry later' };
  if (!(e instanceof AppError) || e.status >= 500) log.error({ err: e, tool }, 'mcp tool failed');
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error }) }] };
}

/**
 * An MCP server exposing `tools` to one caller: every call runs with `ctx` (the caller's actor). One
 * server per connection (stdio) or per HTTP request (stateless streamable HTTP), so a server never
 * holds more than one workspace's identity. A long-lived connection passes a function instead, called
 * before each tool call, so a revoked key or a changed role applies to the next call.
 */
export function createMcpServer<P>(
  tools: readonly McpTool<P>[],
  platform: P,
  context: RequestContext | (() => Promise<RequestContext>),
  log: Pick<FastifyBaseLogger, 'error'>,
): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: `${tool.description}\n\nNeeds scope ${tool.scope}.`,
        inputSchema: tool.input,
        // Re-wrapped: a shared response schema registered under an OpenAPI id (`.meta({ id })`) would
        // become a bare $ref at the top, and MCP wants `type: "object"` there.
        outputSchema: z.object(tool.output.shape),
        annotations: { title: tool.title, ...tool.annotations },
        _meta: { 'cyberos/required_scope': tool.scope },
      },
      async (args: unknown): Promise<CallToolResult> => {
        try {
          const ctx = typeof context === 'function' ? await context() : context;
          if (!ctx.actor.scopes.has(tool.scope)) {
            throw new AppError('insufficient_scope', `This tool needs the ${tool.scope} scope`, {
              extra: { required_scope: tool.scope },
            });
          }
          const answer = await tool.run(args, { platform, ctx });
          const data = answer.data as Record<string, unknown>;
          return {
            structuredContent: data,
            content: [
              { type: 'text', text: answer.summary },
              { type: 'text', text: JSON.stringify(data) },
            ],
          };
        } catch (e) {
          return toolError(e, log, tool.name);
        }
      },
    );
  }
  return server;
}
