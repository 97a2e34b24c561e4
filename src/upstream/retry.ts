/**
 * When a failed call to GitLab is tried again. The rules follow what each method means to GitLab:
 *
 * - `GET` is safe: retried on 502, 503 and 504, on a connection refused or reset (before or during the answer),
 *   on an attempt that got no headers within `attemptTimeoutMs`, and on 429 or 503 with a short `Retry-After`.
 * - `PUT` is an idempotent set on every System Hooks route (`PUT /hooks/:id`, `.../url_variables/:key`,
 *   `.../custom_headers/:key` write the same state however often they arrive), so it is retried like `GET`.
 * - `DELETE` is idempotent in effect, but a second `DELETE` of a hook the first one removed answers 404, which
 *   would turn a success into `NOT_FOUND`. It is retried only when GitLab surely never processed the first:
 *   the connection was refused or never established, or GitLab answered 429 (its throttle rejects a request
 *   before any endpoint runs).
 * - `POST` (create, test) is never retried: a create sent twice makes two hooks, a test delivers twice.
 *
 * A 429 without `Retry-After` is not retried: hammering a rate limiter with no hint only prolongs the limit.
 * Every retry still fits in the call's one deadline and stops as soon as the caller's signal aborts; a retry
 * the deadline cuts short reports the failure that called for it.
 */

import { transportCode, type UpstreamError } from './errors.ts';
import { integerOptions } from './options.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RetryOptions {
  /**
   * How many times a retryable call is tried again after its first attempt (so `2` means at most three
   * requests). `0` turns retries off.
   * @default 2
   */
  retries?: number;
  /**
   * Upper bound of the first backoff, in milliseconds; it doubles with each retry. The delay is drawn
   * uniformly below the bound ("full jitter"), so that callers who failed together do not return together.
   * @default 100
   */
  baseDelayMs?: number;
  /**
   * Largest backoff bound, in milliseconds.
   * @default 1_000
   */
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` (on 429 and 503) that is waited out, in milliseconds. A longer one ends the call at
   * once: a 429 then reaches the caller as `RATE_LIMITED` with `retryAfterSeconds`.
   * @default 2_000
   */
  maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = {
  retries: 2,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 2_000,
};

/** The policy with defaults filled in; throws a `RangeError` for a negative or fractional value. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return integerOptions(options, RETRY_DEFAULTS, { prefix: 'GitLab client option retry.', min: 0 });
}

/** Transport codes of a connection that was never established: the request cannot have reached GitLab. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Transport codes of a connection lost after the request may have been sent. */
const LOST_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/** An attempt that got no headers within its own timeout (the call's deadline has its own error). */
const ATTEMPT_TIMEOUT_CODE = 'UND_ERR_HEADERS_TIMEOUT';

/** Whether `error` says that GitLab never received the request. */
function surelyNotProcessed(error: UpstreamError): boolean {
  if (error.status === 429) return true;
  const code = transportCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/** Whether `error` is a passing fault that the same request may not meet again. */
function transient(error: UpstreamError): boolean {
  if (error.status !== undefined) return error.status === 502 || error.status === 503 || error.status === 504;
  const code = transportCode(error);
  return (
    code !== undefined && (NOT_SENT_CODES.has(code) || LOST_CODES.has(code) || code === ATTEMPT_TIMEOUT_CODE)
  );
}

/**
 * How long to wait before trying `method` again after `error` on attempt `attempt` (0 for the first), or
 * `undefined` to give up and report `error`. `remainingMs` is what is left of the call's deadline: a retry
 * that could not start before it passes is not made.
 */
export function retryDelay(
  policy: RetryPolicy,
  method: Method,
  error: UpstreamError,
  attempt: number,
  remainingMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.retries || method === 'POST') return undefined;
  if (method === 'DELETE' && !surelyNotProcessed(error)) return undefined;

  let delay: number;
  const hinted = error.status === 429 || error.status === 503;
  if (hinted && error.retryAfterSeconds !== undefined) {
    const asked = error.retryAfterSeconds * 1_000;
    if (asked > policy.maxRetryAfterMs) return undefined;
    delay = asked;
  } else if (error.status === 429) {
    return undefined;
  } else if (transient(error)) {
    delay = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
  } else {
    return undefined;
  }
  // Waiting past the deadline would trade the real error for a timeout.
  return delay < remainingMs ? delay : undefined;
}
