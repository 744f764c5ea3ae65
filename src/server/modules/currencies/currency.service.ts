import type { AppPlatform } from '../../db.js';
import { diffRecords } from '../../platform/audit/audit.js';
import { requirePermission } from '../../platform/auth/actor.js';
import { sqlState, UNIQUE_VIOLATION } from '../../platform/db/errors.js';
import { AppError, fieldError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { newId } from '../../platform/ids.js';
import type { RequestContext } from '../../platform/unit-of-work.js';
import { rateCreated, rateDeleted, rateUpdated } from './currency.events.js';
import { convertMinor, dateIn, loadRates, normalizeRate } from './currency.money.js';
import { RATE_READ, RATE_WRITE } from './currency.policy.js';
import { presentRate, type RateJson, rateSnapshot } from './currency.presenter.js';
import {
  findRate,
  findSameDay,
  insertRate,
  listRateRows,
  updateRateRow,
  workspaceMoneySettings,
} from './currency.repository.js';
import type { ConvertQuery, CreateRateInput, ListRatesQuery, UpdateRateInput } from './currency.schema.js';
import type { ExchangeRateRow } from './currency.table.js';

/**
 * Exchange-rate use cases: validate (zod, at the edge) → authorize (read: crm.reports.view; write:
 * crm.settings.manage, see currency.policy.ts) → command (one transaction with audit and event) →
 * present. Rates are decimal strings from the request to the numeric column and back.
 */

const notFound = () => new AppError('exchange_rate_not_found', 'Exchange rate not found');
const DIFF_IGNORE = ['updated_at', 'version', 'updated_by'];

function sameDay(currency: string, date: string): AppError {
  return new AppError(
    'conflict',
    `A ${currency} rate effective ${date} already exists; change that one instead (PATCH)`,
    {
      fields: [
        {
          field: 'effective_date',
          pointer: '/effective_date',
          in: 'body',
          code: 'taken',
          message: 'one rate per currency and day',
        },
      ],
    },
  );
}

export interface RatePage {
  data: RateJson[];
  page: { limit: number; next_cursor: string | null; has_more: boolean };
}

export async function listRates(
  p: AppPlatform,
  ctx: RequestContext,
  query: ListRatesQuery,
): Promise<RatePage> {
  const { actor } = ctx;
  requirePermission(actor, RATE_READ);
  let after: [string, string] | null = null;
  if (query.cursor) {
    const [date, id] = decodeCursor(query.cursor, 'rates', ['date', 'uuid']) as [string, string];
    after = [date, id];
  }
  const rows = await p.db.read(actor.workspaceId, (db) =>
    listRateRows(
      db,
      actor.workspaceId,
      query.currency ? { currency: query.currency } : {},
      after,
      query.limit + 1,
    ),
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next =
    rows.length > query.limit && last ? encodeCursor('rates', [last.effective_date, last.id]) : null;
  return {
    data: page.map((r) => presentRate(r, actor)),
    page: { limit: query.limit, next_cursor: next, has_more: next !== null },
  };
}

export async function getRate(p: AppPlatform, ctx: RequestContext, id: string): Promise<RateJson> {
  requirePermission(ctx.actor, RATE_READ);
  const row = await p.db.read(ctx.actor.workspaceId, (db) => findRate(db, ctx.actor.workspaceId, id));
  if (!row || row.deleted_at) throw notFound();
  return presentRate(row, ctx.actor);
}

export async function createRate(
  p: AppPlatform,
  ctx: RequestContext,
  input: CreateRateInput,
): Promise<RateJson> {
  const { actor } = ctx;
  requirePermission(actor, RATE_WRITE);
  const tenantId = actor.workspaceId;
  try {
    const row = await p.write(ctx, async (uow) => {
      const { base_currency: base } = await workspaceMoneySettings(uow.trx, tenantId);
      if (input.currency === base) {
        throw fieldError(
          ['currency'],
          'is_base_currency',
          `${base} is the workspace's base currency; a rate converts another currency into it`,
        );
      }
      if (await findSameDay(uow.trx, tenantId, base, input.currency, input.effective_date)) {
        throw sameDay(input.currency, input.effective_date);
      }
      const created = await insertRate(uow.trx, {
        tenant_id: tenantId,
        id: newId(),
        base_currency: base,
        currency: input.currency,
        rate: input.rate,
        effective_date: input.effective_date,
        source: input.source ?? null,
        created_by: actor.userId,
        updated_by: actor.userId,
        deleted_at: null,
      });
      const snapshot = rateSnapshot(created);
      uow.audit({
        action: 'exchange_rate.created',
        entityType: 'exchange_rate',
        entityId: created.id,
        diff: diffRecords(null, snapshot, DIFF_IGNORE),
      });
      uow.emit(rateCreated(snapshot));
      return created;
    });
    return presentRate(row, actor);
  } catch (e) {
    // Two admins adding the same day at once: the unique index decides, the loser gets the same 409.
    if (sqlState(e) === UNIQUE_VIOLATION) throw sameDay(input.currency, input.effective_date);
    throw e;
  }
}

async function loadForWrite(
  trx: Parameters<typeof findRate>[0],
  ctx: RequestContext,
  id: string,
  expectedVersion: number | undefined,
): Promise<ExchangeRateRow> {
  const row = await findRate(trx, ctx.actor.workspaceId, id, { forUpdate: true });
  if (!row || row.deleted_at) throw notFound();
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new AppError(
      'precondition_failed',
      `The rate changed since version ${expectedVersion}; reload and retry`,
      {
        extra: { current_version: row.version, current: presentRate(row, ctx.actor) },
        headers: { etag: `"${row.version}"` },
      },
    );
  }
  return row;
}

export async function updateRate(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  input: UpdateRateInput,
  ifMatchVersion: number | undefined,
): Promise<RateJson> {
  const { actor } = ctx;
  requirePermission(actor, RATE_WRITE);
  const { version: bodyVersion, ...changes } = input;
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow.trx, ctx, id, ifMatchVersion ?? bodyVersion);
    const before = rateSnapshot(current);
    // "25400.50" and "25400.5" are the same rate: compared normalized, so re-sending it is a no-op.
    const wouldBe = {
      ...before,
      ...(changes.rate !== undefined ? { rate: normalizeRate(changes.rate) } : {}),
      ...(changes.source !== undefined ? { source: changes.source } : {}),
    };
    if (Object.keys(diffRecords(before, wouldBe, DIFF_IGNORE)).length === 0) return current;
    const updated = await updateRateRow(uow.trx, actor.workspaceId, id, current.version, {
      ...changes,
      updated_by: actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The rate was changed concurrently; retry');
    const after = rateSnapshot(updated);
    const diff = diffRecords(before, after, DIFF_IGNORE);
    uow.audit({ action: 'exchange_rate.updated', entityType: 'exchange_rate', entityId: id, diff });
    uow.emit(rateUpdated(after, diff));
    return updated;
  });
  return presentRate(row, actor);
}

