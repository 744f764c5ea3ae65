import { z } from 'zod';
import { LIMITS } from '../../../shared/limits.js';
import { NO_NUL } from '../../platform/http/fields.js';

/** Inputs of the exchange-rates API. Rates are decimal strings end to end: never a JS float. */

/**
 * numeric(24,10): up to 14 integer digits and 10 decimals, > 0. A string, because a float would already
 * have lost the digits a finance team typed ("25400.55" is not exactly representable in binary).
 */
export const rateSchema = z
  .string()
  .trim()
  .regex(/^\d{1,14}(\.\d{1,10})?$/, {
    message: 'must be a decimal string such as "25400" or "25400.55" (at most 10 decimals)',
    abort: true,
  })
  .refine((v) => /[1-9]/.test(v), 'must be greater than 0');

export const currencySchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');

function isRealDate(v: string): boolean {
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date as YYYY-MM-DD', abort: true })
  .refine(isRealDate, { message: 'must be a real calendar date', abort: true })
  .refine((v) => v >= '1900-01-01' && v <= '2999-12-31', 'must be between 1900 and 2999');

const sourceSchema = z
  .string()
  .trim()
  .max(200)
  .refine((v) => !v.includes('\u0000'), NO_NUL)
  .transform((v) => (v === '' ? null : v))
  .nullable();

export const createRateSchema = z.strictObject({
  currency: currencySchema,
  rate: rateSchema,
  effective_date: dateSchema,
  /** Where the rate came from (bank, SBV central rate, contract…). */
  source: sourceSchema.optional(),
});
export type CreateRateInput = z.infer<typeof createRateSchema>;

export const updateRateSchema = z
  .strictObject({
    rate: rateSchema,
    source: sourceSchema,
    /** Alternative to If-Match for clients that cannot set headers. */
    version: z.number().int().positive(),
  })
  .partial()
  .refine((v) => Object.keys(v).some((k) => k !== 'version'), {
    message: 'send at least one field to change',
  });
export type UpdateRateInput = z.infer<typeof updateRateSchema>;

export const listRatesQuerySchema = z.strictObject({
  currency: currencySchema.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSizeMax).default(LIMITS.pageSizeDefault),
  cursor: z.string().max(512).optional(),
});
export type ListRatesQuery = z.infer<typeof listRatesQuerySchema>;

export const convertQuerySchema = z.strictObject({
  /** Integer minor units of `currency` (VND: đồng; USD: cents). A string in the URL; ≤ 2^53 − 1. */
  amount_minor: z
    .string()
    .regex(/^-?\d{1,16}$/, { message: 'must be an integer number of minor units', abort: true })
    .refine((v) => Number.isSafeInteger(Number(v)), 'must be at most 9007199254740991'),
  currency: currencySchema,
  /** The day whose rate applies (default: today in the workspace's time zone). */
  date: dateSchema.optional(),
});
export type ConvertQuery = z.infer<typeof convertQuerySchema>;

export const rateIdParamsSchema = z.strictObject({ id: z.uuid() });

export const RATE_ABILITIES = ['update', 'delete'] as const;
export type RateAbility = (typeof RATE_ABILITIES)[number];

export const rateResponseSchema = z
  .object({
    id: z.uuid(),
    base_currency: z.string(),
    currency: z.string(),
    /** Units of base_currency per one unit of currency, as a decimal string. */
    rate: z.string(),
    effective_date: z.string(),
    source: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    created_by: z.uuid().nullable(),
    updated_by: z.uuid().nullable(),
    version: z.number().int(),
    deleted_at: z.iso.datetime().nullable(),
    abilities: z.array(z.enum(RATE_ABILITIES)),
  })
  .meta({ id: 'ExchangeRate' });

export const rateListResponseSchema = z.object({
  data: z.array(rateResponseSchema),
  page: z.object({ limit: z.number().int(), next_cursor: z.string().nullable(), has_more: z.boolean() }),
});

export const convertResponseSchema = z.object({
  amount: z.object({ currency: z.string(), amount_minor: z.number().int() }),
  converted: z.object({ currency: z.string(), amount_minor: z.number().int() }),
  /** The rate applied: the latest effective on or before `date` (null when no conversion was needed). */
  rate: z.object({ currency: z.string(), rate: z.string(), effective_date: z.string() }).nullable(),
  date: z.string(),
});

/**
 * A total in the workspace's base currency with the per-currency sums it was made from and the rates used
 * (src/server/modules/currencies/currency.money.ts builds it). The one schema for every money total.
 */
export const moneyTotalSchema = z
  .object({
    currency: z.string().describe('The workspace base currency'),
    amount_minor: z
      .number()
      .int()
      .nullable()
      .describe('Total in base-currency minor units; null if a rate is missing'),
    breakdown: z.array(z.object({ currency: z.string(), amount_minor: z.number().int() })),
    rates: z.array(z.object({ currency: z.string(), rate: z.string(), effective_date: z.string() })),
    missing_rates: z.array(z.string()),
  })
  .meta({ id: 'MoneyTotal' });
