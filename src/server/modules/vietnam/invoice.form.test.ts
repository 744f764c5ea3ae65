import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyerFor, sellerReady, wonDeal } from '../../../../test/factories/vietnam.js';
import { type WebhookTestApp, webhookTestApp } from '../../../../test/factories/webhooks.js';
import { createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import type { InvoiceJson } from './invoice.service.js';
import type { SettingsJson } from './settings.schema.js';

/**
 * The invoice form follows the seller's declared VAT method (ADR 0023): deduction → VAT invoice (form
 * 1) for any buyer, direct → sales invoice (form 2) for any buyer; undeclared → the buyer's legal type
 * decides, as before.
 */
describe('hóa đơn: form by the seller VAT method', () => {
  // A database of its own, like invoice.service.test.ts: the relay and the flow runner work across workspaces.
  let t: WebhookTestApp;

  beforeAll(async () => {
    t = await webhookTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** A workspace that invoices by hand, with the given VAT method declared (or not). */
  async function seller(vatMethod?: SettingsJson['vat_method']): Promise<TestWorkspace> {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    const patch = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', {
      won_flow_invoice: false,
      ...(vatMethod !== undefined ? { vat_method: vatMethod } : {}),
    });
    expect(patch.status, patch.raw).toBe(200);
    expect(patch.body.vat_method).toBe(vatMethod ?? null);
    return ws;
  }

  async function issueTo(ws: TestWorkspace, legalType: 'individual' | 'jsc'): Promise<InvoiceJson> {
    const buyer = await buyerFor(t, ws.admin, {
      name: legalType === 'individual' ? 'Nguyễn Văn An' : 'Công ty Cổ phần Sữa Việt Nam',
      legal_type: legalType,
    });
    const deal = await wonDeal(t, ws, { account_id: buyer.id, amount_minor: 2_000_000 });
    const issued = await ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${deal.id}/invoice`);
    expect(issued.status, issued.raw).toBe(201);
    return issued.body;
  }

  it('a deduction-method seller issues a VAT invoice (form 1) to an individual buyer', async () => {
    const ws = await seller('deduction');
    const inv = await issueTo(ws, 'individual');
    // The deal has no line items: one line at the dated standard rate, so VAT is charged.
    expect(inv).toMatchObject({ form: '1', number: 1, buyer_name: 'Nguyễn Văn An' });
    expect(inv.vat_total).not.toBe('0');
  });

  it('a direct-method seller issues a sales invoice (form 2) to a JSC', async () => {
    const ws = await seller('direct');
    const inv = await issueTo(ws, 'jsc');
    expect(inv).toMatchObject({ form: '2', number: 1, vat_total: '0', grand_total: '2000000' });
  });

  it('undeclared keeps the seed mapping by the buyer type; numbering stays per (form, symbol)', async () => {
    const ws = await seller();
    const a = await issueTo(ws, 'individual');
    const b = await issueTo(ws, 'jsc');
    expect([a.form, a.number]).toEqual(['2', 1]);
    expect([b.form, b.number]).toEqual(['1', 1]);

    // Declaring the method later switches the next invoices; each form continues its own sequence.
    const declared = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', {
      vat_method: 'deduction',
    });
    expect(declared.status).toBe(200);
    const c = await issueTo(ws, 'individual');
    expect([c.form, c.number]).toEqual(['1', 2]);

    // Back to undeclared (null) restores the seed mapping.
    const cleared = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', { vat_method: null });
    expect(cleared.body.vat_method).toBeNull();
    const d = await issueTo(ws, 'individual');
    expect([d.form, d.number]).toEqual(['2', 2]);
  });

  it('an adjustment and a replacement keep the form of the invoice they correct, after a method change', async () => {
    const ws = await seller('deduction');
    const original = await issueTo(ws, 'individual');
    expect(original.form).toBe('1');
    const switched = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', {
      vat_method: 'direct',
    });
    expect(switched.status).toBe(200);
    const adj = await ws.admin.client.post<InvoiceJson>(`/crm/v1/invoices/${original.id}/adjust`, {
      reason: 'Giảm giá sau nghiệm thu',
      lines: [{ name: 'Giảm giá', quantity: '1', unit_price: '-100000', vat_rate: '8%' }],
    });
    expect(adj.status, adj.raw).toBe(201);
    expect(adj.body).toMatchObject({ relation: 'adjustment', form: '1', number: 2 });
    const rep = await ws.admin.client.post<InvoiceJson>(`/crm/v1/invoices/${original.id}/replace`);
    expect(rep.status, rep.raw).toBe(201);
    expect(rep.body).toMatchObject({ relation: 'replacement', form: '1', number: 3 });
    // A new sale follows the declared method again.
    expect((await issueTo(ws, 'individual')).form).toBe('2');
  });

  it('returns vat_method, audits its change, and refuses a bad value with 422 naming it', async () => {
    const ws = await createWorkspace(t);
    const fresh = await ws.admin.client.get<SettingsJson>('/crm/v1/vn/settings');
    expect(fresh.body.vat_method).toBeNull();

    const bad = await ws.admin.client.patch('/crm/v1/vn/settings', { vat_method: 'khau_tru' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field)).toEqual(['vat_method']);
    const blank = await ws.admin.client.patch('/crm/v1/vn/settings', { vat_method: '' });
    expect(blank.status).toBe(422);
    expect(blank.body.errors?.map((e) => e.field)).toEqual(['vat_method']);

    const set = await ws.admin.client.patch<SettingsJson>('/crm/v1/vn/settings', { vat_method: 'direct' });
    expect(set.status).toBe(200);
    expect(set.body.vat_method).toBe('direct');
    expect((await ws.admin.client.get<SettingsJson>('/crm/v1/vn/settings')).body.vat_method).toBe('direct');

    const audit = await ws.admin.client.get<{ data: Array<{ diff: object }> }>(
      '/crm/v1/audit?action=vn_settings.updated',
    );
    expect(audit.status).toBe(200);
    expect(audit.body.data.map((a) => a.diff)).toContainEqual(
      expect.objectContaining({ vat_method: { from: null, to: 'direct' } }),
    );
  });
});
