/**
 * The closed sets every metric label and log field takes its values from. None of them is a value a client
 * chooses: a path, an operation name, an id or a header becomes one of a few fixed words here.
 */

import { GATEWAY_ERROR_CODES, type GatewayErrorCode } from '../graphql/errors.ts';
import { hasPath } from '../graphql/plugins/use-route.ts';
import { ROUTES, type Route } from '../http/routes.ts';
import { transportCode, UpstreamError, type UpstreamErrorCode } from '../upstream/errors.ts';

/** The paths the gateway serves (`src/http/routes.ts`), as `http_route`; any other path is `other`. */
export const GATEWAY_ROUTES: readonly Route[] = Object.values(ROUTES);

export type RouteLabel = Route | 'other';

/** The route of an absolute request URL, matched in its text without parsing it. */
export function routeOf(url: string): RouteLabel {
  for (const route of GATEWAY_ROUTES) if (hasPath(url, route)) return route;
  return 'other';
}

/** The methods semantic conventions name; any other is `_OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/** `extensions.code` as a label: one of the gateway's documented codes, anything else `INTERNAL_SERVER_ERROR`. */
export function errorCodeLabel(code: unknown): GatewayErrorCode {
  return typeof code === 'string' && Object.hasOwn(GATEWAY_ERROR_CODES, code)
    ? (code as GatewayErrorCode)
    : 'INTERNAL_SERVER_ERROR';
}

/** The transport codes a failed attempt is labelled with; any other is `_OTHER`. */
const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
]);

/**
 * `error.type` of a failed attempt that got no status: its transport code, `timeout` for the call's deadline,
 * `aborted` when the caller went away (not an `UpstreamError`), or `_OTHER`.
 */
export function attemptErrorType(error: unknown): string {
  if (!(error instanceof UpstreamError)) return 'aborted';
  const code = transportCode(error);
  if (code !== undefined) return TRANSPORT_CODES.has(code) ? code : '_OTHER';
  return error.code === 'UPSTREAM_TIMEOUT' ? 'timeout' : '_OTHER';
}

/** How a logical call ended: `ok`, the `UpstreamErrorCode` it failed with, or `aborted` by the caller. */
export type CallOutcome = 'ok' | UpstreamErrorCode | 'aborted';

export function callOutcome(error: unknown): CallOutcome {
  if (error === undefined) return 'ok';
  return error instanceof UpstreamError ? error.code : 'aborted';
}

export type RetryReason = 'status_5xx' | 'status_429' | 'timeout' | 'transport';

/** Why a failed attempt is tried again. */
export function retryReason(error: unknown): RetryReason {
  if (!(error instanceof UpstreamError)) return 'transport';
  if (error.status === 429) return 'status_429';
  if (error.status !== undefined) return 'status_5xx';
  return error.code === 'UPSTREAM_TIMEOUT' ? 'timeout' : 'transport';
}
