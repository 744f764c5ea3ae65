import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditOf, outboxOf, writeCounts } from '../../../../test/factories/pipelines.js';
import {
  deliveriesOf,
  fakeLookup,
  PUBLIC_HOSTS,
  Receiver,
  type WebhookTestApp,
  webhookTestApp,
} from '../../../../test/factories/webhooks.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { WebhookJson } from './webhook.presenter.js';
import type { Page } from './webhook.service.js';

/**
 * Webhook subscriptions through the API, with the SSRF guard as in production (private targets refused)
 * and secrets sealed at rest (WEBHOOK_SECRET_KEY set): CRUD, validation naming the field, the secret shown
 * only on create and rotate, If-Match, isolation between workspaces, admin-only access (role and scope),
 * audit rows and events without the secret, and the guard again at delivery time (DNS rebinding).
 */

const BASE = '/crm/v1/webhooks';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const KEY = 'test-webhook-secret-key-0123456789abcdef';

type WithSecret = WebhookJson & { secret: string };

let t: WebhookTestApp;
const dns = fakeLookup({ ...PUBLIC_HOSTS, 'rebind.example.com': ['93.184.216.34'] });
let receiver: Receiver;

beforeAll(async () => {
  t = await webhookTestApp({
    lookup: dns,
    overrides: { WEBHOOK_ALLOW_PRIVATE_TARGETS: false, WEBHOOK_SECRET_KEY: KEY },
  });
  receiver = await Receiver.start();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const fieldsOf = (p: ProblemDocument): string[] => (p.errors ?? []).map((e) => e.field).sort();

async function create(ws: TestWorkspace, body: Record<string, unknown> = {}): Promise<WithSecret> {
  const res = await ws.admin.client.post<WithSecret>(BASE, {
    url: 'https://hooks.example.com/crm',
    event_types: ['deal.*'],
    ...body,
  });
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

describe('POST /webhooks', () => {
  it('creates a subscription; the secret is shown once, sealed at rest, never in events or audit', async () => {
    const ws = await createWorkspace(t);
    const res = await ws.admin.client.post<WithSecret>(BASE, {
      url: 'https://hooks.example.com/crm?token=abc',
      event_types: ['deal.*', 'account.created', 'deal.*'],
      description: '  ERP sync  ',
    });
    expect(res.status, res.raw).toBe(201);
    expect(res.headers.location).toBe(`${BASE}/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    const hook = res.body;
    expect(hook).toMatchObject({
      url: 'https://hooks.example.com/crm?token=abc',
      event_types: ['deal.*', 'account.created'],
      description: 'ERP sync',
      active: true,
      secret_storage: 'encrypted',
      secret_rotated_at: null,
      previous_secret_expires_at: null,
      consecutive_dead: 0,
      disabled_reason: null,
      version: 1,
      created_by: ws.admin.userId,
      deleted_at: null,
      abilities: ['update', 'delete', 'rotate_secret', 'test'],
    });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(hook.secret_hint).toBe(`whsec_…${hook.secret.slice(-4)}`);

    const get = await ws.admin.client.get<WebhookJson>(`${BASE}/${hook.id}`);
    expect(get.status).toBe(200);
    expect(get.raw).not.toContain(hook.secret);
    const { secret: _s, ...withoutSecret } = hook;
    expect(get.body).toEqual(withoutSecret);

    const stored = await t.db.read(ws.id, (db) =>
      db
        .selectFrom('crm_core.crm_webhook_subscriptions')
        .select('secret')
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow(),
    );
    expect(stored.secret.startsWith('enc:v1:')).toBe(true);
    expect(stored.secret).not.toContain(hook.secret.slice(6));

    const events = await outboxOf(t, ws.id, hook.id);
    expect(events.map((e) => e.topic)).toEqual(['webhook.created']);
    expect(JSON.stringify(events)).not.toContain(hook.secret.slice(6));
    // Events reach internal consumers beyond admins: the receiver's token in the query is not in them.
    expect(JSON.stringify(events)).not.toContain('token=abc');
    const created = events[0]?.payload as unknown as { data: { webhook: { url: string } } } | undefined;
    expect(created?.data.webhook.url).toBe('https://hooks.example.com/crm?…');
    const audit = await auditOf(ws, hook.id);
    expect(audit.map((a) => a.action)).toEqual(['webhook.created']);
    expect(audit[0]?.diff.url).toEqual({ from: null, to: 'https://hooks.example.com/crm?token=abc' });
    expect(JSON.stringify(audit)).not.toContain(hook.secret.slice(6));
  });

  it('422 naming the field for bad input; nothing is written', async () => {
    const ws = await createWorkspace(t);
    const before = await writeCounts(t, ws.id);
    const ok = { url: 'https://hooks.example.com/x', event_types: ['*'] };
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ event_types: ['*'] }, ['url']],
      [{ ...ok, url: '' }, ['url']],
      [{ ...ok, url: 42 }, ['url']],
      [{ ...ok, url: `https://hooks.example.com/${'x'.repeat(2050)}` }, ['url']],
      [{ ...ok, url: 'https://hooks.example.com/\u0000' }, ['url']],
      [{ ...ok, event_types: [] }, ['event_types']],
      [{ ...ok, event_types: 'deal.*' }, ['event_types']],
      [{ ...ok, event_types: ['Deal.Won'] }, ['event_types.0']],
      [{ ...ok, event_types: ['deal.*', 'webhook.*'] }, ['event_types.1']],
      [{ ...ok, description: 'x'.repeat(501) }, ['description']],
      [{ ...ok, active: 'yes' }, ['active']],
      [{ ...ok, secret: 'whsec_mine' }, ['secret']],
      [{ url: 'https://hooks.example.com/x' }, ['event_types']],
    ];
    for (const [body, fields] of cases) {
      const res = await ws.admin.client.post(BASE, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(fieldsOf(res.body), JSON.stringify(body)).toEqual(fields);
    }
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });

  it('the SSRF guard: 422 naming url for local, private, metadata and rebound targets; nothing is written', async () => {
    const ws = await createWorkspace(t);
    const before = await writeCounts(t, ws.id);
    const cases: Array<[string, string]> = [
      [receiver.url, 'loopback'], // a real local listener: the guard blocks 127.0.0.1 when private targets are off
      ['https://127.0.0.1/hook', 'loopback'],
      ['https://localhost/hook', 'localhost'],
      ['https://[::1]/hook', 'loopback'],
      ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
      ['https://2130706433/hook', 'loopback'],
      ['https://10.1.2.3/hook', 'RFC 1918'],
      ['https://192.168.0.10/hook', 'RFC 1918'],
      ['https://100.64.1.1/hook', 'carrier-grade NAT'],
      ['https://169.254.169.254/latest/meta-data/', 'link-local'],
      ['https://[fd00::1]/hook', 'unique local'],
      ['https://0.0.0.0/hook', 'this network'],
      ['https://internal.example.com/hook', 'RFC 1918'],
      ['https://metadata.example.com/hook', 'link-local'],
      ['https://mixed.example.com/hook', '192.168.1.10'],
      ['https://mapped.example.com/hook', 'loopback'],
      ['https://nowhere.example.com/hook', 'could not be resolved'],
      ['ftp://hooks.example.com/hook', 'https'],
      ['javascript:alert(1)', 'https'],
      ['https://user:pw@hooks.example.com/hook', 'password'],
      ['https://hooks.example.com:22/hook', 'port 22'],
    ];
    for (const [url, reason] of cases) {
      const res = await ws.admin.client.post(BASE, { url, event_types: ['*'] });
      expect(res.status, url).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors?.[0], url).toMatchObject({ field: 'url', code: 'url_not_allowed' });
      expect(res.body.errors?.[0]?.message, url).toContain(reason);
    }
    expect(receiver.requests).toHaveLength(0);
    expect(await writeCounts(t, ws.id)).toEqual(before);
  });
});

describe('GET /webhooks', () => {
  it('lists newest first with cursor paging; another workspace sees none of them', async () => {
    const ws = await createWorkspace(t);
    const other = await createWorkspace(t);
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await create(ws, { description: `hook ${i}` })).id);
    const p1 = await ws.admin.client.get<Page<WebhookJson>>(`${BASE}?limit=2`);
    expect(p1.status).toBe(200);
    expect(p1.body.data.map((h) => h.id)).toEqual([made[2], made[1]]);
    expect(p1.body.page.has_more).toBe(true);
    expect(p1.raw).not.toContain('"secret"');
    const p2 = await ws.admin.client.get<Page<WebhookJson>>(
      `${BASE}?limit=2&cursor=${p1.body.page.next_cursor}`,
    );
    expect(p2.body.data.map((h) => h.id)).toEqual([made[0]]);
    expect(p2.body.page).toEqual({ limit: 2, next_cursor: null, has_more: false });

    const theirs = await other.admin.client.get<Page<WebhookJson>>(BASE);
    expect(theirs.body.data).toEqual([]);
    for (const path of ['', '/deliveries', '/deliveries/01900000-0000-7000-8000-000000000001']) {
      const res = await other.admin.client.get(`${BASE}/${made[0]}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('webhook_not_found');
    }
    for (const [method, path] of [
      ['patch', ''],
      ['delete', ''],
      ['post', '/rotate-secret'],
      ['post', '/test'],
      ['post', '/deliveries/01900000-0000-7000-8000-000000000001/redeliver'],
    ] as const) {
      const url = `${BASE}/${made[0]}${path}`;
      const res =
        method === 'patch'
          ? await other.admin.client.patch(url, { active: false })
          : method === 'delete'
            ? await other.admin.client.delete(url)
            : await other.admin.client.post(url);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.code).toBe('webhook_not_found');
    }
    expect((await ws.admin.client.get<WebhookJson>(`${BASE}/${made[0]}`)).body.active).toBe(true);
  });

  it('404 for an unknown id, 400 for a bad cursor, 422 for a bad id', async () => {
    const ws = await createWorkspace(t);
    expect((await ws.admin.client.get(`${BASE}/${UNKNOWN_ID}`)).body.code).toBe('webhook_not_found');
    expect((await ws.admin.client.get(`${BASE}?cursor=nope`)).body.code).toBe('invalid_cursor');
    expect((await ws.admin.client.get(`${BASE}/not-a-uuid`)).status).toBe(422);
  });
});

describe('PATCH and DELETE /webhooks/{id}', () => {
  it('changes fields with If-Match (stale: 412), re-checks the URL, audits the diff; a no-op keeps the version', async () => {
    const ws = await createWorkspace(t);
    const hook = await create(ws);
    const res = await ws.admin.client.patch<WebhookJson>(
      `${BASE}/${hook.id}`,
      {
        event_types: ['deal.won', 'deal.lost'],
        description: 'wins and losses',
        url: 'https://dual.example.com/h',
      },
      { 'if-match': '"1"' },
    );
    expect(res.status, res.raw).toBe(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({
      event_types: ['deal.won', 'deal.lost'],
      description: 'wins and losses',
      url: 'https://dual.example.com/h',
      version: 2,
      secret_hint: hook.secret_hint,
    });
    const stale = await ws.admin.client.patch(`${BASE}/${hook.id}`, { active: false }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    const badUrl = await ws.admin.client.patch(`${BASE}/${hook.id}`, { url: 'https://10.0.0.1/' });
    expect(badUrl.status).toBe(422);
    expect(fieldsOf(badUrl.body)).toEqual(['url']);
    const empty = await ws.admin.client.patch(`${BASE}/${hook.id}`, {});
    expect(empty.status).toBe(422);
    const same = await ws.admin.client.patch<WebhookJson>(`${BASE}/${hook.id}`, {
      description: 'wins and losses',
    });
    expect(same.body.version).toBe(2);
    const paused = await ws.admin.client.patch<WebhookJson>(`${BASE}/${hook.id}`, {
      active: false,
      version: 2,
    });
    expect(paused.body).toMatchObject({ active: false, version: 3 });

    const audit = await auditOf(ws, hook.id);
    expect(audit.map((a) => a.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated']);
    expect(audit[1]?.diff).toMatchObject({
      event_types: { from: ['deal.*'], to: ['deal.won', 'deal.lost'] },
      url: { from: 'https://hooks.example.com/crm', to: 'https://dual.example.com/h' },
    });
    expect((await outboxOf(t, ws.id, hook.id)).map((e) => e.topic)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.updated',
    ]);
  });

  it('deletes softly: gone from get and list, audited, its queued deliveries cancelled', async () => {
    const ws = await createWorkspace(t);
    const hook = await create(ws);
    await t.db.transaction(ws.id, (trx) =>
      sql`INSERT INTO crm_core.crm_webhook_deliveries
            (tenant_id, id, subscription_id, event_id, event_type, payload, max_attempts)
          VALUES (${ws.id}, ${UNKNOWN_ID}, ${hook.id}, ${UNKNOWN_ID}, 'deal.created', '{}'::jsonb, 3)`.execute(
        trx,
      ),
    );
    const res = await ws.admin.client.delete<WebhookJson>(`${BASE}/${hook.id}`);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.deleted_at).not.toBeNull();
    expect(res.body.active).toBe(false);
    expect(res.body.abilities).toEqual([]);
    expect((await ws.admin.client.get(`${BASE}/${hook.id}`)).status).toBe(404);
    expect((await ws.admin.client.get<Page<WebhookJson>>(BASE)).body.data).toEqual([]);
    expect((await ws.admin.client.delete(`${BASE}/${hook.id}`)).status).toBe(404);
    const [delivery] = await deliveriesOf(t, ws.id, hook.id);
    expect(delivery).toMatchObject({ status: 'cancelled', last_error: 'subscription deleted' });
    const audit = await auditOf(ws, hook.id);
    expect(audit.at(-1)).toMatchObject({
      action: 'webhook.deleted',
      diff: { cancelled_deliveries: { from: null, to: 1 } },
    });
  });
});

describe('POST /webhooks/{id}/rotate-secret', () => {
  it('a new secret, shown once; the previous one keeps signing for 24 h', async () => {
    const ws = await createWorkspace(t);
    const hook = await create(ws);
    const res = await ws.admin.client.post<WithSecret>(`${BASE}/${hook.id}/rotate-secret`);
    expect(res.status, res.raw).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(hook.secret);
    expect(res.body.secret_hint).toBe(`whsec_…${res.body.secret.slice(-4)}`);
    expect(res.body.version).toBe(2);
    const expires = Date.parse(res.body.previous_secret_expires_at ?? '');
    const rotated = Date.parse(res.body.secret_rotated_at ?? '');
    expect(expires - rotated).toBe(24 * 3600_000);
    const row = await t.db.read(ws.id, (db) =>
      db
        .selectFrom('crm_core.crm_webhook_subscriptions')
        .select(['secret', 'previous_secret'])
        .where('id', '=', hook.id)
        .executeTakeFirstOrThrow(),
    );
    expect(row.previous_secret?.startsWith('enc:v1:')).toBe(true);
    const audit = await auditOf(ws, hook.id);
    expect(audit.at(-1)).toMatchObject({
      action: 'webhook.secret_rotated',
      diff: { secret_hint: { from: hook.secret_hint, to: res.body.secret_hint } },
    });
    const events = await outboxOf(t, ws.id, hook.id);
    expect(events.at(-1)?.topic).toBe('webhook.secret_rotated');
    expect(JSON.stringify(events)).not.toContain(res.body.secret.slice(6));
  });
});

describe('who may manage webhooks', () => {
  it('admins only (crm.settings.manage), reads included; API keys need crm.admin', async () => {
    const ws = await createWorkspace(t);
    const hook = await create(ws);
    for (const role of ['manager', 'sales_rep', 'support', 'marketing', 'viewer'] as const) {
      const m = await addMember(t, ws, role);
      const list = await m.client.get(BASE);
      expect(list.status, role).toBe(403);
      expect(list.body.code).toBe('forbidden');
      expect((await m.client.get(`${BASE}/${hook.id}`)).status, role).toBe(403);
      expect(
        (await m.client.post(BASE, { url: 'https://hooks.example.com/', event_types: ['*'] })).status,
      ).toBe(403);
      expect((await m.client.patch(`${BASE}/${hook.id}`, { active: false })).status).toBe(403);
      expect((await m.client.post(`${BASE}/${hook.id}/rotate-secret`)).status).toBe(403);
    }
    const readKey = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const denied = await readKey.client.get(BASE);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('insufficient_scope');
    const adminKey = await apiKeyFor(t, ws.admin, ['crm.admin']);
    expect((await adminKey.client.get(BASE)).status).toBe(200);
    const made = await adminKey.client.post<WithSecret>(
      BASE,
      { url: 'https://hooks.example.com/k', event_types: ['account.*'] },
      { 'idempotency-key': 'create-hook-1' },
    );
    expect(made.status, made.raw).toBe(201);
    // The same key and body replays the stored answer: no second subscription, the same secret.
    const again = await adminKey.client.post<WithSecret>(
      BASE,
      { url: 'https://hooks.example.com/k', event_types: ['account.*'] },
      { 'idempotency-key': 'create-hook-1' },
    );
    expect(again.body.id).toBe(made.body.id);
    expect((await ws.admin.client.get<Page<WebhookJson>>(BASE)).body.data).toHaveLength(2);
    const unauth = await t.app.inject({ method: 'GET', url: BASE });
    expect(unauth.statusCode).toBe(401);
  });
});

describe('the guard at delivery time', () => {
  it('a name that resolved to a public address when saved but to a private one now is not called', async () => {
    const ws = await createWorkspace(t);
    const port = new URL(receiver.url).port;
    const hook = await create(ws, { url: `https://rebind.example.com:${port}/hook`, event_types: ['*'] });
    // DNS rebinding: the name now points at this machine (where the receiver listens).
    dns.table['rebind.example.com'] = ['127.0.0.1'];
    try {
      const test = await ws.admin.client.post<{ status: string; last_error: string; attempt_log: unknown[] }>(
        `${BASE}/${hook.id}/test`,
      );
      expect(test.status, test.raw).toBe(200);
      expect(test.body.status).toBe('dead');
      expect(test.body.last_error).toContain('refused by the SSRF guard');
      expect(test.body.last_error).toContain('loopback');
      expect(test.body.attempt_log).toHaveLength(1);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      dns.table['rebind.example.com'] = ['93.184.216.34'];
    }
  });
});
