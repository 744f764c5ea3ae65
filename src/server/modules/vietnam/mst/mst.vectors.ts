import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The public MST test vectors (`../shared/testdata/mst.json`, beside the repository), parsed and checked for
 * shape so a changed file fails loudly instead of silently testing nothing. Test-only.
 */
const VectorsSchema = z.object({
  valid: z.array(z.string()).min(1),
  named: z.record(z.string(), z.string()),
  invalid: z.array(z.tuple([z.string(), z.string()])).min(1),
});

export type MstVectors = z.infer<typeof VectorsSchema>;

export const MST_VECTORS_URL = new URL('../../../../../test/fixtures/vn/mst.json', import.meta.url);

export function loadMstVectors(): MstVectors {
  return VectorsSchema.parse(JSON.parse(readFileSync(MST_VECTORS_URL, 'utf8')));
}
