import type { HookDto, MockDataDto, PaginationDto } from './types.ts';

/**
 * Checks of what GitLab answers with a success status. They are deliberately shallow: enough that the
 * GraphQL layer can rely on the fields it types as non-null, tolerant of fields an older GitLab lacks and of
 * fields a newer one adds. A value that fails is not the API's answer (a proxy's page, a truncated body).
 */

type Json = Record<string, unknown>;

const EVENT_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'repository_update_events',
  'enable_ssl_verification',
] as const;

const OPTIONAL_STRINGS = [
  'name',
  'description',
  'alert_status',
  'disabled_until',
  'push_events_branch_filter',
  'branch_filter_strategy',
  'custom_webhook_template',
] as const;

const OPTIONAL_KEY_LISTS = ['url_variables', 'custom_headers'] as const;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAbsentOr(value: unknown, check: (present: unknown) => boolean): boolean {
  return value === undefined || value === null || check(value);
}

function isKeyList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => isRecord(item) && typeof item.key === 'string');
}

/** A hook entity, or `undefined` when `value` is not one. */
export function toHook(value: unknown): HookDto | undefined {
  if (!isRecord(value)) return undefined;
  if (
    !Number.isSafeInteger(value.id) ||
    typeof value.url !== 'string' ||
    typeof value.created_at !== 'string'
  ) {
    return undefined;
  }
  let hook = value;
  for (const flag of EVENT_FLAGS) {
    // GitLab's own GraphQL coerces a nil flag to false (rows older than the column); do the same.
    if (value[flag] === null) hook = { ...hook, [flag]: false };
    else if (typeof value[flag] !== 'boolean') return undefined;
  }
  for (const field of OPTIONAL_STRINGS) {
    if (!isAbsentOr(value[field], (present) => typeof present === 'string')) return undefined;
  }
  for (const field of OPTIONAL_KEY_LISTS) {
    if (!isAbsentOr(value[field], isKeyList)) return undefined;
  }
  if (!isAbsentOr(value.organization_id, Number.isSafeInteger)) return undefined;
  return hook as unknown as HookDto;
}

/** A list of hook entities, or `undefined` when any element is not one. */
export function toHookList(value: unknown): HookDto[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const hooks: HookDto[] = [];
  for (const item of value) {
    const hook = toHook(item);
    if (hook === undefined) return undefined;
    hooks.push(hook);
  }
  return hooks;
}

/** The sample event `POST /hooks/:id` echoes: any JSON object. */
export function toMockData(value: unknown): MockDataDto | undefined {
  return isRecord(value) ? value : undefined;
}

type HeaderValue = string | string[] | undefined;

/** A header's integer: `undefined` when absent or not a number, `null` when GitLab sent it empty ("none"). */
function integerHeader(value: HeaderValue): number | null | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
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
