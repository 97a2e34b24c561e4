/**
 * Every way a call to GitLab can fail, as one typed error. The GraphQL layer turns these into payload
 * `errors` (user errors) or top-level errors with `extensions.code`; nothing here knows about GraphQL.
 *
 * Messages never contain a credential or an upstream body verbatim: user-error sentences are rebuilt from
 * GitLab's known error shapes, trimmed of control characters and bounded in length.
 */

import { firstHeader, isRecord, type ResponseHeaders, tryParseJson } from './json.ts';

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
  | 'UPSTREAM_UNAVAILABLE'
  /**
   * The gateway's own queue for a connection to GitLab was full, or the call's deadline passed while it waited
   * there: GitLab was not called, and the circuit breaker does not count it.
   */
  | 'GATEWAY_OVERLOADED';

export interface UpstreamErrorOptions {
  /** The HTTP status GitLab answered with, when it answered. */
  status?: number | undefined;
  /** User-facing sentences (for BAD_REQUEST, UNPROCESSABLE, PRECONDITION_FAILED). */
  messages?: string[] | undefined;
  /** From `Retry-After` (on 429 and 503), or the time until an open circuit breaker lets a probe through. */
  retryAfterSeconds?: number | undefined;
  /** The call was not made: the origin's circuit breaker is open after consecutive failures. */
  circuitOpen?: boolean | undefined;
  cause?: unknown;
}

