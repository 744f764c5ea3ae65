import type { z } from 'zod';
import type { Actor } from '../../platform/auth/actor.js';
import { normalizeRate } from './currency.money.js';
import { rateAbilities } from './currency.policy.js';
import type { rateResponseSchema } from './currency.schema.js';
import type { ExchangeRateRow } from './currency.table.js';

export type RateJson = z.infer<typeof rateResponseSchema>;
export type RateSnapshot = Omit<RateJson, 'abilities'>;

/** The one public shape of a rate (char(3) padding trimmed, trailing decimal zeros dropped). */
export function rateSnapshot(row: ExchangeRateRow): RateSnapshot {
  return {
    id: row.id,
    base_currency: row.base_currency.trim(),
    currency: row.currency.trim(),
    rate: normalizeRate(row.rate),
    effective_date: row.effective_date,
    source: row.source,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    created_by: row.created_by,
    updated_by: row.updated_by,
    version: row.version,
    deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
  };
}

export function presentRate(row: ExchangeRateRow, actor: Actor): RateJson {
  return { ...rateSnapshot(row), abilities: rateAbilities(actor, row) };
}

export const rateEtag = (version: number): string => `"${version}"`;
