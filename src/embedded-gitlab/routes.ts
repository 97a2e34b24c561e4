/**
 * The hooks endpoints of each scope (`lib/api/system_hooks.rb` for `/api/v4/hooks*`, `project_hooks.rb`,
 * `group_hooks.rb`) and its mounted
 * `Hooks::UrlVariables`, `Hooks::CustomHeaders` and `Hooks::Test` modules, one small handler each, in the order
 * GitLab declares them, written once and mounted for each scope in `HOOK_SCOPES`. Every endpoint runs in Grape's
 * order: the `before` block (authentication, the parent, authorization) first, then parameter validation, then
 * the endpoint body. Other paths go to the world's endpoints (`world-routes.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator } from './auth.ts';
import { findCredential } from './auth.ts';
import { forbidden, grapeError, messageError, routeNotFound } from './errors.ts';
import { declareHookId, declareHookParams, declareRequiredValue, ParamErrors } from './grape-params.ts';
import { GROUP_HOOKS } from './group-hooks.ts';
import { type EntityOptions, toEntity } from './hook-entity.ts';
import { MAX_CUSTOM_HEADER_NAME_LENGTH, type StoredHook } from './hook-model.ts';
import type { HookScope } from './hook-scope.ts';
import type { HttpAnswer } from './http.ts';
import { paginate } from './pagination.ts';
import { PROJECT_HOOKS } from './project-hooks.ts';
import type { ParamHash } from './rack-params.ts';
import { apiSegments, findRoute, type RoutePattern } from './route-match.ts';
import type { HookStore } from './store.ts';
import { type SystemHookEmitter, triggeringEventUuid } from './system-hook-events.ts';
import { SYSTEM_HOOKS } from './system-hooks.ts';
import type { WebHookDeliveries } from './webhook-deliveries.ts';
import type { World } from './world.ts';
import { handleWorldRequest, WORLD_ENDPOINTS } from './world-routes.ts';

/** The hook scopes this server serves; a new one is added here, after its value. */
export const HOOK_SCOPES: readonly HookScope[] = [SYSTEM_HOOKS, PROJECT_HOOKS, GROUP_HOOKS];

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
  /** The hooks of each scope. */
  stores: ReadonlyMap<HookScope, HookStore>;
  auth: Authenticator;
  /** Users, groups, projects, members and the application settings. */
  world: World;
  /** The base URL GitLab reports (pagination links). */
  externalUrl: string;
  /** The GitLab version played: which parameters and entity fields exist. */
  version: string;
  emitter: SystemHookEmitter;
  /** The deliveries of project and group hooks: tests, the events log, resends, auto-disabling. */
  webhooks: WebHookDeliveries;
}

/**
 * One call of an endpoint: the request, the server, the endpoint's scope and its hooks, the path parameters and
 * Grape's error collector.
 */
interface EndpointCall {
  request: ApiRequest;
  context: RouteContext;
  scope: HookScope;
  store: HookStore;
  /** The project or group whose hooks are served (null for system hooks), found and authorized. */
  parentId: number | null;
  /** The authenticated user. */
  userId: number;
  /** Path parameters by name (`hook_id`, `key`), percent-decoded and not yet coerced. */
  path: Readonly<Record<string, string>>;
  errors: ParamErrors;
}

interface Endpoint extends RoutePattern {
  scope: HookScope;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  handle(call: EndpointCall): HttpAnswer | Promise<HttpAnswer>;
}

/** `requires :hook_id, type: Integer`, then the hook (`find_hook`): 400 for a bad id before 404. */
function findHook({ path, store, errors, parentId }: EndpointCall): StoredHook {
  const hookId = declareHookId(path.hook_id ?? '', errors);
  errors.throwIfAny();
  return store.find(hookId, parentId);
}

/** GitLab's `check_unmodified_since!`: an unparsable date is ignored, as `Time.parse ... rescue nil` does. */
function checkUnmodifiedSince(headers: IncomingHttpHeaders, lastModified: Date): void {
  const header = headers['if-unmodified-since'];
  if (header === undefined) return;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return;
  if (lastModified.getTime() > since) throw messageError(412, '412 Precondition Failed');
}

