import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApi, OPENAPI_PATH } from '../scripts/openapi-doc.js';

describe('committed OpenAPI document', () => {
  it('matches what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as unknown;
    expect(await generateOpenApi()).toEqual(committed);
  });

  it('describes every route under /crm/v1 with an operation summary', async () => {
    const doc = (await generateOpenApi()) as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, summary: op.summary })),
    );
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((o) => !o.summary)).toEqual([]);
  });
});
