import { buildApp } from '../src/server/app.js';
import type { DB } from '../src/server/db.js';
import { testConfig } from '../src/server/platform/config.js';
import { createDatabase } from '../src/server/platform/db/database.js';

/**
 * The OpenAPI document as the code describes it. No database is touched: building the app and asking
 * swagger for the document runs no query, so a pool that never connects is enough.
 */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const db = await createDatabase<DB>({
    kind: 'postgres',
    url: 'postgres://unused@127.0.0.1:1/unused',
    poolMax: 1,
  });
  const { app } = await buildApp({ config: testConfig(), db });
  await app.ready();
  const doc = app.swagger() as Record<string, unknown>;
  await app.close();
  await db.destroy();
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
}

export const OPENAPI_PATH = 'docs/openapi.json';
