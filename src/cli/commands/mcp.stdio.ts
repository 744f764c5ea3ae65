import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import type { DB } from '../../server/db.js';
import { loadConfig } from '../../server/platform/config.js';
import { createDatabase, databaseOptions } from '../../server/platform/db/database.js';
import { migrationsCurrent } from '../../server/platform/db/migrate.js';
import { AppError } from '../../server/platform/errors.js';
import { createMcpServer } from '../../server/platform/mcp/server.js';

/**
 * `cyberos-crm mcp`: the MCP server on stdio, for agents that spawn it (Claude Desktop, IDEs). It runs
 * the server code directly against the configured database (DATABASE_URL, or PGlite in DATA_DIR: then
 * not while `npm start` holds the same folder), as the API key's actor: same services, authorization,
 * audit and events as /mcp over HTTP. stdout carries only JSON-RPC; logs go to stderr.
 * Exit codes: 0 the client closed stdin, 1 failure (no key, bad key, database not migrated), 78 config.
 */
/**
 * Counts the requests the transport received and has not answered yet; the returned function resolves
 * once none is pending. Wraps the callbacks the server installed on connect.
 */
function trackRequests(transport: StdioServerTransport): () => Promise<void> {
  const pending = new Set<string | number>();
  let idle: (() => void) | null = null;
  const received = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) pending.add(message.id);
    received?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    await send(message);
    if (!('method' in message) && 'id' in message && message.id !== undefined) {
      pending.delete(message.id);
      if (pending.size === 0) idle?.();
    }
  };
  return () =>
    pending.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          idle = resolve;
        });
}

/** Runs the MCP server on stdio until the client closes stdin (see the command's help). */
export async function runMcpStdio(opts: { apiKey?: string }): Promise<void> {
  const token = opts.apiKey ?? process.env.CRM_API_KEY;
  if (!token) throw new Error('cyberos-crm mcp needs an API key: set CRM_API_KEY or pass --api-key');
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL === 'silent' ? 'silent' : 'warn' }, pino.destination(2));
  const db = await createDatabase<DB>(databaseOptions(config));
  if (!(await migrationsCurrent(db))) {
    await db.destroy();
    throw new Error('The database has pending migrations: run `cyberos-crm migrate up` first');
  }
  const { buildApp } = await import('../../server/app.js');
  const { createCredentialResolver } = await import('../../server/modules/users/user.credentials.js');
  const { crmMcpTools } = await import('../../server/mcp.js');
  const { app, platform } = await buildApp({ config, db, logger: log });
  const credentials = createCredentialResolver(platform);
  // Checked once now (a wrong key fails at start, not on the first call), then before every call.
  // Each call gets a request id of its own, so its audit rows and events can be told apart.
  let calls = 0;
  const context = async () => {
    const actor = await credentials.apiKey(token);
    if (!actor) throw new AppError('token_invalid', 'The API key is unknown, revoked or expired');
    return { actor, requestId: `mcp-stdio-${process.pid}-${++calls}` };
  };
  try {
    await context();
  } catch (e) {
    await app.close();
    await db.destroy();
    throw e;
  }
  const server = createMcpServer(crmMcpTools, platform, context, log);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  const drained = trackRequests(transport);
  await closed;
  // A client that writes its requests and closes stdin (a pipe) still gets every answer.
  await drained();
  await server.close();
  await app.close();
  await db.destroy();
}
