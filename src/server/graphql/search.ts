import { searchQuerySchema } from '../modules/search/search.schema.js';
import { globalSearch } from '../modules/search/search.service.js';
import { builder, given, parseWith } from './builder.js';
import { AccountRef, ContactRef, DealRef } from './refs.js';

/**
 * Global search: the same service as GET /search (accounts by name/MST/domain, contacts by name, phone or
 * email, deals by name, the deal ACL applied), its hits resolved to the full entities through loaders.
 */

interface SearchShape {
  q: string;
  accounts: string[];
  contacts: string[];
  deals: string[];
  more: { accounts: boolean; contacts: boolean; deals: boolean };
}

/** The loaded hits in rank order; a failed load fails the field, one gone since the search is skipped. */
function found<T>(list: ReadonlyArray<T | null | Error>): T[] {
  const failed = list.find((x): x is Error => x instanceof Error);
  if (failed) throw failed;
  return list.filter((x): x is T => x !== null);
}

const SearchResult = builder.objectRef<SearchShape>('SearchResult').implement({
  description: 'Groups you may not view are empty.',
  fields: (t) => ({
    q: t.exposeString('q'),
    accounts: t.field({
      type: [AccountRef],
      resolve: async (s, _a, ctx) => found(await ctx.loaders.account.loadMany(s.accounts)),
    }),
    contacts: t.field({
      type: [ContactRef],
      resolve: async (s, _a, ctx) => found(await ctx.loaders.contact.loadMany(s.contacts)),
    }),
    deals: t.field({
      type: [DealRef],
      resolve: async (s, _a, ctx) => found(await ctx.loaders.deal.loadMany(s.deals)),
    }),
    hasMoreAccounts: t.boolean({ resolve: (s) => s.more.accounts }),
    hasMoreContacts: t.boolean({ resolve: (s) => s.more.contacts }),
    hasMoreDeals: t.boolean({ resolve: (s) => s.more.deals }),
  }),
});

builder.queryFields((t) => ({
  search: t.field({
    type: SearchResult,
    args: {
      q: t.arg.string({ required: true }),
      limit: t.arg.int({ required: false, description: 'Per group, 1–20 (default 5).' }),
    },
    resolve: async (_root, args, ctx) => {
      // The subgraph has no Lead type (yet): do not run the lead search only to drop its hits.
      const query = parseWith(
        searchQuerySchema,
        given({ q: args.q, limit: args.limit, types: 'accounts,contacts,deals' }),
        (f) => f,
      );
      const r = await globalSearch(ctx.p, ctx.ctx, query);
      return {
        q: r.q,
        accounts: (r.accounts?.data ?? []).map((h) => h.id),
        contacts: (r.contacts?.data ?? []).map((h) => h.id),
        deals: (r.deals?.data ?? []).map((h) => h.id),
        more: {
          accounts: r.accounts?.has_more ?? false,
          contacts: r.contacts?.has_more ?? false,
          deals: r.deals?.has_more ?? false,
        },
      };
    },
  }),
}));
