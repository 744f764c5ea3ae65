import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { GetCrmV1DealsResponse, Pipeline } from '../../../../shared/api-client/types.gen.js';
import { currencyDigits, type useFormat } from '../../../lib/format.js';
import type { CsvCell } from './csv.js';
import type { SortKey } from './filters.js';

/**
 * The list's columns: one definition drives the header, the cell, the sort and the CSV export, so the
 * file always matches what is on screen. Names of accounts and owners are looked up (the deal carries
 * ids); amounts stay in each deal's own currency, never converted or summed here.
 */

export type ListDeal = GetCrmV1DealsResponse['data'][number];

export const COLUMN_IDS = [
  'name',
  'account',
  'pipeline',
  'stage',
  'status',
  'amount',
  'probability',
  'weighted',
  'expectedClose',
  'owner',
  'tags',
  'stageAge',
  'createdAt',
  'updatedAt',
] as const;
export type ColumnId = (typeof COLUMN_IDS)[number];

export const DEFAULT_COLUMNS: readonly ColumnId[] = [
  'name',
  'account',
  'stage',
  'status',
  'amount',
  'probability',
  'expectedClose',
  'owner',
];

export interface ColumnContext {
  fmt: ReturnType<typeof useFormat>;
  /** Translates a `deals` key (the columns are rendered by the page, in its namespace). */
  text: (key: string) => string;
  stageName: (stage: { name_vi: string; name_en: string } | null | undefined) => string;
  ownerName: (id: string | null) => string;
  pipelines: Pipeline[] | undefined;
  /** Renders an account name (a component that looks it up); the CSV uses `accountNames`. */
  AccountCell: (props: { id: string }) => ReactNode;
  accountNames: Map<string, string>;
}

export interface Column {
  id: ColumnId;
  width: number;
  sort?: SortKey;
  numeric?: boolean;
  render: (d: ListDeal, c: ColumnContext) => ReactNode;
  /** Header cells and values for the CSV (amount exports a number and its currency). */
  csvHeader: (c: ColumnContext) => string[];
  csv: (d: ListDeal, c: ColumnContext) => CsvCell[];
}

const major = (minor: number | null, currency: string): number | null =>
  minor === null ? null : minor / 10 ** currencyDigits(currency);

const weightedMinor = (d: ListDeal): number | null =>
  d.amount_minor === null ? null : Math.round((d.amount_minor * d.probability) / 100);

const days = (iso: string): number =>
  Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 86_400_000));

const label = (id: ColumnId) => (c: ColumnContext) => [c.text(`column.${id}`)];

export const COLUMNS: Record<ColumnId, Column> = {
  name: {
    id: 'name',
    width: 240,
    sort: 'name',
    render: (d) => (
      <Link to={`/deals/${d.id}`} className="deal-name-link">
        {d.name}
      </Link>
    ),
    csvHeader: label('name'),
    csv: (d) => [d.name],
  },
  account: {
    id: 'account',
    width: 200,
    render: (d, c) => (d.account_id ? <c.AccountCell id={d.account_id} /> : '—'),
    csvHeader: label('account'),
    csv: (d, c) => [d.account_id ? (c.accountNames.get(d.account_id) ?? '') : ''],
  },
  pipeline: {
    id: 'pipeline',
    width: 150,
    render: (d, c) => c.pipelines?.find((p) => p.id === d.pipeline_id)?.name ?? '—',
    csvHeader: label('pipeline'),
    csv: (d, c) => [c.pipelines?.find((p) => p.id === d.pipeline_id)?.name ?? ''],
  },
  stage: {
    id: 'stage',
    width: 150,
    render: (d, c) => c.stageName(d.stage),
    csvHeader: label('stage'),
    csv: (d, c) => [c.stageName(d.stage)],
  },
  status: {
    id: 'status',
    width: 110,
    render: (d, c) => <span className={`badge deal-status-${d.status}`}>{c.text(`status.${d.status}`)}</span>,
    csvHeader: label('status'),
    csv: (d, c) => [c.text(`status.${d.status}`)],
  },
  amount: {
    id: 'amount',
    width: 160,
    sort: 'amount',
    numeric: true,
    render: (d, c) => c.fmt.money(d.amount_minor, d.currency),
    csvHeader: (c) => [c.text('column.amount'), c.text('column.currency')],
    csv: (d) => [major(d.amount_minor, d.currency), d.currency],
  },
  probability: {
    id: 'probability',
    width: 100,
    numeric: true,
    render: (d) => `${d.probability}%`,
    csvHeader: label('probability'),
    csv: (d) => [d.probability],
  },
  weighted: {
    id: 'weighted',
    width: 160,
    numeric: true,
    render: (d, c) => c.fmt.money(weightedMinor(d), d.currency),
    csvHeader: (c) => [c.text('column.weighted')],
    csv: (d) => [major(weightedMinor(d), d.currency)],
  },
  expectedClose: {
    id: 'expectedClose',
    width: 140,
    sort: 'expected_close_date',
    render: (d, c) => c.fmt.date(d.expected_close_date),
    csvHeader: label('expectedClose'),
    csv: (d) => [d.expected_close_date ?? ''],
  },
  owner: {
    id: 'owner',
    width: 160,
    render: (d, c) => c.ownerName(d.owner_id),
    csvHeader: label('owner'),
    csv: (d, c) => [d.owner_id ? c.ownerName(d.owner_id) : ''],
  },
  tags: {
    id: 'tags',
    width: 180,
    render: (d) =>
      d.tags.length === 0
        ? '—'
        : d.tags.map((tag) => (
            <span key={tag} className="badge deal-tag">
              {tag}
            </span>
          )),
    csvHeader: label('tags'),
    csv: (d) => [d.tags.join(', ')],
  },
  stageAge: {
    id: 'stageAge',
    width: 120,
    numeric: true,
    render: (d) => days(d.stage_entered_at),
    csvHeader: label('stageAge'),
    csv: (d) => [days(d.stage_entered_at)],
  },
  createdAt: {
    id: 'createdAt',
    width: 150,
    sort: 'created_at',
    render: (d, c) => c.fmt.date(d.created_at),
    csvHeader: label('createdAt'),
    csv: (d) => [d.created_at],
  },
  updatedAt: {
    id: 'updatedAt',
    width: 150,
    sort: 'updated_at',
    render: (d, c) => c.fmt.relative(d.updated_at),
    csvHeader: label('updatedAt'),
    csv: (d) => [d.updated_at],
  },
};

const STORAGE_KEY = 'crm.deals.columns';

/** The chosen columns, kept per browser; unknown ids (from an older version) are dropped. */
export function loadColumns(): ColumnId[] {
  try {
    const raw = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as unknown;
    if (Array.isArray(raw)) {
      const ids = raw.filter((x): x is ColumnId => (COLUMN_IDS as readonly unknown[]).includes(x));
      if (ids.includes('name')) return ids;
    }
  } catch {
    // A corrupt value falls back to the defaults.
  }
  return [...DEFAULT_COLUMNS];
}

export function saveColumns(ids: readonly ColumnId[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(ids));
}
