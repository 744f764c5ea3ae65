import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import { MemoryStore } from '../../platform/kv.js';
import type { AccountJson } from '../accounts/account.presenter.js';
import {
  CachedMstRegistry,
  FakeMstRegistry,
  KvMstRegistryCache,
  NAMED_MST_RECORDS,
} from './mst/mst.registry.js';
import { DbMstRegistryCache } from './mst.service.js';

interface Validation {
  valid: boolean;
  normalized: string;
  display: string | null;
  kind: string | null;
  reason?: string;
  status: string;
  registry: { status: string; name: string | null; cached: boolean } | null;
  warnings: Array<{ code: string; field: string }>;
}

type AccountWithWarnings = AccountJson & {
  warnings?: Array<{ code: string; field: string; message: string }>;
};

describe('MST on accounts and POST /vn/mst/validate (R-CRM-001, seed flow 1)', () => {
  let t: TestApp;
  let fake: FakeMstRegistry;
  let ws: TestWorkspace;

  beforeAll(async () => {
    fake = new FakeMstRegistry([
      ...NAMED_MST_RECORDS,
      { mst: '0314409058', name: 'CÔNG TY TNHH ACME VIỆT NAM', address: 'TP. Hồ Chí Minh', status: 'active' },
    ]);
    const db = (await import('../../../../test/helpers.js')).testDb;
    // The production wiring with the fake at the boundary: HTTP adapter replaced, cache in the database.
    const registry = new CachedMstRegistry(fake, new DbMstRegistryCache(await db()));
    t = await testApp({}, { mstRegistry: registry });
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers valid/invalid with the kind and a stable reason, and asks the registry only for good codes', async () => {
    const c = ws.admin.client;
    const ok = await c.post<Validation>('/crm/v1/vn/mst/validate', { mst: '0100-109-106' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      valid: true,
      normalized: '0100109106',
      kind: 'enterprise',
      status: 'valid',
    });
    expect(ok.body.registry?.status).toBe('found');

    const calls = fake.callCount();
    const bad = await c.post<Validation>('/crm/v1/vn/mst/validate', { mst: '0100233480' });
    expect(bad.body).toMatchObject({
      valid: false,
      reason: 'mst_checksum_invalid',
      status: 'invalid',
      registry: null,
    });
    expect(fake.callCount()).toBe(calls);

    const branch = await c.post<Validation>('/crm/v1/vn/mst/validate', { mst: '0314409058-000' });
    expect(branch.body).toMatchObject({ valid: false, reason: 'mst_branch_invalid' });
    const empty = await c.post('/crm/v1/vn/mst/validate', {});
    expect(empty.status).toBe(422);
  });

  it('a Vietnamese account with bad digits is a 422 naming vn_mst; nothing is written', async () => {
    const r = await ws.admin.client.post('/crm/v1/accounts', {
      name: 'Sai mã',
      legal_type: 'llc',
      country: 'VN',
      vn_mst: '0100109107',
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'mst_checksum_invalid' });
    expect(r.body.errors?.[0]?.field).toBe('vn_mst');
    const list = await ws.admin.client.get<{ data: AccountJson[] }>('/crm/v1/accounts?q=Sai');
    expect(list.body.data).toEqual([]);
  });

  it('takes the registry name when it differs, with a warning; stores the code normalized and valid', async () => {
    const r = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'Acme VN',
      legal_type: 'llc',
      country: 'VN',
      vn_mst: '0314.409.058',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'CÔNG TY TNHH ACME VIỆT NAM',
      vn_mst: '0314409058',
      mst_status: 'valid',
    });
    expect(r.body.mst_checked_at).not.toBeNull();
    expect(r.body.warnings?.map((w) => w.code)).toEqual(['name_normalized']);

    // Same name in other casing/spacing: no warning, name kept as typed.
    const same = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'Công ty TNHH  Acme Việt Nam',
      legal_type: 'llc',
      country: 'VN',
      vn_mst: '0314409058',
    });
    expect(same.body.warnings).toBeUndefined();
    expect(same.body.name).toBe('Công ty TNHH  Acme Việt Nam');
  });

  it('a registry outage never blocks the write: stale, with a warning, and re-checked later', async () => {
    fake.setOutage('outage');
    try {
      const r = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
        name: 'Ngân hàng TMCP Ngoại thương',
        legal_type: 'jsc',
        country: 'VN',
        vn_mst: '0100112437',
      });
      expect(r.status).toBe(201);
      expect(r.body.mst_status).toBe('stale');
      expect(r.body.warnings?.map((w) => w.code)).toEqual(['mst_registry_unavailable']);
      fake.setOutage(null);
      const again = await ws.admin.client.post<AccountWithWarnings & { mst: Validation }>(
        `/crm/v1/accounts/${r.body.id}/validate-mst`,
      );
      expect(again.status).toBe(200);
      expect(again.body.mst_status).toBe('valid');
      expect(again.body.mst.registry?.status).toBe('found');
    } finally {
      fake.setOutage(null);
    }
  });

  it('an unknown code is stored invalid with a warning; foreign accounts keep theirs unverified', async () => {
    const unknown = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'Không có trong sổ',
      legal_type: 'llc',
      country: 'VN',
      vn_mst: '0106824279',
    });
    expect(unknown.status).toBe(201);
    expect(unknown.body.mst_status).toBe('invalid');
    expect(unknown.body.warnings?.map((w) => w.code)).toEqual(['mst_not_registered']);

    const foreign = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'Acme Inc.',
      legal_type: 'other',
      country: 'US',
      vn_mst: '12-3456789',
    });
    expect(foreign.status).toBe(201);
    expect(foreign.body).toMatchObject({ vn_mst: '12-3456789', mst_status: 'unverified' });
  });

  it('serves repeated lookups from the 7-day cache (the database one here)', async () => {
    const before = fake.callCount();
    await ws.admin.client.post('/crm/v1/vn/mst/validate', { mst: '0300588569' });
    const second = await ws.admin.client.post<Validation>('/crm/v1/vn/mst/validate', { mst: '0300588569' });
    expect(fake.callCount()).toBe(before + 1);
    expect(second.body.registry?.cached).toBe(true);
    // "Check again" on an account asks the registry itself.
    const acct = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'CÔNG TY CỔ PHẦN SỮA VIỆT NAM',
      legal_type: 'jsc',
      country: 'VN',
      vn_mst: '0300588569',
    });
    expect(fake.callCount()).toBe(before + 1);
    const again = await ws.admin.client.post<AccountWithWarnings & { mst: Validation }>(
      `/crm/v1/accounts/${acct.body.id}/validate-mst`,
    );
    expect(fake.callCount()).toBe(before + 2);
    expect(again.body.mst.registry?.cached).toBe(false);
  });

  it('changing the MST on update re-checks it', async () => {
    const a = await ws.admin.client.post<AccountWithWarnings>('/crm/v1/accounts', {
      name: 'Viettel',
      legal_type: 'jsc',
      country: 'VN',
    });
    const bad = await ws.admin.client.patch(`/crm/v1/accounts/${a.body.id}`, { vn_mst: '0100109107' });
    expect(bad.status).toBe(422);
    const good = await ws.admin.client.patch<AccountWithWarnings>(`/crm/v1/accounts/${a.body.id}`, {
      vn_mst: '0100109106',
    });
    expect(good.status).toBe(200);
    expect(good.body.mst_status).toBe('valid');
  });

  it('works without a database cache too (Redis or memory store)', async () => {
    const registry = new CachedMstRegistry(fake, new KvMstRegistryCache(new MemoryStore()));
    const first = await registry.lookup('0101248141');
    const second = await registry.lookup('0101248141');
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.record?.name).toBe(first.record?.name);
  });
});
