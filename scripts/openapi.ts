import { writeFileSync } from 'node:fs';
import { generateOpenApi, OPENAPI_PATH } from './openapi-doc.js';

/** `npm run openapi`: regenerates the committed OpenAPI document (checked for drift by test/openapi.test.ts). */
const doc = await generateOpenApi();
writeFileSync(OPENAPI_PATH, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${OPENAPI_PATH} (${Object.keys((doc.paths as object) ?? {}).length} paths)`);
