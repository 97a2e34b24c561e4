/**
 * The `/api/v4/hooks*` endpoints of `lib/api/system_hooks.rb` and its mounted `Hooks::Test`,
 * `Hooks::UrlVariables` and `Hooks::CustomHeaders` modules. Order inside each endpoint follows Grape: the
 * `before` block (authentication, authorization) first, then parameter validation, then the endpoint body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator } from './auth.ts';
import { findCredential } from './auth.ts';
import { type DeliveryAgents, deliverHook } from './delivery.ts';
import { grapeError, messageError, routeNotFound } from './errors.ts';
import { declareHookId, declareHookParams, declareRequiredValue, ParamErrors } from './grape-params.ts';
import { MAX_CUSTOM_HEADER_NAME_LENGTH, type StoredHook, toEntity } from './hook-model.ts';
import { paginate } from './pagination.ts';
import type { ParamHash } from './rack-params.ts';
import type { HookStore } from './store.ts';

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

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON; absent for an empty body. */
  json?: unknown;
}

export interface RouteContext {
  store: HookStore;
  auth: Authenticator;
  /** The base URL GitLab reports (pagination links, `X-Gitlab-Instance`). */
  externalUrl: string;
  deliveryTimeoutMs: number;
  deliveryAgents: DeliveryAgents;
  version: string;
}

/** The mock payload `Hooks::Test` is mounted with for system hooks, in its Ruby hash order. */
export function systemHookTestData(): Record<string, unknown> {
  return {
    event_name: 'project_create',
    name: 'Ruby',
    path: 'ruby',
    project_id: 1,
    owner_name: 'Someone',
    owner_email: 'example@gitlabhq.com',
  };
}

type Route =
  | { kind: 'collection' }
  | { kind: 'hook'; hookId: string }
  | { kind: 'urlVariable' | 'customHeader'; hookId: string; key: string };

const API_PREFIX = '/api/v4/';
const FORMAT_SUFFIX = '.json';

const stripFormat = (segment: string): string =>
  segment.endsWith(FORMAT_SUFFIX) ? segment.slice(0, -FORMAT_SUFFIX.length) : segment;

/**
 * Path keys are percent-decoded. A key may contain dots: Grape's treatment of `.` as a format separator in
 * `:key` is UNCONFIRMED, and GitLab's key grammar allows dots (`f.o.o`), so keys are taken whole.
 */
export function matchRoute(pathname: string): Route | null {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (!path.startsWith(API_PREFIX)) return null;
  let segments: string[];
  try {
    segments = path.slice(API_PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
  const [resource, hookId, nested, key, ...rest] = segments;
  if (rest.length > 0 || resource === undefined) return null;
  if (hookId === undefined) return stripFormat(resource) === 'hooks' ? { kind: 'collection' } : null;
  if (resource !== 'hooks' || hookId === '') return null;
  if (nested === undefined) return { kind: 'hook', hookId: stripFormat(hookId) };
  if (key === undefined || key === '') return null;
  if (nested === 'url_variables') return { kind: 'urlVariable', hookId, key };
  if (nested === 'custom_headers') return { kind: 'customHeader', hookId, key };
  return null;
}

/** GitLab's `check_unmodified_since!`: an unparsable date is ignored, as `Time.parse ... rescue nil` does. */
function checkUnmodifiedSince(headers: IncomingHttpHeaders, lastModified: Date): void {
  const header = headers['if-unmodified-since'];
  if (header === undefined) return;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return;
  if (lastModified.getTime() > since) throw messageError(412, '412 Precondition Failed');
}

function stringsOnly(values: Record<string, string | null>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== null) result[key] = value;
  return result;
}

async function testHook(hook: StoredHook, context: RouteContext): Promise<Record<string, unknown>> {
  const data = systemHookTestData();
  // Synchronous delivery whose result GitLab ignores: the answer is the mock data whatever the receiver did.
  await deliverHook(
    {
      url: hook.url,
      token: hook.token,
      urlVariables: stringsOnly(hook.urlVariables),
      customHeaders: stringsOnly(hook.customHeaders),
      enableSslVerification: hook.enableSslVerification,
    },
    data,
    {
      agents: context.deliveryAgents,
      timeoutMs: context.deliveryTimeoutMs,
      instanceUrl: context.externalUrl,
      gitlabVersion: context.version,
    },
  );
  return data;
}

/** Routes one request; throws `ApiError` for every GitLab error answer. */
export async function handleApiRequest(request: ApiRequest, context: RouteContext): Promise<ApiResponse> {
  const route = matchRoute(request.pathname);
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const allowed =
    route === null
      ? []
      : route.kind === 'collection'
        ? ['GET', 'POST']
        : route.kind === 'hook'
          ? ['GET', 'PUT', 'POST', 'DELETE']
          : ['PUT', 'DELETE'];
  // GitLab's catch-all `route :any, '*path'` answers every other method and path, without authentication.
  if (route === null || !allowed.includes(method)) throw routeNotFound();

  // AuthFinders reads `private_token` from ActionDispatch's params: query, form and JSON body alike.
  context.auth.requireAdmin(findCredential(request.headers, request.params));

  const { store } = context;
  const errors = new ParamErrors();
  const { params } = request;

  if (route.kind === 'collection') {
    if (method === 'GET') {
      const baseUrl = `${new URL(context.externalUrl).origin}${request.pathname}`;
      const page = paginate(store.list(), params, request.query, baseUrl);
      return { status: 200, headers: page.headers, json: page.items.map(toEntity) };
    }
    const hookParams = declareHookParams(params, { urlRequired: true }, errors);
    errors.throwIfAny();
    return { status: 201, json: toEntity(store.create(hookParams)) };
  }

  const hookId = declareHookId(route.hookId, errors);

  if (route.kind === 'hook') {
    if (method === 'PUT') {
      const hookParams = declareHookParams(params, { urlRequired: false }, errors);
      errors.throwIfAny();
      return { status: 200, json: toEntity(store.update(hookId, hookParams)) };
    }
    errors.throwIfAny();
    const hook = store.find(hookId);
    if (method === 'GET') return { status: 200, json: toEntity(hook) };
    if (method === 'POST') return { status: 201, json: await testHook(hook, context) };
    checkUnmodifiedSince(request.headers, hook.updatedAt);
    store.remove(hook.id);
    return { status: 204 };
  }

  const isVariable = route.kind === 'urlVariable';
  const field = isVariable ? 'urlVariables' : 'customHeaders';
  if (!isVariable && route.key.length > MAX_CUSTOM_HEADER_NAME_LENGTH) {
    // GitLab's `limit:` validator; its exact wording is UNCONFIRMED.
    errors.add(`key must be less than ${MAX_CUSTOM_HEADER_NAME_LENGTH} characters`);
  }
  if (method === 'PUT') {
    const value = declareRequiredValue(params, errors);
    errors.throwIfAny();
    const hook = store.find(hookId);
    const values = { ...hook[field], [route.key]: value };
    if (!store.updateKeyValues(hook, field, values)) throw grapeError(422, 'Illegal key or value');
    return { status: 204 };
  }
  errors.throwIfAny();
  const hook = store.find(hookId);
  if (!Object.hasOwn(hook[field], route.key)) {
    throw messageError(404, isVariable ? '404 URL variable Not Found' : '404 Custom header Not Found');
  }
  const values = { ...hook[field] };
  delete values[route.key];
  if (!store.updateKeyValues(hook, field, values)) {
    throw grapeError(422, isVariable ? 'Could not unset variable' : 'Could not unset custom header');
  }
  return { status: 204 };
}
