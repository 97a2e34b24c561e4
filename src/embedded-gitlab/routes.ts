/**
 * The `/api/v4/hooks*` endpoints of `lib/api/system_hooks.rb` and its mounted `Hooks::UrlVariables`,
 * `Hooks::CustomHeaders` and `Hooks::Test` modules, one small handler each, in the order GitLab declares them.
 * Every endpoint runs in Grape's order: the `before` block (authentication, authorization) first, then
 * parameter validation, then the endpoint body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator } from './auth.ts';
import { findCredential } from './auth.ts';
import { grapeError, messageError, routeNotFound } from './errors.ts';
import { declareHookId, declareHookParams, declareRequiredValue, ParamErrors } from './grape-params.ts';
import { MAX_CUSTOM_HEADER_NAME_LENGTH, type StoredHook, toEntity } from './hook-model.ts';
import type { HttpAnswer } from './http.ts';
import { paginate } from './pagination.ts';
import type { ParamHash } from './rack-params.ts';
import type { HookStore } from './store.ts';
import { type SystemHookEmitter, triggeringEventUuid } from './system-hook-events.ts';

export interface ApiRequest {
  method: string;
  /** The path as received, still percent-encoded. */
  pathname: string;
  headers: IncomingHttpHeaders;
  /** Query-string parameters. */
  query: ParamHash;
  /** Query, form and JSON-body parameters merged, the body winning (Grape's `params`). */
  params: Record<string, unknown>;
}

export interface RouteContext {
  store: HookStore;
  auth: Authenticator;
  /** The base URL GitLab reports (pagination links). */
  externalUrl: string;
  /** The GitLab version played: which parameters and entity fields exist. */
  version: string;
  emitter: SystemHookEmitter;
}

/** One call of an endpoint: the request, the server, the path parameters and Grape's error collector. */
interface EndpointCall {
  request: ApiRequest;
  context: RouteContext;
  /** Path parameters by name (`hook_id`, `key`), percent-decoded and not yet coerced. */
  path: Readonly<Record<string, string>>;
  errors: ParamErrors;
}

interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Segments after `/api/v4/`; `:name` captures one non-empty segment. */
  path: string;
  handle(call: EndpointCall): HttpAnswer | Promise<HttpAnswer>;
}

/** The mock payload `Hooks::Test` is mounted with for system hooks, in its Ruby hash order. */
function systemHookTestData(): Record<string, unknown> {
  return {
    event_name: 'project_create',
    name: 'Ruby',
    path: 'ruby',
    project_id: 1,
    owner_name: 'Someone',
    owner_email: 'example@gitlabhq.com',
  };
}

/** `requires :hook_id, type: Integer`, then the hook (`find_hook`): 400 for a bad id before 404. */
function findHook({ path, context, errors }: EndpointCall): StoredHook {
  const hookId = declareHookId(path.hook_id ?? '', errors);
  errors.throwIfAny();
  return context.store.find(hookId);
}

/** GitLab's `check_unmodified_since!`: an unparsable date is ignored, as `Time.parse ... rescue nil` does. */
function checkUnmodifiedSince(headers: IncomingHttpHeaders, lastModified: Date): void {
  const header = headers['if-unmodified-since'];
  if (header === undefined) return;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return;
  if (lastModified.getTime() > since) throw messageError(412, '412 Precondition Failed');
}

function listHooks({ request, context }: EndpointCall): HttpAnswer {
  const baseUrl = `${new URL(context.externalUrl).origin}${request.pathname}`;
  const page = paginate(context.store.list(), request.params, request.query, baseUrl);
  return {
    status: 200,
    headers: page.headers,
    json: page.items.map((hook) => toEntity(hook, context.version)),
  };
}

function getHook(call: EndpointCall): HttpAnswer {
  return { status: 200, json: toEntity(findHook(call), call.context.version) };
}

function createHook({ request, context, errors }: EndpointCall): HttpAnswer {
  const hookParams = declareHookParams(
    request.params,
    { urlRequired: true, gitlabVersion: context.version },
    errors,
  );
  errors.throwIfAny();
  return { status: 201, json: toEntity(context.store.create(hookParams), context.version) };
}

function updateHook({ request, context, path, errors }: EndpointCall): HttpAnswer {
  const hookId = declareHookId(path.hook_id ?? '', errors);
  const hookParams = declareHookParams(
    request.params,
    { urlRequired: false, gitlabVersion: context.version },
    errors,
  );
  errors.throwIfAny();
  return { status: 200, json: toEntity(context.store.update(hookId, hookParams), context.version) };
}

/**
 * `Hooks::Test`: a synchronous delivery whose result GitLab ignores; the answer is always the mock data. A
 * request that carries `X-Gitlab-Event-UUID` (it came from a webhook receiver) passes it on, as GitLab's
 * recursion detection does.
 */
async function testHook(call: EndpointCall): Promise<HttpAnswer> {
  const hook = findHook(call);
  const data = systemHookTestData();
  await call.context.emitter.test(hook, data, triggeringEventUuid(call.request.headers));
  return { status: 201, json: data };
}

function deleteHook(call: EndpointCall): HttpAnswer {
  const hook = findHook(call);
  checkUnmodifiedSince(call.request.headers, hook.updatedAt);
  call.context.store.remove(hook.id);
  return { status: 204 };
}

/** What differs between `Hooks::UrlVariables` and `Hooks::CustomHeaders`. */
interface KeyValueResource {
  field: 'urlVariables' | 'customHeaders';
  /** `limit:` on the `:key` path parameter, if any. */
  maxKeyLength?: number;
  notFound: string;
  unsetFailed: string;
}

