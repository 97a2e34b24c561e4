/**
 * The delivery log of project and group hooks (`WebHookLog`, gitlab-webhooks-api §6.4): one entry per delivery,
 * written with GitLab's redactions, read back as `GET …/hooks/:hook_id/events` reads it (§1.4): the last 7 days,
 * newest first, filtered by status, 1 to 20 a page.
 */
import { createHash } from 'node:crypto';
import { type Clock, daysAgoBeginningOfDay } from './clock.ts';
import type { DeliveryResult } from './delivery.ts';
import { coerceInteger, INVALID, ParamErrors } from './grape-params.ts';
import type { HttpAnswer } from './http.ts';
import { paginate } from './pagination.ts';
import type { ParamHash } from './rack-params.ts';
import type { WebHookTrigger } from './webhook-triggers.ts';

export interface WebHookLogEntry {
  readonly id: number;
  readonly hookId: number;
  readonly trigger: WebHookTrigger;
  /** The hook's URL template at send time, user and password masked. */
  readonly url: string;
  /** SHA-256 of the interpolated URL it was sent to (`url_hash`), for resend's `url_current?`. */
  readonly urlHash: string;
  readonly requestHeaders: Record<string, string>;
  readonly requestData: unknown;
  readonly responseHeaders: Record<string, string>;
  readonly responseBody: string;
  /** Seconds. */
  readonly executionDuration: number;
  /** `"200"`, or `"internal error"` when no answer came. */
  readonly responseStatus: string;
  readonly internalErrorMessage: string | null;
  /** The delivery's `Idempotency-Key`, which a resend sends again. */
  readonly idempotencyKey: string;
  readonly createdAt: number;
}

/** What one delivery leaves for the log, before redaction. */
export interface DeliveryRecord {
  hookId: number;
  trigger: WebHookTrigger;
  /** The hook's URL template. */
  url: string;
  /** The URL the delivery went to (template filled in), or the template when it could not be filled. */
  interpolatedUrl: string;
  urlVariables: Readonly<Record<string, string>>;
  data: unknown;
  idempotencyKey: string;
  result: DeliveryResult;
}

const REDACTED = '[REDACTED]';
const INTERNAL_ERROR = 'internal error';
/** `WebHookLog::MAX_RECENT_DAYS`. */
const MAX_RECENT_DAYS = 7;
/** The daily partitions are kept `retain_for: 14.days`; older entries are dropped. */
const RETAIN_DAYS = 14;
/** A bound on memory for a long `npm start`; GitLab keeps every row of the retained partitions. */
const MAX_ENTRIES = 10_000;
const MAX_RESPONSE_HEADERS = 50;
const MAX_HEADER_VALUE_LENGTH = 1024;

/** `URI::MailTo::EMAIL_REGEXP`, which `WebHookLog#redact_user_emails` matches against every value. */
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** `deep_transform_values`: every string that is an e-mail address becomes `[REDACTED]`. */
export function redactEmails(value: unknown): unknown {
  if (typeof value === 'string') return EMAIL.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(redactEmails);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactEmails(inner)]));
  }
  return value;
}

/** `Gitlab::UrlSanitizer#masked_url`: a user or password that is present becomes `*****`. */
export function maskUserInfo(url: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*)@/.exec(url);
  if (match === null) return url;
  const [whole, scheme, userInfo = ''] = match;
  const [user = '', ...rest] = userInfo.split(':');
  const password = rest.join(':');
  const masked = `${user === '' ? '' : '*****'}${rest.length > 0 ? `:${password === '' ? '' : '*****'}` : ''}`;
  return `${scheme}${masked}@${url.slice(whole.length)}`;
}