/** The hook's entity, with its auto-disabling state when it belongs to a project or group. */
function present({ scope, context }: EndpointCall, hook: StoredHook, options: EntityOptions = {}) {
  const { webhooks } = context;
  const alert =
    scope.parent === null
      ? undefined
      : {
          status: webhooks.autoDisabling.alertStatus(hook.id),
          disabledUntil: webhooks.autoDisabling.disabledUntil(hook.id),
        };
  return toEntity(scope, hook, context.version, { ...options, ...(alert ? { alert } : {}) });
}

/** The external origin and the request path, which `Link` headers repeat. */
const baseUrlOf = ({ request, context }: EndpointCall) =>
  `${new URL(context.externalUrl).origin}${request.pathname}`;

function listHooks(call: EndpointCall): HttpAnswer {
  const { request, store, parentId } = call;
  const page = paginate(store.list(parentId), request.params, request.query, baseUrlOf(call));
  return {
    status: 200,
    headers: page.headers,
    json: page.items.map((hook) => present(call, hook, { list: true })),
  };
}

function getHook(call: EndpointCall): HttpAnswer {
  return { status: 200, json: present(call, findHook(call)) };
}

/** The `hook_parameters` of the endpoint's scope. */
function declareParams({ request, context, scope, errors }: EndpointCall, urlRequired: boolean) {
  const options = { attributes: scope.attributes, urlRequired, gitlabVersion: context.version };
  return declareHookParams(request.params, options, errors);
}

function createHook(call: EndpointCall): HttpAnswer {
  const hookParams = declareParams(call, true);
  call.errors.throwIfAny();
  const hook = call.store.create(hookParams, call.parentId);
  return { status: 201, json: present(call, hook) };
}

function updateHook(call: EndpointCall): HttpAnswer {
  const hookId = declareHookId(call.path.hook_id ?? '', call.errors);
  const hookParams = declareParams(call, false);
  call.errors.throwIfAny();
  const hook = call.store.update(hookId, hookParams, call.parentId);
  return { status: 200, json: present(call, hook) };
}

/** `Hooks::Test` / `Hooks::TriggerTest`, as the scope mounts it: its path parameters together, then the hook. */
async function testHook(call: EndpointCall): Promise<HttpAnswer> {
  const hookId = declareHookId(call.path.hook_id ?? '', call.errors);
  call.scope.test.declare?.(call.path, call.errors, call.context);
  call.errors.throwIfAny();
  const hook = call.store.find(hookId, call.parentId);
  return call.scope.test.handle(hook, call.request, call.context, call.path, { userId: call.userId });
}

/** `Hooks::Events`: `hook_id`, `status`, `page` and `per_page` are declared together, then the hook. */
function listEvents(call: EndpointCall): HttpAnswer {
  const hookId = declareHookId(call.path.hook_id ?? '', call.errors);
  const request = { params: call.request.params, query: call.request.query, baseUrl: baseUrlOf(call) };
  return call.context.webhooks.events(() => call.store.find(hookId, call.parentId), request, call.errors);
}

/**
 * `Hooks::ResendHook`: no params block, so a `hook_id` that is not a number is simply not found (ActiveRecord
 * casts it as Ruby's `to_i` does).
 */
async function resendEvent(call: EndpointCall): Promise<HttpAnswer> {
  const hookId = Number(/^\s*[+-]?\d+/.exec(call.path.hook_id ?? '')?.[0] ?? '0');
  const hook = call.store.find(hookId, call.parentId);
  const parent = call.scope.parent === 'group' ? 'group' : 'project';
  const eventUuid = triggeringEventUuid(call.request.headers);
  return call.context.webhooks.resend(hook, parent, call.path.hook_log_id ?? '', call.userId, eventUuid);
}

