import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closableDeal, sellerReady, settle, topicsOf, wonDeal } from '../../../../test/factories/vietnam.js';
import { Receiver, type WebhookTestApp, webhookTestApp } from '../../../../test/factories/webhooks.js';
import { addMember, createWorkspace, type TestWorkspace } from '../../../../test/factories.js';
import type { DealJson } from '../deals/deal.presenter.js';
import { verifySignature } from '../webhooks/webhook.signature.js';
import type { FlowStep } from './vietnam.table.js';
import { decodeVietQr } from './vietqr/vietqr.codec.js';
import { WonFlowRunner } from './won-flow.runner.js';

interface FlowJson {
  deal_id: string;
  status: string;
  steps: Array<{ step: FlowStep; status: string; note: string | null; result: Record<string, unknown> }>;
}

const statusOf = (f: FlowJson) => Object.fromEntries(f.steps.map((s) => [s.step, s.status]));

describe('the deal-won flow (seed flow 3)', () => {
  // A database of its own: the relay and the flow runner work across workspaces (other files' rows too).
  let t: WebhookTestApp;

  beforeAll(async () => {
    t = await webhookTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('after a win, outbox consumers collect, invoice, tell PROJ and BRAIN, and record the win — not the request', async () => {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    const deal = await wonDeal(t, ws);

    // The closing request did none of it: the steps exist only once the deal.won event is consumed.
    const before = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(before.status).toBe(200);
    expect(before.body.steps).toEqual([]);

    await settle(t);
    const flow = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(statusOf(flow.body)).toEqual({
      vietqr: 'done',
      invoice: 'done',
      engagement: 'done',
      brain: 'done',
      win_loss: 'done',
    });

    // The VietQR code asks for the deal's amount into the confirmed default account, with the deal reference.
    const qrs = await ws.admin.client.get<{
      data: Array<{ payload: string; origin: string; reference: string }>;
    }>(`/crm/v1/deals/${deal.id}/vietqr`);
    expect(qrs.body.data).toHaveLength(1);
    const qr = qrs.body.data[0];
    expect(qr?.origin).toBe('won_flow');
    const decoded = decodeVietQr(qr?.payload ?? '');
    expect(decoded.ok).toBe(true);
    if (decoded.ok && decoded.qr.kind === 'napas') {
      expect(decoded.qr.bankBin).toBe('970436');
      expect(decoded.qr.account).toBe('001100234567');
      expect(decoded.qr.amount).toBe(750_000_000);
      expect(decoded.qr.purpose).toContain(qr?.reference);
    }

    // The invoice: VAT form for a JSC buyer, number 1 of the workspace's symbol, signed XML stored.
    const invoices = await ws.admin.client.get<{ data: Array<Record<string, unknown>> }>(
      `/crm/v1/invoices?deal_id=${deal.id}`,
    );
    expect(invoices.body.data).toHaveLength(1);
    const inv = invoices.body.data[0] as Record<string, string | number>;
    expect(inv).toMatchObject({
      form: '1',
      number: 1,
      relation: 'original',
      origin: 'won_flow',
      currency: 'VND',
    });
    expect(String(inv.symbol)).toMatch(/^C\d{2}TAA$/);
    const xml = await ws.admin.client.get<string>(`/crm/v1/invoices/${inv.id}/xml`);
    expect(xml.status).toBe(200);
    expect(xml.raw).toContain('<SHDon>1</SHDon>');
    expect(xml.raw).toContain('SignatureValue');

    // Every downstream record is an outbox event, once.
    const topics = await topicsOf(t, ws.id, deal.id);
    for (const topic of [
      'vietqr.generated',
      'invoice.issued',
      'engagement.requested',
      'deal.closed',
      'deal.win_loss_recorded',
    ]) {
      expect({ topic, n: topics.filter((x) => x === topic).length }).toEqual({ topic, n: 1 });
    }
  });

  it('a crash between steps loses nothing and duplicates nothing', async () => {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    const deal = await wonDeal(t, ws);
    await t.relay.drain();

    // A runner that "crashes" inside the invoice step, after issuing, before its commit.
    let crashes = 0;
    const crashing = new WonFlowRunner(t.platform, {
      fault: (step, dealId) => {
        if (step === 'invoice' && dealId === deal.id && crashes++ === 0) throw new Error('simulated crash');
      },
    });
    await crashing.runOnce();
    const mid = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(statusOf(mid.body)).toMatchObject({ vietqr: 'done', invoice: 'pending' });
    const none = await t.db.read(ws.id, (k) =>
      sql<{ n: number; last: number | null }>`
        SELECT (SELECT count(*)::int FROM crm_core.crm_vn_invoices WHERE tenant_id = ${ws.id}) AS n,
               (SELECT max(last_number) FROM crm_core.crm_vn_invoice_sequences WHERE tenant_id = ${ws.id}) AS last`.execute(
        k,
      ),
    );
    // The rolled-back issue gave its number back.
    expect(none.rows[0]).toMatchObject({ n: 0 });
    expect(none.rows[0]?.last ?? 0).toBe(0);

    // A runner that died holding a lease: its claim expires and another runner finishes the work.
    await t.db.system((k) =>
      sql`UPDATE crm_core.crm_deal_flow_steps SET available_at = now(), locked_until = now() - interval '1 second'
          WHERE tenant_id = ${ws.id} AND deal_id = ${deal.id} AND status = 'pending'`.execute(k),
    );
    await settle(t);
    // The relay publishing deal.won again (at least once) must not redo anything.
    const won = await t.db.read(ws.id, (k) =>
      sql<{ payload: Record<string, unknown> }>`SELECT payload FROM crm_core.crm_outbox
        WHERE tenant_id = ${ws.id} AND aggregate_id = ${deal.id} AND topic = 'deal.won'`.execute(k),
    );
    await t.platform.bus.publish(won.rows[0]?.payload as never);
    await settle(t);

    const end = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(new Set(Object.values(statusOf(end.body)))).toEqual(new Set(['done']));
    const counts = await t.db.read(ws.id, (k) =>
      sql<{ invoices: number; codes: number; last: number }>`
        SELECT (SELECT count(*)::int FROM crm_core.crm_vn_invoices WHERE tenant_id = ${ws.id}) AS invoices,
               (SELECT count(*)::int FROM crm_core.crm_vn_vietqr_codes WHERE tenant_id = ${ws.id}) AS codes,
               (SELECT max(last_number) FROM crm_core.crm_vn_invoice_sequences WHERE tenant_id = ${ws.id}) AS last`.execute(
        k,
      ),
    );
    expect(counts.rows[0]).toEqual({ invoices: 1, codes: 1, last: 1 });
    const topics = await topicsOf(t, ws.id, deal.id);
    expect(topics.filter((x) => x === 'invoice.issued')).toHaveLength(1);
    expect(topics.filter((x) => x === 'engagement.requested')).toHaveLength(1);
  });

  it('restricted deals never reach BRAIN (R-CRM-009); lost ones get a win/loss record and no BRAIN record (R-CRM-010)', async () => {
    const ws = await createWorkspace(t);
    await sellerReady(t, ws);
    const secret = await wonDeal(t, ws, { acl_mode: 'restricted' });
    const lostDeal = await closableDeal(t, ws, { amount_minor: 1_000_000 });
    const lost = await ws.admin.client.post<DealJson>(`/crm/v1/deals/${lostDeal.id}/close`, {
      outcome: 'lost',
      lost_reason: 'Giá cao hơn đối thủ',
    });
    expect(lost.status).toBe(200);
    const cancelledDeal = await closableDeal(t, ws);
    expect(
      (await ws.admin.client.post(`/crm/v1/deals/${cancelledDeal.id}/close`, { outcome: 'cancelled' }))
        .status,
    ).toBe(200);
    await settle(t);

    const s = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${secret.id}/flow`);
    expect(statusOf(s.body)).toMatchObject({ brain: 'skipped', invoice: 'done', vietqr: 'done' });
    expect(s.body.steps.find((x) => x.step === 'brain')?.note).toMatch(/R-CRM-009/);
    expect(await topicsOf(t, ws.id, secret.id)).not.toContain('deal.closed');

    const l = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${lostDeal.id}/flow`);
    expect(statusOf(l.body)).toEqual({ win_loss: 'done' });
    const lostTopics = await topicsOf(t, ws.id, lostDeal.id);
    expect(lostTopics).toContain('deal.win_loss_recorded');
    expect(lostTopics).not.toContain('deal.closed');
    expect(lostTopics).not.toContain('invoice.issued');
    const record = await t.db.read(ws.id, (k) =>
      sql<{
        payload: { data: { outcome: string; lost_reason: string } };
      }>`SELECT payload FROM crm_core.crm_outbox
        WHERE tenant_id = ${ws.id} AND aggregate_id = ${lostDeal.id} AND topic = 'deal.win_loss_recorded'`.execute(
        k,
      ),
    );
    expect(record.rows[0]?.payload.data).toMatchObject({
      outcome: 'lost',
      lost_reason: 'Giá cao hơn đối thủ',
    });

    const c = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${cancelledDeal.id}/flow`);
    expect(c.body.steps).toEqual([]);
  });

  it('waits with the reason when a receiving account is missing or unconfirmed, and resumes once a member confirms it', async () => {
    const ws = await createWorkspace(t);
    const { receiving } = await sellerReady(t, ws, { confirm: false });
    const deal = await wonDeal(t, ws);
    await settle(t);
    const waiting = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    const step = waiting.body.steps.find((x) => x.step === 'vietqr');
    expect(step?.status).toBe('waiting');
    expect(step?.note).toMatch(/confirm/i);
    // The flow never confirms on a member's behalf: still no code.
    expect(
      (await ws.admin.client.get<{ data: unknown[] }>(`/crm/v1/deals/${deal.id}/vietqr`)).body.data,
    ).toEqual([]);

    const rep = await addMember(t, ws, 'sales_rep');
    expect((await rep.client.post(`/crm/v1/vn/receiving-accounts/${receiving?.id}/confirm`)).status).toBe(
      200,
    );
    await settle(t);
    const done = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(statusOf(done.body).vietqr).toBe('done');
  });

  it('waits for a seller profile, and a retry after fixing it issues the invoice', async () => {
    const ws = await createWorkspace(t);
    const deal = await wonDeal(t, ws);
    await settle(t);
    const waiting = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(statusOf(waiting.body)).toMatchObject({
      invoice: 'waiting',
      vietqr: 'waiting',
      engagement: 'done',
    });
    expect(waiting.body.steps.find((x) => x.step === 'invoice')?.note).toMatch(/seller profile/);

    await sellerReady(t, ws);
    const retried = await ws.admin.client.post<FlowJson>(`/crm/v1/deals/${deal.id}/flow/retry`);
    expect(retried.status).toBe(200);
    await settle(t);
    const done = await ws.admin.client.get<FlowJson>(`/crm/v1/deals/${deal.id}/flow`);
    expect(statusOf(done.body)).toMatchObject({ invoice: 'done', vietqr: 'done' });
  });

  it('another workspace sees neither the flow nor the invoices', async () => {
    const ws = await createWorkspace(t);
    const other: TestWorkspace = await createWorkspace(t);
    await sellerReady(t, ws);
    const deal = await wonDeal(t, ws);
    await settle(t);
    expect((await other.admin.client.get(`/crm/v1/deals/${deal.id}/flow`)).status).toBe(404);
    const list = await other.admin.client.get<{ data: unknown[] }>('/crm/v1/invoices');
    expect(list.body.data).toEqual([]);
    const mine = await ws.admin.client.get<{ data: Array<{ id: string }> }>('/crm/v1/invoices');
    const id = mine.body.data[0]?.id;
    expect((await other.admin.client.get(`/crm/v1/invoices/${id}`)).status).toBe(404);
    expect((await other.admin.client.get(`/crm/v1/invoices/${id}/xml`)).status).toBe(404);
  });

  it('reaches INV, PROJ and BRAIN as signed webhooks', async () => {
    const receiver = await Receiver.start();
    try {
      const ws = await createWorkspace(t);
      await sellerReady(t, ws);
      const hook = await ws.admin.client.post<{ id: string; secret: string }>('/crm/v1/webhooks', {
        url: Object.assign(new URL(receiver.url), { pathname: '/cyberos', search: '' }).toString(),
        event_types: ['invoice.issued', 'engagement.requested', 'deal.closed', 'deal.win_loss_recorded'],
      });
      expect(hook.status, hook.raw).toBe(201);
      const deal = await wonDeal(t, ws);
      for (let i = 0; i < 5; i++) {
        await settle(t);
        await t.webhooks.drain();
      }
      const got = receiver.requests.filter((r) => r.url.startsWith('/cyberos'));
      const types = got.map((r) => (JSON.parse(r.body) as { type: string }).type).sort();
      expect(types).toEqual([
        'deal.closed',
        'deal.win_loss_recorded',
        'engagement.requested',
        'invoice.issued',
      ]);
      for (const r of got) {
        const h = (n: string) => String(r.headers[n] ?? '');
        expect(
          verifySignature({
            secret: hook.body.secret,
            header: h('webhook-signature'),
            timestamp: h('webhook-timestamp'),
            body: r.body,
          }),
        ).toBe(true);
      }
      const invoice = got.find((r) => r.body.includes('"invoice.issued"'));
      expect(JSON.parse(invoice?.body ?? '{}').data.invoice).toMatchObject({
        deal_id: deal.id,
        number: 1,
        status: 'issued',
      });
    } finally {
      await receiver.close();
    }
  });
});
