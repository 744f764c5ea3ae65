import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closableDeal } from '../../../../test/factories/vietnam.js';
import { accountFor, apiKeyFor, createWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { buildApp } from '../../app.js';
import type { DB } from '../../db.js';
import { testConfig } from '../config.js';
import { createDatabase } from '../db/database.js';

/**
 * `cyberos-crm mcp` as an agent runs it: the real CLI entry spawned as a child process, spoken to by the
 * SDK's stdio client. The child opens the database itself: with PGlite a data folder of its own (filled
 * here from the migrated template, then closed: PGlite is single-process); with TEST_DATABASE_URL the
 * same PostgreSQL database.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-mcp-stdio-'));
const pgUrl = process.env.TEST_DATABASE_URL;

interface Fixture {
  keyAll: string;
  keyNoClose: string;
  dealId: string;
  theirAccountId: string;
}
let fx: Fixture;
const clients: Client[] = [];
let stderr = '';

/** Workspaces, keys and records written before the child starts (in the child's database). */
async function prepare(t: TestApp): Promise<Fixture> {
  const ws = await createWorkspace(t);
  const other = await createWorkspace(t);
  const keyAll = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write', 'crm.close', 'crm.payment']);
  const keyNoClose = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
  const deal = await closableDeal(t, ws, { name: 'Hợp đồng qua stdio' });
  const theirs = await accountFor(t, other.admin, { name: 'Công ty của người khác' });
  return { keyAll: keyAll.token, keyNoClose: keyNoClose.token, dealId: deal.id, theirAccountId: theirs.id };
}

beforeAll(async () => {
  if (pgUrl) {
    const t = await testApp();
    fx = await prepare(t);
    await t.close();
    return;
  }
  const template = process.env.CRM_TEST_PGLITE_TEMPLATE;
  if (!template) throw new Error('test/global-setup.ts did not run');
  const db = await createDatabase<DB>({
    kind: 'pglite',
    dataDir: path.join(dir, 'pglite'),
    loadDataDir: new Blob([readFileSync(template)]),
  });
  const config = testConfig();
  const built = await buildApp({ config, db, mxResolver: { resolveMx: async () => 'valid' } });
  await built.app.ready();
  fx = await prepare({ ...built, db, config, close: () => built.app.close() });
  await built.app.close();
  await db.destroy();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  rmSync(dir, { recursive: true, force: true });
});

function childEnv(apiKey: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.DATABASE_URL;
  delete env.MST_REGISTRY_URL;
  return {
    ...env,
    DATA_DIR: dir,
    CRM_API_KEY: apiKey,
    LOG_LEVEL: 'error',
    OUTBOX_RELAY: 'off',
    ...(pgUrl ? { DATABASE_URL: pgUrl } : {}),
  };
}

async function spawnMcp(apiKey: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp'],
    env: childEnv(apiKey),
    cwd: process.cwd(),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client({ name: 'crm-stdio-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name: `cyberos.crm.${name}`, arguments: args })) as CallToolResult;
}

function errorOf(r: CallToolResult): { code: string; required_scope?: string } {
  expect(r.isError).toBe(true);
  const first = r.content[0];
  return (JSON.parse(first && first.type === 'text' ? first.text : '{}') as { error: { code: string } })
    .error;
}

describe('cyberos-crm mcp (stdio)', () => {
  // Each test spawns a child (tsx start-up and opening the database take seconds): generous timeouts.
  // One child serves the calls of this test in order, as an agent's session would.
  it('lists tools, reads, writes, confirms a close, and keeps other workspaces out', async () => {
    const client = await spawnMcp(fx.keyAll);
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(11);
    expect(tools.find((x) => x.name === 'cyberos.crm.close_deal')?.annotations?.destructiveHint).toBe(true);

    const created = await call(client, 'create_account', {
      name: 'Công ty TNHH Stdio Việt',
      legal_type: 'llc',
    });
    expect(created.isError, JSON.stringify(created.content) + stderr).toBeFalsy();
    const id = (created.structuredContent as { id: string }).id;
    const found = await call(client, 'search_accounts', { query: 'stdio viet' });
    expect(
      (found.structuredContent as { accounts: Array<{ id: string }> }).accounts.map((a) => a.id),
    ).toEqual([id]);

    const preview = await call(client, 'close_deal', { deal_id: fx.dealId, outcome: 'won' });
    const p = preview.structuredContent as {
      status: string;
      blockers: string[];
      confirm_with: Record<string, unknown>;
    };
    expect(p.status).toBe('confirmation_required');
    expect(p.blockers).toEqual([]);
    const stillOpen = await call(client, 'list_deals', { status: 'open' });
    expect(
      (stillOpen.structuredContent as { deals: Array<{ id: string }> }).deals.map((d) => d.id),
    ).toContain(fx.dealId);
    const closed = await call(client, 'close_deal', p.confirm_with);
    expect(closed.structuredContent).toMatchObject({
      status: 'closed',
      deal: { id: fx.dealId, status: 'won' },
    });

    expect(errorOf(await call(client, 'get_account', { id: fx.theirAccountId })).code).toBe(
      'account_not_found',
    );
    const theirs = await call(client, 'search_accounts', { query: 'người khác' });
    expect((theirs.structuredContent as { accounts: unknown[] }).accounts).toEqual([]);
    await client.close();
  }, 120_000);

  it('refuses a tool whose scope the key lacks', async () => {
    const client = await spawnMcp(fx.keyNoClose);
    const r = await call(client, 'close_deal', {
      deal_id: fx.dealId,
      outcome: 'lost',
      lost_reason: 'x',
      confirm: true,
    });
    expect(errorOf(r)).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.close' });
    const read = await call(client, 'list_deals', {});
    expect(read.isError).toBeFalsy();
    await client.close();
  }, 120_000);

  it('does not start with an unknown key', async () => {
    await expect(spawnMcp('crm_sk_unknown')).rejects.toThrow();
  }, 120_000);
});
