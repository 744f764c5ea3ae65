import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { createGraphQLError, createYoga, type YogaInitialContext } from 'graphql-yoga';
import { toAppError } from '../http/problem.js';

/**
 * GraphQL over HTTP (GraphQL Yoga) on a Fastify route, behind the same authentication as REST: the
 * route's onRequest hooks resolve the actor (Bearer JWT or API key); a request without one is a 401
 * problem like any REST call. Resolver errors keep the REST contract: every AppError becomes a GraphQL
 * error whose `extensions.code` is the same stable code (and `extensions.fields` the offending inputs);
 * anything else is masked as `internal_error` and logged.
 */

export interface GraphqlLimits {
  /** Deepest field nesting an operation may have (introspection excluded). */
  maxDepth: number;
  /** Static cost bound (graphql-armor: objects 2, scalars 1, × 1.5 per level). */
  maxCost: number;
}

// A 200-card kanban board (4 stage columns of 50 deals with stage, account and primary contact) costs about
// 32,000: the limit admits it (measured; the estimate grows with `first`).
export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = { maxDepth: 8, maxCost: 40000 };

export interface GraphqlRouteOptions<C extends object> {
  path: string;
  schema: GraphQLSchema;
  /** The per-request context (loaders etc.), built once the actor is known. */
  context: (request: FastifyRequest) => C;
  log: FastifyBaseLogger;
  limits?: Partial<GraphqlLimits>;
}

interface ServerContext {
  req: FastifyRequest;
  reply: FastifyReply;
}

/**
 * Whether a value is a GraphQLError. By name, not `instanceof`: graphql ships CommonJS and ESM builds, and
 * a bundler-loaded module (the test runner) may hold the other build's class than the one Yoga uses.
 */
function isGraphqlError(e: unknown): e is GraphQLError {
  return e instanceof Error && e.name === 'GraphQLError';
}

/** The GraphQL error for anything a resolver threw. */
export function toGraphqlError(error: unknown, log: FastifyBaseLogger): GraphQLError {
  let original: unknown = error;
  while (isGraphqlError(original) && original.originalError) original = original.originalError;
  // Parse and validation errors (limits included) are the client's: they pass with a stable code.
  if (isGraphqlError(original)) {
    if (original.extensions?.code !== undefined) return original;
    return createGraphQLError(original.message, {
      ...(original.nodes ? { nodes: original.nodes } : {}),
      ...(original.path ? { path: original.path } : {}),
      extensions: { ...original.extensions, code: 'graphql_validation_failed', status: 400 },
    });
  }
  const app = toAppError(original);
  if (app.status >= 500) log.error({ err: original }, 'GraphQL resolver failed');
  const gqlPath = isGraphqlError(error) ? error.path : undefined;
  const nodes = isGraphqlError(error) ? error.nodes : undefined;
  // createGraphQLError builds the class Yoga itself checks (see isGraphqlError).
  return createGraphQLError(app.status >= 500 ? 'Internal error' : app.message, {
    ...(nodes ? { nodes } : {}),
    ...(gqlPath ? { path: gqlPath } : {}),
    extensions: {
      code: app.code,
      status: app.status,
      ...(app.fields.length > 0 ? { fields: app.fields } : {}),
      ...(app.status >= 500 ? {} : app.extra),
    },
  });
}

/** A Fastify handler answering GraphQL over HTTP with Yoga (the route itself is the caller's). */
export type GraphqlHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

export function graphqlHandler<C extends object>(options: GraphqlRouteOptions<C>): GraphqlHandler {
  const limits = { ...DEFAULT_GRAPHQL_LIMITS, ...options.limits };
  const yoga = createYoga<ServerContext, C>({
    schema: options.schema,
    graphqlEndpoint: options.path,
    landingPage: false,
    graphiql: false,
    logging: false,
    context: ({ req }: YogaInitialContext & ServerContext) => options.context(req),
    maskedErrors: { maskError: (error) => toGraphqlError(error, options.log) },
    plugins: [
      maxDepthPlugin({ n: limits.maxDepth, exposeLimits: true }),
      costLimitPlugin({ maxCost: limits.maxCost, exposeLimits: true }),
    ],
  });
  return async (request, reply) => {
    const response = await yoga.handleNodeRequestAndResponse(request, reply, { req: request, reply });
    for (const [name, value] of response.headers) reply.header(name, value);
    reply.status(response.status);
    return reply.send(response.body);
  };
}
