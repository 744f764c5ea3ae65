import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The public VietQR test vectors (`test/fixtures/vn/vietqr.json`, a copy of `../shared/testdata/vietqr.json`), parsed and
 * checked for shape so a changed file fails loudly instead of silently testing nothing. Test-only.
 */
const VectorSchema = z.object({
  id: z.number().int(),
  payload: z.string().min(1),
  init: z.enum(['11', '12']),
  bankBin: z.string(),
  account: z.string(),
  service: z.enum(['QRIBFTTA', 'QRIBFTTC']),
  amount: z.number().int().optional(),
  purpose: z.string().optional(),
  billNumber: z.string().optional(),
  reference: z.string().optional(),
  terminal: z.string().optional(),
  valid: z.boolean(),
  why: z.string().optional(),
  source: z.string(),
});

const VectorsSchema = z.object({ about: z.string(), vectors: z.array(VectorSchema).min(1) });

export type VietQrVector = z.infer<typeof VectorSchema>;

export const VIETQR_VECTORS_URL = new URL('../../../../../test/fixtures/vn/vietqr.json', import.meta.url);

export function loadVietQrVectors(): VietQrVector[] {
  return VectorsSchema.parse(JSON.parse(readFileSync(VIETQR_VECTORS_URL, 'utf8'))).vectors;
}
