import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactFor } from '../../../../test/factories/contacts.js';
import { dealFor } from '../../../../test/factories/deals.js';
import { accountFor, addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import type { TestApp } from '../../../../test/helpers.js';
import { testApp } from '../../../../test/helpers.js';
import type { AccountJson } from '../accounts/account.presenter.js';
import type { AccountPage } from '../accounts/account.service.js';
import type { ContactJson } from '../contacts/contact.presenter.js';
import type { ContactPage } from '../contacts/contact.service.js';
import type { BulkTagsResult } from './tag.schema.js';

/**
 * Tags on accounts and contacts (migration 0017), bulk tagging and tag suggestions, on the engine under
 * test: normalization and limits (422 naming the field), list filters (every tag must match, with and
 * without a search), bulk changes (per-record authorization, audit + outbox per changed record, nothing
 * for no-ops), suggestions (restricted deals not leaked) and workspace isolation.
 */

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

interface Problem {
  code: string;
  errors?: { field: string; code: string; message: string }[];
}

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function rowsOf(
  workspaceId: string,
  entityId: string,
): Promise<{ audit: { action: string; diff: Record<string, unknown> }[]; outbox: { topic: string }[] }> {
  return t.db.read(workspaceId, async (k) => {
    const audit = await sql<{ action: string; diff: Record<string, unknown> }>`
      SELECT action, diff FROM crm_core.crm_audit_log
      WHERE tenant_id = ${workspaceId} AND entity_id = ${entityId} ORDER BY seq`.execute(k);
    const outbox = await sql<{ topic: string; payload: { data: { changes?: unknown } } }>`
      SELECT topic, payload FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND aggregate_id = ${entityId} ORDER BY created_at, id`.execute(k);
    return { audit: audit.rows, outbox: outbox.rows };
  });
}

const fieldsOf = (body: unknown) => ((body as Problem).errors ?? []).map((e) => e.field);

describe('tags on create and update', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
  });

  it('normalizes account tags (trim, NFC, inner spaces, duplicates) and returns them', async () => {
    const res = await ws.admin.client.post<AccountJson>('/crm/v1/accounts', {
      name: 'Công ty Hội Chợ',
      // "Hội chợ" typed decomposed (NFD) and composed (NFC) is one tag.
      tags: ['  vip ', 'vip', 'Ho\u0302\u0323i  chợ', 'Hội chợ'],
    });
    expect(res.status).toBe(201);
    expect(res.body.tags).toEqual(['vip', 'Hội chợ']);
    const patched = await ws.admin.client.patch<AccountJson>(`/crm/v1/accounts/${res.body.id}`, {
      tags: ['q4'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(['q4']);
    const { audit, outbox } = await rowsOf(ws.id, res.body.id);
    expect(audit.at(-1)?.diff).toMatchObject({ tags: { from: ['vip', 'Hội chợ'], to: ['q4'] } });
    expect(outbox.map((o) => o.topic)).toEqual(['account.created', 'account.updated']);
  });

  it('defaults to no tags and keeps tags on contacts', async () => {
    const acc = await accountFor(t, ws.admin);
    expect(acc.tags).toEqual([]);
    const c = await ws.admin.client.post<ContactJson>('/crm/v1/contacts', {
      display_name: 'Trần Văn Bình',
      tags: ['decision maker ', 'decision maker'],
    });
    expect(c.status).toBe(201);
    expect(c.body.tags).toEqual(['decision maker']);
    const p = await ws.admin.client.patch<ContactJson>(`/crm/v1/contacts/${c.body.id}`, { tags: [] });
    expect(p.status).toBe(200);
    expect(p.body.tags).toEqual([]);
    const same = await ws.admin.client.patch<ContactJson>(`/crm/v1/contacts/${c.body.id}`, { tags: [] });
    expect(same.body.version).toBe(p.body.version);
  });

  it.each([
    ['accounts', { name: 'x', tags: ['   '] }, 'tags.0'],
    ['accounts', { name: 'x', tags: ['a'.repeat(65)] }, 'tags.0'],
    ['accounts', { name: 'x', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'tags'],
    ['accounts', { name: 'x', tags: ['ok', 'nul\u0000'] }, 'tags.1'],
    ['contacts', { display_name: 'x', tags: ['ok', ''] }, 'tags.1'],
    ['contacts', { display_name: 'x', tags: 'vip' }, 'tags'],
  ])('refuses bad %s tags with 422 naming the field (%#)', async (entity, body, field) => {
    const res = await ws.admin.client.post(`/crm/v1/${entity}`, body);
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toContain(field);
  });

  it('refuses a bad tag filter with 422 naming tag', async () => {
    const res = await ws.admin.client.get(`/crm/v1/accounts?tag=${'x'.repeat(65)}`);
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)[0]).toMatch(/^tag/);
  });
});

