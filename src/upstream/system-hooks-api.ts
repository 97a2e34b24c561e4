import { malformedAnswer } from './errors.ts';
import type { Answer } from './response-body.ts';
import type { Method } from './retry.ts';
import type { Call, Transport } from './transport.ts';
import type {
  CallOptions,
  HookDto,
  HookPageDto,
  HookParamsDto,
  MockDataDto,
  SystemHooksApi,
} from './types.ts';
import { toHook, toHookList, toMockData, toPagination } from './wire.ts';

/** A call before it says what its answer carries; `requestJson` and `requestNoContent` add that. */
type Endpoint = Omit<Call, 'expects'>;

/**
 * The ten REST calls of the System Hooks API (`docs/gitlab-contract.md` §4), over a transport. Invalid ids,
 * page numbers or keys reject with a `RangeError`, and parameters or values of the wrong type with a
 * `TypeError`, before any request: a bad one is the caller's bug, not GitLab's verdict.
 */
export function createSystemHooksApi(transport: Transport): SystemHooksApi {
  /** The answer's JSON as `check` reads it; an answer `check` refuses is not `expected`. */
  async function requestJson<T>(
    endpoint: Endpoint,
    options: CallOptions,
    check: (json: unknown) => T | undefined,
    expected: string,
  ): Promise<{ value: T; headers: Answer['headers'] }> {
    const answer = await transport.request({ ...endpoint, expects: 'json' }, options);
    const value = check(answer.json);
    if (value === undefined) throw malformedAnswer(answer.status, `${expected} (${endpoint.route})`);
    return { value, headers: answer.headers };
  }

  async function requestHook(endpoint: Endpoint, options: CallOptions): Promise<HookDto> {
    return (await requestJson(endpoint, options, toHook, 'a system hook')).value;
  }

  async function requestNoContent(endpoint: Endpoint, options: CallOptions): Promise<void> {
    await transport.request({ ...endpoint, expects: 'no-content' }, options);
  }

  return {
    async listHooks(query, options): Promise<HookPageDto> {
      const page = positiveSafeInteger(query.page, 'page');
      const perPage = positiveSafeInteger(query.perPage, 'perPage');
      const { value: hooks, headers } = await requestJson(
        { method: 'GET', path: `/hooks?page=${page}&per_page=${perPage}`, route: 'GET /hooks' },
        options,
        toHookList,
        'a list of system hooks',
      );
      return { hooks, pagination: toPagination(headers, { page, perPage }, hooks.length) };
    },

    async getHook(id, options) {
      return requestHook({ method: 'GET', path: hookPath(id), route: 'GET /hooks/:hook_id' }, options);
    },

    async createHook(params, options) {
      const body = assertHookParams(params);
      return requestHook({ method: 'POST', path: '/hooks', route: 'POST /hooks', body }, options);
    },

    async updateHook(id, params, options) {
      const body = assertHookParams(params);
      return requestHook({ method: 'PUT', path: hookPath(id), route: 'PUT /hooks/:hook_id', body }, options);
    },

    async deleteHook(id, options) {
      return requestNoContent(
        { method: 'DELETE', path: hookPath(id), route: 'DELETE /hooks/:hook_id' },
        options,
      );
    },

    async testHook(id, options): Promise<MockDataDto> {
      const endpoint: Endpoint = { method: 'POST', path: hookPath(id), route: 'POST /hooks/:hook_id' };
      return (await requestJson(endpoint, options, toMockData, 'the sample event')).value;
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
  };
}

/** Ids and page numbers alike. */
function positiveSafeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive safe integer, got ${String(value)}`);
  }
  return value;
}

function hookPath(id: number): string {
  return `/hooks/${encodeURIComponent(positiveSafeInteger(id, 'hook id'))}`;
}

function keyEndpoint(
  method: Method,
  id: number,
  collection: 'url_variables' | 'custom_headers',
  key: string,
  body?: { value: string },
): Endpoint {
  // An empty or dot-only key would name another route once a server normalizes the path.
  if (typeof key !== 'string' || /^\.*$/.test(key)) {
    throw new RangeError(
      `A ${collection === 'url_variables' ? 'URL variable' : 'custom header'} key must not be empty or only dots`,
    );
  }
  return {
    method,
    path: `${hookPath(id)}/${collection}/${encodeURIComponent(key)}`,
    route: `${method} /hooks/:hook_id/${collection}/:key`,
    body,
  };
}

function assertString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('A value must be a string');
  return value;
}

function assertHookParams(params: HookParamsDto): HookParamsDto {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError('Hook parameters must be an object');
  }
  return params;
}
