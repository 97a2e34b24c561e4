/**
 * Grape's routing as far as this server needs it: a request path, after `/api/v4/`, in percent-decoded segments,
 * matched against a route's pattern (`projects/:id/hooks/:hook_id`). An encoded `/` (`group%2Fproject`) stays
 * inside its segment, as GitLab's `:id` requirement `[^/]+` wants.
 */

export interface RoutePattern {
  /** Segments after `/api/v4/`; `:name` captures one non-empty segment. */
  readonly path: string;
  /** Whether the last segment may carry the `.json` format suffix. */
  readonly formatSuffix: boolean;
}

const API_PREFIX = '/api/v4/';
const FORMAT_SUFFIX = '.json';

/** The path's segments after `/api/v4/`, percent-decoded; null outside the API or for a bad escape. */
export function apiSegments(pathname: string): string[] | null {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (!path.startsWith(API_PREFIX)) return null;
  try {
    return path.slice(API_PREFIX.length).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * The path parameters when `segments` fit the route's path, else null. A `.json` format suffix is accepted on
 * the last segment of the routes that allow it. Keys may contain dots: Grape's treatment of `.` as a format
 * separator in `:key` is UNCONFIRMED, and GitLab's key grammar allows dots (`f.o.o`), so keys are taken whole.
 */
export function matchPath(route: RoutePattern, segments: readonly string[]): Record<string, string> | null {
  const expected = route.path.split('/');
  if (expected.length !== segments.length) return null;
  const formatAt = route.formatSuffix ? expected.length - 1 : -1;
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

/** The first route of `routes` with this method whose path fits, and its path parameters. */
export function findRoute<R extends RoutePattern & { readonly method: string }>(
  routes: readonly R[],
  method: string,
  segments: readonly string[],
): { route: R; path: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const path = matchPath(route, segments);
    if (path !== null) return { route, path };
  }
  return null;
}