/** A failed call to GitLab, with a stable `code`. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly code: UpstreamErrorCode;
  readonly status: number | undefined;
  readonly messages: string[];
  readonly retryAfterSeconds: number | undefined;
  /** True when the call failed fast because the origin's circuit breaker is open; GitLab was not called. */
  readonly circuitOpen: boolean;

  constructor(code: UpstreamErrorCode, message: string, options: UpstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.messages = options.messages ?? [message];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.circuitOpen = options.circuitOpen ?? false;
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

/**
 * Whether a 404 says that the project or group a call was made under does not exist or is hidden from the
 * caller (`404 Project Not Found`), rather than that the hook or key below it does not.
 */
export function isParentNotFound(error: unknown): boolean {
  return (
    isUpstreamError(error) &&
    error.code === 'NOT_FOUND' &&
    (error.message === 'Project not found' || error.message === 'Group not found')
  );
}

/** The longest sentence kept from an upstream message; GitLab's own are far shorter. */
const MAX_MESSAGE_LENGTH = 300;
/** At most this many sentences are kept from one answer, so a hostile body cannot flood a payload. */
const MAX_MESSAGES = 20;

export interface ErrorMappingOptions {
  /**
   * Strings that must never appear in an error (the caller's token). They are replaced wherever an upstream
   * body or a transport error's text is reused.
   */
  redact?: readonly string[] | undefined;
}

/**
 * The `UpstreamError` for an answer GitLab gave with a status other than 2xx. `bodyText` is the answer's body
 * when it was read (it may be absent or cut short); it is parsed for GitLab's error shapes, never reused whole.
 */
export function errorFromResponse(
  status: number,
  headers: ResponseHeaders,
  bodyText: string | undefined,
  options: ErrorMappingOptions = {},
): UpstreamError {
  const fromBody = () => messagesFromBody(bodyText, options.redact ?? []);
  switch (status) {
    case 400:
      return userError('BAD_REQUEST', status, fromBody());
    case 412:
      return userError('PRECONDITION_FAILED', status, fromBody());
    case 422:
      return userError('UNPROCESSABLE', status, fromBody());
    case 401:
      return errorWithBodyMessages(
        'UNAUTHENTICATED',
        'GitLab did not accept the credential (HTTP 401)',
        status,
        fromBody(),
      );
    case 403:
      return errorWithBodyMessages(
        'FORBIDDEN',
        'GitLab refused the operation (HTTP 403)',
        status,
        fromBody(),
      );
    case 404:
      return new UpstreamError('NOT_FOUND', notFoundMessage(bodyText), { status });
    case 429:
      return rateLimited(headers);
    default:
      return unavailable(status, headers);
  }
}

/**
 * The `UpstreamError` for a call that got no usable answer: the deadline passed, the connection failed, or
 * the answer broke off. Branches on `code` and `name` only. The caller's own abort is not mapped here: it is
 * not an upstream failure and is rethrown as it is.
 */
export function errorFromTransport(error: unknown, options: ErrorMappingOptions = {}): UpstreamError {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : undefined;
  const cause = sanitizedCause(error, options.redact ?? []);
  if (name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new UpstreamError('UPSTREAM_TIMEOUT', `GitLab did not answer in time (${code ?? name})`, {
      cause,
    });
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new UpstreamError('UPSTREAM_UNAVAILABLE', 'GitLab sent an answer larger than the client accepts', {
      cause,
    });
  }
  const label = code ?? name ?? 'unknown error';
  return new UpstreamError('UPSTREAM_UNAVAILABLE', `GitLab could not be reached (${safeLabel(label)})`, {
    cause,
  });
}

/** An answer with a success status whose body is not what the API sends. */
export function malformedAnswer(status: number, expected: string): UpstreamError {
  return new UpstreamError('UPSTREAM_UNAVAILABLE', `GitLab's answer is not ${expected} (HTTP ${status})`, {
    status,
  });
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** A user error: GitLab's own sentences, or a generic one when the body had none. */
function userError(code: UpstreamErrorCode, status: number, messages: string[]): UpstreamError {
  const sentences = messages.length > 0 ? messages : [`GitLab rejected the request (HTTP ${status})`];
  return new UpstreamError(code, sentences.join('; '), { status, messages: sentences });
}

/** An error with a fixed message whose `messages` are GitLab's own sentences, when the body had any. */
function errorWithBodyMessages(
  code: UpstreamErrorCode,
  message: string,
  status: number,
  messages: string[],
): UpstreamError {
  return new UpstreamError(code, message, { status, messages: messages.length > 0 ? messages : [message] });
}

function rateLimited(headers: ResponseHeaders): UpstreamError {
  const retryAfterSeconds = parseRetryAfter(firstHeader(headers['retry-after']));
  const when = retryAfterSeconds === undefined ? 'later' : `in ${retryAfterSeconds} s`;
  return new UpstreamError('RATE_LIMITED', `GitLab is rate limiting requests; retry ${when} (HTTP 429)`, {
    status: 429,
    retryAfterSeconds,
  });
}

/** Any other status: a redirect, a 5xx, or something the API does not answer. */
function unavailable(status: number, headers: ResponseHeaders): UpstreamError {
  // A 503 may say when GitLab expects to be back (maintenance); the retry policy honours a short wait.
  const retryAfterSeconds = status === 503 ? parseRetryAfter(firstHeader(headers['retry-after'])) : undefined;
  return new UpstreamError('UPSTREAM_UNAVAILABLE', `GitLab ${whatGitLabDid(status)} (HTTP ${status})`, {
    status,
    retryAfterSeconds,
  });
}

function whatGitLabDid(status: number): string {
  if (status >= 300 && status < 400) return 'redirected the request, which is never followed';
  if (status >= 500) return 'failed to answer';
  return 'gave an answer the API does not give';
}

/**
 * Which thing was missing, from GitLab's wording: `404 URL variable Not Found`, `404 Custom header Not Found`,
 * `404 Not found` (a hook, from `RecordNotFound`), older `404 System hook Not Found`, or Grape's catch-all
 * `{"error":"404 Not Found"}` for a route this GitLab does not have.
 */
function notFoundMessage(bodyText: string | undefined): string {
  const body = tryParseJson(bodyText);
  if (isRecord(body)) {
    if (typeof body.message === 'string') {
      const text = body.message.trim();
      if (/^404 Not found$/i.test(text)) return 'Hook not found';
      const thing = /^404 (URL variable|Custom header|System hook|Project|Group) Not Found$/i.exec(text)?.[1];
      return thing ? `${thing} not found` : 'Not found';
    }
    if (typeof body.error === 'string') return 'Not found: this GitLab has no such endpoint';
  }
  return 'Not found';
}

/** GitLab's three error shapes (docs/gitlab-contract.md §1), as sentences. Unknown shapes give none. */
function messagesFromBody(bodyText: string | undefined, redact: readonly string[]): string[] {
  const body = tryParseJson(bodyText);
  if (!isRecord(body)) return [];
  return rawMessages(body, redact)
    .slice(0, MAX_MESSAGES)
    .map((text) => cleanText(text, redact))
    .filter((text) => text.length > 0);
}

/** `error_description` (OAuth), `error` (Grape), `message` as a string, or `message` as Rails' errors hash. */
function rawMessages(body: Record<string, unknown>, redact: readonly string[]): string[] {
  if (typeof body.error_description === 'string') return [body.error_description];
  if (typeof body.error === 'string') return [body.error];
  if (typeof body.message === 'string') return [body.message];
  return isRecord(body.message) ? validationMessages(body.message, redact) : [];
}

/** Rails' `errors.full_messages` from `{ attribute: [message, ...] }`. */
function validationMessages(errors: Record<string, unknown>, redact: readonly string[]): string[] {
  const messages: string[] = [];
  for (const [attribute, value] of Object.entries(errors)) {
    // The attribute is redacted before `humanize` rewrites it (case, `_`), which would hide a secret from
    // the redaction of the finished sentence.
    const subject = redacted(attribute, redact);
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') messages.push(fullMessage(subject, item));
    }
  }
  return messages;
}

/** Rails' `full_message`: the humanized attribute before the message, except for `base`. */
function fullMessage(attribute: string, message: string): string {
  if (attribute === 'base') return message;
  const human = humanize(attribute);
  return human ? `${human} ${message}` : message;
}

/** ActiveSupport's `humanize` as `full_messages` applies it: `url_variables` → `Url variables`. */
function humanize(attribute: string): string {
  const words = attribute.replaceAll('.', '_').replace(/_id$/, '').replaceAll('_', ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Control and format characters could break a log line or hide text in a terminal.
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;

function cleanText(text: string, redact: readonly string[]): string {
  // Redacted first, so that truncation cannot leave part of a secret behind.
  let clean = redacted(text, redact).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  if (clean.length > MAX_MESSAGE_LENGTH) clean = `${clean.slice(0, MAX_MESSAGE_LENGTH - 1).trimEnd()}…`;
  return clean;
}

function redacted(text: string, secrets: readonly string[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret.length > 0) clean = clean.replaceAll(secret, '[REDACTED]');
  }
  return clean;
}

/** `Retry-After` as whole seconds from now: delta-seconds or an HTTP-date; anything else is ignored. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  // Only the date forms HTTP allows; `Date.parse` alone would also take strings such as "1".
  if (!/^[A-Za-z]{3},? /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** The transport code an `UpstreamError` was made from, when it came from the transport. */
export function transportCode(error: UpstreamError): string | undefined {
  const cause = error.cause;
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return undefined;
  return typeof cause.code === 'string' ? cause.code : undefined;
}

/** `code` of an undici or Node error; Node reports a failed multi-address connect as an AggregateError. */
function errorCode(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  if (typeof error.code === 'string') return error.code;
  if (Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const code = errorCode(inner);
      if (code !== undefined) return code;
    }
  }
  return undefined;
}

function safeLabel(label: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(label) ? label : 'unknown error';
}

/**
 * A stand-in for a transport error: its name, code and (redacted) message, without the original object,
 * whose properties (sockets, request state) are nothing a log should hold.
 */
function sanitizedCause(error: unknown, redact: readonly string[]): Error {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? cleanText(error.message, redact) : 'non-error thrown';
  const cause = new Error(message);
  cause.name = safeLabel(name);
  if (code !== undefined) Object.defineProperty(cause, 'code', { value: safeLabel(code), enumerable: true });
  // Our own stack says where the call failed; the original's frames add nothing a reader can act on.
  cause.stack = `${cause.name}: ${message}`;
  return cause;
}
