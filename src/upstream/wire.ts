/**
 * Checks of what GitLab answers with a success status. They are deliberately shallow: enough that the
 * GraphQL layer can rely on the fields it types as non-null, tolerant of fields an older GitLab lacks and of
 * fields a newer one adds. A value that fails is not the API's answer (a proxy's page, a truncated body).
 */

import { everyItem, firstHeader, type HeaderValue, isRecord } from './json.ts';
import type {
  ContainerDto,
  HookDto,
  KeyDto,
  MockDataDto,
  PaginationDto,
  ResendDto,
  TriggerTestDto,
  WebhookEventDto,
} from './types.ts';

/** How a field of `HookDto` is checked, which follows from its type (see `FieldKind`). */
type RequiredKind<T> = T extends boolean
  ? 'flag'
  : T extends number
    ? 'integer'
    : T extends string
      ? 'string'
      : T extends readonly KeyDto[]
        ? 'keys'
        : never;
/** A field that an older GitLab may leave out, or send as `null`, is `optional`. */
type FieldKind<T> = undefined extends T ? `optional ${RequiredKind<NonNullable<T>>}` : RequiredKind<T>;

/**
 * Every field of a hook entity with its kind. The type admits exactly the fields of `HookDto`, each with the
 * one kind its type allows, so the list cannot drift from the interface. Enum fields (`alert_status`,
 * `branch_filter_strategy`) are checked as strings: a value a newer GitLab adds must not fail the whole hook.
 */
const HOOK_FIELDS: { readonly [Field in keyof HookDto]-?: FieldKind<HookDto[Field]> } = {
  id: 'integer',
  url: 'string',
  name: 'optional string',
  description: 'optional string',
  created_at: 'string',
  push_events: 'flag',
  tag_push_events: 'flag',
  merge_requests_events: 'flag',
  repository_update_events: 'flag',
  enable_ssl_verification: 'flag',
  organization_id: 'optional integer',
  alert_status: 'optional string',
  disabled_until: 'optional string',
  url_variables: 'optional keys',
  push_events_branch_filter: 'optional string',
  branch_filter_strategy: 'optional string',
  custom_webhook_template: 'optional string',
  custom_headers: 'optional keys',
  token_present: 'optional flag',
  signing_token_present: 'optional flag',
};

type Kind = (typeof HOOK_FIELDS)[keyof HookDto];

const isKeyList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => isRecord(item) && typeof item.key === 'string');
const absentOr =
  (check: (present: unknown) => boolean) =>
  (value: unknown): boolean =>
    value === undefined || value === null || check(value);
const isString = (value: unknown): boolean => typeof value === 'string';

const CHECKS: Record<Kind, (value: unknown) => boolean> = {
  integer: Number.isSafeInteger,
  string: isString,
  // GitLab's own GraphQL coerces a nil flag to false (rows older than the column); `toHook` does the same.
  flag: (value) => typeof value === 'boolean' || value === null,
  'optional integer': absentOr(Number.isSafeInteger),
  'optional string': absentOr(isString),
  'optional keys': absentOr(isKeyList),
  'optional flag': absentOr((value) => typeof value === 'boolean'),
};

type FieldCheck = readonly [field: string, kind: Kind, check: (value: unknown) => boolean];

const checkOf = (field: string, kind: Kind): FieldCheck => [field, kind, CHECKS[kind]];
const FIELD_CHECKS = Object.entries(HOOK_FIELDS).map(([field, kind]) => checkOf(field, kind));

/**
 * The check of a scope's entity: `HookDto`'s fields, the integer `parentField` (`project_id`) when the scope has
 * a parent, and as flags the `eventFlags` of the scope that `HookDto` lacks. Those flags may be absent: each is
 * newer than some GitLab still in use (`milestone_events` 18.2, `vulnerability_events` only in EE), and an absent
 * flag reads as `false`, as GitLab's own GraphQL reads a nil one. It returns the hook, or `undefined` when
 * `value` is not one; fields a newer GitLab adds are kept as they are.
 */
export function hookReader<Hook extends HookDto>(
  eventFlags: readonly string[],
  parentField?: string,
): (value: unknown) => Hook | undefined {
  const added = eventFlags.filter((flag) => !Object.hasOwn(HOOK_FIELDS, flag));
  const checks = [
    ...FIELD_CHECKS,
    ...(parentField === undefined ? [] : [checkOf(parentField, 'integer')]),
    ...added.map((flag) => checkOf(flag, 'optional flag')),
  ];
  // Event flags read as false when null (and the scope's own when absent); `token_present` and the like stay absent.
  const toFalse = new Set([
    ...FIELD_CHECKS.filter(([, kind]) => kind === 'flag').map(([field]) => field),
    ...added,
  ]);
  return (value) => {
    if (!isRecord(value)) return undefined;
    let hook = value;
    for (const [field, , check] of checks) {
      if (!check(value[field])) return undefined;
      const absent = value[field] === null || value[field] === undefined;
      if (absent && toFalse.has(field)) hook = { ...hook, [field]: false };
    }
    return hook as unknown as Hook;
  };
}

/** A hook entity, or `undefined` when `value` is not one. */
export const toHook: (value: unknown) => HookDto | undefined = hookReader([]);

