import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../test/factories/contacts.js';
import { dealFor } from '../../../test/factories/deals.js';
import { accountFor, createWorkspace, type TestWorkspace } from '../../../test/factories.js';
import { testDb } from '../../../test/helpers.js';
import { buildApp } from '../app.js';
import type { AppDatabase } from '../db.js';
import { testConfig } from '../platform/config.js';
import { GRAPHQL_PATH } from './routes.js';

/**
 * No N+1: nested fields (deal.account, deal.primaryContact, deal.stage, account.contacts) are loaded in
 * batches, so the number of SQL statements a page costs does not grow with the page. Every statement the
 * services run through `db.read` is counted by a Kysely plugin on a wrapped database handle.
 */

let statements = 0;
const counter: KyselyPlugin = {
  transformQuery: (args) => {
    statements++;
    return args.node;
  },
  transformResult: async (args) => args.result,
};

function counting(db: AppDatabase): AppDatabase {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'read') {
        const read: AppDatabase['read'] = (tenantId, fn) =>
          target.read(tenantId, (k) => fn(k.withPlugin(counter)));
        return read;
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const app = { current: null as Awaited<ReturnType<typeof buildApp>> | null };
let ws: TestWorkspace;

beforeAll(async () => {
  const db = counting(await testDb());
  const built = await buildApp({
    config: testConfig({ RATE_LIMIT_MAX: 1_000_000 }),
    db,
    mxResolver: { resolveMx: async () => 'valid' },
    mstRegistry: null,
  });
  await built.app.ready();
  app.current = built;
  const t = { ...built, db, config: testConfig(), close: () => built.app.close() };
  ws = await createWorkspace(t);
  // 10 accounts × 5 contacts; 50 deals, each with an account and a primary contact.
  for (let a = 0; a < 10; a++) {
    const account = await accountFor(t, ws.admin, { name: `Công ty ${a}` });
    for (let c = 0; c < 5; c++) {
      const contact = await contactFor(t, ws.admin, {
        first_name: `Lan ${a}.${c}`,
        last_name: 'Nguyễn',
        account_id: account.id,
        channels: [{ kind: 'email', value: `lan${a}.${c}@example.vn` }],
      });
      await dealFor(t, ws.admin, { account_id: account.id, primary_contact_id: contact.id });
    }
  }
}, 120_000);

afterAll(async () => {
  await app.current?.app.close();
});

const QUERY = `query($n: Int!) { deals(first: $n) { nodes {
  id name stage { code position } pipeline { name }
  primaryContact { displayName email }
  account { name contacts { displayName email } }
} } }`;

interface Result {
  deals: {
    nodes: Array<{
      primaryContact: { email: string } | null;
      account: { contacts: unknown[] } | null;
      stage: { position: number | null };
    }>;
  };
}

async function run(n: number): Promise<{ data: Result; statements: number }> {
  const built = app.current;
  if (!built) throw new Error('no app');
  statements = 0;
  const res = await built.app.inject({
    method: 'POST',
    url: GRAPHQL_PATH,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.admin.token}` },
    payload: JSON.stringify({ query: QUERY, variables: { n } }),
  });
  const body = res.json() as { data: Result; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return { data: body.data, statements };
}

describe('GraphQL batching', () => {
  it('reads 50 deals with their accounts, contacts and stages in as many statements as 5', async () => {
    const small = await run(5);
    const big = await run(50);
    expect(big.data.deals.nodes).toHaveLength(50);
    for (const d of big.data.deals.nodes) {
      expect(d.primaryContact?.email).toMatch(/@example\.vn$/);
      expect(d.account?.contacts).toHaveLength(5);
      expect(d.stage.position).toBeTypeOf('number');
    }
    // The same handful of statements (page, pipelines, accounts, contacts + channels, account
    // contacts + channels), whatever the page size: 50 deals one by one would be 150+.
    expect(small.statements).toBeGreaterThan(3);
    expect(big.statements).toBe(small.statements);
    expect(big.statements).toBeLessThanOrEqual(12);
  });
});
