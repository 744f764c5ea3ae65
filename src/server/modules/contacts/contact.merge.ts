import { sql } from 'kysely';
import { applyTagChange, TAG_LIMITS } from '../../../shared/tags.js';
import type { AppPlatform } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { canUpdate } from './contact.policy.js';
import { type ContactJson, contactSnapshot, presentContact } from './contact.presenter.js';
import { channelsOf, findContact, replaceChannels } from './contact.repository.js';
import type {
  ContactChannelRow,
  ContactRow,
  ContactRowUpdate,
  NewContactChannelRow,
} from './contact.table.js';

/**
 * Merging a duplicate contact into the one kept (seed §5 `mergeContacts`, scope crm.contact.merge), in
 * one transaction:
 * - the kept contact's values win; its empty fields take the duplicate's (account, title, role, gender…);
 * - the duplicate's channels move over unless the kept one has the same kind and value (primaries stay the
 *   kept one's);
 * - its deal roles move to the kept contact (a deal it shared with the kept one keeps the kept one's role),
 *   and deals whose primary contact it was point at the kept one;
 * - it is soft-deleted with `merged_into_id` (so is anything merged into it before): its timeline entries
 *   (append-only) show on the kept contact's timeline, and it cannot be restored by mistake.
 * Audited on both contacts; one `contact.merged` event lists what moved.
 */

const FILLABLE = [
  'account_id',
  'first_name',
  'last_name',
  'call_name',
  'title',
  'buying_role',
  'gender',
  'birth_year',
  'lead_source',
  'description',
] as const;

export interface MergeResult {
  contact: ContactJson;
  merged: { id: string; channels_moved: number; deals_moved: string[]; fields_filled: string[] };
}

const notFound = () => new AppError('contact_not_found', 'Contact not found');