export async function deleteRate(
  p: AppPlatform,
  ctx: RequestContext,
  id: string,
  ifMatchVersion: number | undefined,
): Promise<RateJson> {
  const { actor } = ctx;
  requirePermission(actor, RATE_WRITE);
  const row = await p.write(ctx, async (uow) => {
    const current = await loadForWrite(uow.trx, ctx, id, ifMatchVersion);
    const updated = await updateRateRow(uow.trx, actor.workspaceId, id, current.version, {
      deleted_at: new Date(),
      updated_by: actor.userId,
    });
    if (!updated) throw new AppError('version_conflict', 'The rate was changed concurrently; retry');
    const snapshot = rateSnapshot(updated);
    uow.audit({
      action: 'exchange_rate.deleted',
      entityType: 'exchange_rate',
      entityId: id,
      diff: { deleted_at: { from: null, to: snapshot.deleted_at } },
    });
    uow.emit(rateDeleted(snapshot));
    return updated;
  });
  return presentRate(row, actor);
}

export interface ConversionJson {
  amount: { currency: string; amount_minor: number };
  converted: { currency: string; amount_minor: number };
  rate: { currency: string; rate: string; effective_date: string } | null;
  date: string;
}

/**
 * Converts an amount into the base currency at the rate valid on `date` (the latest effective on or
 * before it), with the same exact code every total uses (currency.money.ts). No rate → 422 naming `date`.
 */
export async function convertAmount(
  p: AppPlatform,
  ctx: RequestContext,
  query: ConvertQuery,
): Promise<ConversionJson> {
  const { actor } = ctx;
  requirePermission(actor, RATE_READ);
  return p.db.read(actor.workspaceId, async (db) => {
    const { base_currency: base, timezone } = await workspaceMoneySettings(db, actor.workspaceId);
    const date = query.date ?? dateIn(timezone);
    const amount = BigInt(query.amount_minor);
    if (query.currency === base) {
      const n = Number(amount);
      return {
        amount: { currency: base, amount_minor: n },
        converted: { currency: base, amount_minor: n },
        rate: null,
        date,
      };
    }
    const rates = await loadRates(db, base, date);
    const rate = rates.get(query.currency);
    if (!rate) {
      throw fieldError(
        ['date'],
        'no_rate',
        `No ${query.currency}→${base} rate is effective on or before ${date}; add one under /exchange-rates`,
        'query',
      );
    }
    const converted = convertMinor(amount, query.currency, base, rate.rate);
    if (converted > BigInt(Number.MAX_SAFE_INTEGER) || converted < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw fieldError(
        ['amount_minor'],
        'too_large',
        'The converted amount exceeds 2^53 − 1 minor units',
        'query',
      );
    }
    return {
      amount: { currency: query.currency, amount_minor: Number(amount) },
      converted: { currency: base, amount_minor: Number(converted) },
      rate,
      date,
    };
  });
}
