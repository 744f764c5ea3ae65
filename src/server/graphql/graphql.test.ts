import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../test/factories/contacts.js';
import { dealFor, stagesOf } from '../../../test/factories/deals.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestWorkspace,
} from '../../../test/factories.js';
import { type TestApp, testApp } from '../../../test/helpers.js';
import { GRAPHQL_PATH } from './routes.js';

/** The GraphQL surface over HTTP: same credentials, services, ACL and error codes as REST. */

interface GqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; status?: number; fields?: Array<{ field: string }>; required_scope?: string };
}
interface GqlBody<T> {
  data?: T | null;
  errors?: GqlError[];
}

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => {
  await t.close();
});

async function gql<T = Record<string, unknown>>(
  auth: { token?: string; apiKey?: string },
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; body: GqlBody<T> }> {
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
  return { status: res.statusCode, body: res.json() as GqlBody<T> };
}

const codes = (b: GqlBody<unknown>) => (b.errors ?? []).map((e) => e.extensions?.code);

describe('GraphQL: authentication', () => {
  it('refuses a request without credentials with the REST 401 problem', async () => {
    const res = await gql({}, '{ pipelines { id } }');
    expect(res.status).toBe(401);
  });

  it('refuses an invalid token with 401 too', async () => {
    const res = await gql({ token: 'not-a-token' }, '{ pipelines { id } }');
    expect(res.status).toBe(401);
  });
});

