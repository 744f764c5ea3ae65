import { applyTagChange, TAG_LIMITS } from '../../../shared/tags.js';
import type { AppPlatform } from '../../db.js';
import type { FieldDiff } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { accountUpdated } from '../accounts/account.events.js';
import { canUpdate as canUpdateAccount } from '../accounts/account.policy.js';
import { accountSnapshot } from '../accounts/account.presenter.js';
import { updateAccountRow } from '../accounts/account.repository.js';
import { contactUpdated } from '../contacts/contact.events.js';
import { canUpdate as canUpdateContact } from '../contacts/contact.policy.js';
import { contactSnapshot } from '../contacts/contact.presenter.js';
import { channelsOf, updateContactRow } from '../contacts/contact.repository.js';
import { lockAccounts, lockContacts, tagCounts } from './tag.repository.js';
import type { BulkTagsInput, BulkTagsResult, TagSuggestionsQuery } from './tag.schema.js';

/**
 * Bulk tagging of accounts and contacts, and tag suggestions.
 *
 * A bulk request is one transaction: every record is locked, checked against the same record policy as
 * a single update (so a sales rep tagging a colleague's accounts gets those back as `forbidden` while
 * the others are tagged), changed, audited and announced (`account.updated` / `contact.updated` with the
 * `tags` change) one by one. A record whose tags would not change is reported but not rewritten (no new
 * version, no audit row, no event). Ids of another workspace — or of nothing — fail as `*_not_found`,
 * exactly as a single GET would answer: nothing tells them apart.
 */

type Failure = BulkTagsResult['failed'][number];

const tagDiff = (from: readonly string[], to: readonly string[]): FieldDiff => ({
  tags: { from: [...from], to: [...to] },
});

const sameTags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * The record's tags after the change, or the failure when the change would take it past the per-record
 * limit a single update enforces (the bulk input is validated as a list, not per record).
 */
function changedTags(
  id: string,
  current: readonly string[],
  input: BulkTagsInput,
): { tags: string[] } | { failure: Failure } {
  const tags = applyTagChange(current, input.add, input.remove);
  if (tags.length > TAG_LIMITS.perRecord && tags.length > current.length) {
    return {
      failure: {
        id,
        code: 'too_many_tags',
        message: `at most ${TAG_LIMITS.perRecord} tags per record (this one would have ${tags.length})`,
      },
    };
  }
  return { tags };
}

function partition<R extends { id: string; deleted_at: Date | null }>(
  ids: readonly string[],
  rows: readonly R[],
  notFound: Failure['code'],
  what: string,
): { found: R[]; failed: Failure[] } {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const found: R[] = [];
  const failed: Failure[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row || row.deleted_at) failed.push({ id, code: notFound, message: `${what} not found` });
    else found.push(row);
  }
  return { found, failed };
}

/** Adds and removes tags on up to 500 accounts (POST /accounts/bulk/tags). */
export async function bulkTagAccounts(
  p: AppPlatform,
  ctx: RequestContext,
  input: BulkTagsInput,
): Promise<BulkTagsResult> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.account.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const rows = await lockAccounts(uow.trx, tenantId, input.ids);
    const { found, failed } = partition(input.ids, rows, 'account_not_found', 'Account');
    const updated: BulkTagsResult['updated'] = [];
    for (const row of found) {
      if (!canUpdateAccount(actor, row)) {
        failed.push({
          id: row.id,
          code: 'forbidden',
          message: 'You may change only accounts you own or that nobody owns',
        });
        continue;
      }
      const change = changedTags(row.id, row.tags, input);
      if ('failure' in change) {
        failed.push(change.failure);
        continue;
      }
      const { tags } = change;
      if (sameTags(tags, row.tags)) {
        updated.push({ id: row.id, tags: row.tags, version: row.version, changed: false });
        continue;
      }
      const after = await updateAccountRow(uow.trx, tenantId, row.id, row.version, {
        tags,
        updated_by: actor.userId,
      });
      // The row is locked: a version mismatch cannot happen, short of a bug.
      if (!after) throw new AppError('version_conflict', 'The account was changed concurrently; retry');
      const diff = tagDiff(row.tags, after.tags);
      uow.audit({ action: 'account.updated', entityType: 'account', entityId: row.id, diff });
      uow.emit(accountUpdated(accountSnapshot(after), diff));
      updated.push({ id: row.id, tags: after.tags, version: after.version, changed: true });
    }
    return { updated: inIdOrder(input.ids, updated), failed: inIdOrder(input.ids, failed) };
  });
}

