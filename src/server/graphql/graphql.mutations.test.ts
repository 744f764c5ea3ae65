import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../test/factories/contacts.js';
import { dealFor, stagesOf } from '../../../test/factories/deals.js';
import { leadFor } from '../../../test/factories/leads.js';
import { closableDeal, sellerReady } from '../../../test/factories/vietnam.js';
import { accountFor, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../test/factories.js';
import { type TestApp, testApp } from '../../../test/helpers.js';
import { GRAPHQL_PATH } from './routes.js';

/** Mutations over HTTP: each calls the REST use case (same rules, audit, events) and its scope is enforced. */

interface GqlError {
  message: string;
  extensions?: { code?: string; fields?: Array<{ field: string }>; required_scope?: string };
}
interface GqlBody<T> {
  data?: T | null;
  errors?: GqlError[];
}

let t: TestApp;
let ws: TestWorkspace;
beforeAll(async () => {
  t = await testApp();
  ws = await createWorkspace(t);
});
afterAll(async () => {
  await t.close();
});

async function gql<T = Record<string, unknown>>(
  auth: { token?: string; apiKey?: string },
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GqlBody<T>> {
  const res = await t.app.inject({
    method: 'POST',
    url: GRAPHQL_PATH,
    headers: {
      'content-type': 'application/json',
      ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
      ...(auth.apiKey ? { 'x-api-key': auth.apiKey } : {}),
    },
    payload: JSON.stringify({ query, variables }),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as GqlBody<T>;
}

const firstError = (b: GqlBody<unknown>) => b.errors?.[0]?.extensions;

async function accountCount(workspaceId: string): Promise<number> {
  const rows = await t.db.read(workspaceId, (db) =>
    db.selectFrom('crm_core.crm_accounts').select('id').where('tenant_id', '=', workspaceId).execute(),
  );
  return rows.length;
}

describe('GraphQL mutations', () => {
  it('createAccount creates through the service and names a bad field by its GraphQL path', async () => {
    const ok = await gql<{
      createAccount: { id: string; name: string; accountType: string; ownerId: string };
    }>(
      ws.admin,
      'mutation($i: CreateAccountInput!) { createAccount(input: $i) { id name accountType ownerId } }',
      { i: { name: 'Công ty Minh Long', accountType: 'LLC' } },
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.createAccount).toMatchObject({
      name: 'Công ty Minh Long',
      accountType: 'LLC',
      ownerId: ws.admin.userId,
    });
    const rest = await ws.admin.client.get<{ id: string }>(`/crm/v1/accounts/${ok.data?.createAccount.id}`);
    expect(rest.status).toBe(200);

    const before = await accountCount(ws.id);
    const bad = await gql(
      ws.admin,
      'mutation { createAccount(input: { name: "X", email: "not-an-email" }) { id } }',
    );
    expect(bad.data ?? null).toBeNull();
    expect(firstError(bad)?.code).toBe('validation_failed');
    expect(firstError(bad)?.fields?.map((f) => f.field)).toEqual(['input.email']);
    expect(await accountCount(ws.id)).toBe(before);
  });

  it('validateAccountMst reports a missing tax code on the field', async () => {
    const account = await accountFor(t, ws.admin);
    const res = await gql(ws.admin, 'mutation($id: ID!) { validateAccountMst(id: $id) { account { id } } }', {
      id: account.id,
    });
    expect(firstError(res)?.code).toBe('validation_failed');
    expect(firstError(res)?.fields?.map((f) => f.field)).toEqual(['vnMst']);
  });

  it('createDeal, moveDealStage (optimistic) and closeDeal', async () => {
    const stages = await stagesOf(t, ws);
    const account = await accountFor(t, ws.admin);
    const created = await gql<{
      createDeal: { id: string; version: number; stage: { code: string }; account: { id: string } };
    }>(
      ws.admin,
      'mutation($i: CreateDealInput!) { createDeal(input: $i) { id version stage { code } account { id } } }',
      { i: { name: 'Triển khai ERP', accountId: account.id, amountMinor: 3_000_000_000, currency: 'VND' } },
    );
    expect(created.errors).toBeUndefined();
    const deal = created.data?.createDeal;
    if (!deal) throw new Error('no deal');
    expect(deal.account.id).toBe(account.id);

    const stale = await gql(
      ws.admin,
      'mutation($id: ID!, $s: ID!) { moveDealStage(id: $id, toStageId: $s, version: 99) { id } }',
      { id: deal.id, s: stages.proposal },
    );
    expect(firstError(stale)?.code).toBe('version_conflict');

    const moved = await gql<{ moveDealStage: { stage: { id: string }; version: number } }>(
      ws.admin,
      'mutation($id: ID!, $s: ID!, $v: Int!) { moveDealStage(id: $id, toStageId: $s, version: $v) { stage { id } version } }',
      { id: deal.id, s: stages.discovery, v: deal.version },
    );
    expect(moved.errors).toBeUndefined();
    expect(moved.data?.moveDealStage.stage.id).toBe(stages.discovery);

    const noReason = await gql(
      ws.admin,
      'mutation($id: ID!) { closeDeal(id: $id, outcome: LOST) { deal { id } } }',
      {
        id: deal.id,
      },
    );
    expect(firstError(noReason)?.code).toBe('validation_failed');
    expect(firstError(noReason)?.fields?.map((f) => f.field)).toEqual(['lostReason']);

    const lost = await gql<{ closeDeal: { deal: { status: string; lostReason: string } } }>(
      ws.admin,
      'mutation($id: ID!) { closeDeal(id: $id, outcome: LOST, lostReason: "Giá cao") { deal { status lostReason } } }',
      { id: deal.id },
    );
    expect(lost.errors).toBeUndefined();
    expect(lost.data?.closeDeal.deal).toEqual({ status: 'LOST', lostReason: 'Giá cao' });
  });

  it('logActivity writes a timeline entry the deal then shows', async () => {
    const deal = await dealFor(t, ws.admin);
    const res = await gql<{ logActivity: { id: string; kind: string; deal: { id: string } } }>(
      ws.admin,
      'mutation($i: ActivityInput!) { logActivity(input: $i) { id kind deal { id } } }',
      { i: { kind: 'CALL', subject: 'Gọi chị Lan', dealId: deal.id } },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.logActivity).toMatchObject({ kind: 'call', deal: { id: deal.id } });
    const timeline = await gql<{ deal: { activities: Array<{ id: string }> } }>(
      ws.admin,
      'query($id: ID!) { deal(id: $id) { activities { id } } }',
      { id: deal.id },
    );
    expect(timeline.data?.deal.activities.map((a) => a.id)).toContain(res.data?.logActivity.id);

    const unlinked = await gql(
      ws.admin,
      'mutation { logActivity(input: { kind: NOTE, subject: "x" }) { id } }',
    );
    expect(firstError(unlinked)?.fields?.map((f) => f.field)).toEqual(['input.accountId']);

    // A call on a lead, before it has an account: linked by leadId alone.
    const lead = await leadFor(t, ws.admin);
    const onLead = await gql<{ logActivity: { leadId: string; accountId: string | null } }>(
      ws.admin,
      'mutation($i: ActivityInput!) { logActivity(input: $i) { leadId accountId } }',
      { i: { kind: 'CALL', subject: 'Gọi lần đầu', leadId: lead.id } },
    );
    expect(onLead.errors).toBeUndefined();
    expect(onLead.data?.logActivity).toEqual({ leadId: lead.id, accountId: null });
  });

  it('generateVietQR needs the first use confirmed, then answers the code', async () => {
    const own = await createWorkspace(t);
    await sellerReady(t, own, { confirm: false });
    const deal = await closableDeal(t, own);
    const q =
      'mutation($d: ID!, $c: Boolean) { generateVietQR(dealId: $d, bankBin: "970436", accountNumber: "001100234567", confirmFirstUse: $c) { amountVnd reference dealId } }';
    const first = await gql(own.admin, q, { d: deal.id, c: false });
    expect(firstError(first)?.code).toBe('receiving_account_unconfirmed');
    const ok = await gql<{ generateVietQR: { amountVnd: number; dealId: string } }>(own.admin, q, {
      d: deal.id,
      c: true,
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.generateVietQR).toMatchObject({ amountVnd: 750_000_000, dealId: deal.id });
    const read = await gql<{ deal: { vietqr: { amountVnd: number } | null } }>(
      own.admin,
      'query($d: ID!) { deal(id: $d) { vietqr { amountVnd } } }',
      { d: deal.id },
    );
    expect(read.data?.deal.vietqr?.amountVnd).toBe(750_000_000);
  });

  it('mergeContacts merges the duplicate into the kept contact', async () => {
    const keep = await contactFor(t, ws.admin, { first_name: 'Lan', last_name: 'Nguyễn' });
    const dup = await contactFor(t, ws.admin, {
      first_name: 'Lan',
      last_name: 'Nguyễn',
      channels: [{ kind: 'email', value: 'lan.dup@example.vn' }],
    });
    const res = await gql<{ mergeContacts: { id: string; email: string } }>(
      ws.admin,
      'mutation($k: ID!, $m: ID!) { mergeContacts(keepId: $k, mergeId: $m) { id email } }',
      { k: keep.id, m: dup.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.mergeContacts).toEqual({ id: keep.id, email: 'lan.dup@example.vn' });
    const gone = await gql<{ contact: null }>(ws.admin, 'query($m: ID!) { contact(id: $m) { id } }', {
      m: dup.id,
    });
    expect(gone.data?.contact).toBeNull();
  });
});

describe('GraphQL scopes', () => {
  it('a crm.read key reads but cannot write, and nothing is written', async () => {
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const read = await gql<{ accounts: { nodes: unknown[] } }>(
      { apiKey: key.token },
      '{ accounts { nodes { id } } }',
    );
    expect(read.errors).toBeUndefined();
    const before = await accountCount(ws.id);
    const res = await gql(
      { apiKey: key.token },
      'mutation { createAccount(input: { name: "Nope" }) { id } }',
    );
    expect(firstError(res)).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.write' });
    expect(await accountCount(ws.id)).toBe(before);
  });

  it('closeDeal needs crm.close and generateVietQR crm.payment, even with crm.write', async () => {
    const key = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const deal = await dealFor(t, ws.admin);
    const close = await gql(
      { apiKey: key.token },
      'mutation($id: ID!) { closeDeal(id: $id, outcome: WON) { deal { id } } }',
      {
        id: deal.id,
      },
    );
    expect(firstError(close)).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.close' });
    const qr = await gql(
      { apiKey: key.token },
      'mutation($id: ID!) { generateVietQR(dealId: $id, bankBin: "970436", accountNumber: "1") { id } }',
      { id: deal.id },
    );
    expect(firstError(qr)).toMatchObject({ code: 'insufficient_scope', required_scope: 'crm.payment' });
    const status = await gql<{ deal: { status: string } }>(
      ws.admin,
      'query($id: ID!) { deal(id: $id) { status } }',
      {
        id: deal.id,
      },
    );
    expect(status.data?.deal.status).toBe('OPEN');
  });

  it('a role without the permission is refused by the service (forbidden)', async () => {
    const { addMember } = await import('../../../test/factories.js');
    const viewer = await addMember(t, ws, 'viewer');
    const res = await gql(viewer, 'mutation { createAccount(input: { name: "Nope" }) { id } }');
    expect(firstError(res)?.code).toBe('forbidden');
  });
});
