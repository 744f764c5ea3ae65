import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ISO_DATE_PATTERN, VAT_RATES, type VatRate } from './hoadon.model.js';

/**
 * VAT rates as dated data (data/vat-rates.json), not code: the reduced 8% rate has been renewed period
 * by period since 2022 and will be again or not, so a new period is a data change with its legal basis.
 * The file is checked with zod when the module loads; a broken file fails the process at start.
 */

const sectorSchema = z.strictObject({
  code: z.string().regex(/^[a-z_]+$/),
  vi: z.string().min(1),
  en: z.string().min(1),
});

const periodSchema = z.strictObject({
  id: z.string().min(1),
  rate: z.enum(VAT_RATES),
  from: z.string().regex(ISO_DATE_PATTERN),
  to: z.string().regex(ISO_DATE_PATTERN),
  basis: z.string().min(1),
  excluded: z.array(z.string()),
});

export const vatRateDataSchema = z
  .strictObject({
    version: z.string().min(1),
    updated: z.string().regex(ISO_DATE_PATTERN),
    standard: z.strictObject({ rate: z.enum(VAT_RATES), basis: z.string().min(1) }),
    notes: z.array(z.string()),
    sectors: z.array(sectorSchema).min(1),
    reduced: z.array(periodSchema),
    sources: z.array(z.strictObject({ title: z.string().min(1), where: z.string().min(1) })).min(1),
  })
  .superRefine((data, ctx) => {
    const codes = new Set(data.sectors.map((s) => s.code));
    const sorted = [...data.reduced].sort((a, b) => a.from.localeCompare(b.from));
    sorted.forEach((p, i) => {
      if (p.from > p.to)
        ctx.addIssue({ code: 'custom', path: ['reduced', p.id], message: 'from is after to' });
      const next = sorted[i + 1];
      if (next && next.from <= p.to) {
        ctx.addIssue({ code: 'custom', path: ['reduced', next.id], message: `overlaps ${p.id}` });
      }
      for (const s of p.excluded) {
        if (!codes.has(s))
          ctx.addIssue({ code: 'custom', path: ['reduced', p.id], message: `unknown sector ${s}` });
      }
    });
  });
export type VatRateData = z.infer<typeof vatRateDataSchema>;

export const VAT_RATE_DATA: VatRateData = vatRateDataSchema.parse(
  JSON.parse(readFileSync(new URL('./data/vat-rates.json', import.meta.url), 'utf8')),
);

/** Sector codes a workspace (or a line) may name; `other` is everything at 10% not listed. */
export const VAT_SECTORS = VAT_RATE_DATA.sectors;
export const VAT_SECTOR_CODES = VAT_RATE_DATA.sectors.map((s) => s.code);

export interface VatRateDecision {
  rate: VatRate;
  /** Why, for people and the audit trail: the rule and its legal basis. */
  rule: string;
  /** The reduced period applied or that excluded the sector; null when no period covers the date. */
  periodId: string | null;
  dataVersion: string;
}

/**
 * The rate for goods or services normally taxed at 10%, on an invoice's issue date (YYYY-MM-DD,
 * Vietnam time): the reduced rate inside a reduced period unless the sector is excluded, else the
 * standard rate. No sector means the seller's goods are not in an excluded sector.
 * Throws a RangeError for a malformed date or a sector code the data does not know (settings should
 * only accept VAT_SECTOR_CODES).
 */
export function vatRateOn(
  input: { date: string; sector?: string },
  data: VatRateData = VAT_RATE_DATA,
): VatRateDecision {
  if (!ISO_DATE_PATTERN.test(input.date)) throw new RangeError(`not a date YYYY-MM-DD: ${input.date}`);
  const sector = input.sector;
  if (sector !== undefined && !data.sectors.some((s) => s.code === sector)) {
    throw new RangeError(`unknown VAT sector: ${sector}`);
  }
  const period = data.reduced.find((p) => p.from <= input.date && input.date <= p.to);
  const base = { dataVersion: data.version };
  if (!period) {
    return {
      ...base,
      rate: data.standard.rate,
      rule: `Thuế suất phổ thông ${data.standard.rate} (${data.standard.basis})`,
      periodId: null,
    };
  }
  if (sector !== undefined && period.excluded.includes(sector)) {
    const label = data.sectors.find((s) => s.code === sector)?.vi ?? sector;
    return {
      ...base,
      rate: data.standard.rate,
      rule: `Không thuộc diện giảm thuế: ${label} giữ thuế suất ${data.standard.rate} (${period.basis})`,
      periodId: period.id,
    };
  }
  return {
    ...base,
    rate: period.rate,
    rule: `Giảm thuế GTGT còn ${period.rate} từ ${period.from} đến ${period.to} (${period.basis})`,
    periodId: period.id,
  };
}
