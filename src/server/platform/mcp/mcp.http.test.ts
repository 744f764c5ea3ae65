import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor, dealFor, stagesOf } from '../../../../test/factories/deals.js';
import { sellerReady, wonDeal } from '../../../../test/factories/vietnam.js';
import { accountFor, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { Scope } from '../../../shared/auth.js';

/** The MCP server over streamable HTTP, driven by the official SDK client against a listening app. */

let t: TestApp;
let base: URL;
const clients: Client[] = [];

beforeAll(async () => {
  t = await testApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  base = new URL(`http://127.0.0.1:${addr.port}/mcp`);
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await t.close();
});

async function connect(token: string, header: 'bearer' | 'x-api-key' = 'bearer'): Promise<Client> {
  const client = new Client({ name: 'crm-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(base, {
    requestInit: {
      headers: header === 'bearer' ? { authorization: `Bearer ${token}` } : { 'x-api-key': token },
    },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function keyClient(ws: TestWorkspace, scopes: Scope[], header?: 'bearer' | 'x-api-key') {
  const key = await apiKeyFor(t, ws.admin, scopes);
  return connect(key.token, header);
}

type Structured = Record<string, unknown>;

async function call(client: Client, name: string, args: Record<string, unknown>) {
  const r = (await client.callTool({ name: `cyberos.crm.${name}`, arguments: args })) as CallToolResult;
  return r;
}

async function ok<T = Structured>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as T;
}

async function fails(client: Client, name: string, args: Record<string, unknown>) {
  const r = await call(client, name, args);
  expect(r.isError).toBe(true);
  const first = r.content[0];
  const text = first && first.type === 'text' ? first.text : '';
  try {
    return (JSON.parse(text) as { error: { code: string; fields?: Array<{ field: string }> } }).error;
  } catch {
    return { code: 'protocol', message: text, fields: [] as Array<{ field: string }> };
  }
}

const ALL: Scope[] = ['crm.read', 'crm.write', 'crm.close', 'crm.payment'];

describe('MCP over streamable HTTP', () => {
  it('answers 401 without an API key, and 405 to GET', async () => {
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('unauthenticated');
    const bad = await fetch(base, {
      method: 'POST',
      headers: { authorization: 'Bearer crm_sk_nope', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(bad.status).toBe(401);
    const ws = await createWorkspace(t);
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const get = await fetch(base, { headers: { 'x-api-key': key.token } });
    expect(get.status).toBe(405);
  });

  it('lists the catalogue with annotations, scopes and JSON schemas', async () => {
    const ws = await createWorkspace(t);
    const client = await keyClient(ws, ['crm.read'], 'x-api-key');
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toEqual([
      'cyberos.crm.search_accounts',
      'cyberos.crm.get_account',
      'cyberos.crm.create_account',
      'cyberos.crm.validate_mst',
      'cyberos.crm.list_deals',
      'cyberos.crm.create_deal',
      'cyberos.crm.move_stage',
      'cyberos.crm.close_deal',
      'cyberos.crm.generate_vietqr',
      'cyberos.crm.forecast',
      'cyberos.crm.next_best_action',
    ]);
    const byName = new Map(tools.map((x) => [x.name.replace('cyberos.crm.', ''), x]));
    for (const n of [
      'search_accounts',
      'get_account',
      'validate_mst',
      'list_deals',
      'forecast',
      'next_best_action',
    ]) {
      expect(byName.get(n)?.annotations?.readOnlyHint, n).toBe(true);
    }
    const close = byName.get('close_deal');
    expect(close?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(close?._meta).toMatchObject({ 'cyberos/required_scope': 'crm.close' });
    expect(close?.inputSchema.properties).toHaveProperty('confirm');
    expect(close?.outputSchema?.properties).toHaveProperty('side_effects');
    expect(byName.get('generate_vietqr')?._meta).toMatchObject({ 'cyberos/required_scope': 'crm.payment' });
    expect(byName.get('create_account')?.inputSchema.required).toContain('name');
  });

  it('creates, finds and reads accounts; validates an MST; names the bad field', async () => {
    const ws = await createWorkspace(t);
    const client = await keyClient(ws, ALL);
    const created = await ok<{ id: string; name: string }>(client, 'create_account', {
      name: 'Công ty Cổ phần Sữa Hà Nội',
      legal_type: 'jsc',
    });
    expect(created.name).toBe('Công ty Cổ phần Sữa Hà Nội');
    // Audited as the API key that called, like a REST write.
    const audit = await ws.admin.client.get<{ data: Array<{ action: string; actor: { type: string } }> }>(
      `/crm/v1/audit?entity_type=account&entity_id=${created.id}`,
    );
    expect(audit.body.data.map((e) => [e.action, e.actor.type])).toEqual([['account.created', 'api_key']]);
    const found = await ok<{ accounts: Array<{ id: string }> }>(client, 'search_accounts', {
      query: 'sua ha noi',
    });
    expect(found.accounts.map((a) => a.id)).toEqual([created.id]);
    const one = await ok<{ id: string; stats: { open_deals_count: number } }>(client, 'get_account', {
      id: created.id,
    });
    expect(one).toMatchObject({ id: created.id, stats: { open_deals_count: 0 } });

    const mst = await ok<{ valid: boolean; display: string; kind: string }>(client, 'validate_mst', {
      mst: '0100109106-001',
    });
    expect(mst).toMatchObject({ valid: true, display: '0100109106-001', kind: 'branch' });
    const badMst = await ok<{ valid: boolean; reason: string }>(client, 'validate_mst', {
      mst: '0314409058-000',
    });
    expect(badMst).toMatchObject({ valid: false, reason: 'mst_branch_invalid' });

    const invalid = await fails(client, 'create_account', { name: 'X', website: 'not a url' });
    expect(JSON.stringify(invalid)).toContain('website');
    const rejected = await fails(client, 'create_account', {
      name: 'Y',
      country: 'VN',
      vn_mst: '0314409058-000',
    });
    expect(rejected.code).toBe('mst_branch_invalid');
  });

  it('runs a deal through create, move (by stage code), close with confirmation, and VietQR', async () => {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    const client = await keyClient(ws, ALL);
    const account = await accountFor(t, ws.admin, { name: 'Khách hàng MCP' });
    const contact = await contactFor(t, ws, { accountId: account.id });
    const deal = await ok<{ id: string; stage: { code: string }; version: number }>(client, 'create_deal', {
      name: 'Triển khai CRM',
      account_id: account.id,
      amount_minor: 250_000_000,
      currency: 'VND',
    });
    expect(deal.stage.code).toBe('qualifying');
    const listed = await ok<{ deals: Array<{ id: string }> }>(client, 'list_deals', {
      account_id: account.id,
    });
    expect(listed.deals.map((d) => d.id)).toEqual([deal.id]);

    const moved = await ok<{ stage: { code: string }; version: number }>(client, 'move_stage', {
      deal_id: deal.id,
      to_stage: 'discovery',
    });
    expect(moved.stage.code).toBe('discovery');
    const stale = await fails(client, 'move_stage', {
      deal_id: deal.id,
      to_stage: 'proposal',
      version: deal.version,
    });
    expect(stale.code).toBe('version_conflict');
    const nowhere = await fails(client, 'move_stage', { deal_id: deal.id, to_stage: 'no_such_stage' });
    expect(nowhere.fields?.[0]?.field).toBe('to_stage');
    const closing = await fails(client, 'move_stage', { deal_id: deal.id, to_stage: 'closed_won' });
    expect(closing.fields?.[0]?.field).toBe('to_stage');

    const early = await ok<{ status: string; blockers: string[] }>(client, 'close_deal', {
      deal_id: deal.id,
      outcome: 'won',
    });
    expect(early.status).toBe('confirmation_required');
    expect(early.blockers.join(' | ')).toContain('cannot move from discovery to closed_won');
    expect(early.blockers.join(' | ')).toContain('primary_contact_id');
    await ok(client, 'move_stage', {
      deal_id: deal.id,
      to_stage: 'proposal',
      fields: { primary_contact_id: contact },
    });
    await ok(client, 'move_stage', {
      deal_id: deal.id,
      to_stage: 'negotiation',
      fields: { expected_close_date: '2026-12-20' },
    });

    const preview = await ok<{
      status: string;
      side_effects: string[];
      blockers: string[];
      target_stage: { code: string };
      confirm_with: Record<string, unknown>;
    }>(client, 'close_deal', { deal_id: deal.id, outcome: 'won' });
    expect(preview.status).toBe('confirmation_required');
    expect(preview.target_stage.code).toBe('closed_won');
    expect(preview.blockers).toEqual([]);
    expect(preview.side_effects.join(' ')).toContain('VietQR');
    expect(preview.confirm_with).toMatchObject({ deal_id: deal.id, outcome: 'won', confirm: true });
    const still = await ok<{ deals: Array<{ status: string }> }>(client, 'list_deals', {
      account_id: account.id,
    });
    expect(still.deals[0]?.status).toBe('open');

    const closed = await ok<{ status: string; deal: { status: string } }>(
      client,
      'close_deal',
      preview.confirm_with,
    );
    expect(closed).toMatchObject({ status: 'closed', deal: { status: 'won' } });

    const qr = await ok<{ amount_vnd: number; payload: string; deal_id: string }>(client, 'generate_vietqr', {
      deal_id: deal.id,
    });
    expect(qr).toMatchObject({ amount_vnd: 250_000_000, deal_id: deal.id });
    expect(qr.payload).toMatch(/^000201/);
    const half = await fails(client, 'generate_vietqr', { deal_id: deal.id, bank_bin: '970436' });
    expect(JSON.stringify(half)).toContain('account_number');
  });

  it('lost needs a reason; the preview says so and the close refuses naming it', async () => {
    const ws = await createWorkspace(t);
    const client = await keyClient(ws, ALL);
    const deal = await dealFor(t, ws.admin, {
      name: 'Mất',
      amount_minor: 1000,
      stage_id: (await stagesOf(t, ws)).discovery,
    });
    const preview = await ok<{ blockers: string[] }>(client, 'close_deal', {
      deal_id: deal.id,
      outcome: 'lost',
    });
    expect(preview.blockers.join(' ')).toContain('lost_reason');
    const refused = await fails(client, 'close_deal', { deal_id: deal.id, outcome: 'lost', confirm: true });
    expect(refused.fields?.[0]?.field).toBe('lost_reason');
    const lost = await ok<{ deal: { status: string; lost_reason: string } }>(client, 'close_deal', {
      deal_id: deal.id,
      outcome: 'lost',
      lost_reason: 'Giá cao',
      confirm: true,
    });
    expect(lost.deal).toMatchObject({ status: 'lost', lost_reason: 'Giá cao' });
  });

  it('enforces scopes per tool: no crm.close cannot close, no crm.write cannot create, crm.read reads', async () => {
    const ws = await createWorkspace(t);
    const deal = await dealFor(t, ws.admin, { name: 'Scoped' });
    const noClose = await keyClient(ws, ['crm.read', 'crm.write']);
    const refused = await fails(noClose, 'close_deal', { deal_id: deal.id, outcome: 'won', confirm: true });
    expect(refused).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.close' });
    const preview = await fails(noClose, 'close_deal', { deal_id: deal.id, outcome: 'won' });
    expect(preview.code).toBe('insufficient_scope');
    const qr = await fails(noClose, 'generate_vietqr', { deal_id: deal.id });
    expect(qr.code).toBe('insufficient_scope');

    const readOnly = await keyClient(ws, ['crm.read']);
    const write = await fails(readOnly, 'create_account', { name: 'Nope' });
    expect(write).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.write' });
    const listed = await ok<{ deals: Array<{ id: string; status: string }> }>(readOnly, 'list_deals', {});
    expect(listed.deals.map((d) => d.id)).toEqual([deal.id]);
    expect(listed.deals[0]?.status).toBe('open');
  });

  it('keeps workspaces apart: another workspace’s records are not found and never listed', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const theirs = await accountFor(t, b.admin, { name: 'Bí mật của B' });
    const theirDeal = await dealFor(t, b.admin, { name: 'Deal của B', account_id: theirs.id });
    const client = await keyClient(a, ALL);
    expect((await fails(client, 'get_account', { id: theirs.id })).code).toBe('account_not_found');
    expect((await fails(client, 'move_stage', { deal_id: theirDeal.id, to_stage: 'discovery' })).code).toBe(
      'deal_not_found',
    );
    expect((await fails(client, 'close_deal', { deal_id: theirDeal.id, outcome: 'won' })).code).toBe(
      'deal_not_found',
    );
    const search = await ok<{ accounts: unknown[] }>(client, 'search_accounts', { query: 'Bí mật' });
    expect(search.accounts).toEqual([]);
    const deals = await ok<{ deals: unknown[] }>(client, 'list_deals', { account_id: theirs.id });
    expect(deals.deals).toEqual([]);
    const nba = await fails(client, 'next_best_action', { deal_id: theirDeal.id });
    expect(nba.code).toBe('deal_not_found');
  });

  it('forecasts the weighted pipeline by stage and month, and explains next best actions', async () => {
    const ws = await createWorkspace(t);
    const client = await keyClient(ws, ['crm.read']);
    const month = new Date().toISOString().slice(0, 7);
    const overdue = await dealFor(t, ws.admin, {
      name: 'Quá hạn',
      amount_minor: 100_000_000,
      probability: 50,
      expected_close_date: '2020-01-31',
    });
    await dealFor(t, ws.admin, {
      name: 'Tháng này',
      amount_minor: 40_000_000,
      probability: 25,
      expected_close_date: `${month}-28`,
    });
    const f = await ok<{
      pipelines: Array<{
        open_deals: number;
        bands: { best_case: { amount_minor: number }; expected: { amount_minor: number; currency: string } };
        stages: Array<{ code: string; count: number }>;
        months: Array<{ month: string; open_deals: number; bands: { expected: { amount_minor: number } } }>;
      }>;
    }>(client, 'forecast', { from_month: month, months: 2 });
    const pl = f.pipelines[0];
    expect(pl?.open_deals).toBe(2);
    expect(pl?.bands.best_case.amount_minor).toBe(140_000_000);
    expect(pl?.bands.expected).toMatchObject({ amount_minor: 60_000_000, currency: 'VND' });
    expect(pl?.stages.find((s) => s.code === 'qualifying')?.count).toBe(2);
    expect(pl?.months.map((m) => m.month)).toHaveLength(2);
    expect(pl?.months[0]).toMatchObject({
      month,
      open_deals: 1,
      bands: { expected: { amount_minor: 10_000_000 } },
    });
    const noFrom = await fails(client, 'forecast', { months: 2 });
    expect(noFrom.fields?.[0]?.field).toBe('from_month');

    const nba = await ok<{
      actions: Array<{ rule: string; deal: { id: string }; priority: string; why: string }>;
    }>(client, 'next_best_action', { deal_id: overdue.id });
    const rules = nba.actions.map((x) => x.rule);
    expect(rules).toContain('overdue_close_date');
    expect(nba.actions.find((x) => x.rule === 'overdue_close_date')).toMatchObject({
      priority: 'high',
      deal: { id: overdue.id },
    });
    expect(nba.actions.find((x) => x.rule === 'overdue_close_date')?.why).toContain('2020-01-31');
    // A fresh deal has had no time to go stale.
    expect(rules).not.toContain('no_recent_activity');
    // Thirty days old without a call, email, meeting or visit: stale; a logged call clears it.
    await t.db.transaction(ws.id, (k) =>
      sql`UPDATE crm_core.crm_deals SET created_at = now() - interval '30 days'
          WHERE tenant_id = ${ws.id} AND id = ${overdue.id}`.execute(k),
    );
    const rulesOf = async (args: Record<string, unknown>) =>
      (
        await ok<{ actions: Array<{ rule: string; priority: string; why: string }> }>(
          client,
          'next_best_action',
          args,
        )
      ).actions;
    const stale = (await rulesOf({ deal_id: overdue.id })).find((x) => x.rule === 'no_recent_activity');
    expect(stale).toMatchObject({ priority: 'high' });
    expect(stale?.why).toContain('30 days');
    const call = await ws.admin.client.post('/crm/v1/activities', {
      kind: 'call',
      subject: 'Gọi chị Lan',
      deal_id: overdue.id,
    });
    expect(call.status, call.raw).toBe(201);
    expect((await rulesOf({ deal_id: overdue.id })).map((x) => x.rule)).not.toContain('no_recent_activity');

    // A won deal whose VietQR step waits (as the won-flow runner leaves it) is a high-priority action.
    const won = await wonDeal(t, ws);
    await t.db.transaction(ws.id, (k) =>
      sql`INSERT INTO crm_core.crm_deal_flow_steps (tenant_id, deal_id, step, position, status, last_error, result)
          VALUES (${ws.id}, ${won.id}, 'vietqr', 1, 'waiting', 'no confirmed receiving account', '{}'::jsonb)
          ON CONFLICT (tenant_id, deal_id, step) DO UPDATE SET status = 'waiting', last_error = EXCLUDED.last_error`.execute(
        k,
      ),
    );
    const all = await rulesOf({});
    const blocked = all.find((x) => x.rule === 'won_flow_blocked');
    expect(blocked).toMatchObject({ priority: 'high' });
    expect(blocked?.why).toContain('no confirmed receiving account');
    expect(all[0]?.priority).toBe('high');
  });
});