/** A list of hook entities, or `undefined` when any element is not one. */
export function toHookList(value: unknown): HookDto[] | undefined {
  return everyItem(value, toHook);
}

/** The sample event `POST /hooks/:id` echoes: any JSON object. */
export function toMockData(value: unknown): MockDataDto | undefined {
  return isRecord(value) ? value : undefined;
}

/** What the test endpoint of a project or group hook answers (`{"message":"201 Created"}`): any JSON object. */
export function toTriggerTest(value: unknown): TriggerTestDto | undefined {
  if (!isRecord(value)) return undefined;
  return { message: typeof value.message === 'string' ? value.message : '' };
}

/** `GET /projects/:id` or `GET /groups/:id`, read for the fields the gateway serves; `pathField` holds the path. */
export function toContainer(value: unknown, pathField: string): ContainerDto | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, web_url: webUrl } = value;
  const fullPath = value[pathField];
  if (!Number.isSafeInteger(id) || typeof fullPath !== 'string' || fullPath === '') return undefined;
  if (typeof name !== 'string' || typeof webUrl !== 'string') return undefined;
  return { id: id as number, name, full_path: fullPath, web_url: webUrl };
}

const absent = (value: unknown): boolean => value === undefined || value === null;
/** How each field of a delivery log entry is checked; every one but `id` and `created_at` may be absent. */
const EVENT_FIELDS: Readonly<Record<string, (value: unknown) => boolean>> = {
  id: Number.isSafeInteger,
  created_at: isString,
  url: absentOr(isString),
  trigger: absentOr(isString),
  request_headers: absentOr(isRecord),
  response_headers: absentOr(isRecord),
  response_body: absentOr(isString),
  execution_duration: absentOr((value) => typeof value === 'number'),
  // GitLab stores the status as a string; an integer is taken as the same status.
  response_status: absentOr((value) => isString(value) || Number.isSafeInteger(value)),
};

/** A delivery log entry (`API::Entities::WebHookLog`), or `undefined` when `value` is not one. */
export function toWebhookEvent(value: unknown): WebhookEventDto | undefined {
  if (!isRecord(value)) return undefined;
  for (const [field, check] of Object.entries(EVENT_FIELDS)) if (!check(value[field])) return undefined;
  const or = <T>(field: string, fallback: T): T => (absent(value[field]) ? fallback : (value[field] as T));
  return {
    id: value.id as number,
    url: or('url', ''),
    trigger: or('trigger', ''),
    request_headers: or('request_headers', {}),
    request_data: or('request_data', null),
    response_headers: or('response_headers', {}),
    response_body: or('response_body', null),
    execution_duration: or('execution_duration', null),
    response_status: absent(value.response_status) ? null : String(value.response_status),
    created_at: value.created_at as string,
  };
}

/** A list of delivery log entries, or `undefined` when any is not one. */
export function toWebhookEventList(value: unknown): WebhookEventDto[] | undefined {
  return everyItem(value, toWebhookEvent);
}

/** What resend answers: the receiver's HTTP status. */
export function toResend(value: unknown): ResendDto | undefined {
  if (!isRecord(value) || !Number.isSafeInteger(value.response_status)) return undefined;
  return { response_status: value.response_status as number };
}

/** A header's integer: `undefined` when absent or not a number, `null` when GitLab sent it empty ("none"). */
function integerHeader(value: HeaderValue): number | null | undefined {
  const text = firstHeader(value)?.trim();
  if (text === undefined) return undefined;
  if (text === '') return null;
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

const positive = (value: number | null | undefined) => (value != null && value > 0 ? value : undefined);

/**
 * GitLab's offset pagination headers (`X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page`, `X-Total`,
 * `X-Total-Pages`). GitLab leaves the two totals out above 10,000 rows; they are then `null`. When a proxy or
 * an old GitLab sent none of these headers, the values are derived from the request and the page's length,
 * as offset pagination implies: a full page may have a successor, a short page is the last.
 */
export function toPagination(
  headers: Record<string, HeaderValue>,
  requested: { page: number; perPage: number },
  rows: number,
): PaginationDto {
  const page = positive(integerHeader(headers['x-page'])) ?? requested.page;
  const perPage = positive(integerHeader(headers['x-per-page'])) ?? requested.perPage;
  const next = integerHeader(headers['x-next-page']);
  const prev = integerHeader(headers['x-prev-page']);
  const total = integerHeader(headers['x-total']);
  const totalPages = integerHeader(headers['x-total-pages']);
  const isLastPage = rows < perPage;
  const sentNone = [
    headers['x-page'],
    headers['x-per-page'],
    headers['x-next-page'],
    headers['x-total'],
  ].every((value) => value === undefined);
  // Only a short page proves where the list ends; an empty page past the first proves nothing about earlier ones.
  const derivedTotal =
    sentNone && isLastPage && (rows > 0 || page === 1) ? (page - 1) * perPage + rows : null;
  return {
    page,
    perPage,
    nextPage: next === undefined ? (isLastPage ? null : page + 1) : next,
    prevPage: prev === undefined ? (page > 1 ? page - 1 : null) : prev,
    total: total ?? derivedTotal,
    totalPages: totalPages ?? (derivedTotal === null ? null : Math.max(1, Math.ceil(derivedTotal / perPage))),
  };
}
