import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type Client, type TestApp, testApp } from '../../../../test/helpers.js';
import { type Permission, ROLE_PERMISSIONS } from '../../../shared/auth.js';
import type { LeadJson } from '../leads/lead.presenter.js';
import type { SearchResponse } from './search.schema.js';

/**
 * Leads in the global search (`GET /crm/v1/search`, migration 0020): name and company without
 * diacritics, phone in a local spelling, email; open leads before disqualified and converted ones;
 * deleted leads never; another workspace's never; no group without crm.lead.view. Leads are created
 * through the leads API, so phones and emails are stored normalized exactly as in production.
 */

const BASE = '/crm/v1/search';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(async () => t.close());

async function search(c: Client, q: string, extra = '&types=leads&limit=20'): Promise<SearchResponse> {
  const res = await c.get<SearchResponse>(`${BASE}?q=${encodeURIComponent(q)}${extra}`);
  expect(res.status, `${q} ${res.raw}`).toBe(200);
  return res.body;
}

const leadNames = async (c: Client, q: string) => (await search(c, q)).leads?.data.map((x) => x.display_name);

async function lead(c: Client, body: Record<string, unknown>): Promise<LeadJson> {
  const res = await c.post<LeadJson>('/crm/v1/leads', body);
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

describe('leads in global search', () => {
  let ws: TestWorkspace;
  let lan: LeadJson;
  beforeAll(async () => {
    ws = await createWorkspace(t);
    lan = await lead(ws.admin.client, {
      display_name: 'Nguyễn Thị Lan',
      company_name: 'Công ty Sao Mai',
      email: 'Lan.Nguyen@SaoMai.VN',
      phone: '0912 345 678',
    });
    await lead(ws.admin.client, { display_name: 'Trần Văn Bình', company_name: 'Đại Việt Steel' });
  });

  it('finds a lead by its name typed without diacritics, with its summary', async () => {
    const body = await search(ws.admin.client, 'nguyen thi');
    expect(body.leads).toEqual({
      data: [
        {
          id: lan.id,
          display_name: 'Nguyễn Thị Lan',
          company_name: 'Công ty Sao Mai',
          email: 'lan.nguyen@saomai.vn',
          phone: '+84912345678',
          status: 'new',
        },
      ],
      has_more: false,
    });
    for (const q of ['lan', 'NGUYỄN', 'thi lan', 'guyen']) {
      expect(await leadNames(ws.admin.client, q), q).toEqual(['Nguyễn Thị Lan']);
    }
    expect(await leadNames(ws.admin.client, 'zzzz')).toEqual([]);
  });

  it('finds a lead by its company', async () => {
    expect(await leadNames(ws.admin.client, 'sao mai')).toEqual(['Nguyễn Thị Lan']);
    expect(await leadNames(ws.admin.client, 'dai viet')).toEqual(['Trần Văn Bình']);
  });

  it('finds a lead by its phone in a local or international spelling', async () => {
    for (const q of ['0912 345 678', '0912.345.678', '+84 912 345 678', '84912345678']) {
      expect(await leadNames(ws.admin.client, q), q).toEqual(['Nguyễn Thị Lan']);
    }
    expect(await leadNames(ws.admin.client, '0912 345 679')).toEqual([]);
  });

  it('finds a lead by its email, whole or its beginning, in any case', async () => {
    for (const q of ['lan.nguyen@saomai.vn', 'LAN.NGUYEN@SAOMAI.VN', 'lan.nguyen@sao']) {
      expect(await leadNames(ws.admin.client, q), q).toEqual(['Nguyễn Thị Lan']);
    }
    expect(await leadNames(ws.admin.client, 'binh@')).toEqual([]);
  });

  it('is in the default groups and limited per group like the others', async () => {
    const all = await search(ws.admin.client, 'lan', '');
    expect(Object.keys(all).sort()).toEqual(['accounts', 'contacts', 'deals', 'leads', 'q']);
    const other = await createWorkspace(t);
    for (const n of [1, 2, 3]) await lead(other.admin.client, { display_name: `Phạm Hồng ${n}` });
    const one = await search(other.admin.client, 'pham hong', '&types=leads&limit=2');
    expect(one.leads?.data.map((l) => l.display_name)).toEqual(['Phạm Hồng 1', 'Phạm Hồng 2']);
    expect(one.leads?.has_more).toBe(true);
  });
});

describe('status ranking', () => {
  it('ranks open leads before disqualified and converted ones, and says which is which', async () => {
    const ws = await createWorkspace(t);
    const c = ws.admin.client;
    // Names sort opposite to the wanted order, so only the status can put the open ones first.
    const converted = await lead(c, {
      display_name: 'Lê Anh',
      company_name: 'Hoa Sen',
      email: 'a@hoasen.vn',
    });
    const disqualified = await lead(c, { display_name: 'Lê Bảo', email: 'b@hoasen.vn', phone: '0901234567' });
    const qualified = await lead(c, { display_name: 'Lê Cường', email: 'c@hoasen.vn' });
    const fresh = await lead(c, { display_name: 'Lê Dung', email: 'd@hoasen.vn' });
    const contacted = await lead(c, { display_name: 'Lê Em', email: 'e@hoasen.vn', phone: '0901 234 567' });
    expect((await c.post(`/crm/v1/leads/${converted.id}/convert`, {})).status).toBe(201);
    expect(
      (await c.post(`/crm/v1/leads/${disqualified.id}/disqualify`, { reason: 'No budget' })).status,
    ).toBe(200);
    expect((await c.post(`/crm/v1/leads/${qualified.id}/qualify`, {})).status).toBe(200);
    expect((await c.patch(`/crm/v1/leads/${contacted.id}`, { status: 'contacted' })).status).toBe(200);

    const ranked = (await search(c, 'le')).leads?.data.map((l) => [l.display_name, l.status]);
    expect(ranked).toEqual([
      ['Lê Cường', 'qualified'],
      ['Lê Dung', 'new'],
      ['Lê Em', 'contacted'],
      ['Lê Anh', 'converted'],
      ['Lê Bảo', 'disqualified'],
    ]);
    // The same order for an exact-name match of a converted lead against a prefix match of an open one…
    await lead(c, { display_name: 'Lê Anh Tuấn' });
    expect(await leadNames(c, 'le anh')).toEqual(['Lê Anh Tuấn', 'Lê Anh']);
    // …and for the email and phone lookups.
    expect(await leadNames(c, '@hoasen')).toEqual([]);
    const byEmail = (await search(c, 'a@hoasen.vn')).leads?.data.map((l) => l.id);
    expect(byEmail).toEqual([converted.id]);
    expect(await leadNames(c, '0901234567')).toEqual(['Lê Em', 'Lê Bảo']);
    // A page that the open leads fill leaves the closed ones for has_more.
    const page = await search(c, 'le', '&types=leads&limit=4');
    expect(page.leads?.data.map((l) => l.display_name)).toEqual([
      'Lê Anh Tuấn',
      'Lê Cường',
      'Lê Dung',
      'Lê Em',
    ]);
    expect(page.leads?.has_more).toBe(true);
    expect(fresh.status).toBe('new');
  });

  it('leaves deleted leads out', async () => {
    const ws = await createWorkspace(t);
    const gone = await lead(ws.admin.client, {
      display_name: 'Đỗ Xóa',
      email: 'xoa@example.vn',
      phone: '0987 000 111',
    });
    expect((await ws.admin.client.delete(`/crm/v1/leads/${gone.id}`)).status).toBe(200);
    for (const q of ['do xoa', 'xoa@example.vn', '0987000111']) {
      expect(await leadNames(ws.admin.client, q), q).toEqual([]);
    }
  });
});

describe('isolation and access', () => {
  it('never returns another workspace’s lead, whatever the query', async () => {
    const a = await createWorkspace(t);
    const b = await createWorkspace(t);
    const ids: Record<string, string> = {};
    for (const ws of [a, b]) {
      ids[ws.id] = (
        await lead(ws.admin.client, {
          display_name: 'Vũ Sông Hồng',
          company_name: 'Sông Hồng Trading',
          email: 'hong@songhong.vn',
          phone: '0987 654 321',
        })
      ).id;
    }
    for (const q of ['song hong', 'hong', 'trading', '0987 654 321', 'hong@songhong.vn', 'hong@']) {
      for (const [ws, other] of [
        [a, b],
        [b, a],
      ] as const) {
        const found = (await search(ws.admin.client, q)).leads?.data.map((l) => l.id);
        expect(found, q).toEqual([ids[ws.id]]);
        expect(found, q).not.toContain(ids[other.id]);
      }
    }
  });

  it('returns nothing from the lead search function when no workspace is set', async () => {
    const ws = await createWorkspace(t);
    await lead(ws.admin.client, { display_name: 'Hidden Lead' });
    const none = await t.db.unscoped(
      async (k) => (await sql`SELECT * FROM crm_core.crm_lead_search('hidden', 10)`.execute(k)).rows,
    );
    expect(none).toEqual([]);
    const scoped = await t.db.read(
      ws.id,
      async (k) => (await sql`SELECT * FROM crm_core.crm_lead_search('hidden', 10)`.execute(k)).rows,
    );
    expect(scoped).toHaveLength(1);
  });

  it('shows every role with crm.lead.view the group, and leaves it out for a role without it', async () => {
    const ws = await createWorkspace(t);
    await lead(ws.admin.client, { display_name: 'Hoàng Quyền' });
    const viewer = await addMember(t, ws, 'viewer');
    const support = await addMember(t, ws, 'support');
    for (const c of [viewer.client, support.client]) {
      expect(await leadNames(c, 'hoang quyen')).toEqual(['Hoàng Quyền']);
    }
    // Every shipped role reads leads, so the rule is exercised by taking the permission from one role
    // for the length of this test (this file's module graph only), as a custom role would lack it.
    const viewerPermissions = ROLE_PERMISSIONS.viewer as Set<Permission>;
    viewerPermissions.delete('crm.lead.view');
    try {
      const body = await search(viewer.client, 'hoang quyen', '');
      expect(body.leads).toBeUndefined();
      expect(Object.keys(body).sort()).toEqual(['accounts', 'contacts', 'deals', 'q']);
      expect((await search(viewer.client, 'hoang quyen')).leads).toBeUndefined();
    } finally {
      viewerPermissions.add('crm.lead.view');
    }
  });
});
