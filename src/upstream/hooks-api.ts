import { malformedAnswer } from './errors.ts';
import type { HookScope, HookScopeTypes } from './hook-scope.ts';
import { everyItem } from './json.ts';
import type { Answer } from './response-body.ts';
import type { Method } from './retry.ts';
import type { Call, Transport } from './transport.ts';
import {
  type CallOptions,
  GITLAB_MAX_EVENTS_PER_PAGE,
  type HookPageDto,
  type HooksApi,
  type WebhookEventQuery,
} from './types.ts';
import { hookReader, toPagination, toResend, toWebhookEventList } from './wire.ts';

/** A call before it says what its answer carries; `requestJson` and `requestNoContent` add that. */
type Endpoint = Omit<Call, 'expects'>;

/**
 * The REST calls of `scope`'s hooks under `parent` (`docs/gitlab-contract.md` §4), over a transport. Invalid
 * ids, page numbers or keys reject with a `RangeError`, and parameters or values of the wrong type with a
 * `TypeError`, before any request: a bad one is the caller's bug, not GitLab's verdict.
 */
export function createHooksApi<T extends HookScopeTypes>(
  transport: Transport,
  scope: HookScope<T>,
  parent: T['parent'],
): HooksApi<T> {
  const collection = scope.path(parent);
  const readHook = hookReader<T['hook']>(scope.eventFlags, scope.parent?.idField);
  const readHookList = (value: unknown) => everyItem(value, readHook);
  const hookPath = (id: number) => `${collection}/${encodeURIComponent(positiveSafeInteger(id, 'hook id'))}`;
  /** The route of an endpoint of one hook: `PUT /hooks/:hook_id` and below. */
  const hookRoute = (method: Method, below = '') => `${method} ${scope.route}/:hook_id${below}`;

  /** The answer's JSON as `check` reads it; an answer `check` refuses is not `expected`. */
  async function requestJson<Value>(
    endpoint: Endpoint,
    options: CallOptions,
    check: (json: unknown) => Value | undefined,
    expected: string,
  ): Promise<{ value: Value; headers: Answer['headers'] }> {
    const answer = await transport.request({ ...endpoint, expects: 'json' }, options);
    const value = check(answer.json);
    if (value === undefined) throw malformedAnswer(answer.status, `${expected} (${endpoint.route})`);
    return { value, headers: answer.headers };
  }

  async function requestHook(endpoint: Endpoint, options: CallOptions): Promise<T['hook']> {
    return (await requestJson(endpoint, options, readHook, `a ${scope.noun}`)).value;
  }

  async function requestNoContent(endpoint: Endpoint, options: CallOptions): Promise<void> {
    await transport.request({ ...endpoint, expects: 'no-content' }, options);
  }

  function keyEndpoint(
    method: Method,
    id: number,
    collectionOfKeys: 'url_variables' | 'custom_headers',
    key: string,
    body?: { value: string },
  ): Endpoint {
    // An empty or dot-only key would name another route once a server normalizes the path.
    if (typeof key !== 'string' || /^\.*$/.test(key)) {
      const noun = collectionOfKeys === 'url_variables' ? 'URL variable' : 'custom header';
      throw new RangeError(`A ${noun} key must not be empty or only dots`);
    }
    return {
      method,
      path: `${hookPath(id)}/${collectionOfKeys}/${encodeURIComponent(key)}`,
      route: hookRoute(method, `/${collectionOfKeys}/:key`),
      body,
    };
  }

  return {
    async listHooks(query, options): Promise<HookPageDto<T['hook']>> {
      const page = positiveSafeInteger(query.page, 'page');
      const perPage = positiveSafeInteger(query.perPage, 'perPage');
      const { value: hooks, headers } = await requestJson(
        {
          method: 'GET',
          path: `${collection}?page=${page}&per_page=${perPage}`,
          route: `GET ${scope.route}`,
        },
        options,
        readHookList,
        `a list of ${scope.noun}s`,
      );
      return { hooks, pagination: toPagination(headers, { page, perPage }, hooks.length) };
    },

    async getHook(id, options) {
      return requestHook({ method: 'GET', path: hookPath(id), route: hookRoute('GET') }, options);
    },

    async createHook(params, options) {
      const body = assertHookParams(params);
      return requestHook({ method: 'POST', path: collection, route: `POST ${scope.route}`, body }, options);
    },

    async updateHook(id, params, options) {
      const body = assertHookParams(params);
      return requestHook({ method: 'PUT', path: hookPath(id), route: hookRoute('PUT'), body }, options);
    },

    async deleteHook(id, options) {
      return requestNoContent({ method: 'DELETE', path: hookPath(id), route: hookRoute('DELETE') }, options);
    },

    async testHook(id, ...rest) {
      const options = rest[rest.length - 1] as CallOptions;
      const args = rest.slice(0, -1) as T['testArgs'];
      const { test } = scope;
      const endpoint: Endpoint = {
        method: 'POST',
        path: `${hookPath(id)}${test.path(...args)}`,
        route: hookRoute('POST', test.route),
      };
      return (await requestJson(endpoint, options, test.read, test.expected)).value;
    },

    async setUrlVariable(id, key, value, options) {
      const body = { value: assertString(value) };
      return requestNoContent(keyEndpoint('PUT', id, 'url_variables', key, body), options);
    },

    async deleteUrlVariable(id, key, options) {
      return requestNoContent(keyEndpoint('DELETE', id, 'url_variables', key), options);
    },

    async setCustomHeader(id, key, value, options) {
      const body = { value: assertString(value) };
      return requestNoContent(keyEndpoint('PUT', id, 'custom_headers', key, body), options);
    },

    async deleteCustomHeader(id, key, options) {
      return requestNoContent(keyEndpoint('DELETE', id, 'custom_headers', key), options);
    },

    async listHookEvents(id, query, options) {
      assertEventLog();
      const path = `${hookPath(id)}/events?${eventQuery(query)}`;
      const endpoint: Endpoint = { method: 'GET', path, route: hookRoute('GET', '/events') };
      const { value: events, headers } = await requestJson(
        endpoint,
        options,
        toWebhookEventList,
        `a list of ${scope.noun} events`,
      );
      const { page, perPage } = query;
      return { events, pagination: toPagination(headers, { page, perPage }, events.length) };
    },

    async resendHookEvent(id, logId, options) {
      assertEventLog();
      const log = encodeURIComponent(positiveSafeInteger(logId, 'hook log id'));
      const endpoint: Endpoint = {
        method: 'POST',
        path: `${hookPath(id)}/events/${log}/resend`,
        route: hookRoute('POST', '/events/:hook_log_id/resend'),
      };
      return (await requestJson(endpoint, options, toResend, 'a resend result')).value;
    },

    async getParent(options) {
      const { parent: container } = scope;
      if (container === undefined) throw new RangeError(`${scope.noun}s have no parent`);
      const endpoint: Endpoint = {
        method: 'GET',
        path: container.path(parent),
        route: `GET ${container.route}`,
      };
      return (await requestJson(endpoint, options, container.read, `a ${container.noun}`)).value;
    },
  };

  function assertEventLog(): void {
    if (!scope.eventLog) throw new RangeError(`${scope.noun}s have no delivery log`);
  }
}

