import type { FastifyInstance } from 'fastify';
import type { AppPlatform } from '../db.js';
import { actorOf } from '../platform/auth/authenticate.js';
import type { GraphqlHandler } from '../platform/graphql/yoga.js';
import { ctxOf } from '../platform/http/context.js';

export const GRAPHQL_PATH = '/crm/graphql';

/**
 * POST/GET /crm/graphql: the CRM subgraph over the same services, credentials and errors as REST.
 *
 * GraphQL Yoga, its armor plugins and the Pothos schema are loaded and built at the first request, not
 * at start-up: they were ~1 s of the ~3 s of imports before /readyz (the start-up budget is 15 s), and
 * most deployments of the web app never call GraphQL. A failed load is retried by the next request.
 */
export function graphqlRoutes(p: AppPlatform) {
  return async (app: FastifyInstance): Promise<void> => {
    let handler: Promise<GraphqlHandler> | null = null;
    const load = (): Promise<GraphqlHandler> => {
      handler ??= (async () => {
        const [{ graphqlHandler }, { crmSchema }, { createContext }] = await Promise.all([
          import('../platform/graphql/yoga.js'),
          import('./schema.js'),
          import('./context.js'),
        ]);
        return graphqlHandler({
          path: GRAPHQL_PATH,
          schema: crmSchema(),
          context: (request) => createContext(p, ctxOf(request)),
          log: p.log,
        });
      })().catch((error: unknown) => {
        handler = null;
        throw error;
      });
      return handler;
    };
    app.route({
      url: GRAPHQL_PATH,
      method: ['GET', 'POST'],
      // Authentication is enforced in the handler (actorOf) rather than by the route config: a GraphQL POST
      // is a read as often as a write, and the REST idempotency layer, which asks API-key clients for an
      // Idempotency-Key on every POST, must not apply to queries. A rejected credential is still a 401
      // before the handler (the auth preHandler throws it for public routes too).
      config: { auth: 'public' },
      schema: { hide: true },
      handler: async (request, reply) => {
        actorOf(request);
        return (await load())(request, reply);
      },
    });
  };
}
