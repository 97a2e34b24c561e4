import type { YogaServerOptions } from 'graphql-yoga';
import { parseAllowList } from './allow-list.ts';

/**
 * Which browser pages may use the gateway, decided from one list, `CORS_ORIGINS`, for both ways a page reaches it:
 *
 * - over HTTP, CORS: a listed origin gets itself back in `Access-Control-Allow-Origin`; any other origin, and
 *   every origin when the list is empty, gets no CORS headers at all, so the browser keeps its page out;
 * - over WebSocket, the upgrade's `Origin`: a browser sends it with every upgrade and no preflight guards one, so
 *   an origin that is neither listed nor one of the gateway's own pages (GraphiQL; `allowed-hosts.ts` judges
 *   that from where the connection arrived) is refused: a page elsewhere must not open a socket that runs with
 *   `GITLAB_TOKEN`. A client that sends no `Origin` is no browser page, and passes.
 *
 * The two differ on purpose in one row only: the gateway's own pages need no CORS (they are same-origin), while
 * their upgrades carry an `Origin` that must be admitted.
 */

/**
 * Headers a browser client may send cross-origin: the credential headers, JSON, and Yoga's CSRF marker. Cookies
 * are never allowed (`credentials: false`): callers authenticate with a header, as they do to GitLab.
 */
const CORS_ALLOWED_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'private-token',
  'x-graphql-yoga-csrf',
];
const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

export interface OriginPolicy {
  /** Whether a request from a page at `origin` (`null`: no `Origin` header) gets CORS headers. */
  allowsCors(origin: string | null): boolean;
  /**
   * Whether an upgrade that sent `origin` (`undefined`: none) may open a WebSocket; `isOwn` says whether an
   * origin is one of the gateway's own pages.
   */
  allowsUpgrade(origin: string | undefined, isOwn: (origin: string) => boolean): boolean;
  /** Yoga's `cors` option for `allowsCors`. */
  readonly cors: YogaServerOptions<object, object>['cors'];
}

/** The policy for `origins`, the exact origins of `CORS_ORIGINS` (`parseCorsOrigins`). */
export function createOriginPolicy(origins: readonly string[]): OriginPolicy {
  const listed = new Set(origins);
  const allowsCors = (origin: string | null) => origin !== null && listed.has(origin);
  return {
    allowsCors,
    allowsUpgrade: (origin, isOwn) => origin === undefined || listed.has(origin) || isOwn(origin),
    cors:
      listed.size === 0
        ? false
        : (request: Request) => {
            const origin = request.headers.get('origin');
            if (origin === null || !allowsCors(origin)) return false;
            return {
              origin: [origin],
              methods: ['GET', 'POST'],
              allowedHeaders: CORS_ALLOWED_HEADERS,
              credentials: false,
              maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
            };
          },
  };
}

/** Whether `text` is exactly an origin (scheme, host, port): no path, no trailing slash, http or https. */
export function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/**
 * `CORS_ORIGINS`' entries: exact origins, so that no pattern lets in more than the operator meant, and never
 * `*`.
 */
export function parseCorsOrigins(entries: readonly string[]): { value: string[]; problems: string[] } {
  return parseAllowList(entries, {
    name: 'CORS_ORIGINS',
    wildcard: 'origins, not "*": any page could then use GITLAB_TOKEN through the gateway',
    expected: 'origins such as https://app.example.com (no path or trailing slash)',
    accepts: isOrigin,
  });
}