/** The `:hook_id` and `:key` the namespace declares, checked together as Grape does. */
function declareHookAndKey({ path, errors }: EndpointCall, resource: KeyValueResource) {
  const hookId = declareHookId(path.hook_id ?? '', errors);
  const key = path.key ?? '';
  if (resource.maxKeyLength !== undefined && key.length > resource.maxKeyLength) {
    // GitLab's `limit:` validator; its exact wording is UNCONFIRMED.
    errors.add(`key must be less than ${resource.maxKeyLength} characters`);
  }
  return { hookId, key };
}

/** `PUT :hook_id/<resource>/:key`: merges the value in and saves, 422 when the model refuses. */
function putKeyValue(resource: KeyValueResource) {
  return (call: EndpointCall): HttpAnswer => {
    const { hookId, key } = declareHookAndKey(call, resource);
    const value = declareRequiredValue(call.request.params, call.errors);
    call.errors.throwIfAny();
    const { store } = call.context;
    const hook = store.find(hookId);
    const values = { ...hook[resource.field], [key]: value };
    if (!store.updateKeyValues(hook, resource.field, values)) throw grapeError(422, 'Illegal key or value');
    return { status: 204 };
  };
}

/** `DELETE :hook_id/<resource>/:key`: 404 for an unknown key, 422 when the model refuses. */
function deleteKeyValue(resource: KeyValueResource) {
  return (call: EndpointCall): HttpAnswer => {
    const { hookId, key } = declareHookAndKey(call, resource);
    call.errors.throwIfAny();
    const { store } = call.context;
    const hook = store.find(hookId);
    if (!Object.hasOwn(hook[resource.field], key)) throw messageError(404, resource.notFound);
    const values = { ...hook[resource.field] };
    delete values[key];
    if (!store.updateKeyValues(hook, resource.field, values)) throw grapeError(422, resource.unsetFailed);
    return { status: 204 };
  };
}

const URL_VARIABLES: KeyValueResource = {
  field: 'urlVariables',
  notFound: '404 URL variable Not Found',
  unsetFailed: 'Could not unset variable',
};
const CUSTOM_HEADERS: KeyValueResource = {
  field: 'customHeaders',
  maxKeyLength: MAX_CUSTOM_HEADER_NAME_LENGTH,
  notFound: '404 Custom header Not Found',
  unsetFailed: 'Could not unset custom header',
};

/** `resource :hooks`, in declaration order: the two mounted key-value modules first, `Hooks::Test` late. */
const ENDPOINTS: readonly Endpoint[] = [
  { method: 'PUT', path: 'hooks/:hook_id/url_variables/:key', handle: putKeyValue(URL_VARIABLES) },
  { method: 'DELETE', path: 'hooks/:hook_id/url_variables/:key', handle: deleteKeyValue(URL_VARIABLES) },
  { method: 'PUT', path: 'hooks/:hook_id/custom_headers/:key', handle: putKeyValue(CUSTOM_HEADERS) },
  { method: 'DELETE', path: 'hooks/:hook_id/custom_headers/:key', handle: deleteKeyValue(CUSTOM_HEADERS) },
  { method: 'GET', path: 'hooks', handle: listHooks },
  { method: 'GET', path: 'hooks/:hook_id', handle: getHook },
  { method: 'POST', path: 'hooks', handle: createHook },
  { method: 'PUT', path: 'hooks/:hook_id', handle: updateHook },
  { method: 'POST', path: 'hooks/:hook_id', handle: testHook },
  { method: 'DELETE', path: 'hooks/:hook_id', handle: deleteHook },
];

const API_PREFIX = '/api/v4/';
const FORMAT_SUFFIX = '.json';

/** The path's segments after `/api/v4/`, percent-decoded; null outside the API or for a bad escape. */
function apiSegments(pathname: string): string[] | null {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (!path.startsWith(API_PREFIX)) return null;
  try {
    return path.slice(API_PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * The path parameters when `segments` fit `pattern`, else null. A `.json` format suffix is accepted on the last
 * segment of `hooks` and `hooks/:hook_id` only. Keys may contain dots: Grape's treatment of `.` as a format
 * separator in `:key` is UNCONFIRMED, and GitLab's key grammar allows dots (`f.o.o`), so keys are taken whole.
 */
function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | null {
  const expected = pattern.split('/');
  if (expected.length !== segments.length) return null;
  const formatAt = expected.length <= 2 ? expected.length - 1 : -1;
  const path: Record<string, string> = {};
  for (const [index, part] of expected.entries()) {
    const raw = segments[index] as string;
    const segment =
      index === formatAt && raw.endsWith(FORMAT_SUFFIX) ? raw.slice(0, -FORMAT_SUFFIX.length) : raw;
    if (!part.startsWith(':')) {
      if (segment !== part) return null;
    } else if (raw === '') return null;
    else path[part.slice(1)] = segment;
  }
  return path;
}

function findEndpoint(method: string, pathname: string) {
  const segments = apiSegments(pathname);
  if (segments === null) return null;
  for (const endpoint of ENDPOINTS) {
    if (endpoint.method !== method) continue;
    const path = matchPath(endpoint.path, segments);
    if (path !== null) return { endpoint, path };
  }
  return null;
}

/** Routes one request; throws `ApiError` for every GitLab error answer. */
export async function handleApiRequest(request: ApiRequest, context: RouteContext): Promise<HttpAnswer> {
  const found = findEndpoint(request.method === 'HEAD' ? 'GET' : request.method, request.pathname);
  // GitLab's catch-all `route :any, '*path'` answers every other method and path, without authentication.
  if (found === null) throw routeNotFound();
  // AuthFinders reads `private_token` from ActionDispatch's params: query, form and JSON body alike.
  context.auth.requireAdmin(findCredential(request.headers, request.params));
  return found.endpoint.handle({ request, context, path: found.path, errors: new ParamErrors() });
}
