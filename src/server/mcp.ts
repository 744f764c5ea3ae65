import type { AppPlatform } from './db.js';
import { accountMcpTools } from './modules/accounts/account.mcp.js';
import { dealMcpTools } from './modules/deals/deal.mcp.js';
import { vietnamMcpTools } from './modules/vietnam/vietnam.mcp.js';
import type { McpTool } from './platform/mcp/tool.js';

/**
 * The MCP tool catalogue (seed 000 §5), in the order agents see it. One list for both transports:
 * streamable HTTP at /mcp (app.ts) and stdio (`cyberos-crm mcp`, src/cli/commands/mcp.ts).
 */
export const crmMcpTools: readonly McpTool<AppPlatform>[] = [
  ...accountMcpTools, // search_accounts, get_account, create_account
  ...vietnamMcpTools.slice(0, 1), // validate_mst
  ...dealMcpTools.slice(0, 4), // list_deals, create_deal, move_stage, close_deal
  ...vietnamMcpTools.slice(1), // generate_vietqr
  ...dealMcpTools.slice(4), // forecast, next_best_action
];
