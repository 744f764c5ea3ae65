import DataLoader from 'dataloader';
import type { AppPlatform } from '../db.js';
import { type AccountJson, presentAccount } from '../modules/accounts/account.presenter.js';
import { accountsByIds } from '../modules/accounts/account.repository.js';
import { type ContactJson, presentContact } from '../modules/contacts/contact.presenter.js';
import { channelsOf, contactsByIds } from '../modules/contacts/contact.repository.js';
import type { ContactRow } from '../modules/contacts/contact.table.js';
import type { DealJson } from '../modules/deals/deal.presenter.js';
import { getDeal } from '../modules/deals/deal.service.js';
import type { PipelineJson } from '../modules/pipelines/pipeline.presenter.js';
import { listPipelines } from '../modules/pipelines/pipeline.service.js';
import { type Actor, requirePermission } from '../platform/auth/actor.js';
import { AppError } from '../platform/errors.js';
import type { RequestContext } from '../platform/unit-of-work.js';

/**
 * The per-request GraphQL context: who acts (the same Actor the REST routes get from the authenticate
 * hook), the service context, and DataLoaders. Loaders live one request (never shared between actors),
 * so their caches cannot leak one reader's view to another.
 */
export interface GqlContext {
  p: AppPlatform;
  ctx: RequestContext;
  actor: Actor;
  loaders: Loaders;
}

export interface Loaders {
  /** Live accounts by id (one `IN` query per batch); a deleted or unknown account loads as null. */
  account: DataLoader<string, AccountJson | null>;
  /** Live contacts by id, with their channels (two queries per batch). */
  contact: DataLoader<string, ContactJson | null>;
  /** Live contacts of each account, primary first then by name (two queries per batch). */
  contactsOfAccount: DataLoader<string, ContactJson[]>;
  /** Deals by id through the deal service (its ACL: an invisible deal loads as null). */
  deal: DataLoader<string, DealJson | null>;
  /** The workspace's pipelines with their stages: read once per request. */
  pipelines: () => Promise<PipelineJson[]>;
}

function byId<T extends { id: string }>(rows: readonly T[]): Map<string, T> {
  return new Map(rows.map((r) => [r.id, r]));
}

export function createLoaders(p: AppPlatform, ctx: RequestContext): Loaders {
  const { actor } = ctx;
  const tenantId = actor.workspaceId;

  const presentContacts = async (rows: ContactRow[]): Promise<ContactJson[]> => {
    const channels = await p.db.read(tenantId, (db) =>
      channelsOf(
        db,
        tenantId,
        rows.map((r) => r.id),
      ),
    );
    return rows.map((r) => presentContact(r, channels.get(r.id) ?? [], actor));
  };

  let pipelines: Promise<PipelineJson[]> | null = null;

  return {
    account: new DataLoader(async (ids) => {
      requirePermission(actor, 'crm.account.view');
      const rows = await p.db.read(tenantId, (db) => accountsByIds(db, tenantId, ids));
      const map = byId(rows.filter((r) => r.deleted_at === null).map((r) => presentAccount(r, actor)));
      return ids.map((id) => map.get(id) ?? null);
    }),
    contact: new DataLoader(async (ids) => {
      requirePermission(actor, 'crm.contact.view');
      const rows = await p.db.read(tenantId, (db) => contactsByIds(db, tenantId, ids));
      const map = byId(await presentContacts(rows.filter((r) => r.deleted_at === null)));
      return ids.map((id) => map.get(id) ?? null);
    }),
    contactsOfAccount: new DataLoader(async (accountIds) => {
      requirePermission(actor, 'crm.contact.view');
      const rows = await p.db.read(tenantId, (db) =>
        db
          .selectFrom('crm_core.crm_contacts')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('account_id', 'in', [...accountIds])
          .where('deleted_at', 'is', null)
          .orderBy('is_primary', 'desc')
          .orderBy('display_name')
          .orderBy('id')
          .execute(),
      );
      const out = new Map<string, ContactJson[]>();
      for (const c of await presentContacts(rows)) {
        if (!c.account_id) continue;
        const list = out.get(c.account_id);
        if (list) list.push(c);
        else out.set(c.account_id, [c]);
      }
      return accountIds.map((id) => out.get(id) ?? []);
    }),
    deal: new DataLoader(async (ids) =>
      Promise.all(
        ids.map(async (id) => {
          try {
            return await getDeal(p, ctx, id);
          } catch (e) {
            if (e instanceof AppError && e.code === 'deal_not_found') return null;
            throw e;
          }
        }),
      ),
    ),
    pipelines: () => {
      pipelines ??= listPipelines(p, ctx).then((r) => r.data);
      return pipelines;
    },
  };
}

export function createContext(p: AppPlatform, ctx: RequestContext): GqlContext {
  return { p, ctx, actor: ctx.actor, loaders: createLoaders(p, ctx) };
}
