import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawContact, rawDeal } from '../../../../test/factories/activities.js';
import {
  accountFor,
  addMember,
  apiKeyFor,
  createWorkspace,
  type TestMember,
  type TestWorkspace,
} from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ProblemDocument } from '../../platform/http/problem.js';
import type { ActivityJson } from '../activities/activity.presenter.js';
import type {
  InboundResultJson,
  InboundSettingsJson,
  ReceivedItemPage,
  ReconciliationJson,
  TrackedDomainJson,
} from './inbound.schema.js';

/**
 * Activity auto-log end to end on a real database, with real .eml and .ics files: tracked domains
 * (personal ones refused, R-CRM-003), matching (contact, account, the one open deal), direction,
 * replays (R-CRM-005), calendar attendance and updates, chat notes, workspaces, reconciliation, auth
 * and bad input.
 */

const V1 = '/crm/v1';
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/inbound/${name}`, import.meta.url));
const QUOTE = fixture('inbound-quote.eml');
const REPLY = fixture('reply-out.eml');
const PERSONAL = fixture('personal-gmail.eml');
const NO_ID = fixture('no-message-id.eml');
const NOT_MAIL = fixture('not-a-message.eml');
const MEETING = fixture('meeting-request.ics').toString('utf8');
const MOVED = fixture('meeting-rescheduled.ics').toString('utf8');
const WEEKLY = fixture('weekly-recurring.ics').toString('utf8');

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

interface Res<T> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** Posts a raw body (mail or calendar) as a member (token) or an API key. */
async function postRaw<T = InboundResultJson>(
  who: { token?: string; apiKey?: string },
  path: string,
  body: Buffer | string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<Res<T>> {
  const res = await t.app.inject({
    method: 'POST',
    url: `${V1}${path}`,
    headers: {
      'content-type': contentType,
      ...(who.token ? { authorization: `Bearer ${who.token}` } : {}),
      ...(who.apiKey ? { 'x-api-key': who.apiKey } : {}),
      ...headers,
    },
    payload: body,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as T, headers: res.headers };
}

const email = (m: TestMember, raw: Buffer | string) => postRaw(m, '/inbound/email', raw, 'message/rfc822');
const calendar = (m: TestMember, ics: string) => postRaw(m, '/inbound/calendar', ics, 'text/calendar');

async function countActivities(workspaceId: string, source: string): Promise<number> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ n: number }>`SELECT count(*)::int AS n FROM crm_core.crm_activities
      WHERE tenant_id = ${workspaceId} AND source = ${source}`.execute(k),
  );
  return Number(r.rows[0]?.n ?? 0);
}

async function activity(m: TestMember, id: string | null): Promise<ActivityJson> {
  const res = await m.client.get<ActivityJson>(`${V1}/activities/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

interface Setup {
  ws: TestWorkspace;
  admin: TestMember;
  accountId: string;
  lanId: string;
  baoId: string;
  gmailContactId: string;
  dealId: string;
}