/** Adds and removes tags on up to 500 contacts (POST /contacts/bulk/tags). */
export async function bulkTagContacts(
  p: AppPlatform,
  ctx: RequestContext,
  input: BulkTagsInput,
): Promise<BulkTagsResult> {
  const { actor } = ctx;
  requirePermission(actor, 'crm.contact.update');
  const tenantId = actor.workspaceId;
  return p.write(ctx, async (uow) => {
    const rows = await lockContacts(uow.trx, tenantId, input.ids);
    const { found, failed } = partition(input.ids, rows, 'contact_not_found', 'Contact');
    const updated: BulkTagsResult['updated'] = [];
    const changes: { before: (typeof found)[number]; tags: string[] }[] = [];
    for (const row of found) {
      if (!canUpdateContact(actor, row)) {
        failed.push({
          id: row.id,
          code: 'forbidden',
          message: 'You may change only contacts you own or that nobody owns',
        });
        continue;
      }
      const change = changedTags(row.id, row.tags, input);
      if ('failure' in change) failed.push(change.failure);
      else if (sameTags(change.tags, row.tags)) {
        updated.push({ id: row.id, tags: row.tags, version: row.version, changed: false });
      } else changes.push({ before: row, tags: change.tags });
    }
    // The events carry the whole contact, channels included: one read for all the changed ones.
    const channels = await channelsOf(
      uow.trx,
      tenantId,
      changes.map((c) => c.before.id),
    );
    for (const { before, tags } of changes) {
      const after = await updateContactRow(uow.trx, tenantId, before.id, before.version, {
        tags,
        updated_by: actor.userId,
      });
      if (!after) throw new AppError('version_conflict', 'The contact was changed concurrently; retry');
      const diff = tagDiff(before.tags, after.tags);
      uow.audit({ action: 'contact.updated', entityType: 'contact', entityId: before.id, diff });
      uow.emit(contactUpdated(contactSnapshot(after, channels.get(before.id) ?? []), diff));
      updated.push({ id: before.id, tags: after.tags, version: after.version, changed: true });
    }
    return { updated: inIdOrder(input.ids, updated), failed: inIdOrder(input.ids, failed) };
  });
}

/** Results in the order the ids were sent (the caller maps them back to its selection). */
function inIdOrder<T extends { id: string }>(ids: readonly string[], list: T[]): T[] {
  const order = new Map(ids.map((id, i) => [id, i]));
  return list.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

const VIEW = {
  account: 'crm.account.view',
  contact: 'crm.contact.view',
  deal: 'crm.deal.view',
} as const;

/**
 * The workspace's most used tags for one entity (autocompletion), optionally those starting with `q`.
 * Deal tags count only deals the actor may see (restricted deals, DESIGN §6).
 */
export async function tagSuggestions(
  p: AppPlatform,
  ctx: RequestContext,
  query: TagSuggestionsQuery,
): Promise<{ data: { tag: string; count: number }[] }> {
  const { actor } = ctx;
  requirePermission(actor, VIEW[query.entity]);
  const tenantId = actor.workspaceId;
  const prefix = query.q?.trim() ? query.q.trim() : null;
  const data = await p.db.read(tenantId, (db) =>
    tagCounts(db, tenantId, actor, query.entity, prefix, query.limit),
  );
  return { data };
}
