import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyerFor,
  closableDeal,
  SELLER,
  sellerReady,
  settle,
  wonDeal,
} from '../../../../test/factories/vietnam.js';
import { type WebhookTestApp, webhookTestApp } from '../../../../test/factories/webhooks.js';
import { addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import { verifyInvoiceSignature } from './hoadon/hoadon.sign.js';
import { parseInvoiceXml } from './hoadon/hoadon.xml.js';
import { validateInvoiceXml } from './hoadon/hoadon.xsd.js';
import type { InvoiceJson } from './invoice.service.js';

const INSUFFICIENT_PRIVILEGE = '42501';

describe('hóa đơn: issuing, numbering, immutability, corrections', () => {
  // A database of its own: the relay and the flow runner work across workspaces (other files' rows too).
  let t: WebhookTestApp;

  beforeAll(async () => {
    t = await webhookTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** A workspace that invoices by hand (the flow's invoice step turned off). */
  async function manualWorkspace(): Promise<TestWorkspace> {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    expect((await ws.admin.client.patch('/crm/v1/vn/settings', { won_flow_invoice: false })).status).toBe(
      200,
    );
    return ws;
  }

  it('issues a signed, schema-valid VAT invoice from the deal line items, once', async () => {
    const ws = await manualWorkspace();
    const deal = await closableDeal(t, ws, { amount_minor: 3_791_700 });
    const put = await ws.admin.client.put(`/crm/v1/deals/${deal.id}/line-items`, {
      items: [
        { name: 'Giấy phép CRM (năm)', unit: 'gói', quantity: '2', unit_price: '1500000', vat_rate: '10%' },
        { name: 'Đào tạo', unit: 'buổi', quantity: '1', unit_price: '500000', vat_rate: '8%' },
        { kind: 3, name: 'Chiết khấu', quantity: '1', unit_price: '50000', vat_rate: '10%' },
      ],
    });
    expect(put.status, put.raw).toBe(200);
    const bad = await ws.admin.client.put(`/crm/v1/deals/${deal.id}/line-items`, {
      items: [{ name: 'x', quantity: '1,5', unit_price: '-1' }],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['items.0.quantity', 'items.0.unit_price']);

    const notWon = await ws.admin.client.post(`/crm/v1/deals/${deal.id}/invoice`);
    expect(notWon.status).toBe(422);
    expect(notWon.body.code).toBe('deal_not_won');
    expect((await ws.admin.client.post(`/crm/v1/deals/${deal.id}/close`, { outcome: 'won' })).status).toBe(
      200,
    );

    const issued = await ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${deal.id}/invoice`);
    expect(issued.status, issued.raw).toBe(201);
    // 2×1,500,000 − 50,000 at 10% = 2,950,000 + 295,000 VAT; 500,000 at 8% + 40,000 VAT.
    expect(issued.body).toMatchObject({
      form: '1',
      number: 1,
      total_before_vat: '3450000',
      vat_total: '335000',
      grand_total: '3785000',
      buyer_name: 'Công ty Cổ phần Sữa Việt Nam',
      relation: 'original',
      origin: 'manual',
    });
    expect(issued.body.amount_in_words).toMatch(/^Ba triệu bảy trăm tám mươi lăm nghìn đồng/);
    expect(Number(issued.body.retain_until.slice(0, 4)) - Number(issued.body.issue_date.slice(0, 4))).toBe(
      10,
    );

    const xml = await ws.admin.client.get<string>(`/crm/v1/invoices/${issued.body.id}/xml`);
    expect(xml.headers['content-type']).toMatch(/application\/xml/);
    expect(await validateInvoiceXml(xml.raw)).toMatchObject({ valid: true });
    const sig = verifyInvoiceSignature(xml.raw);
    expect(sig.valid).toBe(true);
    const parsed = parseInvoiceXml(xml.raw);
    expect(parsed.document.seller).toMatchObject({ name: SELLER.legal_name, mst: SELLER.mst });
    expect(parsed.document.lines).toHaveLength(3);

    const html = await ws.admin.client.get<string>(`/crm/v1/invoices/${issued.body.id}/html`);
    expect(html.status).toBe(200);
    expect(html.raw).toContain('Công ty Cổ phần Sữa Việt Nam');
    expect(html.raw).toContain('3.785.000');

    const again = await ws.admin.client.post(`/crm/v1/deals/${deal.id}/invoice`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invoice_already_issued');
  });

  it('numbers concurrent issues 1..n per symbol with no gap and no duplicate', async () => {
    const ws = await manualWorkspace();
    const deals = [];
    for (let i = 0; i < 8; i++) deals.push(await wonDeal(t, ws, { amount_minor: 1_000_000 + i }));
    const answers = await Promise.all(
      deals.map((d) => ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${d.id}/invoice`)),
    );
    expect(answers.map((a) => a.status)).toEqual(deals.map(() => 201));
    expect(answers.map((a) => a.body.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(answers.map((a) => a.body.symbol)).size).toBe(1);
  });

  it('a sole proprietor gets a sales invoice (form 2, no VAT); USD deals carry the exchange rate', async () => {
    const ws = await manualWorkspace();
    const shop = await buyerFor(t, ws.admin, {
      name: 'Hộ kinh doanh Bình An',
      legal_type: 'sole_proprietor',
    });
    const d1 = await wonDeal(t, ws, { account_id: shop.id, amount_minor: 2_000_000 });
    const sales = await ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${d1.id}/invoice`);
    expect(sales.status, sales.raw).toBe(201);
    expect(sales.body).toMatchObject({ form: '2', vat_total: '0', grand_total: '2000000' });

    const d2 = await wonDeal(t, ws, { amount_minor: 100_050, currency: 'USD' });
    const usd = await ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${d2.id}/invoice`);
    expect(usd.status, usd.raw).toBe(201);
    expect(usd.body).toMatchObject({ currency: 'USD', exchange_rate: '25400', total_before_vat: '1000.5' });
    // Form 1 has its own numbering, separate from form 2's.
    expect(usd.body.number).toBe(1);
  });

  it('issued invoices are immutable; corrections are new invoices linked to the original', async () => {
    const ws = await manualWorkspace();
    const deal = await wonDeal(t, ws);
    const original = await ws.admin.client.post<InvoiceJson>(`/crm/v1/deals/${deal.id}/invoice`);
    expect(original.status).toBe(201);

    for (const stmt of [
      sql`UPDATE crm_core.crm_vn_invoices SET grand_total = 1 WHERE tenant_id = ${ws.id}`,
      sql`DELETE FROM crm_core.crm_vn_invoices WHERE tenant_id = ${ws.id}`,
    ]) {
      const err = await t.db
        .transaction(ws.id, (trx) => stmt.execute(trx))
        .then(
          () => null,
          (e: unknown) => e as { code?: string },
        );
      expect(err?.code).toBe(INSUFFICIENT_PRIVILEGE);
    }

    const adj = await ws.admin.client.post<InvoiceJson>(`/crm/v1/invoices/${original.body.id}/adjust`, {
      reason: 'Giảm giá sau nghiệm thu',
      lines: [{ name: 'Giảm giá gói triển khai', quantity: '1', unit_price: '-50000000', vat_rate: '8%' }],
    });
    expect(adj.status, adj.raw).toBe(201);
    expect(adj.body).toMatchObject({
      relation: 'adjustment',
      related_invoice_id: original.body.id,
      number: 2,
    });
    expect(adj.body.total_before_vat).toBe('-50000000');
    const adjXml = await ws.admin.client.get<string>(`/crm/v1/invoices/${adj.body.id}/xml`);
    expect(adjXml.raw).toContain('<SHDCLQuan>1</SHDCLQuan>');

    const rep = await ws.admin.client.post<InvoiceJson>(`/crm/v1/invoices/${original.body.id}/replace`);
    expect(rep.status, rep.raw).toBe(201);
    expect(rep.body).toMatchObject({
      relation: 'replacement',
      related_invoice_id: original.body.id,
      number: 3,
    });
    const twice = await ws.admin.client.post(`/crm/v1/invoices/${original.body.id}/replace`);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('invoice_already_replaced');
    const ofAdj = await ws.admin.client.post(`/crm/v1/invoices/${adj.body.id}/replace`);
    expect(ofAdj.status).toBe(409);

    // A positive price is fine on an adjustment; a negative one is refused on line items of a deal.
    const neg = await ws.admin.client.put(`/crm/v1/deals/${deal.id}/line-items`, {
      items: [{ name: 'x', quantity: '1', unit_price: '-5' }],
    });
    expect(neg.status).toBe(422);
  });

  it('says what is missing: seller profile, buyer address; needs crm.close; hides restricted deals', async () => {
    const ws = await createWorkspace(t);
    const deal = await wonDeal(t, ws);
    const noSeller = await ws.admin.client.post(`/crm/v1/deals/${deal.id}/invoice`);
    expect(noSeller.status).toBe(422);
    expect(noSeller.body.code).toBe('seller_profile_incomplete');

    await sellerReady(t, ws);
    await settle(t);
    const viewer = await addMember(t, ws, 'viewer');
    expect((await viewer.client.post(`/crm/v1/deals/${deal.id}/invoice`)).status).toBe(403);

    const secret = await wonDeal(t, ws, { acl_mode: 'restricted' });
    await settle(t);
    const rep = await addMember(t, ws, 'sales_rep');
    const list = await rep.client.get<{ data: InvoiceJson[] }>('/crm/v1/invoices');
    expect(list.body.data.map((i) => i.deal_id)).toEqual([deal.id]);
    const mine = await ws.admin.client.get<{ data: InvoiceJson[] }>(`/crm/v1/invoices?deal_id=${secret.id}`);
    expect(mine.body.data).toHaveLength(1);
    expect((await rep.client.get(`/crm/v1/invoices/${mine.body.data[0]?.id}`)).status).toBe(404);
  });
});