/** The Sao Mai story: saomai.com.vn tracked, cyberos.vn our own, Lan and Bảo known, one open deal. */
async function saoMai(opts: { deals?: number } = {}): Promise<Setup> {
  const ws = await createWorkspace(t);
  const admin = ws.admin;
  const account = await accountFor(t, admin, { name: 'Công ty TNHH Sao Mai' });
  const put = await admin.client.put<InboundSettingsJson>(`${V1}/inbound/settings`, {
    own_domains: ['CyberOS.vn'],
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  expect(put.body.own_domains).toEqual(['cyberos.vn']);
  const tr = await admin.client.post<TrackedDomainJson>(`${V1}/accounts/${account.id}/tracked-domains`, {
    domain: 'saomai.com.vn',
  });
  expect(tr.status, JSON.stringify(tr.body)).toBe(201);
  const lanId = await rawContact(t, ws.id, {
    account_id: account.id,
    display_name: 'Nguyễn Thị Lan',
    channels: [{ kind: 'email', value: 'lan.nguyen@saomai.com.vn' }],
  });
  const baoId = await rawContact(t, ws.id, {
    account_id: account.id,
    display_name: 'Phạm Quốc Bảo',
    channels: [{ kind: 'email', value: 'bao.pham@saomai.com.vn' }],
  });
  // A contact who wrote from a personal address: never attached automatically (R-CRM-003).
  const gmailContactId = await rawContact(t, ws.id, {
    account_id: account.id,
    display_name: 'Lê Hùng',
    channels: [{ kind: 'email', value: 'hung.le@gmail.com' }],
  });
  let dealId = '';
  for (let i = 0; i < (opts.deals ?? 1); i++) {
    dealId = await rawDeal(t, ws.id, { account_id: account.id, name: `Triển khai CRM ${i + 1}` });
  }
  await rawDeal(t, ws.id, { account_id: account.id, status: 'won', name: 'Đã thắng' });
  return { ws, admin, accountId: account.id, lanId, baoId, gmailContactId, dealId };
}

describe('tracked domains', () => {
  it('adds, lists, refuses personal, invalid and taken domains, removes, and audits', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin, { name: 'Sao Mai' });
    const b = await accountFor(t, ws.admin, { name: 'Hoàng Long' });
    const c = ws.admin.client;
    const url = `${V1}/accounts/${a.id}/tracked-domains`;
    const added = await c.post<TrackedDomainJson>(url, { domain: ' @SaoMai.COM.vn. ' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ domain: 'saomai.com.vn', account_id: a.id });
    // IDN domains are stored as punycode.
    expect((await c.post<TrackedDomainJson>(url, { domain: 'hoàngmai.vn' })).body.domain).toBe(
      'xn--hongmai-9va.vn',
    );

    for (const personal of [
      'gmail.com',
      'GMAIL.com',
      'yahoo.com.vn',
      'hcm.vnn.vn',
      'outlook.com',
      'icloud.com',
    ]) {
      const r = await c.post<ProblemDocument>(url, { domain: personal });
      expect(r.status, personal).toBe(422);
      expect(r.body.errors?.[0]).toMatchObject({ field: 'domain', code: 'personal_domain' });
    }
    for (const invalid of ['localhost', 'acme', '-bad-.vn', 'a b.vn', '192.168.1.1']) {
      const r = await c.post<ProblemDocument>(url, { domain: invalid });
      expect(r.status, invalid).toBe(422);
      expect(r.body.errors?.[0]?.field).toBe('domain');
    }
    const taken = await c.post<ProblemDocument>(`${V1}/accounts/${b.id}/tracked-domains`, {
      domain: 'saomai.com.vn',
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'tracked_domain_taken', account_id: a.id });
    const unknown = await c.post<ProblemDocument>(
      `${V1}/accounts/01900000-0000-7000-8000-000000000000/tracked-domains`,
      {
        domain: 'x.vn',
      },
    );
    expect(unknown.status).toBe(404);

    const list = await c.get<{ data: TrackedDomainJson[] }>(url);
    expect(list.body.data.map((d) => d.domain)).toEqual(['saomai.com.vn', 'xn--hongmai-9va.vn']);
    const all = await c.get<{ data: TrackedDomainJson[] }>(`${V1}/inbound/tracked-domains`);
    expect(all.body.data).toHaveLength(2);

    // Deleting through another account's path is "not found".
    expect((await c.delete(`${V1}/accounts/${b.id}/tracked-domains/${added.body.id}`)).status).toBe(404);
    expect((await c.delete(`${url}/${added.body.id}`)).status).toBe(204);
    expect((await c.delete(`${url}/${added.body.id}`)).status).toBe(404);
    // Free again: another account may take it.
    expect((await c.post(`${V1}/accounts/${b.id}/tracked-domains`, { domain: 'saomai.com.vn' })).status).toBe(
      201,
    );

    const audit = await c.get<{ data: Array<{ action: string }> }>(`${V1}/audit?entity_id=${a.id}&limit=50`);
    const actions = audit.body.data.map((e) => e.action);
    expect(actions.filter((x) => x === 'tracked_domain.added')).toHaveLength(2);
    expect(actions).toContain('tracked_domain.removed');
  });

  it('own domains: admins set them, personal and tracked domains are refused', async () => {
    const ws = await createWorkspace(t);
    const a = await accountFor(t, ws.admin);
    await ws.admin.client.post(`${V1}/accounts/${a.id}/tracked-domains`, { domain: 'acme.vn' });
    const c = ws.admin.client;
    expect((await c.get<InboundSettingsJson>(`${V1}/inbound/settings`)).body).toMatchObject({
      own_domains: [],
      version: 0,
    });
    const bad = await c.put<ProblemDocument>(`${V1}/inbound/settings`, {
      own_domains: ['cyberos.vn', 'gmail.com'],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.[0]).toMatchObject({ field: 'own_domains.1', code: 'personal_domain' });
    const clash = await c.put<ProblemDocument>(`${V1}/inbound/settings`, { own_domains: ['acme.vn'] });
    expect(clash.status).toBe(422);
    expect(clash.body.errors?.[0]).toMatchObject({ field: 'own_domains.0', code: 'tracked_domain' });
    // Tracking one of our own domains is refused as well.
    expect((await c.put(`${V1}/inbound/settings`, { own_domains: ['cyberos.vn'] })).status).toBe(200);
    const own = await c.post<ProblemDocument>(`${V1}/accounts/${a.id}/tracked-domains`, {
      domain: 'mail.cyberos.vn',
    });
    expect(own.body.errors?.[0]).toMatchObject({ field: 'domain', code: 'own_domain' });
    const rep = await addMember(t, ws, 'sales_rep');
    expect((await rep.client.put(`${V1}/inbound/settings`, { own_domains: [] })).status).toBe(403);
    expect((await rep.client.get(`${V1}/inbound/settings`)).status).toBe(200);
  });
});

describe('POST /inbound/email', () => {
  it('logs an inbound multipart message: decoded subject, text, attachments listed, contact, account, the open deal', async () => {
    const s = await saoMai();
    const res = await email(s.admin, QUOTE);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ logged: 1, skipped: 0 });
    const item = res.body.items[0];
    expect(item).toMatchObject({
      channel: 'email',
      external_id: 'CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn',
      outcome: 'logged',
      reason: null,
      direction: 'in',
      account_id: s.accountId,
      contact_id: s.lanId,
      deal_id: s.dealId,
      deal_match: 'single_open',
      matched_domains: ['saomai.com.vn'],
      personal_participants: 1,
    });
    // Bảo (Cc) is matched too; the gmail contact is not, although the address is on file.
    expect(item?.contact_ids.sort()).toEqual([s.lanId, s.baoId].sort());
    expect(item?.contact_ids).not.toContain(s.gmailContactId);

    const a = await activity(s.admin, item?.activity_id ?? null);
    expect(a).toMatchObject({
      kind: 'email',
      source: 'email',
      source_event_id: 'CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn',
      subject: 'Báo giá triển khai CRM – Công ty Sao Mai',
      occurred_at: '2026-11-19T02:13:58.000Z',
      account_id: s.accountId,
      contact_id: s.lanId,
      deal_id: s.dealId,
    });
    expect(a.body_markdown).toContain('Em gửi anh báo giá triển khai CRM cho Sao Mai');
    expect(a.body_markdown).not.toContain('<b>');
    expect(a.metadata).toMatchObject({
      direction: 'in',
      from: 'lan.nguyen@saomai.com.vn',
      to: ['minh@cyberos.vn'],
      cc: ['hung.le@gmail.com', 'bao.pham@saomai.com.vn'],
      attachments: [{ filename: 'Báo giá CRM v2.pdf', mime_type: 'application/pdf', size: 2100 }],
      attachment_count: 1,
    });
    // Attachments are listed, never stored: the entry holds no content.
    expect(JSON.stringify(a)).not.toContain('PDF-1.4');
    // On the account's and the deal's timeline.
    const tl = await s.admin.client.get<{ data: ActivityJson[] }>(`${V1}/deals/${s.dealId}/timeline`);
    expect(tl.body.data.map((x) => x.id)).toContain(a.id);
  });

  it('an outbound reply (HTML only, In-Reply-To) is logged as out with its text', async () => {
    const s = await saoMai();
    const res = await email(s.admin, REPLY);
    expect(res.body.items[0]).toMatchObject({ outcome: 'logged', direction: 'out', contact_id: s.lanId });
    const a = await activity(s.admin, res.body.items[0]?.activity_id ?? null);
    expect(a.subject).toBe('Re: Báo giá triển khai CRM – Công ty Sao Mai');
    expect(a.body_markdown).toBe(
      'Chào chị Lan,\n\nAnh đã nhận được báo giá, cảm ơn chị.\nThứ Hai mình họp nhé.\n\nOn Thu, Lan wrote: ...',
    );
    expect(a.metadata).toMatchObject({
      direction: 'out',
      in_reply_to: 'CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn',
    });
  });

  it('without own domains, direction follows the tracked side', async () => {
    const s = await saoMai();
    await s.admin.client.put(`${V1}/inbound/settings`, { own_domains: [] });
    expect((await email(s.admin, QUOTE)).body.items[0]?.direction).toBe('in');
    expect((await email(s.admin, REPLY)).body.items[0]?.direction).toBe('out');
  });

  it('replaying the same message three times logs it once (R-CRM-005)', async () => {
    const s = await saoMai();
    const first = await email(s.admin, QUOTE);
    const again = [await email(s.admin, QUOTE), await email(s.admin, QUOTE)];
    expect(first.body.items[0]?.outcome).toBe('logged');
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body.items[0]).toMatchObject({ outcome: 'skipped', reason: 'duplicate', activity_id: null });
    }
    expect(await countActivities(s.ws.id, 'email')).toBe(1);
    // Also when the copies arrive at once.
    const s2 = await saoMai();
    const raced = await Promise.all([1, 2, 3].map(() => email(s2.admin, QUOTE)));
    expect(raced.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(raced.filter((r) => r.body.items[0]?.outcome === 'logged')).toHaveLength(1);
    expect(await countActivities(s2.ws.id, 'email')).toBe(1);
  });

  it('never auto-attaches personal mail, even from a known contact (R-CRM-003)', async () => {
    const s = await saoMai();
    const res = await email(s.admin, PERSONAL);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'personal_domain',
      activity_id: null,
      account_id: null,
      contact_id: null,
      personal_participants: 1,
    });
    expect(await countActivities(s.ws.id, 'email')).toBe(0);
  });

  it('skips mail with no tracked domain', async () => {
    const s = await saoMai();
    const other = Buffer.from(
      QUOTE.toString('latin1').replaceAll('saomai.com.vn', 'hoanglong.vn').replace('CAF7x2Lq9', 'other-1'),
      'latin1',
    );
    expect((await email(s.admin, other)).body.items[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'no_tracked_domain',
    });
    // A sub-domain of a tracked domain matches it.
    const sub = Buffer.from(
      QUOTE.toString('latin1')
        .replace('<lan.nguyen@saomai.com.vn>', '<lan@hn.saomai.com.vn>')
        .replace('CAF7x2Lq9', 'sub-1'),
      'latin1',
    );
    expect((await email(s.admin, sub)).body.items[0]).toMatchObject({
      outcome: 'logged',
      account_id: s.accountId,
    });
    expect(await countActivities(s.ws.id, 'email')).toBe(1);
  });

  it('two open deals: the entry goes to the account only', async () => {
    const s = await saoMai({ deals: 2 });
    const res = await email(s.admin, QUOTE);
    expect(res.body.items[0]).toMatchObject({
      outcome: 'logged',
      account_id: s.accountId,
      deal_id: null,
      deal_match: 'ambiguous',
    });
    expect((await activity(s.admin, res.body.items[0]?.activity_id ?? null)).deal_id).toBeNull();
  });

  it('a message without Message-ID gets a stable fallback id', async () => {
    const s = await saoMai();
    const a = await email(s.admin, NO_ID);
    const b = await email(s.admin, NO_ID);
    expect(a.body.items[0]?.external_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.body.items[0]).toMatchObject({ external_id: a.body.items[0]?.external_id, reason: 'duplicate' });
    expect(a.body.items[0]).toMatchObject({ outcome: 'logged', contact_id: s.baoId });
    expect(await countActivities(s.ws.id, 'email')).toBe(1);
  });

  it('refuses what is not a mail message, naming the problem', async () => {
    const s = await saoMai();
    const notMail = await email(s.admin, NOT_MAIL);
    expect(notMail.status).toBe(422);
    expect((notMail.body as unknown as ProblemDocument).errors?.[0]?.field).toBe('From');
    const noTo = await email(s.admin, 'From: lan.nguyen@saomai.com.vn\r\nSubject: x\r\n\r\nhello\r\n');
    expect((noTo.body as unknown as ProblemDocument).errors?.[0]?.field).toBe('To');
    const wrongType = await postRaw(s.admin, '/inbound/email', QUOTE, 'text/plain');
    expect(wrongType.status).toBe(415);
    const empty = await postRaw(s.admin, '/inbound/email', '', 'message/rfc822');
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
    expect(await countActivities(s.ws.id, 'email')).toBe(0);
    const rec = await s.admin.client.get<ReconciliationJson>(`${V1}/inbound/reconciliation`);
    expect(rec.body.totals.received).toBe(0);
  });

  it('hostile input never becomes a 500: NUL characters, a huge Message-ID, a long UID', async () => {
    const s = await saoMai();
    const nul = QUOTE.toString('latin1')
      .replace(/^Subject: .*$/m, 'Subject: B\u00e1o\u0000 gi\u00e1')
      .replace('Message-ID: <CAF7x2Lq9', `Message-ID: <${'x'.repeat(400)}`);
    const res = await email(s.admin, Buffer.from(nul, 'latin1'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items[0]?.external_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await activity(s.admin, res.body.items[0]?.activity_id ?? null)).subject).not.toContain('\u0000');
    expect((await email(s.admin, Buffer.from(nul, 'latin1'))).body.items[0]?.reason).toBe('duplicate');
    const longUid = await calendar(s.admin, MEETING.replace('UID:7kq3', `UID:${'u'.repeat(1200)}`));
    expect(longUid.status, JSON.stringify(longUid.body)).toBe(200);
    expect(longUid.body.items[0]).toMatchObject({
      outcome: 'logged',
      external_id: expect.stringMatching(/^sha256:/),
    });
  });

  it('API keys with crm.write may post (with an Idempotency-Key); crm.read keys may not', async () => {
    const s = await saoMai();
    const writer = await apiKeyFor(t, s.admin, ['crm.read', 'crm.write']);
    const reader = await apiKeyFor(t, s.admin, ['crm.read']);
    const noKey = await postRaw({ apiKey: writer.token }, '/inbound/email', QUOTE, 'message/rfc822');
    expect(noKey.status).toBe(400);
    const ok = await postRaw({ apiKey: writer.token }, '/inbound/email', QUOTE, 'message/rfc822', {
      'idempotency-key': 'mail-1',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.items[0]?.outcome).toBe('logged');
    // The transport's replay answers the first result; a new key gets the duplicate verdict.
    const replay = await postRaw({ apiKey: writer.token }, '/inbound/email', QUOTE, 'message/rfc822', {
      'idempotency-key': 'mail-1',
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const second = await postRaw({ apiKey: writer.token }, '/inbound/email', QUOTE, 'message/rfc822', {
      'idempotency-key': 'mail-2',
    });
    expect(second.body.items[0]?.reason).toBe('duplicate');
    const denied = await postRaw({ apiKey: reader.token }, '/inbound/email', QUOTE, 'message/rfc822', {
      'idempotency-key': 'mail-3',
    });
    expect(denied.status).toBe(403);
    expect(await countActivities(s.ws.id, 'email')).toBe(1);
    const a = await activity(s.admin, ok.body.items[0]?.activity_id ?? null);
    expect(a.actor_type).toBe('api_key');
  });

  it('the entry belongs to the member on our side of the mail (when the poster may assign it)', async () => {
    const s = await saoMai();
    const tag = Math.random().toString(36).slice(2, 10);
    const rep = await addMember(t, s.ws, 'sales_rep', { email: `minh.${tag}@cyberos.vn` });
    const mine = (raw: Buffer, id: string) =>
      Buffer.from(
        raw
          .toString('latin1')
          .replaceAll('minh@cyberos.vn', `minh.${tag}@cyberos.vn`)
          .replace('Message-ID: <', `Message-ID: <${id}.`),
        'latin1',
      );
    const key = await apiKeyFor(t, s.admin, ['crm.write', 'crm.read']);
    const inbound = await postRaw(
      { apiKey: key.token },
      '/inbound/email',
      mine(QUOTE, 'o1'),
      'message/rfc822',
      {
        'idempotency-key': `o1-${tag}`,
      },
    );
    expect((await activity(s.admin, inbound.body.items[0]?.activity_id ?? null)).owner_id).toBe(rep.userId);
    const outbound = await email(s.admin, mine(REPLY, 'o2'));
    expect((await activity(s.admin, outbound.body.items[0]?.activity_id ?? null)).owner_id).toBe(rep.userId);
    const meeting = await calendar(s.admin, MEETING.replaceAll('minh@cyberos.vn', `minh.${tag}@cyberos.vn`));
    expect((await activity(s.admin, meeting.body.items[0]?.activity_id ?? null)).owner_id).toBe(rep.userId);
    // A sales rep may not log for someone else: mail to the admin posted by the rep stays the rep's.
    const toAdmin = Buffer.from(
      QUOTE.toString('latin1')
        .replaceAll('minh@cyberos.vn', s.admin.email)
        .replace('Message-ID: <', 'Message-ID: <o3.'),
      'latin1',
    );
    const byRep = await email(rep, toAdmin);
    expect(byRep.status, JSON.stringify(byRep.body)).toBe(200);
    expect((await activity(s.admin, byRep.body.items[0]?.activity_id ?? null)).owner_id).toBe(rep.userId);
  });

  it('workspaces are isolated: tracking is per workspace', async () => {
    const a = await saoMai();
    const b = await createWorkspace(t);
    const res = await email(b.admin, QUOTE);
    expect(res.body.items[0]).toMatchObject({ outcome: 'skipped', reason: 'no_tracked_domain' });
    // B may track the same domain for its own account and then logs its own copy.
    const acc = await accountFor(t, b.admin);
    expect(
      (await b.admin.client.post(`${V1}/accounts/${acc.id}/tracked-domains`, { domain: 'saomai.com.vn' }))
        .status,
    ).toBe(201);
    expect((await email(b.admin, QUOTE)).body.items[0]).toMatchObject({
      outcome: 'logged',
      account_id: acc.id,
      contact_id: null,
    });
    expect((await email(a.admin, QUOTE)).body.items[0]).toMatchObject({
      outcome: 'logged',
      account_id: a.accountId,
    });
    expect(await countActivities(a.ws.id, 'email')).toBe(1);
    expect(await countActivities(b.id, 'email')).toBe(1);
    // A's tracked domains are invisible to B.
    const listA = await a.admin.client.get<{ data: TrackedDomainJson[] }>(`${V1}/inbound/tracked-domains`);
    const id = listA.body.data[0]?.id;
    expect((await b.admin.client.delete(`${V1}/accounts/${a.accountId}/tracked-domains/${id}`)).status).toBe(
      404,
    );
    expect((await b.admin.client.get(`${V1}/accounts/${a.accountId}/tracked-domains`)).status).toBe(404);
  });
});

describe('POST /inbound/calendar', () => {
  it('logs a meeting with attendees and attendance; replays are duplicates; a reschedule adds a note', async () => {
    const s = await saoMai();
    const res = await calendar(s.admin, MEETING);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items[0]).toMatchObject({
      channel: 'calendar',
      external_id: '7kq3m2c9v1saomai-demo@google.com',
      outcome: 'logged',
      account_id: s.accountId,
      contact_id: s.lanId,
      deal_id: s.dealId,
      personal_participants: 1,
    });
    const m = await activity(s.admin, res.body.items[0]?.activity_id ?? null);
    expect(m).toMatchObject({
      kind: 'meeting',
      source: 'calendar',
      subject: 'Demo CRM – Công ty Sao Mai',
      // 09:00 in Asia/Ho_Chi_Minh.
      occurred_at: '2026-11-23T02:00:00.000Z',
    });
    expect(m.metadata).toMatchObject({
      time_zone: 'Asia/Ho_Chi_Minh',
      end: '2026-11-23T03:30:00.000Z',
      sequence: 0,
    });
    expect(m.metadata.attendees).toEqual(
      expect.arrayContaining([
        { address: 'minh@cyberos.vn', role: 'organizer', attendance: 'accepted' },
        { address: 'lan.nguyen@saomai.com.vn', role: 'attendee', attendance: 'accepted' },
        { address: 'bao.pham@saomai.com.vn', role: 'attendee', attendance: 'tentative' },
        { address: 'hung.le@gmail.com', role: 'attendee', attendance: 'declined' },
      ]),
    );
    expect(m.body_markdown).toContain('Phạm Quốc Bảo <bao.pham@saomai.com.vn> — tentative');
    expect(m.body_markdown).toContain('Location: Văn phòng Sao Mai, 12 Nguyễn Huệ, Quận 1, TP.HCM');

    for (let i = 0; i < 2; i++) {
      expect((await calendar(s.admin, MEETING)).body.items[0]).toMatchObject({
        outcome: 'skipped',
        reason: 'duplicate',
      });
    }
    const moved = await calendar(s.admin, MOVED);
    expect(moved.body.items[0]?.outcome).toBe('logged');
    const note = await activity(s.admin, moved.body.items[0]?.activity_id ?? null);
    expect(note).toMatchObject({ kind: 'note', subject: 'Meeting updated: Demo CRM – Công ty Sao Mai' });
    expect(note.body_markdown).toContain('2026-11-24T07:00:00.000Z');
    expect((await calendar(s.admin, MOVED)).body.items[0]?.reason).toBe('duplicate');
    expect((await calendar(s.admin, MEETING)).body.items[0]?.reason).toBe('duplicate');
    expect(await countActivities(s.ws.id, 'calendar')).toBe(2);
  });

  it('a recurring series is one meeting; a moved occurrence (RECURRENCE-ID) is its own, with who attended', async () => {
    const s = await saoMai();
    const res = await calendar(s.admin, WEEKLY);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ logged: 2, skipped: 0 });
    const [series, moved] = res.body.items;
    const uid = '040000008200E00074C5B7101A82E0080000000090A3F1D2C85BDA01000000000000000010000000';
    expect(series).toMatchObject({ external_id: uid, contact_id: s.lanId });
    // Lan declined the moved occurrence: Bảo, who accepted, is its contact.
    expect(moved).toMatchObject({ external_id: `${uid}/2026-12-02T07:00:00.000Z`, contact_id: s.baoId });
    const a = await activity(s.admin, series?.activity_id ?? null);
    expect(a).toMatchObject({
      subject: 'Họp tiến độ dự án CRM hằng tuần',
      occurred_at: '2026-11-25T07:00:00.000Z',
    });
    expect(a.metadata).toMatchObject({
      recurrence: 'FREQ=WEEKLY;COUNT=6;BYDAY=WE',
      location: 'Microsoft Teams',
    });
    const b = await activity(s.admin, moved?.activity_id ?? null);
    expect(b).toMatchObject({ occurred_at: '2026-12-03T02:00:00.000Z' });
    expect(b.metadata).toMatchObject({ recurrence_id: '2026-12-02T07:00:00.000Z', sequence: 1 });
    const again = await calendar(s.admin, WEEKLY);
    expect(again.body).toMatchObject({ logged: 0, skipped: 2 });
    expect(await countActivities(s.ws.id, 'calendar')).toBe(2);
  });

  it('skips a cancelled meeting never logged, and personal-only meetings', async () => {
    const s = await saoMai();
    const cancelled = MEETING.replace('UID:7kq3', 'UID:cancel-7kq3').replace(
      'STATUS:CONFIRMED',
      'STATUS:CANCELLED',
    );
    expect((await calendar(s.admin, cancelled)).body.items[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'cancelled',
    });
    const personal = MEETING.replace('UID:7kq3', 'UID:personal-7kq3').replaceAll(
      'saomai.com.vn',
      'yahoo.com',
    );
    expect((await calendar(s.admin, personal)).body.items[0]).toMatchObject({
      outcome: 'skipped',
      reason: 'personal_domain',
    });
    expect(await countActivities(s.ws.id, 'calendar')).toBe(0);
  });

  it('refuses a file that is not iCalendar or has an event without UID', async () => {
    const s = await saoMai();
    const notIcs = await calendar(s.admin, 'hello');
    expect(notIcs.status).toBe(422);
    expect((notIcs.body as unknown as ProblemDocument).errors?.[0]?.field).toBe('BEGIN:VCALENDAR');
    const noUid = await calendar(s.admin, MEETING.replace(/UID:[^\r\n]+\r\n/, ''));
    expect(noUid.status).toBe(422);
    expect((noUid.body as unknown as ProblemDocument).errors?.[0]?.field).toBe('UID');
    const noEvent = await calendar(s.admin, 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n');
    expect((noEvent.body as unknown as ProblemDocument).errors?.[0]?.field).toBe('VEVENT');
    expect(await countActivities(s.ws.id, 'calendar')).toBe(0);
  });
});