describe('GraphQL: reads', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('reads an account with its contacts and deals', async () => {
    const account = await accountFor(t, ws.admin, { name: 'Công ty Sao Mai' });
    const contact = await contactFor(t, ws.admin, {
      first_name: 'Lan',
      last_name: 'Nguyễn',
      account_id: account.id,
      channels: [{ kind: 'email', value: 'lan@saomai.vn' }],
    });
    const deal = await dealFor(t, ws.admin, {
      account_id: account.id,
      primary_contact_id: contact.id,
      amount_minor: 5_000_000_000,
    });
    const res = await gql<{
      account: {
        name: string;
        accountType: string;
        contacts: Array<{ id: string; email: string | null; salutationDisplay: string }>;
        deals: Array<{ id: string; amountMinor: number; stage: { code: string; position: number } }>;
      };
    }>(
      ws.admin,
      `query($id: ID!) { account(id: $id) { name accountType
        contacts { id email salutationDisplay }
        deals { id amountMinor stage { code position } } } }`,
      { id: account.id },
    );
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data?.account;
    expect(a?.name).toBe('Công ty Sao Mai');
    expect(a?.accountType).toBe('OTHER');
    expect(a?.contacts.map((c) => c.id)).toEqual([contact.id]);
    expect(a?.contacts[0]?.email).toBe('lan@saomai.vn');
    expect(a?.deals.map((d) => d.id)).toEqual([deal.id]);
    expect(a?.deals[0]?.amountMinor).toBe(5_000_000_000);
    expect(a?.deals[0]?.stage.position).toBeTypeOf('number');
  });

  it('answers null for an unknown id and a 422-coded error for a malformed one', async () => {
    const missing = await gql(ws.admin, '{ account(id: "01900000-0000-7000-8000-000000000000") { id } }');
    expect(missing.body).toEqual({ data: { account: null } });
    const bad = await gql(ws.admin, '{ deal(id: "nope") { id } }');
    expect(codes(bad.body)).toEqual(['validation_failed']);
    expect(bad.body.errors?.[0]?.extensions?.fields?.[0]?.field).toBe('id');
  });

  it('pages accounts with cursors, each once', async () => {
    const own = await createWorkspace(t);
    const names = ['An Phát', 'Bình Minh', 'Cửu Long', 'Đông Á', 'Hòa Bình'];
    for (const name of names) await accountFor(t, own.admin, { name });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: {
        body: GqlBody<{
          accounts: {
            nodes: Array<{ name: string }>;
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
            totalCount: number | null;
          };
        }>;
      } = await gql(
        own.admin,
        'query($after: String) { accounts(first: 2, after: $after, withTotal: true) { nodes { name } pageInfo { hasNextPage endCursor } totalCount } }',
        { after },
      );
      expect(res.body.errors).toBeUndefined();
      const conn = res.body.data?.accounts;
      if (!conn) throw new Error('no data');
      expect(conn.totalCount).toBe(5);
      seen.push(...conn.nodes.map((n) => n.name));
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(names);
  });

  it('refuses a tampered cursor with invalid_cursor', async () => {
    const res = await gql(ws.admin, '{ accounts(after: "garbage") { nodes { id } } }');
    expect(codes(res.body)).toEqual(['invalid_cursor']);
  });

  it('filters deals and reads pipelines with stages', async () => {
    const own = await createWorkspace(t);
    const stages = await stagesOf(t, own);
    const a = await dealFor(t, own.admin, { name: 'Hợp đồng phần mềm' });
    await dealFor(t, own.admin, { name: 'Bảo trì' });
    const res = await gql<{
      deals: { nodes: Array<{ id: string }> };
      pipelines: Array<{ stages: Array<{ id: string }> }>;
    }>(own.admin, '{ deals(filter: { q: "phan mem" }) { nodes { id } } pipelines { stages { id } } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.deals.nodes.map((d) => d.id)).toEqual([a.id]);
    expect(res.body.data?.pipelines[0]?.stages.map((s) => s.id)).toContain(Object.values(stages)[0]);
    const sorted = await gql<{
      byName: { nodes: Array<{ name: string }> };
      oldest: { nodes: Array<{ name: string }> };
    }>(
      own.admin,
      '{ byName: deals(sort: NAME) { nodes { name } } oldest: deals(sort: CREATED_AT) { nodes { name } } }',
    );
    expect(sorted.body.errors).toBeUndefined();
    expect(sorted.body.data?.byName.nodes.map((d) => d.name)).toEqual(['Bảo trì', 'Hợp đồng phần mềm']);
    expect(sorted.body.data?.oldest.nodes.map((d) => d.name)).toEqual(['Hợp đồng phần mềm', 'Bảo trì']);
    const bad = await gql(own.admin, '{ deals(first: 500) { nodes { id } } }');
    expect(bad.body.errors?.[0]?.extensions?.fields?.map((f) => f.field)).toEqual(['first']);
  });

  it('searches across accounts, contacts and deals', async () => {
    const own = await createWorkspace(t);
    const acc = await accountFor(t, own.admin, { name: 'Thép Hòa Phát' });
    const deal = await dealFor(t, own.admin, { name: 'Thép cuộn Q3', account_id: acc.id });
    const res = await gql<{
      search: { accounts: Array<{ id: string }>; deals: Array<{ id: string; account: { id: string } }> };
    }>(own.admin, '{ search(q: "thep") { accounts { id } deals { id account { id } } } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.search.accounts.map((x) => x.id)).toEqual([acc.id]);
    expect(res.body.data?.search.deals).toEqual([{ id: deal.id, account: { id: acc.id } }]);
  });

  it('works over GET (persisted-query friendly) and refuses a mutation over GET', async () => {
    const q = encodeURIComponent('{ pipelines { id name } }');
    const res = await t.app.inject({
      method: 'GET',
      url: `${GRAPHQL_PATH}?query=${q}`,
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as GqlBody<{ pipelines: unknown[] }>).data?.pipelines.length).toBeGreaterThan(0);
    const m = encodeURIComponent('mutation { createAccount(input: { name: "X" }) { id } }');
    const refused = await t.app.inject({
      method: 'GET',
      url: `${GRAPHQL_PATH}?query=${m}`,
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(refused.statusCode).toBe(405);
  });

  it('lets an API key query over POST without an Idempotency-Key', async () => {
    const key = await apiKeyFor(t, ws.admin, ['crm.read']);
    const res = await gql({ apiKey: key.token }, '{ pipelines { id } }');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('refuses a too-deep query before running it', async () => {
    const res = await gql(
      ws.admin,
      '{ deals { nodes { account { contacts { account { contacts { account { contacts { account { id } } } } } } } } } }',
    );
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]?.message).toMatch(/depth/i);
    expect(codes(res.body)).toEqual(['graphql_validation_failed']);
  });
});

describe('GraphQL: cost limit', () => {
  it('refuses an operation whose static cost is too high, before any resolver runs', async () => {
    const ws = await createWorkspace(t);
    const fields = Array.from(
      { length: 8000 },
      (_, i) => `a${i}: accounts { nodes { id name contacts { id } } }`,
    );
    const res = await gql(ws.admin, `{ ${fields.join(' ')} }`);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors?.[0]?.message).toMatch(/cost/i);
    const cheap = await gql(ws.admin, `{ ${fields.slice(0, 3).join(' ')} }`);
    expect(cheap.body.errors).toBeUndefined();
  });
});

describe('GraphQL: ACL and isolation', () => {
  it('hides restricted deals of others, in lists, lookups and nested fields', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const other = await addMember(t, ws, 'sales_rep');
    const account = await accountFor(t, ws.admin);
    const secret = await dealFor(t, other, {
      name: 'Secret',
      acl_mode: 'restricted',
      account_id: account.id,
    });
    const open = await dealFor(t, other, { name: 'Open', account_id: account.id });
    const res = await gql<{
      deals: { nodes: Array<{ id: string }> };
      deal: null;
      account: { deals: Array<{ id: string }> };
    }>(
      rep,
      'query($id: ID!, $a: ID!) { deals { nodes { id } } deal(id: $id) { id } account(id: $a) { deals { id } } }',
      { id: secret.id, a: account.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.deals.nodes.map((d) => d.id)).toEqual([open.id]);
    expect(res.body.data?.deal).toBeNull();
    expect(res.body.data?.account.deals.map((d) => d.id)).toEqual([open.id]);
    const owner = await gql<{ deal: { id: string } }>(other, 'query($id: ID!) { deal(id: $id) { id } }', {
      id: secret.id,
    });
    expect(owner.body.data?.deal.id).toBe(secret.id);
  });

  it('never shows another workspace’s records', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const theirs = await accountFor(t, b.admin, { name: 'Their account' });
    const deal = await dealFor(t, b.admin, { account_id: theirs.id });
    const res = await gql<{ account: null; deal: null; accounts: { nodes: unknown[] } }>(
      a.admin,
      'query($a: ID!, $d: ID!) { account(id: $a) { id } deal(id: $d) { id } accounts { nodes { id } } }',
      { a: theirs.id, d: deal.id },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ account: null, deal: null, accounts: { nodes: [] } });
    const entity = await gql<{ _entities: Array<unknown> }>(
      a.admin,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Account { id } } }',
      { r: [{ __typename: 'Account', id: theirs.id }] },
    );
    expect(entity.body.data?._entities).toEqual([null]);
  });
});
