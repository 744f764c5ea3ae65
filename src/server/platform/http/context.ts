import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../auth/authenticate.js';
import { AppError } from '../errors.js';
import type { RequestContext } from '../unit-of-work.js';

/** The service context of an authenticated request. */
export function ctxOf(request: FastifyRequest): RequestContext {
  return { actor: actorOf(request), requestId: request.id };
}

/**
 * The version named by an If-Match header (`"3"` or `W/"3"`), undefined when absent or `*`. A
 * malformed header is a 400: guessing would risk a lost update.
 */
export function ifMatchVersion(request: FastifyRequest): number | undefined {
  const h = request.headers['if-match'];
  if (h === undefined || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(h);
  if (!m?.[1]) {
    throw new AppError('bad_request', 'If-Match must be an ETag from this API, such as "3"', {
      fields: [
        {
          field: 'If-Match',
          pointer: '',
          in: 'headers',
          code: 'invalid',
          message: 'not an ETag of this API',
        },
      ],
    });
  }
  return Number(m[1]);
}

/** RFC 9457 problem document, for the OpenAPI description of error responses. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string(),
          pointer: z.string(),
          in: z.enum(['body', 'query', 'params', 'headers']),
          code: z.string(),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem' });

export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  422: problemSchema,
  429: problemSchema,
} as const;
