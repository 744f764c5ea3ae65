import type { Command } from 'commander';

/**
 * `cyberos-crm mcp`: the MCP server on stdio (mcp.stdio.ts, imported when the command runs, so other
 * commands do not load the server code).
 */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('serve the MCP tools on stdio as an API key (CRM_API_KEY or --api-key)')
    .option('--api-key <key>', 'API key crm_sk_… (default: env CRM_API_KEY)')
    .action(async (opts: { apiKey?: string }) => {
      const { runMcpStdio } = await import('./mcp.stdio.js');
      await runMcpStdio(opts);
    });
}
