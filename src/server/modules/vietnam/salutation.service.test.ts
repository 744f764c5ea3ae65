import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';

interface ContactJson {
  id: string;
  salutation: string | null;
  salutation_source: string;
  salutation_display: string;
  call_name: string | null;
  gender: string | null;
  birth_year: number | null;
}

describe('salutations on contacts, /vn/salutation and /vn/address/parse', () => {
  let t: TestApp;
  let ws: TestWorkspace;

  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('fills the salutation from the name, gender and birth year until a person chooses one', async () => {
    const c = ws.admin.client;
    const lan = await c.post<ContactJson>('/crm/v1/contacts', { first_name: 'Thị Lan', last_name: 'Nguyễn' });
    expect(lan.status, lan.raw).toBe(201);
    expect(lan.body).toMatchObject({
      salutation: 'chi',
      salutation_source: 'auto',
      salutation_display: 'Chị Lan',
    });

    const elder = await c.post<ContactJson>('/crm/v1/contacts', {
      display_name: 'Trần Văn Hùng',
      birth_year: 1950,
    });
    expect(elder.body).toMatchObject({ salutation: 'ong', salutation_display: 'Ông Hùng', birth_year: 1950 });

    const unknown = await c.post<ContactJson>('/crm/v1/contacts', { display_name: 'Lê Thanh Tâm' });
    expect(unknown.body.salutation).toBe('anh_chi');
    expect(unknown.body.salutation_display).toBe('Anh/Chị Tâm');
    // A known gender decides it; the automatic salutation follows.
    const told = await c.patch<ContactJson>(`/crm/v1/contacts/${unknown.body.id}`, { gender: 'female' });
    expect(told.body).toMatchObject({ salutation: 'chi', gender: 'female' });

    // A person's choice stays, whatever changes later; null hands it back to the rule.
    const chosen = await c.patch<ContactJson>(`/crm/v1/contacts/${lan.body.id}`, { salutation: 'em' });
    expect(chosen.body).toMatchObject({
      salutation: 'em',
      salutation_source: 'manual',
      salutation_display: 'Em Lan',
    });
    const older = await c.patch<ContactJson>(`/crm/v1/contacts/${lan.body.id}`, { birth_year: 1955 });
    expect(older.body.salutation).toBe('em');
    const back = await c.patch<ContactJson>(`/crm/v1/contacts/${lan.body.id}`, { salutation: null });
    expect(back.body).toMatchObject({ salutation: 'ba', salutation_source: 'auto' });

    const bad = await c.post('/crm/v1/contacts', { display_name: 'X', birth_year: 1800, gender: 'other' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['birth_year', 'gender']);
  });

  it('POST /vn/salutation applies the age rules relative to the speaker, with reasons', async () => {
    const c = ws.admin.client;
    const em = await c.post<{ salutation: string; display: string; reasons: string[] }>(
      '/crm/v1/vn/salutation',
      {
        full_name: 'Phạm Ngọc Anh',
        birth_year: 2001,
        speaker_birth_year: 1985,
      },
    );
    expect(em.status).toBe(200);
    expect(em.body.salutation).toBe('Em');
    expect(em.body.reasons.join(' ')).toMatch(/after the speaker/);
    const byId = await c.post<{ salutation: string; gender: string }>('/crm/v1/vn/salutation', {
      full_name: 'Hoàng Minh',
      national_id: '001185012345',
    });
    expect(byId.body).toMatchObject({ gender: 'female', salutation: 'Chị' });
    const bad = await c.post('/crm/v1/vn/salutation', { full_name: '', national_id: '12' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['full_name', 'national_id']);
  });

  it('POST /vn/address/parse maps a legacy address to the 2025 units', async () => {
    const c = ws.admin.client;
    const r = await c.post<{
      form: string;
      province: { name: string } | null;
      mapped: { ward: { name: string } | null; province: { name: string } | null } | null;
      datasetVersion: string;
    }>('/crm/v1/vn/address/parse', { text: '12 Lý Tự Trọng, P. Bến Nghé, Q.1, TP.HCM' });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.form).toBe('legacy');
    expect(r.body.mapped?.province?.name).toMatch(/Hồ Chí Minh/);
    expect(r.body.datasetVersion).toBeTruthy();
    expect((await c.post('/crm/v1/vn/address/parse', { text: '' })).status).toBe(422);
  });
});

describe('Vietnamese account addresses carry the 2025 unit codes', () => {
  let t: TestApp;
  let ws: TestWorkspace;
  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
  });

  interface Addr {
    ward: string | null;
    ward_code: string | null;
    province_code: string | null;
    dataset_version: string | null;
  }
  type Acc = {
    id: string;
    addresses: Addr[];
    warnings?: Array<{ code: string; field: string; message: string }>;
  };

  it('reads legacy and new addresses, lets a person pick among candidates, refuses unknown codes', async () => {
    const c = ws.admin.client;
    const legacy = await c.post<Acc>('/crm/v1/accounts', {
      name: 'Công ty Bến Nghé',
      legal_type: 'llc',
      country: 'VN',
      addresses: [{ street: '12 Lý Tự Trọng', ward: 'P. Bến Nghé', district: 'Q.1', province: 'TP.HCM' }],
    });
    expect(legacy.status, legacy.raw).toBe(201);
    expect(legacy.body.addresses[0]).toMatchObject({
      ward_code: expect.stringMatching(/^\d{5}$/),
      province_code: '79',
    });

    const fresh = await c.post<Acc>('/crm/v1/accounts', {
      name: 'Công ty Hoàn Kiếm',
      legal_type: 'llc',
      country: 'VN',
      addresses: [{ street: 'Số 1 Đinh Tiên Hoàng', ward: 'Phường Hoàn Kiếm', province: 'Hà Nội' }],
    });
    expect(fresh.body.addresses[0]).toMatchObject({ ward_code: '00070', province_code: '01' });
    expect(fresh.body.warnings).toBeUndefined();

    const picked = await c.patch<Acc>(`/crm/v1/accounts/${fresh.body.id}`, {
      addresses: [
        { street: 'Số 1 Đinh Tiên Hoàng', ward: 'Phường Ba Đình', province: 'Hà Nội', ward_code: '00004' },
      ],
    });
    expect(picked.status, picked.raw).toBe(200);
    expect(picked.body.addresses[0]).toMatchObject({ ward_code: '00004', province_code: '01' });

    const unknown = await c.patch(`/crm/v1/accounts/${fresh.body.id}`, {
      addresses: [{ street: 'x', province: 'Hà Nội', ward_code: '99999' }],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors?.[0]?.field).toBe('addresses.0.ward_code');

    const foreign = await c.post<Acc>('/crm/v1/accounts', {
      name: 'Acme SG',
      legal_type: 'other',
      country: 'SG',
      addresses: [{ street: '1 Harbourfront Walk', province: 'Singapore', country: 'SG' }],
    });
    expect(foreign.body.addresses[0]).toMatchObject({ ward_code: null, province_code: null });
  });
});
