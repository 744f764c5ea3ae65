import type { DB } from '../../db.js';
import { jsonb } from '../../platform/db/sql.js';
import { newId } from '../../platform/ids.js';
import type { UnitOfWork } from '../../platform/unit-of-work.js';

/**
 * System timeline entries (seed 003 event types: deal created, stage changed, owner claimed/released,
 * tag added/removed…), written by other modules inside their own writing transaction, so the timeline
 * can never miss or invent a change. Manual entries go through activity.service.ts instead.
 */
export const SYSTEM_ACTIVITY_KINDS = [
  'deal_created',
  'stage_changed',
  'deal_won',
  'deal_lost',
  'deal_cancelled',
  'owner_claimed',
  'owner_released',
  'owner_changed',
  'tag_added',
  'tag_removed',
  'contact_created',
  'task_completed',
] as const;
export type SystemActivityKind = (typeof SYSTEM_ACTIVITY_KINDS)[number];

export interface SystemActivity {
  kind: SystemActivityKind;
  subject: string;
  /** Give the account when known: an account's timeline is the entries that carry its id. */
  accountId?: string | null;
  contactId?: string | null;
  dealId?: string | null;
  metadata?: Record<string, unknown>;
  occurredAt?: Date;
}

/**
 * Writes one system entry in the caller's transaction and returns its id. When `accountId` is left
 * undefined (not null), it is taken from the deal's account, else the contact's, so the entry still
 * lands on the account's timeline.
 */
/**
 * `deferred`: hand the insert to `uow.alongside`, so it runs inside the transaction's closing audit
 * statement instead of a round trip of its own (hot paths: a deal's creation and moves). Only for
 * entries nothing later in the transaction reads, and whose deal/contact the transaction does not delete.
 */
export async function recordSystemActivity(
  uow: UnitOfWork<DB>,
  a: SystemActivity,
  options: { deferred?: boolean } = {},
): Promise<string> {
  const id = newId();
  const accountId = a.accountId !== undefined ? a.accountId : await derivedAccountId(uow, a);
  const insert = uow.trx.insertInto('crm_core.crm_activities').values({
    tenant_id: uow.actor.workspaceId,
    id,
    kind: a.kind,
    subject: a.subject,
    body_markdown: null,
    occurred_at: a.occurredAt ?? new Date(),
    due_at: null,
    related_activity_id: null,
    account_id: accountId,
    contact_id: a.contactId ?? null,
    deal_id: a.dealId ?? null,
    source: 'system',
    source_event_id: null,
    metadata: jsonb(a.metadata ?? {}),
    owner_id: null,
    actor_type: uow.actor.type,
    created_by: uow.actor.userId,
  });
  if (options.deferred) uow.alongside(insert);
  else await insert.execute();
  return id;
}

async function derivedAccountId(uow: UnitOfWork<DB>, a: SystemActivity): Promise<string | null> {
  const tenantId = uow.actor.workspaceId;
  if (a.dealId) {
    const d = await uow.trx
      .selectFrom('crm_core.crm_deals')
      .select('account_id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', a.dealId)
      .executeTakeFirst();
    if (d?.account_id) return d.account_id;
  }
  if (a.contactId) {
    const c = await uow.trx
      .selectFrom('crm_core.crm_contacts')
      .select('account_id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', a.contactId)
      .executeTakeFirst();
    if (c?.account_id) return c.account_id;
  }
  return null;
}
