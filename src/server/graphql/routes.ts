import type { FastifyInstance } from 'fastify';
import type { AppPlatform } from '../db.js';
import { installGraphql } from '../platform/graphql/yoga.js';
import { ctxOf } from '../platform/http/context.js';
import { createContext } from './context.js';
import { crmSchema } from './schema.js';

export const GRAPHQL_PATH = '/crm/graphql';

/** POST/GET /crm/graphql: the CRM subgraph over the same services, credentials and errors as REST. */
export function graphqlRoutes(p: AppPlatform) {
  return async (app: FastifyInstance): Promise<void> => {
    installGraphql(app, {
      path: GRAPHQL_PATH,
      schema: crmSchema(),
      context: (request) => createContext(p, ctxOf(request)),
      log: p.log,
    });
  };
}
