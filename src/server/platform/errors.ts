/**
 * The one error type. Codes are the contract (stable snake_case strings); each code has exactly one
 * HTTP status, so a transport never has to guess. Messages are for people and may change.
 */

export const ERROR_STATUS = {
  // 400
  bad_request: 400,
  malformed_body: 400,
  idempotency_key_required: 400,
  invalid_cursor: 400,
  // 401
  unauthenticated: 401,
  invalid_credentials: 401,
  token_expired: 401,
  token_invalid: 401,
  refresh_token_reused: 401,
  // 403
  forbidden: 403,
  insufficient_scope: 403,
  // 404
  not_found: 404,
  route_not_found: 404,
  account_not_found: 404,
  workspace_not_found: 404,
  invitation_not_found: 404,
  api_key_not_found: 404,
  member_not_found: 404,
  contact_not_found: 404,
  pipeline_not_found: 404,
  stage_not_found: 404,
  deal_not_found: 404,
  activity_not_found: 404,
  exchange_rate_not_found: 404,
  webhook_not_found: 404,
  webhook_delivery_not_found: 404,
  receiving_account_not_found: 404,
  invoice_not_found: 404,
  vietqr_not_found: 404,
  tracked_domain_not_found: 404,
  lead_not_found: 404,
  workflow_not_found: 404,
  // 405
  method_not_allowed: 405,
  // 409
  conflict: 409,
  email_taken: 409,
  slug_taken: 409,
  already_member: 409,
  idempotency_request_in_progress: 409,
  version_conflict: 409,
  pipeline_has_deals: 409,
  stage_has_deals: 409,
  deal_closed: 409,
  contact_claimed: 409,
  webhook_delivery_not_redeliverable: 409,
  receiving_account_unconfirmed: 409,
  invoice_already_issued: 409,
  invoice_already_replaced: 409,
  tracked_domain_taken: 409,
  lead_status_invalid: 409,
  // 412
  precondition_failed: 412,
  // 413
  payload_too_large: 413,
  // 415
  unsupported_media_type: 415,
  // 422
  validation_failed: 422,
  idempotency_key_reused: 422,
  invitation_expired: 422,
  stage_transition_blocked: 422,
  mst_format_invalid: 422,
  mst_checksum_invalid: 422,
  mst_sequence_invalid: 422,
  mst_branch_invalid: 422,
  mst_personal_invalid: 422,
  vietqr_invalid: 422,
  receiving_account_not_allowed: 422,
  deal_not_won: 422,
  seller_profile_incomplete: 422,
  invoice_invalid: 422,
  // 428
  precondition_required: 428,
  // 429
  rate_limited: 429,
  login_locked: 429,
  // 5xx
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One offending input field: `field` is a dotted path (`addresses.0.province`), `pointer` a JSON pointer. */
export interface FieldError {
  field: string;
  pointer: string;
  in: 'body' | 'query' | 'params' | 'headers';
  code: string;
  message: string;
}

export interface AppErrorOptions {
  fields?: FieldError[];
  /** Extra members for the problem document (e.g. `current` state on a version conflict). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: FieldError[];
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.fields = options.fields ?? [];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Turns a path array into the `field` and `pointer` forms used in problem documents. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): { field: string; pointer: string } {
  const parts = path.map((p) => String(p));
  return {
    field: parts.join('.') || '(root)',
    pointer: `/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`,
  };
}

/** A validation error for one field, for checks zod cannot express (uniqueness, cross-field rules). */
export function fieldError(
  path: ReadonlyArray<PropertyKey>,
  code: string,
  message: string,
  where: FieldError['in'] = 'body',
): AppError {
  return new AppError('validation_failed', message, {
    fields: [{ ...fieldPath(path), in: where, code, message }],
  });
}

export const notFound = (code: ErrorCode = 'not_found', what = 'Resource'): AppError =>
  new AppError(code, `${what} not found`);