describe('POST /inbound/chat', () => {
  it('logs notes by participants or hints, once per message_id; bad hints are 422 naming them', async () => {
    const s = await saoMai();
    const c = s.admin.client;
    const note = {
      message_id: 'chat-msg-001',
      text: 'Ghi chú họp: chị Lan đồng ý demo thứ Hai.\nCần gửi báo giá bản 2.',
      occurred_at: '2026-11-20T04:00:00+07:00',
      participants: ['lan.nguyen@saomai.com.vn', 'minh@cyberos.vn'],
    };
    const r1 = await c.post<InboundResultJson>(`${V1}/inbound/chat`, note);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.items[0]).toMatchObject({
      outcome: 'logged',
      account_id: s.accountId,
      contact_id: s.lanId,
      deal_id: s.dealId,
    });
    const a = await activity(s.admin, r1.body.items[0]?.activity_id ?? null);
    expect(a).toMatchObject({
      kind: 'meeting',
      source: 'chat',
      subject: 'Ghi chú họp: chị Lan đồng ý demo thứ Hai.',
      occurred_at: '2026-11-19T21:00:00.000Z',
    });
    expect((await c.post<InboundResultJson>(`${V1}/inbound/chat`, note)).body.items[0]?.reason).toBe(
      'duplicate',
    );

    const hinted = await c.post<InboundResultJson>(`${V1}/inbound/chat`, {
      message_id: 'chat-msg-002',
      text: 'Gọi điện xác nhận.',
      kind: 'call',
      occurred_at: '2026-11-20T09:00:00Z',
      deal_id: s.dealId,
    });
    expect(hinted.body.items[0]).toMatchObject({ outcome: 'logged', deal_id: s.dealId, deal_match: 'hint' });
    expect((await activity(s.admin, hinted.body.items[0]?.activity_id ?? null)).account_id).toBe(s.accountId);

    const badHint = await c.post<ProblemDocument>(`${V1}/inbound/chat`, {
      message_id: 'chat-msg-003',
      text: 'x',
      occurred_at: '2026-11-20T09:00:00Z',
      account_id: '01900000-0000-7000-8000-000000000000',
    });
    expect(badHint.status).toBe(422);
    expect(badHint.body.errors?.[0]?.field).toBe('account_id');
    const nothing = await c.post<ProblemDocument>(`${V1}/inbound/chat`, {
      message_id: 'chat-msg-004',
      text: 'x',
      occurred_at: '2026-11-20T09:00:00Z',
    });
    expect(nothing.status).toBe(422);
    expect(nothing.body.errors?.[0]?.field).toBe('participants');
    const personal = await c.post<InboundResultJson>(`${V1}/inbound/chat`, {
      message_id: 'chat-msg-005',
      text: 'x',
      occurred_at: '2026-11-20T09:00:00Z',
      participants: ['hung.le@gmail.com'],
    });
    expect(personal.body.items[0]).toMatchObject({ outcome: 'skipped', reason: 'personal_domain' });
    expect(await countActivities(s.ws.id, 'chat')).toBe(2);
  });
});

