import type { ActivityJson } from '../../src/server/modules/activities/activity.presenter.js';
import type { CreateActivityInput } from '../../src/server/modules/activities/activity.schema.js';
import { createActivity } from '../../src/server/modules/activities/activity.service.js';
import type { DealCurrency, DealStatus } from '../../src/server/modules/deals/deal.table.js';
import { jsonb as sqlJson } from '../../src/server/platform/db/sql.js';
import { newId } from '../../src/server/platform/ids.js';
import type { Role } from '../../src/shared/auth.js';
import type { TestMember } from '../factories.js';
import type { TestApp } from '../helpers.js';

/**
 * Factories for timeline tests. Contacts and deals are written straight to their tables (their modules
 * are built in parallel; these rows carry only what timelines and Account 360 read).
 */

export async function activityFor(
  t: TestApp,
  member: TestMember,
  input: Partial<CreateActivityInput> & Pick<CreateActivityInput, 'subject'>,
): Promise<ActivityJson> {
  const { activity } = await createActivity(
    t.platform,
    { actor: member.actor, requestId: 'factory' },
    { kind: 'note', source: 'manual', metadata: {}, ...input },
  );
  return activity;
}

export interface RawContact {
  account_id?: string | null;
  display_name?: string;
  title?: string | null;
  buying_role?: 'decision_maker' | 'influencer' | 'technical' | 'finance' | 'user' | 'gatekeeper' | null;
  is_primary?: boolean;
  deleted?: boolean;
  channels?: Array<{ kind: 'email' | 'phone'; value: string; is_primary?: boolean }>;
}

export async function rawContact(t: TestApp, workspaceId: string, c: RawContact = {}): Promise<string> {
  const id = newId();
  await t.db.transaction(workspaceId, async (trx) => {
    await trx
      .insertInto('crm_core.crm_contacts')
      .values({
        tenant_id: workspaceId,
        id,
        account_id: c.account_id ?? null,
        first_name: null,
        last_name: null,
        display_name: c.display_name ?? `Contact ${id.slice(-6)}`,
        call_name: null,
        salutation: null,
        title: c.title ?? null,
        buying_role: c.buying_role ?? null,
        is_primary: c.is_primary ?? false,
        owner_id: null,
        claimed_at: null,
        lead_source: null,
        description: null,
        custom_fields: sqlJson({}),
        created_by: null,
        updated_by: null,
        deleted_at: c.deleted ? new Date() : null,
      })
      .execute();
    for (const [i, ch] of (c.channels ?? []).entries()) {
      await trx
        .insertInto('crm_core.crm_contact_channels')
        .values({
          tenant_id: workspaceId,
          id: newId(),
          contact_id: id,
          kind: ch.kind,
          value: ch.value,
          raw_value: ch.value,
          label: null,
          is_primary: ch.is_primary ?? false,
          position: i,
          mx_status: null,
          mx_checked_at: null,
          created_by: null,
        })
        .execute();
    }
  });
  return id;
}

export interface RawDeal {
  account_id?: string | null;
  primary_contact_id?: string | null;
  contact_ids?: string[];
  name?: string;
  amount_minor?: number | null;
  currency?: DealCurrency;
  stage?: string;
  status?: DealStatus;
  closed_at?: Date | null;
  probability?: number;
  owner_id?: string | null;
  acl_mode?: 'default' | 'restricted';
  acl_member_ids?: string[];
  acl_roles?: Role[];
  expected_close_date?: string | null;
  deleted?: boolean;
}

export async function rawDeal(t: TestApp, workspaceId: string, d: RawDeal = {}): Promise<string> {
  const id = newId();
  const status = d.status ?? 'open';
  const stageCode =
    d.stage ??
    (status === 'won'
      ? 'closed_won'
      : status === 'lost'
        ? 'closed_lost'
        : status === 'cancelled'
          ? 'cancelled'
          : 'qualifying');
  await t.db.transaction(workspaceId, async (trx) => {
    const stage = await trx
      .selectFrom('crm_core.crm_pipeline_stages as s')
      .innerJoin('crm_core.crm_pipelines as p', (j) =>
        j.onRef('p.tenant_id', '=', 's.tenant_id').onRef('p.id', '=', 's.pipeline_id'),
      )
      .select(['s.id', 's.pipeline_id', 's.default_probability'])
      .where('s.tenant_id', '=', workspaceId)
      .where('p.is_default', '=', true)
      .where('s.code', '=', stageCode)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('crm_core.crm_deals')
      .values({
        tenant_id: workspaceId,
        id,
        account_id: d.account_id ?? null,
        primary_contact_id: d.primary_contact_id ?? null,
        name: d.name ?? `Deal ${id.slice(-6)}`,
        description: null,
        amount_minor: d.amount_minor === undefined ? 1_000_000 : d.amount_minor,
        currency: d.currency ?? 'VND',
        pipeline_id: stage.pipeline_id,
        stage_id: stage.id,
        probability: d.probability ?? stage.default_probability,
        expected_close_date: d.expected_close_date ?? null,
        status,
        lost_reason: status === 'lost' ? 'price' : null,
        closed_at: status === 'open' ? null : (d.closed_at ?? new Date()),
        owner_id: d.owner_id ?? null,
        acl_mode: d.acl_mode ?? 'default',
        acl_member_ids: d.acl_member_ids ?? [],
        acl_roles: d.acl_roles ?? [],
        lead_source: null,
        custom_fields: sqlJson({}),
        created_by: null,
        updated_by: null,
        deleted_at: d.deleted ? new Date() : null,
      })
      .execute();
    for (const contactId of d.contact_ids ?? []) {
      await trx
        .insertInto('crm_core.crm_deal_contacts')
        .values({ tenant_id: workspaceId, deal_id: id, contact_id: contactId, role: null, created_by: null })
        .execute();
    }
  });
  return id;
}
