import type { QueryClient } from '@tanstack/react-query';
import { getCrmV1AccountsById, getCrmV1Deals } from '../../../../shared/api-client/sdk.gen.js';
import { call } from '../../../lib/api.js';
import { COLUMNS, type ColumnContext, type ColumnId, type ListDeal } from './columns.js';
import { toCsv } from './csv.js';
import type { DealsQuery } from './filters.js';
import { runPool } from './pool.js';

/**
 * "Export CSV of the current view": every deal matching the filters (not only the loaded rows), in the
 * current sort, with the visible columns. Pages are fetched one after the other at the API's maximum
 * page size; account names are looked up once per account (through the query cache, four at a time).
 */

const PAGE = 100;

export async function exportDeals(opts: {
  qc: QueryClient;
  query: DealsQuery;
  columns: readonly ColumnId[];
  ctx: Omit<ColumnContext, 'accountNames'>;
  onProgress: (rows: number) => void;
  signal: AbortSignal;
}): Promise<string> {
  const deals: ListDeal[] = [];
  let cursor: string | undefined;
  do {
    opts.signal.throwIfAborted();
    const page = await call(
      getCrmV1Deals({ query: { ...opts.query, limit: PAGE, cursor }, signal: opts.signal }),
    );
    deals.push(...page.data);
    opts.onProgress(deals.length);
    cursor = page.page.has_more ? (page.page.next_cursor ?? undefined) : undefined;
  } while (cursor);

  const accountNames = new Map<string, string>();
  if (opts.columns.includes('account')) {
    const ids = [...new Set(deals.flatMap((d) => (d.account_id ? [d.account_id] : [])))];
    const results = await runPool(ids, 4, (id) =>
      opts.qc.fetchQuery({
        queryKey: ['account', id],
        queryFn: () => call(getCrmV1AccountsById({ path: { id } })),
        staleTime: 60_000,
      }),
    );
    for (const r of results) if (r.ok) accountNames.set(r.item, r.value.name);
  }

  const ctx: ColumnContext = { ...opts.ctx, accountNames };
  const cols = opts.columns.map((id) => COLUMNS[id]);
  const header = cols.flatMap((c) => c.csvHeader(ctx));
  const rows = deals.map((d) => cols.flatMap((c) => c.csv(d, ctx)));
  return toCsv([header, ...rows]);
}