/** ActiveSupport's `String#truncate(n)`: at most `n` characters, the last three `...` when cut. */
function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 3)}...`;
}

/** URL-variable values re-masked as `{name}`, so that a receiver echoing one does not leak it into the log. */
function maskVariables(text: string, variables: Readonly<Record<string, string>>): string {
  let masked = text;
  for (const [name, value] of Object.entries(variables)) {
    if (value !== '') masked = masked.replaceAll(value, `{${name}}`);
  }
  return masked;
}

function safeResponseHeaders(record: DeliveryRecord): Record<string, string> {
  const entries = Object.entries(record.result.responseHeaders).slice(0, MAX_RESPONSE_HEADERS);
  return Object.fromEntries(
    entries.map(([name, value]) => [
      name,
      truncate(maskVariables(value, record.urlVariables), MAX_HEADER_VALUE_LENGTH),
    ]),
  );
}

/**
 * The headers the log shows: those sent, with secrets already `[REDACTED]`. GitLab passes Basic credentials to
 * its HTTP client apart from the headers, so they never reach its log; here they are dropped.
 */
function loggedRequestHeaders(result: DeliveryResult): Record<string, string> {
  const headers = { ...(result.requestHeaders ?? {}) };
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
  return headers;
}

export const urlHashOf = (interpolatedUrl: string): string =>
  createHash('sha256').update(interpolatedUrl).digest('hex');

export class WebHookLogStore {
  /** In id order, which is also creation order. */
  readonly #entries: WebHookLogEntry[] = [];
  #lastId = 0;

  constructor(private readonly clock: Clock) {}

  /** `LogExecutionService`: the entry of one delivery, redacted as `WebHookLog`'s callbacks do. */
  append(record: DeliveryRecord): WebHookLogEntry {
    const { result } = record;
    const now = this.clock();
    const entry: WebHookLogEntry = {
      id: ++this.#lastId,
      hookId: record.hookId,
      trigger: record.trigger,
      url: maskUserInfo(record.url),
      urlHash: urlHashOf(record.interpolatedUrl),
      requestHeaders: loggedRequestHeaders(result),
      requestData: redactEmails(record.data),
      responseHeaders: safeResponseHeaders(record),
      responseBody: maskVariables(result.responseBody, record.urlVariables),
      executionDuration: result.durationMs / 1000,
      responseStatus: result.status === null ? INTERNAL_ERROR : String(result.status),
      internalErrorMessage: result.error,
      idempotencyKey: record.idempotencyKey,
      createdAt: now,
    };
    this.#entries.push(entry);
    this.#prune(now);
    return entry;
  }

  /** `hook.web_hook_logs.find(id)`: any retained entry of this hook, whatever its age. */
  find(hookId: number, logId: number): WebHookLogEntry | undefined {
    return this.#entries.find((entry) => entry.id === logId && entry.hookId === hookId);
  }

  /** `logs.recent(7)`: the hook's entries since the start of the day 7 days ago, newest first. */
  recent(hookId: number): WebHookLogEntry[] {
    const now = this.clock();
    const since = daysAgoBeginningOfDay(now, MAX_RECENT_DAYS);
    return this.#entries
      .filter((entry) => entry.hookId === hookId && entry.createdAt >= since && entry.createdAt <= now)
      .sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  }

  /** A deleted hook's entries go with it. */
  removeHook(hookId: number): void {
    const kept = this.#entries.filter((entry) => entry.hookId !== hookId);
    this.#entries.splice(0, this.#entries.length, ...kept);
  }

  #prune(now: number): void {
    const oldest = daysAgoBeginningOfDay(now, RETAIN_DAYS);
    const firstKept = this.#entries.findIndex((entry) => entry.createdAt >= oldest);
    const expired = firstKept === -1 ? this.#entries.length : firstKept;
    const over = Math.max(expired, this.#entries.length - MAX_ENTRIES);
    if (over > 0) this.#entries.splice(0, over);
  }
}

/** `API::Entities::WebHookLog`, in its field order; `internal_error_message` is GraphQL's only. */
export function toWebHookLogEntity(entry: WebHookLogEntry): Record<string, unknown> {
  return {
    id: entry.id,
    url: entry.url,
    trigger: entry.trigger,
    request_headers: entry.requestHeaders,
    request_data: entry.requestData,
    response_headers: entry.responseHeaders,
    response_body: entry.responseBody,
    execution_duration: entry.executionDuration,
    response_status: entry.responseStatus,
    created_at: new Date(entry.createdAt).toISOString(),
  };
}

/** `Rack::Utils::HTTP_STATUS_CODES.keys` (Rack 2.2), the literal codes `status` accepts. */
const HTTP_STATUS_CODES = new Set(
  [
    [100, 103],
    [200, 208],
    [226, 226],
    [300, 305],
    [307, 308],
    [400, 417],
    [421, 426],
    [428, 429],
    [431, 431],
    [451, 451],
    [500, 508],
    [510, 511],
  ].flatMap(([from = 0, to = 0]) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))),
);
const STATUS_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  successful: [200, 299],
  client_failure: [400, 499],
  server_failure: [500, 599],
};

/** `CommaSeparatedToArray.coerce`: a string or each element of an array split on `,` and stripped. */
function commaSeparated(value: unknown): string[] {
  const parts = (text: string) => text.split(',').map((part) => part.trim());
  if (typeof value === 'string') return parts(value);
  if (Array.isArray(value)) return value.flatMap((item) => parts(item === null ? '' : String(item)));
  return [];
}

/**
 * `WebHookLogsFinder`'s status condition: ranges for the three names (`server_failure` also takes
 * `"internal error"`), exact matches for codes, several OR-ed; null when no status is asked for.
 */
function statusMatcher(statuses: readonly string[]): ((status: string) => boolean) | null {
  if (statuses.length === 0) return null;
  return (status) =>
    statuses.some((wanted) => {
      const range = STATUS_RANGES[wanted];
      if (range === undefined) return wanted === status;
      if (wanted === 'server_failure' && status === INTERNAL_ERROR) return true;
      const code = Number(status);
      return code >= range[0] && code <= range[1];
    });
}

/** `GET …/hooks/:hook_id/events`'s own parameters, after `hook_id` has been declared. */
function declareEventParams(params: Record<string, unknown>, errors: ParamErrors) {
  let statuses: string[] = [];
  if (Object.hasOwn(params, 'status')) {
    statuses = commaSeparated(params.status).filter((status) => status !== '');
    if (!statuses.every((status) => HTTP_STATUS_CODES.has(status) || Object.hasOwn(STATUS_RANGES, status))) {
      errors.add('status does not have a valid value');
    }
  }
  const perPage = coerceInteger(params.per_page);
  if (perPage === INVALID) errors.add('per_page is invalid');
  else if (perPage !== null && !(perPage >= 1 && perPage <= 20)) {
    errors.add('per_page does not have a valid value');
  }
  return { statuses, perPage: typeof perPage === 'number' ? perPage : 20 };
}

/** What answering the events endpoint needs besides the hook's id. */
export interface EventsRequest {
  params: Record<string, unknown>;
  query: ParamHash;
  /** The external origin plus the request path, for the `Link` header. */
  baseUrl: string;
}

/**
 * The events endpoint's parameters, validated; throws GitLab's 400. Called before the hook is looked up, as
 * Grape validates before the endpoint runs.
 */
export function declareEventsParams(request: EventsRequest, errors: ParamErrors = new ParamErrors()) {
  const declared = declareEventParams(request.params, errors);
  errors.throwIfAny();
  return declared;
}

/** `present paginate(logs), with: Entities::WebHookLog` for a hook whose parameters were declared. */
export function listWebHookEvents(
  store: WebHookLogStore,
  hookId: number,
  request: EventsRequest,
  declared: ReturnType<typeof declareEventsParams>,
): HttpAnswer {
  const matches = statusMatcher(declared.statuses);
  const rows = store.recent(hookId).filter((entry) => matches === null || matches(entry.responseStatus));
  const params = { ...request.params, per_page: declared.perPage };
  const page = paginate(rows, params, request.query, request.baseUrl);
  return { status: 200, headers: page.headers, json: page.items.map(toWebHookLogEntity) };
}