describe('GET /inbound/reconciliation', () => {
  it('reports received vs logged per hour and channel', async () => {
    const s = await saoMai();
    const before = new Date(Date.now() - 1000).toISOString();
    await email(s.admin, QUOTE); // logged
    await email(s.admin, QUOTE); // duplicate
    await email(s.admin, QUOTE); // duplicate
    await email(s.admin, PERSONAL); // personal_domain
    await email(s.admin, REPLY); // logged
    await calendar(s.admin, MEETING); // logged
    await s.admin.client.post(`${V1}/inbound/chat`, {
      message_id: 'rec-1',
      text: 'x',
      occurred_at: '2026-11-20T09:00:00Z',
      participants: ['someone@unknown-company.vn'],
    }); // no_tracked_domain
    const res = await s.admin.client.get<ReconciliationJson>(
      `${V1}/inbound/reconciliation?from=${encodeURIComponent(before)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.totals).toEqual({
      received: 7,
      logged: 3,
      skipped: 4,
      skipped_by_reason: { duplicate: 2, personal_domain: 1, no_tracked_domain: 1 },
    });
    expect(res.body.by_channel.email).toMatchObject({ received: 5, logged: 2, skipped: 3 });
    expect(res.body.by_channel.calendar).toMatchObject({ received: 1, logged: 1 });
    expect(res.body.by_channel.chat).toMatchObject({ received: 1, logged: 0 });
    const sum = res.body.hours.reduce((n, h) => n + h.received, 0);
    expect(sum).toBe(7);
    for (const h of res.body.hours) expect(h.hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
    const onlyEmail = await s.admin.client.get<ReconciliationJson>(
      `${V1}/inbound/reconciliation?channel=email`,
    );
    expect(onlyEmail.body.totals.received).toBe(5);
    // A period before anything arrived is empty; other workspaces' items never count.
    const empty = await s.admin.client.get<ReconciliationJson>(
      `${V1}/inbound/reconciliation?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`,
    );
    expect(empty.body.totals.received).toBe(0);
    const other = await createWorkspace(t);
    expect(
      (await other.admin.client.get<ReconciliationJson>(`${V1}/inbound/reconciliation`)).body.totals.received,
    ).toBe(0);
    // The items behind the numbers: why each was (not) logged, pageable.
    const dups = await s.admin.client.get<ReceivedItemPage>(`${V1}/inbound/items?reason=duplicate`);
    expect(dups.body.data.map((i) => i.external_id)).toEqual([
      'CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn',
      'CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn',
    ]);
    const byId = await s.admin.client.get<ReceivedItemPage>(
      `${V1}/inbound/items?external_id=${encodeURIComponent('CAF7x2Lq9=lan.nguyen@mail.saomai.com.vn')}&outcome=logged`,
    );
    expect(byId.body.data).toHaveLength(1);
    expect(byId.body.data[0]).toMatchObject({ channel: 'email', direction: 'in', account_id: s.accountId });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: { body: ReceivedItemPage } = await s.admin.client.get<ReceivedItemPage>(
        `${V1}/inbound/items?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.body.data.map((x) => x.id));
      cursor = page.body.page.next_cursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(7);
    expect((await other.admin.client.get<ReceivedItemPage>(`${V1}/inbound/items`)).body.data).toEqual([]);
    const bad = await s.admin.client.get<ProblemDocument>(
      `${V1}/inbound/reconciliation?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z`,
    );
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.[0]?.field).toBe('to');
  });
});