describe('tag filters', () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await createWorkspace(t);
    await accountFor(t, ws.admin, { name: 'Alpha Logistics', tags: ['vip', 'q4'] });
    await accountFor(t, ws.admin, { name: 'Beta Logistics', tags: ['vip'] });
    await accountFor(t, ws.admin, { name: 'Gamma Trading', tags: ['q4'] });
    await contactFor(t, ws.admin, { display_name: 'An', tags: ['vip', 'hà nội'] });
    await contactFor(t, ws.admin, { display_name: 'Bảo', tags: ['hà nội'] });
  });

  const accountNames = async (qs: string) => {
    const res = await ws.admin.client.get<AccountPage>(`/crm/v1/accounts?${qs}`);
    expect(res.status).toBe(200);
    return res.body.data.map((a) => a.name).sort();
  };

  it('filters accounts by one tag, by every one of several, and counts them', async () => {
    expect(await accountNames('tag=vip')).toEqual(['Alpha Logistics', 'Beta Logistics']);
    expect(await accountNames('tag=vip&tag=q4')).toEqual(['Alpha Logistics']);
    expect(await accountNames('tag=none')).toEqual([]);
    const res = await ws.admin.client.get<AccountPage>('/crm/v1/accounts?tag=q4&include_total=true');
    expect(res.body.page.total).toBe(2);
  });

  it('applies the tag filter inside an account search too', async () => {
    expect(await accountNames('q=logistics&tag=q4')).toEqual(['Alpha Logistics']);
    const res = await ws.admin.client.get<AccountPage>(
      '/crm/v1/accounts?q=logistics&tag=vip&include_total=true',
    );
    expect(res.body.page.total).toBe(2);
  });

  it('filters contacts by tags', async () => {
    const names = async (qs: string) =>
      (await ws.admin.client.get<ContactPage>(`/crm/v1/contacts?${qs}`)).body.data
        .map((c) => c.display_name)
        .sort();
    expect(await names(`tag=${encodeURIComponent('hà nội')}`)).toEqual(['An', 'Bảo']);
    expect(await names(`tag=${encodeURIComponent('hà nội')}&tag=vip`)).toEqual(['An']);
  });
});

