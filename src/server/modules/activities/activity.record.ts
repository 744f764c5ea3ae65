import { type Kysely, type OperationNodeSource, sql } from 'kysely';
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
 * `alongside`: another insert of the same transaction to run in the same statement (a data-modifying
 * CTE), saving a round trip on hot paths such as a deal move (its stage-history row).
 */
export async function recordSystemActivity(
  uow: UnitOfWork<DB>,
  a: SystemActivity,
  options: { alongside?: OperationNodeSource } = {},
): Promise<string> {
  const accountId = a.accountId !== undefined ? a.accountId : await derivedAccountId(uow, a);
  const { id, insert } = systemActivityInsert(uow, { ...a, accountId });
  if (options.alongside) await sql`WITH alongside AS (${options.alongside}) ${insert}`.execute(uow.trx);
  else await sql`${insert}`.execute(uow.trx);
  return id;
}

/**
 * The INSERT of one system entry whose account is known, not yet run: for a caller that folds it into
 * a statement of its own (a deal move runs it as a CTE of the deal's UPDATE).
 */
export function systemActivityInsert(
  uow: Pick<UnitOfWork<DB>, 'actor'> & { trx: Kysely<DB> },
  a: SystemActivity & { accountId: string | null },
): { id: string; insert: OperationNodeSource } {
  const id = newId();
  const insert = uow.trx.insertInto('crm_core.crm_activities').values({
    tenant_id: uow.actor.workspaceId,
    id,
    kind: a.kind,
    subject: a.subject,
    body_markdown: null,
    occurred_at: a.occurredAt ?? new Date(),
    due_at: null,
    related_activity_id: null,
    account_id: a.accountId,
    contact_id: a.contactId ?? null,
    deal_id: a.dealId ?? null,
    source: 'system',
    source_event_id: null,
    metadata: jsonb(a.metadata ?? {}),
    owner_id: null,
    actor_type: uow.actor.type,
    created_by: uow.actor.userId,
  });
  return { id, insert };
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