export async function mergeContacts(
  p: AppPlatform,
  ctx: RequestContext,
  keepId: string,
  mergeId: string,
): Promise<MergeResult> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.merge');
  if (keepId === mergeId) {
    throw fieldError(['merge_id'], 'same_contact', 'merge_id must be another contact than the one kept');
  }
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    // Lock both in id order: two opposite merges of the same pair queue instead of deadlocking.
    const rows = new Map<string, ContactRow>();
    for (const id of [keepId, mergeId].sort()) {
      const row = await findContact(uow.trx, tenantId, id, { forUpdate: true });
      if (row) rows.set(id, row);
    }
    const keep = rows.get(keepId);
    const dup = rows.get(mergeId);
    if (!keep || keep.deleted_at) throw notFound();
    if (!dup || dup.deleted_at) {
      throw new AppError('contact_not_found', 'The contact to merge was not found (or is deleted)', {
        fields: [
          { field: 'merge_id', pointer: '/merge_id', in: 'body', code: 'not_found', message: 'not found' },
        ],
      });
    }
    if (!canUpdate(actor, keep) || !canUpdate(actor, dup)) {
      throw new AppError('forbidden', 'You may merge only contacts you own or that nobody owns');
    }
    const channels = await channelsOf(uow.trx, tenantId, [keepId, mergeId]);
    const keepChannels = channels.get(keepId) ?? [];
    const dupChannels = channels.get(mergeId) ?? [];

    // Fields: the kept contact's values win.
    const filled: string[] = [];
    const patch: ContactRowUpdate = {};
    for (const f of FILLABLE) {
      if ((keep[f] === null || keep[f] === undefined) && dup[f] !== null && dup[f] !== undefined) {
        filled.push(f);
        Object.assign(patch, { [f]: dup[f] });
      }
    }
    // Consent (email opt-in) is not inherited: the kept record's own choice stands. Do-not-call, though,
    // is a refusal the duplicate carried, and it must not be lost.
    if (dup.do_not_call && !keep.do_not_call) {
      patch.do_not_call = true;
      filled.push('do_not_call');
    }
    // Tags are labels, not values to choose between: the kept contact gains the duplicate's (up to the limit).
    const tags = applyTagChange(keep.tags, dup.tags, []).slice(0, TAG_LIMITS.perRecord);
    if (tags.length > keep.tags.length) {
      patch.tags = tags;
      filled.push('tags');
    }

    // Channels.
    const have = new Set(keepChannels.map((c) => `${c.kind}\u0000${c.value}`));
    const moving = dupChannels.filter((c) => !have.has(`${c.kind}\u0000${c.value}`));
    let position = Math.max(0, ...keepChannels.map((c) => c.position)) + 1;
    const kept: NewContactChannelRow[] = [...keepChannels, ...moving].map((c: ContactChannelRow) => ({
      tenant_id: tenantId,
      id: c.contact_id === keepId ? c.id : newId(),
      contact_id: keepId,
      kind: c.kind,
      value: c.value,
      raw_value: c.raw_value,
      label: c.label,
      is_primary: c.contact_id === keepId ? c.is_primary : false,
      position: c.contact_id === keepId ? c.position : position++,
      mx_status: c.mx_status,
      mx_checked_at: c.mx_checked_at,
      created_by: c.created_by,
    }));
    await replaceChannels(uow.trx, tenantId, mergeId, []);
    const newChannels =
      moving.length > 0 ? await replaceChannels(uow.trx, tenantId, keepId, kept) : keepChannels;

    // Deals: roles and primary contact.
    const roles = await sql<{ deal_id: string }>`
      UPDATE crm_core.crm_deal_contacts dc SET contact_id = ${keepId}
      WHERE dc.tenant_id = ${tenantId} AND dc.contact_id = ${mergeId}
        AND NOT EXISTS (SELECT 1 FROM crm_core.crm_deal_contacts k
                        WHERE k.tenant_id = dc.tenant_id AND k.deal_id = dc.deal_id AND k.contact_id = ${keepId})
      RETURNING dc.deal_id`.execute(uow.trx);
    // Deals both were on keep the kept contact's role; the duplicate's row goes.
    const dropped = await sql<{ deal_id: string }>`
      DELETE FROM crm_core.crm_deal_contacts WHERE tenant_id = ${tenantId} AND contact_id = ${mergeId}
      RETURNING deal_id`.execute(uow.trx);
    const primaries = await sql<{ id: string }>`
      UPDATE crm_core.crm_deals SET primary_contact_id = ${keepId}, version = version + 1, updated_at = now(),
        updated_by = ${actor.userId}
      WHERE tenant_id = ${tenantId} AND primary_contact_id = ${mergeId}
      RETURNING id`.execute(uow.trx);
    const deals = [
      ...new Set([
        ...roles.rows.map((r) => r.deal_id),
        ...dropped.rows.map((r) => r.deal_id),
        ...primaries.rows.map((r) => r.id),
      ]),
    ].sort();

    // The duplicate, and whatever was merged into it before, now point at the kept contact.
    await sql`UPDATE crm_core.crm_contacts SET merged_into_id = ${keepId}
              WHERE tenant_id = ${tenantId} AND merged_into_id = ${mergeId}`.execute(uow.trx);
    const now = new Date();
    const dupAfter = await uow.trx
      .updateTable('crm_core.crm_contacts')
      .set({
        deleted_at: now,
        merged_into_id: keepId,
        is_primary: false,
        updated_at: now,
        updated_by: actor.userId,
        version: dup.version + 1,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', mergeId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const keepAfter = await uow.trx
      .updateTable('crm_core.crm_contacts')
      .set({ ...patch, updated_at: now, updated_by: actor.userId, version: keep.version + 1 })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', keepId)
      .returningAll()
      .executeTakeFirstOrThrow();

    const before = contactSnapshot(keep, keepChannels);
    const after = contactSnapshot(keepAfter, newChannels);
    uow.audit({
      action: 'contact.merged',
      entityType: 'contact',
      entityId: keepId,
      diff: {
        ...diffRecords(
          { ...before, channels: before.channels.map((c) => `${c.kind}:${c.value}`) },
          { ...after, channels: after.channels.map((c) => `${c.kind}:${c.value}`) },
          ['updated_at', 'version', 'updated_by'],
        ),
        merged_from: { from: null, to: mergeId },
      },
    });
    uow.audit({
      action: 'contact.merged_into',
      entityType: 'contact',
      entityId: mergeId,
      diff: {
        merged_into_id: { from: null, to: keepId },
        deleted_at: { from: null, to: now.toISOString() },
      },
    });
    uow.emit({
      type: 'contact.merged',
      aggregateType: 'contact',
      aggregateId: keepId,
      data: {
        contact: after,
        merged: contactSnapshot(dupAfter, []),
        channels_moved: moving.length,
        deals: deals,
        fields_filled: filled,
      },
    });
    return {
      contact: presentContact(keepAfter, newChannels, actor),
      merged: { id: mergeId, channels_moved: moving.length, deals_moved: deals, fields_filled: filled },
    };
  });
}
