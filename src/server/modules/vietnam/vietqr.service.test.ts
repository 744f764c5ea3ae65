import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dealFor } from '../../../../test/factories/deals.js';
import { buyerFor, SELLER } from '../../../../test/factories/vietnam.js';
import { addMember, apiKeyFor, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { type TestApp, testApp } from '../../../../test/helpers.js';
import type { ReceivingAccountJson, SettingsJson } from './settings.schema.js';
import { decodeVietQr } from './vietqr/vietqr.codec.js';
import type { VietQrJson } from './vietqr.service.js';

interface Vector {
  id: number;
  payload: string;
  valid: boolean;
  bankBin?: string;
  account?: string;
  amount?: number;
  purpose?: string;
}
const VECTORS = (
  JSON.parse(readFileSync(new URL('../../../../test/fixtures/vn/vietqr.json', import.meta.url), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;

describe('VietQR collection: allow-list, first-use confirmation, deal codes (R-CRM-007)', () => {
  let t: TestApp;
  let ws: TestWorkspace;

  beforeAll(async () => {
    t = await testApp();
    ws = await createWorkspace(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('settings: members read, admins change (with If-Match), bad values name the field', async () => {
    const rep = await addMember(t, ws, 'sales_rep');
    const read = await rep.client.get<SettingsJson>('/crm/v1/vn/settings');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ legal_name: null, invoice_series: 'TAA', version: 0 });
    expect((await rep.client.patch('/crm/v1/vn/settings', { legal_name: 'X' })).status).toBe(403);

    const bad = await ws.admin.client.patch('/crm/v1/vn/settings', {
      invoice_series: 'ZZ1',
      mst: '12',
      vat_sector: 'banana',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['invoice_series', 'mst', 'vat_sector']);

    const ok = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', SELLER, {
      'if-match': '"0"',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ...SELLER, version: 1 });
    const stale = await ws.admin.client.patch(
      '/crm/v1/vn/settings',
      { phone: '028 1234 5678' },
      { 'if-match': '"0"' },
    );
    expect(stale.status).toBe(412);
  });

  it('receiving accounts: unknown BINs refused; a deal QR into an unlisted account is 422, an unconfirmed one 409', async () => {
    const c = ws.admin.client;
    const unknown = await c.post('/crm/v1/vn/receiving-accounts', {
      bank_bin: '123456',
      account_number: '1',
      account_name: 'X',
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors?.[0]?.field).toBe('bank_bin');

    const acct = await c.post<ReceivingAccountJson>('/crm/v1/vn/receiving-accounts', {
      bank_bin: '970418',
      account_number: '12.345.678.901',
      account_name: 'CONG TY CYBEROS',
      is_default: true,
    });
    expect(acct.status).toBe(201);
    expect(acct.body).toMatchObject({ account_number: '12345678901', confirmed: false, is_default: true });
    expect(acct.body.bank?.short_name).toBe('BIDV');
    const dup = await c.post('/crm/v1/vn/receiving-accounts', {
      bank_bin: '970418',
      account_number: '12345678901',
      account_name: 'again',
    });
    expect(dup.status).toBe(409);

    const buyer = await buyerFor(t, ws.admin);
    const deal = await dealFor(t, ws.admin, {
      account_id: buyer.id,
      amount_minor: 125_000_000,
      name: 'Triển khai CRM – giai đoạn 1',
    });

    const unlisted = await c.post(`/crm/v1/deals/${deal.id}/vietqr`, {
      bank_bin: '970436',
      account_number: '999',
    });
    expect(unlisted.status).toBe(422);
    expect(unlisted.body.code).toBe('receiving_account_not_allowed');

    const first = await c.post(`/crm/v1/deals/${deal.id}/vietqr`, {});
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('receiving_account_unconfirmed');
    expect(first.body.errors?.[0]?.field).toBe('confirm_first_use');

    const confirmed = await c.post<VietQrJson>(`/crm/v1/deals/${deal.id}/vietqr`, {
      confirm_first_use: true,
    });
    expect(confirmed.status).toBe(201);
    const d = decodeVietQr(confirmed.body.payload);
    expect(
      d.ok && d.qr.kind === 'napas' ? [d.qr.bankBin, d.qr.account, d.qr.amount, d.qr.init] : null,
    ).toEqual(['970418', '12345678901', 125_000_000, '12']);
    // The purpose is ASCII, ≤ 25 characters, and starts with the deal reference a bank statement shows.
    expect(confirmed.body.purpose).toMatch(/^DL[0-9A-F]{10} Trien khai/);
    expect(confirmed.body.purpose?.length).toBeLessThanOrEqual(25);

    // Confirmed once, by whom and when; later codes need no confirmation.
    const list = await c.get<{ data: ReceivingAccountJson[] }>('/crm/v1/vn/receiving-accounts');
    expect(list.body.data[0]).toMatchObject({ confirmed: true, confirmed_by: ws.admin.userId });
    const again = await c.post<VietQrJson>(`/crm/v1/deals/${deal.id}/vietqr`, {
      amount_vnd: 50_000_000,
      purpose: 'Đặt cọc',
    });
    expect(again.status).toBe(201);
    expect(again.body.amount_vnd).toBe(50_000_000);
    expect(again.body.purpose).toBe('Dat coc');

    const png = await t.app.inject({
      url: confirmed.body.png_url,
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const svg = await t.app.inject({
      url: confirmed.body.svg_url,
      headers: { authorization: `Bearer ${ws.admin.token}` },
    });
    expect(svg.statusCode).toBe(200);
    expect(svg.body).toContain('<svg');

    const codes = await c.get<{ data: VietQrJson[] }>(`/crm/v1/deals/${deal.id}/vietqr`);
    expect(codes.body.data.map((x) => x.amount_vnd)).toEqual([50_000_000, 125_000_000]);
  });

  it('needs crm.payment; a restricted deal is not found for others; another workspace sees nothing', async () => {
    const viewer = await addMember(t, ws, 'viewer');
    const rep = await addMember(t, ws, 'sales_rep');
    const buyer = await buyerFor(t, ws.admin);
    const deal = await dealFor(t, ws.admin, {
      account_id: buyer.id,
      amount_minor: 1_000_000,
      acl_mode: 'restricted',
    });
    expect((await viewer.client.post(`/crm/v1/deals/${deal.id}/vietqr`, {})).status).toBe(403);
    const readOnly = await apiKeyFor(t, ws.admin, ['crm.read', 'crm.write']);
    const noScope = await readOnly.client.post(`/crm/v1/deals/${deal.id}/vietqr`, {});
    expect(noScope.status).toBe(403);
    expect(noScope.body.code).toBe('insufficient_scope');
    expect((await rep.client.post(`/crm/v1/deals/${deal.id}/vietqr`, {})).status).toBe(404);
    const other = await createWorkspace(t);
    expect((await other.admin.client.post(`/crm/v1/deals/${deal.id}/vietqr`, {})).status).toBe(404);
    expect(
      (await other.admin.client.get<{ data: unknown[] }>('/crm/v1/vn/receiving-accounts')).body.data,
    ).toEqual([]);
  });

  it('decodes every public vector exactly and rejects the broken ones with a reason; encode round-trips', async () => {
    const c = ws.admin.client;
    for (const v of VECTORS) {
      const r = await c.post<{
        bank_bin: string;
        account: string;
        amount: number | null;
        purpose: string | null;
      }>('/crm/v1/vn/vietqr/decode', { payload: v.payload });
      if (!v.valid) {
        expect({ id: v.id, status: r.status }).toEqual({ id: v.id, status: 422 });
        expect((r.body as unknown as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('payload');
        continue;
      }
      expect({ id: v.id, status: r.status }).toEqual({ id: v.id, status: 200 });
      expect(r.body.bank_bin).toBe(v.bankBin);
      expect(r.body.account).toBe(v.account);
      expect(r.body.amount).toBe(v.amount ?? null);
      expect(r.body.purpose).toBe(v.purpose ?? null);
    }
    const enc = await c.post<{ payload: string; decoded: { purpose: string } }>('/crm/v1/vn/vietqr/encode', {
      bank_bin: '970415',
      account: '0011001932418',
      amount: 120000,
      purpose: 'ủng hộ lũ lụt',
    });
    expect(enc.status).toBe(200);
    expect(enc.body.payload).toBe(VECTORS[0]?.payload);
    const badEnc = await c.post('/crm/v1/vn/vietqr/encode', { bank_bin: '970415', account: 'x'.repeat(20) });
    expect(badEnc.status).toBe(422);
    expect(badEnc.body.errors?.[0]?.field).toBe('account');
  });

  it('the bank directory is versioned and editable per workspace', async () => {
    const c = ws.admin.client;
    const base = await c.get<{ version: string; data: Array<{ bin: string; shortName: string }> }>(
      '/crm/v1/vn/banks',
    );
    expect(base.body.data.length).toBeGreaterThan(40);
    expect(base.body.data.find((b) => b.bin === '970436')?.shortName).toBe('Vietcombank');
    expect((await c.put('/crm/v1/vn/banks/970436', { short_name: 'VCB', disabled: false })).status).toBe(204);
    expect(
      (await c.put('/crm/v1/vn/banks/970499', { short_name: 'Ngân hàng Mới', name: 'Ngân hàng TMCP Mới' }))
        .status,
    ).toBe(204);
    const edited = await c.get<{ version: string; data: Array<{ bin: string; shortName: string }> }>(
      '/crm/v1/vn/banks',
    );
    expect(edited.body.version).toBe(`${base.body.version}+workspace`);
    expect(edited.body.data.find((b) => b.bin === '970436')?.shortName).toBe('VCB');
    expect(edited.body.data.find((b) => b.bin === '970499')?.shortName).toBe('Ngân hàng Mới');
    const other = await createWorkspace(t);
    const theirs = await other.admin.client.get<{ data: Array<{ bin: string; shortName: string }> }>(
      '/crm/v1/vn/banks',
    );
    expect(theirs.body.data.find((b) => b.bin === '970436')?.shortName).toBe('Vietcombank');
    expect((await c.delete('/crm/v1/vn/banks/970436')).status).toBe(204);
    expect((await c.delete('/crm/v1/vn/banks/970436')).status).toBe(404);
  });
});
