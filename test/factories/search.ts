import { jsonb } from '../../src/server/platform/db/sql.js';
import { newId } from '../../src/server/platform/ids.js';
import type { Role } from '../../src/shared/auth.js';
import type { TestApp } from '../helpers.js';

/**
 * Rows for search tests, written straight into the tables as the app role inside the workspace (RLS
 * applies): search only reads them, and the contacts/deals services are built concurrently elsewhere.
 */

export interface ChannelSeed {
  kind: 'email' | 'phone' | 'linkedin' | 'telegram' | 'zalo';
  /** Already normalized (E.164 phone, lower-cased email), as the contacts module stores it. */
  value: string;
  raw?: string;
}

export async function insertContact(
  t: TestApp,
  workspaceId: string,
  input: {
    display_name: string;
    title?: string | null;
    account_id?: string | null;
    channels?: ChannelSeed[];
    deleted?: boolean;
  },
): Promise<string> {
  const id = newId();
  await t.db.transaction(workspaceId, async (trx) => {
    await trx
      .insertInto('crm_core.crm_contacts')
      .values({
        tenant_id: workspaceId,
        id,
        display_name: input.display_name,
        title: input.title ?? null,
        account_id: input.account_id ?? null,
        first_name: null,
        last_name: null,
        call_name: null,
        salutation: null,
        buying_role: null,
        owner_id: null,
        claimed_at: null,
        lead_source: null,
        description: null,
        custom_fields: jsonb({}),
        created_by: null,
        updated_by: null,
        deleted_at: input.deleted ? new Date() : null,
      })
      .execute();
    let position = 0;
    for (const ch of input.channels ?? []) {
      await trx
        .insertInto('crm_core.crm_contact_channels')
        .values({
          tenant_id: workspaceId,
          id: newId(),
          contact_id: id,
          kind: ch.kind,
          value: ch.value,
          raw_value: ch.raw ?? ch.value,
          label: null,
          position: position++,
          mx_status: null,
          mx_checked_at: null,
          created_by: null,
        })
        .execute();
    }
  });
  return id;
}

export async function insertDeal(
  t: TestApp,
  workspaceId: string,
  input: {
    name: string;
    account_id?: string | null;
    amount_minor?: number | null;
    currency?: 'VND' | 'USD';
    owner_id?: string | null;
    acl_mode?: 'default' | 'restricted';
    acl_member_ids?: string[];
    acl_roles?: Role[];
    deleted?: boolean;
  },
): Promise<string> {
  const id = newId();
  await t.db.transaction(workspaceId, async (trx) => {
    const stage = await trx
      .selectFrom('crm_core.crm_pipeline_stages')
      .select(['id', 'pipeline_id', 'default_probability'])
      .where('tenant_id', '=', workspaceId)
      .where('code', '=', 'qualifying')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('crm_core.crm_deals')
      .values({
        tenant_id: workspaceId,
        id,
        name: input.name,
        account_id: input.account_id ?? null,
        primary_contact_id: null,
        description: null,
        amount_minor: input.amount_minor ?? null,
        currency: input.currency ?? 'VND',
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        probability: stage.default_probability,
        expected_close_date: null,
        lost_reason: null,
        closed_at: null,
        owner_id: input.owner_id ?? null,
        acl_mode: input.acl_mode ?? 'default',
        acl_member_ids: input.acl_member_ids ?? [],
        acl_roles: input.acl_roles ?? [],
        lead_source: null,
        custom_fields: jsonb({}),
        created_by: null,
        updated_by: null,
        deleted_at: input.deleted ? new Date() : null,
      })
      .execute();
  });
  return id;
}
