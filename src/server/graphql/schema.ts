import { printSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './account.js';
import './activity.js';
import './contact.js';
import './deal.js';
import './pipeline.js';
import './search.js';
import './vietnam.js';

/**
 * The CRM subgraph (Apollo Federation v2): Account, Contact and Deal are entities keyed by `id`; the
 * mutations carry `@requiresScopes` (and check the scopes themselves). Built once per process.
 */
let schema: GraphQLSchema | null = null;

export function crmSchema(): GraphQLSchema {
  schema ??= builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.5',
    federationDirectives: ['@key', '@requiresScopes'],
  });
  return schema;
}

/** The SDL with federation directives, as committed in docs/crm.graphql. */
export function crmSdl(): string {
  return `${printSubgraphSchema(crmSchema()).trimEnd()}\n`;
}