describe('bulk tagging', () => {
  it('tags the accounts the actor may change, fails the others, audits and announces each change', async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const mine = await accountFor(t, rep, { name: 'Mine', tags: ['old'] });
    const unowned = await accountFor(t, ws.admin, { name: 'Unowned', owner_id: null });
    const theirs = await accountFor(t, ws.admin, { name: 'Theirs' });
    const already = await accountFor(t, rep, { name: 'Already', tags: ['vip'] });
    const before = await rowsOf(ws.id, already.id);

    const res = await rep.client.post<BulkTagsResult>('/crm/v1/accounts/bulk/tags', {
      ids: [mine.id, unowned.id, theirs.id, already.id, UNKNOWN_ID],
      add: ['vip', ' vip'],
      remove: ['old'],
    });
    expect(res.status).toBe(200);
    expect(res.body.updated).toEqual([
      { id: mine.id, tags: ['vip'], version: mine.version + 1, changed: true },
      { id: unowned.id, tags: ['vip'], version: unowned.version + 1, changed: true },
      { id: already.id, tags: ['vip'], version: already.version, changed: false },
    ]);
    expect(res.body.failed).toEqual([
      expect.objectContaining({ id: theirs.id, code: 'forbidden' }),
      expect.objectContaining({ id: UNKNOWN_ID, code: 'account_not_found' }),
    ]);

    for (const [acc, from] of [
      [mine, ['old']],
      [unowned, []],
    ] as const) {
      const { audit, outbox } = await rowsOf(ws.id, acc.id);
      expect(audit.at(-1)).toMatchObject({
        action: 'account.updated',
        diff: { tags: { from, to: ['vip'] } },
      });
      expect(outbox.at(-1)).toMatchObject({
        topic: 'account.updated',
        payload: { data: { changes: { tags: { from, to: ['vip'] } } } },
      });
    }
    // The no-op and the forbidden one were not written.
    expect(await rowsOf(ws.id, already.id)).toEqual(before);
    const got = await ws.admin.client.get<AccountJson>(`/crm/v1/accounts/${theirs.id}`);
    expect(got.body).toMatchObject({ tags: [], version: theirs.version });
  });

  it('tags contacts in bulk (removal too) with events carrying the whole contact', async () => {
    const ws = await createWorkspace(t);
    const a = await contactFor(t, ws.admin, { display_name: 'A', tags: ['lead', 'hot'] });
    const b = await contactFor(t, ws.admin, {
      display_name: 'B',
      channels: [{ kind: 'email', value: 'b@example.com' }],
    });
    const res = await ws.admin.client.post<BulkTagsResult>('/crm/v1/contacts/bulk/tags', {
      ids: [a.id, b.id],
      add: ['customer'],
      remove: ['lead'],
    });
    expect(res.status).toBe(200);
    expect(res.body.updated.map((u) => [u.id, u.tags])).toEqual([
      [a.id, ['hot', 'customer']],
      [b.id, ['customer']],
    ]);
    expect(res.body.failed).toEqual([]);
    const { outbox } = await rowsOf(ws.id, b.id);
    expect(outbox.at(-1)).toMatchObject({
      topic: 'contact.updated',
      payload: {
        data: {
          contact: { tags: ['customer'], channels: [expect.objectContaining({ value: 'b@example.com' })] },
          changes: { tags: { from: [], to: ['customer'] } },
        },
      },
    });
  });

  it('fails, alone, a record the bulk change would take past the per-record tag limit', async () => {
    const ws = await createWorkspace(t);
    const full = await accountFor(t, ws.admin, { tags: Array.from({ length: 50 }, (_, i) => `t${i}`) });
    const other = await accountFor(t, ws.admin);
    const res = await ws.admin.client.post<BulkTagsResult>('/crm/v1/accounts/bulk/tags', {
      ids: [full.id, other.id],
      add: ['one-more'],
    });
    expect(res.status).toBe(200);
    expect(res.body.failed).toEqual([expect.objectContaining({ id: full.id, code: 'too_many_tags' })]);
    expect(res.body.updated.map((u) => [u.id, u.tags])).toEqual([[other.id, ['one-more']]]);
    const { audit } = await rowsOf(ws.id, full.id);
    expect(audit.map((a) => a.action)).toEqual(['account.created']);
  });

  it('refuses bad bulk bodies with 422 naming the field, and a viewer with 403', async () => {
    const ws = await createWorkspace(t);
    const viewer = await addMember(t, ws, 'viewer');
    const acc = await accountFor(t, ws.admin);
    const cases: [unknown, string][] = [
      [{ ids: [], add: ['x'] }, 'ids'],
      [{ ids: ['nope'], add: ['x'] }, 'ids.0'],
      [{ ids: [acc.id] }, 'add'],
      [{ ids: [acc.id], add: ['x'], remove: ['x'] }, 'remove.0'],
      [{ ids: [acc.id], add: ['a'.repeat(65)] }, 'add.0'],
      [{ ids: Array.from({ length: 501 }, () => acc.id), add: ['x'] }, 'ids'],
      [{ ids: [acc.id], add: ['x'], owner_id: null }, ''],
    ];
    for (const [body, field] of cases) {
      const res = await ws.admin.client.post('/crm/v1/accounts/bulk/tags', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      if (field) expect(fieldsOf(res.body)).toContain(field);
    }
    const denied = await viewer.client.post('/crm/v1/contacts/bulk/tags', { ids: [acc.id], add: ['x'] });
    expect(denied.status).toBe(403);
  });
});

describe('tag suggestions', () => {
  it('lists the most used tags per entity, by prefix ignoring case and diacritics', async () => {
    const ws = await createWorkspace(t);
    await accountFor(t, ws.admin, { tags: ['vip', 'Hội chợ'] });
    await accountFor(t, ws.admin, { tags: ['vip'] });
    const gone = await accountFor(t, ws.admin, { tags: ['deleted-only'] });
    expect((await ws.admin.client.delete(`/crm/v1/accounts/${gone.id}`)).status).toBe(200);
    await contactFor(t, ws.admin, { display_name: 'C', tags: ['contact-tag'] });

    const res = await ws.admin.client.get<{ data: { tag: string; count: number }[] }>(
      '/crm/v1/tags?entity=account',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { tag: 'vip', count: 2 },
      { tag: 'Hội chợ', count: 1 },
    ]);
    const q = await ws.admin.client.get<{ data: { tag: string }[] }>('/crm/v1/tags?entity=account&q=HOI');
    expect(q.body.data.map((d) => d.tag)).toEqual(['Hội chợ']);
    const c = await ws.admin.client.get<{ data: { tag: string }[] }>('/crm/v1/tags?entity=contact&limit=1');
    expect(c.body.data.map((d) => d.tag)).toEqual(['contact-tag']);
    expect((await ws.admin.client.get('/crm/v1/tags?entity=lead')).status).toBe(422);
  });

  it("counts deal tags only on deals the reader may see (restricted deals' tags stay hidden)", async () => {
    const ws = await createWorkspace(t);
    const rep = await addMember(t, ws, 'sales_rep');
    await dealFor(t, ws.admin, { tags: ['public'] });
    await dealFor(t, ws.admin, { tags: ['secret-project'], acl_mode: 'restricted' });
    const tags = async (c: typeof rep.client) =>
      (await c.get<{ data: { tag: string }[] }>('/crm/v1/tags?entity=deal')).body.data.map((d) => d.tag);
    expect(await tags(rep.client)).toEqual(['public']);
    expect((await tags(ws.admin.client)).sort()).toEqual(['public', 'secret-project']);
  });
});