/** GitLab's status filter values: a class of statuses, or a three-digit HTTP status. */
const EVENT_STATUS = /^(?:successful|client_failure|server_failure|[1-5][0-9]{2})$/;

/** The query of `GET …/events`: `status` comma-separated (GitLab's `CommaSeparatedToArray`), then the page. */
function eventQuery(query: WebhookEventQuery): string {
  const page = positiveSafeInteger(query.page, 'page');
  const perPage = positiveSafeInteger(query.perPage, 'perPage');
  if (perPage > GITLAB_MAX_EVENTS_PER_PAGE) {
    throw new RangeError(`perPage must be at most ${GITLAB_MAX_EVENTS_PER_PAGE}, got ${perPage}`);
  }
  const status = query.status ?? [];
  for (const value of status) {
    if (typeof value !== 'string' || !EVENT_STATUS.test(value)) {
      throw new RangeError('A status is successful, client_failure, server_failure or an HTTP status code');
    }
  }
  const filter = status.length > 0 ? `status=${status.join(',')}&` : '';
  return `${filter}page=${page}&per_page=${perPage}`;
}

/** Ids and page numbers alike. */
function positiveSafeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive safe integer, got ${String(value)}`);
  }
  return value;
}

function assertString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('A value must be a string');
  return value;
}

function assertHookParams<Params>(params: Params): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError('Hook parameters must be an object');
  }
  return params;
}
