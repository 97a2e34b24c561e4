/**
 * Every way a call to GitLab can fail, as one typed error. The GraphQL layer turns these into payload
 * `errors` (user errors) or top-level errors with `extensions.code`; nothing here knows about GraphQL.
 *
 * Messages never contain a credential or an upstream body verbatim: user-error sentences are rebuilt from
 * GitLab's known error shapes, trimmed of control characters and bounded in length.
 */

export type UpstreamErrorCode =
  /** GitLab answered 400: a parameter it rejected. A user error. */
  | 'BAD_REQUEST'
  /** GitLab answered 422: validation of the hook failed. A user error. */
  | 'UNPROCESSABLE'
  /** GitLab answered 412 to a conditional request. A user error. */
  | 'PRECONDITION_FAILED'
  /** GitLab answered 401: no credential, or one it does not know. */
  | 'UNAUTHENTICATED'
  /** GitLab answered 403: the credential is not an instance administrator's. */
  | 'FORBIDDEN'
  /** GitLab answered 404: the hook (or its URL variable or custom header) does not exist. */
  | 'NOT_FOUND'
  /** GitLab answered 429. */
  | 'RATE_LIMITED'
  /** GitLab did not answer within the deadline. */
  | 'UPSTREAM_TIMEOUT'
  /** GitLab answered 5xx, refused or reset the connection, redirected, or sent an answer that is not the API's. */
  | 'UPSTREAM_UNAVAILABLE';

export interface UpstreamErrorOptions {
  /** The HTTP status GitLab answered with, when it answered. */
  status?: number | undefined;
  /** User-facing sentences (for BAD_REQUEST, UNPROCESSABLE, PRECONDITION_FAILED). */
  messages?: string[] | undefined;
  /** From `Retry-After`, for RATE_LIMITED. */
  retryAfterSeconds?: number | undefined;
  cause?: unknown;
}

/** A failed call to GitLab, with a stable `code`. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly code: UpstreamErrorCode;
  readonly status: number | undefined;
  readonly messages: string[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: UpstreamErrorCode, message: string, options: UpstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.messages = options.messages ?? [message];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** True for the answers GitLab gives to bad input, which the gateway reports in a payload's `errors`. */
  get isUserError(): boolean {
    return (
      this.code === 'BAD_REQUEST' || this.code === 'UNPROCESSABLE' || this.code === 'PRECONDITION_FAILED'
    );
  }
}

export function isUpstreamError(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError;
}
