import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RouteShorthandOptions,
} from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';
import {
  CHECK_VIOLATION,
  checkedColumn,
  FOREIGN_KEY_VIOLATION,
  sqlState,
  UNIQUE_VIOLATION,
} from '../db/errors.js';
import { AppError, type ErrorCode, type FieldError, isAppError } from '../errors.js';

/**
 * The single mapping from errors to RFC 9457 problem documents. Everything a handler, hook or plugin
 * throws ends here; an error we do not recognise becomes a 500 with no internals in the body (the stack
 * goes to the log with the request id).
 */

export const PROBLEM_TYPE_BASE = 'https://cyberos.dev/problems/';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance: string;
  request_id: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const VALIDATION_PART: Record<string, FieldError['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

/** Fastify's own coded errors, mapped to our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'bad_request',
};

/** Normalizes anything thrown into an AppError. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  // `throw null` / `throw 'text'` must still become a 500 problem, not a TypeError inside the handler.
  const fe = (typeof error === 'object' && error !== null ? error : {}) as Partial<FastifyError> & {
    validationContext?: string;
  };
  // A database data exception means input slipped past validation (e.g. U+0000, which PostgreSQL text
  // cannot hold, in any module's string field): the client's fault, never a 500. Constraint violations a
  // service did not map itself are conflicts or bad references. One mapping here instead of a special case
  // in each module's schema.
  const state = sqlState(error);
  if (state?.startsWith('22')) {
    return new AppError(
      'validation_failed',
      'A value in the request cannot be stored (invalid characters or out of range)',
      {
        cause: error,
      },
    );
  }
  if (state === UNIQUE_VIOLATION) {
    return new AppError('conflict', 'The request conflicts with an existing record', { cause: error });
  }
  if (state === FOREIGN_KEY_VIOLATION) {
    return new AppError('validation_failed', 'The request refers to a record that does not exist', {
      cause: error,
    });
  }
  if (state === CHECK_VIOLATION) {
    // A rule of the table that validation did not catch first: still the request's value, so a 422,
    // naming the column when the constraint's name says which.
    const column = checkedColumn(error);
    return new AppError('validation_failed', 'A value in the request breaks a rule of the record', {
      cause: error,
      ...(column
        ? {
            fields: [
              {
                field: column,
                pointer: `/${column}`,
                in: 'body',
                code: 'check',
                message: `${column} is not allowed`,
              },
            ],
          }
        : {}),
    });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = VALIDATION_PART[fe.validationContext ?? 'body'] ?? 'body';
    const fields = error.validation.flatMap((v): FieldError[] => {
      const parts = v.instancePath.split('/').filter(Boolean);
      const keys = (v.params as { keys?: unknown }).keys;
      // An unknown field is reported under its own name, not as a fault of the enclosing object.
      const names = v.keyword === 'unrecognized_keys' && Array.isArray(keys) ? keys.map(String) : [null];
      return names.map((name) => {
        const path = name === null ? parts : [...parts, name];
        return {
          field: path.join('.') || '(root)',
          pointer: path.length ? `/${path.join('/')}` : '',
          in: where,
          code: v.keyword,
          message: name === null ? (v.message ?? 'invalid value') : 'unknown field',
        };
      });
    });
    const names = [...new Set(fields.map((f) => f.field))].join(', ');
    return new AppError(
      'validation_failed',
      `Invalid ${where === 'query' ? 'query parameter' : where}: ${names}`,
      {
        fields,
      },
    );
  }
  if (fe.code && FASTIFY_CODES[fe.code]) {
    const code = FASTIFY_CODES[fe.code] as ErrorCode;
    const message =
      code === 'malformed_body'
        ? 'The request body is not valid JSON'
        : code === 'payload_too_large'
          ? 'The request body is larger than the server accepts'
          : code === 'unsupported_media_type'
            ? 'Send the request body as application/json'
            : (fe.message ?? 'Bad request');
    return new AppError(code, message, { cause: error });
  }
  if (fe.statusCode === 429)
    return new AppError('rate_limited', 'Too many requests; retry later', { cause: error });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('bad_request', fe.message ?? 'Bad request', { cause: error });
  }
  return new AppError('internal_error', 'An unexpected error occurred; it has been logged', { cause: error });
}

export function problemFor(error: AppError, request: FastifyRequest): ProblemDocument {
  return {
    ...error.extra,
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.message,
    instance: request.url.split('?')[0] ?? request.url,
    request_id: request.id,
    ...(error.fields.length ? { errors: error.fields } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  return reply.code(error.status).type('application/problem+json').send(problemFor(error, request));
}

/**
 * Fastify's `frameworkErrors` option (set in buildApp). Router-level failures (a URL that is not valid
 * percent-encoding, an over-long path parameter) bypass hooks and the error handler and would otherwise
 * be answered with Fastify's own `{error, code, message, statusCode}` JSON instead of a problem.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.header('x-request-id', request.id);
  sendProblem(reply, request, toAppError(error));
}

/**
 * Installs the error handler and starts mirroring routes for 405 detection: routes are copied into a
 * second router so that a path known under another method answers 405 with an Allow header. Returns the
 * installer of the 404/405 handler, to call once the hooks it should run (rate limiting) exist.
 */
export function installProblemHandling(app: FastifyInstance): (options?: RouteShorthandOptions) => void {
  const mirror = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      try {
        mirror.on(m as HTTPMethod, route.url, () => {});
      } catch {
        // duplicate shapes (e.g. wildcard static routes) are irrelevant for 405 detection
      }
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else if (appError.code !== 'validation_failed') {
      request.log.info({ code: appError.code, status: appError.status }, appError.message);
    }
    return sendProblem(reply, request, appError);
  });

  return (options: RouteShorthandOptions = {}) =>
    app.setNotFoundHandler(options, (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter(
        (m) => m !== request.method && mirror.find(m, path) !== null,
      );
      if (allowed.length > 0 && request.method !== 'OPTIONS') {
        const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
        return sendProblem(
          reply,
          request,
          new AppError('method_not_allowed', `${request.method} is not allowed on ${path}; use ${allow}`, {
            headers: { allow },
          }),
        );
      }
      return sendProblem(
        reply,
        request,
        new AppError('route_not_found', `No route ${request.method} ${path}`),
      );
    });
}
