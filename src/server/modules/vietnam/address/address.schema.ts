import { z } from 'zod';

/**
 * The address parser's edge: what a transport accepts and the one JSON shape it returns (the same object
 * `parseAddress` builds, so a route can return it as is).
 */

/** A postal address as typed by a person; long enough for any real address, short enough to bound work. */
export const addressTextSchema = z.string().max(500);

export const parseAddressInputSchema = z.object({ text: addressTextSchema });
export type ParseAddressInput = z.infer<typeof parseAddressInputSchema>;

const unitSchema = z.object({
  code: z
    .string()
    .regex(/^\d{5}$/)
    .nullable(),
  name: z.string(),
  type: z.enum(['phuong', 'xa', 'dac_khu', 'thi_tran']),
});

const provinceSchema = z.object({ code: z.string().regex(/^\d{2}$/), name: z.string() });

export const addressWarningSchema = z.enum([
  'empty_input',
  'province_not_found',
  'province_inferred',
  'ward_not_found',
  'ward_ambiguous',
  'ward_split',
  'ward_type_mismatch',
  'legacy_address',
  'legacy_district_ignored',
  'legacy_province_name',
  'legacy_name_conflict',
]);
/** Stable warning codes; the UI words them. */
export type AddressWarning = z.infer<typeof addressWarningSchema>;

export const parsedAddressSchema = z.object({
  street: z.string(),
  ward: unitSchema.nullable(),
  province: provinceSchema.nullable(),
  legacyDistrict: z.string().nullable(),
  form: z.enum(['new', 'legacy', 'unknown']),
  mapped: z.object({ ward: unitSchema.nullable(), province: provinceSchema.nullable() }).nullable(),
  ambiguous: z.boolean(),
  candidates: z.array(
    z.object({ code: z.string().regex(/^\d{5}$/), name: z.string(), province: provinceSchema }),
  ),
  confidence: z.number().min(0).max(1),
  datasetVersion: z.string(),
  warnings: z.array(addressWarningSchema),
});