function deleteHook(call: EndpointCall): HttpAnswer {
  const hook = findHook(call);
  checkUnmodifiedSince(call.request.headers, hook.updatedAt);
  call.store.remove(hook.id);
  call.context.webhooks.forget(hook.id);
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
    const { store } = call;
    const hook = store.find(hookId, call.parentId);
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
    const { store } = call;
    const hook = store.find(hookId, call.parentId);
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

/**
 * A scope's `resource :hooks`, in declaration order: the two mounted key-value modules first, `Hooks::Test`
 * late.
 */
function mountHooksApi(scope: HookScope): Endpoint[] {
  const collection = scope.path;
  const hook = `${collection}/:hook_id`;
  const test = scope.test.path === '' ? hook : `${hook}/${scope.test.path}`;
  const rows: [Endpoint['method'], string, Endpoint['handle']][] = [
    ['PUT', `${hook}/url_variables/:key`, putKeyValue(URL_VARIABLES)],
    ['DELETE', `${hook}/url_variables/:key`, deleteKeyValue(URL_VARIABLES)],
    ['PUT', `${hook}/custom_headers/:key`, putKeyValue(CUSTOM_HEADERS)],
    ['DELETE', `${hook}/custom_headers/:key`, deleteKeyValue(CUSTOM_HEADERS)],
    ['GET', collection, listHooks],
    ['GET', hook, getHook],
    ['POST', collection, createHook],
    ['PUT', hook, updateHook],
    ['POST', test, testHook],
    ['DELETE', hook, deleteHook],
  ];
  // `Hooks::Events` and `Hooks::ResendHook` are mounted for project and group hooks only.
  if (scope.parent !== null) {
    rows.push(
      ['GET', `${hook}/events`, listEvents],
      ['POST', `${hook}/events/:hook_log_id/resend`, resendEvent],
    );
  }
  return rows.map(([method, path, handle]) => ({
    scope,
    method,
    path,
    formatSuffix: path === collection || path === hook,
    handle,
  }));
}

const ENDPOINTS: readonly Endpoint[] = HOOK_SCOPES.flatMap(mountHooksApi);

/**
 * `before { authenticate! }`, the parent (`user_project` / `user_group`: 404 when the user cannot see it), then
 * `authorize!`: the id of the parent whose hooks the endpoint serves (null for system hooks), and the user.
 */
function authorizeHooks(
  scope: HookScope,
  request: ApiRequest,
  context: RouteContext,
  path: Record<string, string>,
) {
  const identity = context.auth.authenticate(findCredential(request.headers, request.params), request.method);
  const { world } = context;
  if (scope.parent === null) {
    if (!world.isAdmin(identity.userId)) throw forbidden();
    return { parentId: null, userId: identity.userId };
  }
  const id = path.id ?? '';
  const parent =
    scope.parent === 'project'
      ? world.findProject(id, identity.userId)
      : world.findGroup(id, identity.userId);
  if (!world.hasAccess(identity.userId, parent, scope.managerAccess ?? Number.POSITIVE_INFINITY))
    throw forbidden();
  return { parentId: parent.id, userId: identity.userId };
}

/** Routes one request; throws `ApiError` for every GitLab error answer. */
export async function handleApiRequest(request: ApiRequest, context: RouteContext): Promise<HttpAnswer> {
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const segments = apiSegments(request.pathname);
  // GitLab's catch-all `route :any, '*path'` answers every other method and path, without authentication.
  if (segments === null) throw routeNotFound();
  const found = findRoute(ENDPOINTS, method, segments);
  if (found === null)
    return handleWorldRequest(request, context, findRoute(WORLD_ENDPOINTS, method, segments));
  const { route: endpoint, path } = found;
  // AuthFinders reads `private_token` from ActionDispatch's params: query, form and JSON body alike.
  const { parentId, userId } = authorizeHooks(endpoint.scope, { ...request, method }, context, path);
  const store = context.stores.get(endpoint.scope);
  if (store === undefined) throw new Error(`No store for ${endpoint.scope.model}`);
  return endpoint.handle({
    request,
    context,
    scope: endpoint.scope,
    store,
    parentId,
    userId,
    path,
    errors: new ParamErrors(),
  });
}