describe('workspace isolation', () => {
  it("fails another workspace's ids as not found, leaves them untouched, and keeps suggestions apart", async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const aAcc = await accountFor(t, a.admin, { tags: ['a-only'] });
    const bAcc = await accountFor(t, b.admin, { tags: ['b-only'] });
    const bContact = await contactFor(t, b.admin, { display_name: 'B person', tags: ['b-only'] });
    const bBefore = await rowsOf(b.id, bAcc.id);

    const res = await a.admin.client.post<BulkTagsResult>('/crm/v1/accounts/bulk/tags', {
      ids: [aAcc.id, bAcc.id],
      add: ['x'],
    });
    expect(res.status).toBe(200);
    expect(res.body.updated.map((u) => u.id)).toEqual([aAcc.id]);
    expect(res.body.failed).toEqual([expect.objectContaining({ id: bAcc.id, code: 'account_not_found' })]);
    const cRes = await a.admin.client.post<BulkTagsResult>('/crm/v1/contacts/bulk/tags', {
      ids: [bContact.id],
      remove: ['b-only'],
    });
    expect(cRes.body.failed).toEqual([
      expect.objectContaining({ id: bContact.id, code: 'contact_not_found' }),
    ]);

    expect(await rowsOf(b.id, bAcc.id)).toEqual(bBefore);
    const bGot = await b.admin.client.get<AccountJson>(`/crm/v1/accounts/${bAcc.id}`);
    expect(bGot.body).toMatchObject({ tags: ['b-only'], version: bAcc.version });
    const bC = await b.admin.client.get<ContactJson>(`/crm/v1/contacts/${bContact.id}`);
    expect(bC.body).toMatchObject({ tags: ['b-only'], version: bContact.version });

    const sugg = await a.admin.client.get<{ data: { tag: string }[] }>('/crm/v1/tags?entity=account');
    expect(sugg.body.data.map((d) => d.tag).sort()).toEqual(['a-only', 'x']);
    const list = await a.admin.client.get<AccountPage>('/crm/v1/accounts?tag=b-only');
    expect(list.body.data).toEqual([]);
  });
});

describe('contact merge', () => {
  it('gives the kept contact the duplicate’s tags (its own first)', async () => {
    const ws = await createWorkspace(t);
    const keep = await contactFor(t, ws.admin, { display_name: 'Keep', tags: ['vip', 'hn'] });
    const dup = await contactFor(t, ws.admin, { display_name: 'Dup', tags: ['hn', 'event'] });
    const res = await ws.admin.client.post<{ contact: ContactJson; merged: { fields_filled: string[] } }>(
      `/crm/v1/contacts/${keep.id}/merge`,
      { merge_id: dup.id },
    );
    expect(res.status).toBe(200);
    expect(res.body.contact.tags).toEqual(['vip', 'hn', 'event']);
    expect(res.body.merged.fields_filled).toContain('tags');
  });
});

describe('GraphQL', () => {
  it('exposes tags on Account and Contact and takes them on createAccount', async () => {
    const ws = await createWorkspace(t);
    const contact = await contactFor(t, ws.admin, { display_name: 'G', tags: ['gql'] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/crm/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.admin.token}` },
      payload: JSON.stringify({
        query: 'mutation { createAccount(input: { name: "GQL Co", tags: [" a ", "a", "b"] }) { tags } }',
      }),
    });
    const created = res.json() as { data?: { createAccount: { tags: string[] } }; errors?: unknown };
    expect(created.errors).toBeUndefined();
    expect(created.data?.createAccount.tags).toEqual(['a', 'b']);
    const read = await t.app.inject({
      method: 'POST',
      url: '/crm/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.admin.token}` },
      payload: JSON.stringify({
        query: `query($c: ID!) { contact(id: $c) { tags } }`,
        variables: { c: contact.id },
      }),
    });
    expect(read.json()).toEqual({ data: { contact: { tags: ['gql'] } } });
  });
});
