import { sql } from 'kysely';
import type { DB } from '../../db.js';
import { newId } from '../../platform/ids.js';
import type { UnitOfWork } from '../../platform/unit-of-work.js';

/** The VND/USD rate a new workspace starts with (editable in settings; every change is audited). */
export const DEFAULT_USD_RATE = '25400';

/**
 * What every new workspace gets in the transaction that creates it: the default sales pipeline of seed
 * 000 §7 (built by the SQL function migration 0006 defines, the one definition also used to backfill
 * older workspaces) and a starting exchange rate for its base currency.
 */
export async function provisionWorkspace(
  uow: UnitOfWork<DB>,
  workspaceId: string,
  baseCurrency = 'VND',
): Promise<{ pipelineId: string }> {
  const actorId = uow.actor.userId;
  const { rows } = await sql<{ id: string }>`
    SELECT crm_core.crm_create_default_pipeline(${workspaceId}::uuid, ${actorId}::uuid) AS id`.execute(
    uow.trx,
  );
  const pipelineId = rows[0]?.id;
  if (!pipelineId) throw new Error('default pipeline was not created');
  uow.audit({
    action: 'pipeline.created',
    entityType: 'pipeline',
    entityId: pipelineId,
    diff: { name: { from: null, to: 'Sales' }, is_default: { from: null, to: true } },
  });
  if (baseCurrency === 'VND') {
    const rateId = newId();
    await uow.trx
      .insertInto('crm_core.crm_exchange_rates')
      .values({
        tenant_id: workspaceId,
        id: rateId,
        base_currency: 'VND',
        currency: 'USD',
        rate: DEFAULT_USD_RATE,
        effective_date: '2026-01-01',
        source: 'default',
        created_by: actorId,
        updated_by: actorId,
        deleted_at: null,
      })
      .execute();
    uow.audit({
      action: 'exchange_rate.created',
      entityType: 'exchange_rate',
      entityId: rateId,
      diff: { currency: { from: null, to: 'USD' }, rate: { from: null, to: DEFAULT_USD_RATE } },
    });
  }
  return { pipelineId };
}
