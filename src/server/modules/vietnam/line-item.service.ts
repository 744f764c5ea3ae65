import { z } from 'zod';
import type { AppPlatform } from '../../db.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import { text } from '../../platform/http/fields.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { canUpdate } from '../deals/deal.policy.js';
import { findDealView } from '../deals/deal.repository.js';
import { canSeeDeal } from '../deals/deal.visibility.js';
import type { LineItemRow } from './vietnam.table.js';

/**
 * What a deal sells, line by line: what its invoice lists (one line for the whole deal when there are
 * none). Quantities and prices are decimal strings end to end (≤ 15 integer digits, ≤ 6 decimals, the
 * e-invoice number format); `vat_rate` "auto" takes the dated rate of the issue day.
 */

const decimal = (what: string) =>
  z
    .string()
    .trim()
    .regex(
      /^\d{1,15}(\.\d{1,6})?$/,
      `${what} must be a decimal string such as "2" or "1250000.5" (≤ 6 decimals)`,
    );

export const VAT_RATE_INPUTS = ['auto', '0%', '5%', '8%', '10%', 'KCT', 'KKKNT'] as const;

export const lineItemSchema = z.strictObject({
  kind: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)])
    .default(1)
    .describe('1 goods/service, 2 promotion, 3 discount, 4 note (TChat)'),
  name: text(500),
  unit: z.string().trim().max(50).nullable().optional(),
  quantity: decimal('quantity'),
  unit_price: decimal('unit_price'),
  vat_rate: z.enum(VAT_RATE_INPUTS).default('auto'),
});

export const putLineItemsSchema = z.strictObject({ items: z.array(lineItemSchema).max(1000) });
export type PutLineItemsInput = z.infer<typeof putLineItemsSchema>;

export const lineItemJsonSchema = z
  .object({
    position: z.number().int(),
    kind: z.number().int(),
    name: z.string(),
    unit: z.string().nullable(),
    quantity: z.string(),
    unit_price: z.string(),
    vat_rate: z.string(),
  })
  .meta({ id: 'DealLineItem' });
export const lineItemListSchema = z.object({ deal_id: z.uuid(), items: z.array(lineItemJsonSchema) });
type LineItemJson = z.infer<typeof lineItemJsonSchema>;

const trim = (v: string) => (v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v);

function present(r: LineItemRow): LineItemJson {
  return {
    position: r.position,
    kind: r.kind,
    name: r.name,
    unit: r.unit,
    quantity: trim(r.quantity),
    unit_price: trim(r.unit_price),
    vat_rate: r.vat_rate,
  };
}

const dealNotFound = () => new AppError('deal_not_found', 'Deal not found');

export async function getLineItems(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
): Promise<{ deal_id: string; items: LineItemJson[] }> {
  requirePermission(ctx.actor, 'crm.deal.view');
  const tenantId = ctx.actor.workspaceId;
  return p.db.read(tenantId, async (db) => {
    const deal = await findDealView(db, tenantId, dealId);
    if (!deal || !canSeeDeal(ctx.actor, deal)) throw dealNotFound();
    const rows = await db
      .selectFrom('crm_core.crm_deal_line_items')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('deal_id', '=', dealId)
      .orderBy('position')
      .execute();
    return { deal_id: dealId, items: rows.map(present) };
  });
}

/** PUT: replaces the deal's lines as a whole (one audit entry with before/after). */
export async function putLineItems(
  p: AppPlatform,
  ctx: RequestContext,
  dealId: string,
  input: PutLineItemsInput,
): Promise<{ deal_id: string; items: LineItemJson[] }> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.deal.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const deal = await findDealView(uow.trx, tenantId, dealId, { forUpdate: true });
    if (!deal || deal.deleted_at || !canSeeDeal(actor, deal)) throw dealNotFound();
    if (!canUpdate(actor, deal)) {
      throw new AppError('forbidden', 'You may change only deals you own or that nobody owns');
    }
    const before = await uow.trx
      .deleteFrom('crm_core.crm_deal_line_items')
      .where('tenant_id', '=', tenantId)
      .where('deal_id', '=', dealId)
      .returningAll()
      .execute();
    const rows =
      input.items.length === 0
        ? []
        : await uow.trx
            .insertInto('crm_core.crm_deal_line_items')
            .values(
              input.items.map((i, n) => ({
                tenant_id: tenantId,
                deal_id: dealId,
                position: n + 1,
                kind: i.kind,
                name: i.name,
                unit: i.unit ?? null,
                quantity: i.quantity,
                unit_price: i.unit_price,
                vat_rate: i.vat_rate,
                created_by: actor.userId,
              })),
            )
            .returningAll()
            .execute();
    rows.sort((a, b) => a.position - b.position);
    const after = rows.map(present);
    uow.audit({
      action: 'deal.line_items_replaced',
      entityType: 'deal',
      entityId: dealId,
      diff: { line_items: { from: before.sort((a, b) => a.position - b.position).map(present), to: after } },
    });
    uow.emit({
      type: 'deal.line_items_replaced',
      aggregateType: 'deal',
      aggregateId: dealId,
      data: {
        deal: {
          id: dealId,
          acl_mode: deal.acl_mode,
          owner_id: deal.owner_id,
          acl_member_ids: deal.acl_member_ids,
          acl_roles: deal.acl_roles,
        },
        items: after,
      },
    });
    return { deal_id: dealId, items: after };
  });
}
