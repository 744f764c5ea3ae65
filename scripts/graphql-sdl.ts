import { writeFileSync } from 'node:fs';
import { crmSdl } from '../src/server/graphql/schema.js';

/** Writes the GraphQL subgraph SDL to docs/crm.graphql (a test fails when it drifts from the code). */
writeFileSync(new URL('../docs/crm.graphql', import.meta.url), crmSdl());
console.log('wrote docs/crm.graphql');
