import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import type { AppPlatform } from '../../db.js';
import { type McpTool, toolDefiner } from '../../platform/mcp/tool.js';
import { account360ResponseSchema } from './account.360.js';
import {
  ACCOUNT_INCLUDES,
  ADDRESS_KINDS,
  accountResponseSchema,
  createAccountSchema,
  LEGAL_TYPES,
  LIFECYCLES,
  listAccountsQuerySchema,
} from './account.schema.js';
import { createAccount, getAccount, listAccounts } from './account.service.js';

/** MCP tools of the accounts module: thin calls of account.service (same rules as /crm/v1/accounts). */

const defineTool = toolDefiner<AppPlatform>();

/**
 * The account as tools return it: the REST shape, with addresses described as they come out (the REST
 * schema reuses the input's address schema, whose text transforms JSON Schema cannot represent).
 */
const addressOutSchema = z.object({
  kind: z.enum(ADDRESS_KINDS),
  street: z.string().nullable(),
  ward: z.string().nullable(),
  district: z.string().nullable(),
  province: z.string().nullable(),
  country: z.string(),
  postal_code: z.string().nullable(),
  ward_code: z.string().nullable().optional(),
  province_code: z.string().nullable().optional(),
  dataset_version: z.string().nullable().optional(),
});
const accountOutSchema = accountResponseSchema.extend({ addresses: z.array(addressOutSchema) });
const account360OutSchema = account360ResponseSchema.extend({ addresses: z.array(addressOutSchema) });

const pageSchema = z.object({
  limit: z.number().int(),
  next_cursor: z.string().nullable(),
  has_more: z.boolean(),
});

export const searchAccountsTool = defineTool({
  name: 'cyberos.crm.search_accounts',
  title: 'Search accounts',
  description:
    'Finds customer companies (accounts) of the workspace by name, tax code (MST), website or domain. ' +
    'Diacritic-insensitive ("nguyen" finds "Nguyễn"), ranked: exact name, prefix, word start, anywhere. ' +
    'Use it first to turn a company name into an account id. Without `query` it lists accounts by name. ' +
    'Returns a page of accounts (id, name, legal_type, vn_mst, mst_status, lifecycle, owner_id…) and ' +
    '`page.next_cursor` to fetch more (pass it back as `cursor`).',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    query: z
      .string()
      .trim()
      .min(1)
      .max(LIMITS.searchQuery)
      .optional()
      .describe('Words of the name, an MST, a domain'),
    account_type: z.enum(LEGAL_TYPES).optional().describe('Legal type filter (llc, jsc, fdi…)'),
    lifecycle: z.enum(LIFECYCLES).optional(),
    owner: z
      .union([z.literal('me'), z.literal('none'), z.uuid()])
      .optional()
      .describe('"me", "none" or a member id'),
    limit: z.number().int().min(1).max(LIMITS.pageSizeMax).default(10),
    cursor: z.string().max(512).optional(),
  }),
  output: z.object({ accounts: z.array(accountOutSchema), page: pageSchema }),
  async run(args, { platform, ctx }) {
    const query = listAccountsQuerySchema.parse({
      ...(args.query ? { q: args.query } : {}),
      ...(args.account_type ? { legal_type: args.account_type } : {}),
      ...(args.lifecycle ? { lifecycle: args.lifecycle } : {}),
      ...(args.owner ? { owner_id: args.owner } : {}),
      ...(args.cursor ? { cursor: args.cursor } : {}),
      limit: args.limit,
    });
    const page = await listAccounts(platform, ctx, query);
    return {
      data: {
        accounts: page.data,
        page: { limit: page.page.limit, next_cursor: page.page.next_cursor, has_more: page.page.has_more },
      },
      summary: `${page.data.length} account(s)${page.page.has_more ? ', more available' : ''}: ${page.data
        .slice(0, 5)
        .map((a) => a.name)
        .join('; ')}`,
    };
  },
});

export const getAccountTool = defineTool({
  name: 'cyberos.crm.get_account',
  title: 'Get an account (Account 360)',
  description:
    'Reads one account by id, with its MST status, addresses, domains and owner. `include` adds, in ' +
    'the same call: contacts (primary first), open deals you may see, the 20 latest timeline entries, ' +
    'and stats (open, weighted and won value in the base currency, last contact date). Use it before ' +
    'proposing actions on an account. Unknown ids and accounts of other workspaces answer account_not_found.',
  scope: 'crm.read',
  annotations: { readOnlyHint: true, openWorldHint: false },
  input: z.strictObject({
    id: z.uuid().describe('Account id (from search_accounts)'),
    include: z
      .array(z.enum(ACCOUNT_INCLUDES))
      .max(ACCOUNT_INCLUDES.length)
      .default(['contacts', 'deals', 'stats'])
      .describe('Parts of Account 360 to add; [] for the account alone'),
  }),
  output: account360OutSchema,
  async run(args, { platform, ctx }) {
    const account = await getAccount(platform, ctx, args.id, { include: [...new Set(args.include)] });
    return {
      data: account,
      summary: `${account.name} (${account.legal_type}${account.vn_mst ? `, MST ${account.vn_mst} ${account.mst_status}` : ''})`,
    };
  },
});

export const createAccountTool = defineTool({
  name: 'cyberos.crm.create_account',
  title: 'Create an account',
  description:
    'Creates a customer company. For a Vietnamese company give `country: "VN"` and `vn_mst` (tax code, ' +
    '10 or 13 digits): it is checked (digits, then the GDT registry when configured) and a bad code is ' +
    'refused with a mst_* error naming vn_mst; when the registry name differs, the registry name is kept ' +
    'and `warnings` says so. Search first (search_accounts) to avoid duplicates. Returns the created account.',
  scope: 'crm.write',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  input: createAccountSchema,
  output: accountOutSchema,
  async run(args, { platform, ctx }) {
    const account = await createAccount(platform, ctx, args);
    return {
      data: account,
      summary: `[audit] account created: ${account.name} (${account.id})${
        account.warnings?.length ? `; ${account.warnings.map((w) => w.message).join('; ')}` : ''
      }`,
    };
  },
});

export const accountMcpTools: McpTool<AppPlatform>[] = [
  searchAccountsTool,
  getAccountTool,
  createAccountTool,
];
