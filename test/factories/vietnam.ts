import { sql } from 'kysely';
import { expect } from 'vitest';
import type { AccountJson } from '../../src/server/modules/accounts/account.presenter.js';
import type { DealJson } from '../../src/server/modules/deals/deal.presenter.js';
import type { CreateDealInput } from '../../src/server/modules/deals/deal.schema.js';
import type { ReceivingAccountJson } from '../../src/server/modules/vietnam/settings.schema.js';
import { accountFor, type TestMember, type TestWorkspace } from '../factories.js';
import type { TestApp } from '../helpers.js';
import { contactFor, dealFor, stagesOf } from './deals.js';

/** Factories for the Vietnamese layer's tests: a workspace ready to invoice and collect, won deals. */

export const SELLER = {
  legal_name: 'CÔNG TY TNHH PHẦN MỀM CYBEROS',
  mst: '0312615305',
  address: 'Số 1 Đinh Tiên Hoàng, Phường Sài Gòn, Thành phố Hồ Chí Minh',
  email: 'ketoan@cyberos.test',
};

/** Seller profile set, plus a default receiving account (confirmed unless told otherwise). */
export async function sellerReady(
  _t: TestApp,
  ws: TestWorkspace,
  opts: { confirm?: boolean; receiving?: boolean } = {},
): Promise<{ receiving: ReceivingAccountJson | null }> {
  const c = ws.admin.client;
  const s = await c.patch('/crm/v1/vn/settings', SELLER);
  expect(s.status).toBe(200);
  if (opts.receiving === false) return { receiving: null };
  const r = await c.post<ReceivingAccountJson>('/crm/v1/vn/receiving-accounts', {
    bank_bin: '970436',
    account_number: '0011 0023 4567',
    account_name: 'CONG TY TNHH PHAN MEM CYBEROS',
    is_default: true,
  });
  expect(r.status).toBe(201);
  if (opts.confirm === false) return { receiving: r.body };
  const conf = await c.post<ReceivingAccountJson>(`/crm/v1/vn/receiving-accounts/${r.body.id}/confirm`);
  expect(conf.status).toBe(200);
  return { receiving: conf.body };
}

/** A Vietnamese company account with an address (what an invoice needs). */
export async function buyerFor(
  t: TestApp,
  member: TestMember,
  input: { name?: string; legal_type?: AccountJson['legal_type']; vn_mst?: string } = {},
): Promise<AccountJson> {
  return accountFor(t, member, {
    name: input.name ?? 'Công ty Cổ phần Sữa Việt Nam',
    legal_type: input.legal_type ?? 'jsc',
    country: 'VN',
    ...(input.vn_mst ? { vn_mst: input.vn_mst } : {}),
    addresses: [
      {
        kind: 'headquarters',
        street: '10 Tân Trào',
        ward: 'Phường Tân Mỹ',
        district: null,
        province: 'Thành phố Hồ Chí Minh',
        country: 'VN',
        postal_code: null,
      },
    ],
  });
}

/**
 * A deal of the workspace's admin, ready to close (negotiation stage, amount, account with an address,
 * primary contact at it), optionally closed through the API with `outcome`.
 */
export async function closableDeal(
  t: TestApp,
  ws: TestWorkspace,
  overrides: Partial<CreateDealInput> = {},
): Promise<DealJson> {
  const stages = await stagesOf(t, ws);
  const accountId = overrides.account_id ?? (await buyerFor(t, ws.admin)).id;
  const contact = await contactFor(t, ws, { accountId });
  return dealFor(t, ws.admin, {
    amount_minor: 750_000_000,
    currency: 'VND',
    account_id: accountId,
    primary_contact_id: contact,
    expected_close_date: '2026-12-15',
    stage_id: stages.negotiation,
    ...overrides,
  });
}

/** A deal closed as won through the API (scope crm.close), as the admin. */
export async function wonDeal(
  t: TestApp,
  ws: TestWorkspace,
  overrides: Partial<CreateDealInput> = {},
): Promise<DealJson> {
  const deal = await closableDeal(t, ws, overrides);
  const closed = await ws.admin.client.post<DealJson>(`/crm/v1/deals/${deal.id}/close`, { outcome: 'won' });
  expect(closed.status, closed.raw).toBe(200);
  return closed.body;
}

/** Publishes the outbox (deal.won reaches the flow's consumer) and works the flow off. */
export async function settle(t: TestApp): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const published = await t.relay.drain();
    const ran = await t.wonFlow.drain();
    if (published === 0 && ran === 0) return;
  }
}

export async function topicsOf(t: TestApp, workspaceId: string, dealId: string): Promise<string[]> {
  const r = await t.db.read(workspaceId, (k) =>
    sql<{ topic: string }>`SELECT topic FROM crm_core.crm_outbox
      WHERE tenant_id = ${workspaceId} AND (aggregate_id = ${dealId}
        OR payload->'data'->'invoice'->>'deal_id' = ${dealId})
      ORDER BY created_at, id`.execute(k),
  );
  return r.rows.map((x) => x.topic);
}
