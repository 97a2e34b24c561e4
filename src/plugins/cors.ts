import type { YogaServerOptions } from 'graphql-yoga';

/**
 * Headers a browser client may send cross-origin: the credential headers, JSON, and Yoga's CSRF marker. Cookies
 * are never allowed (`credentials: false`): callers authenticate with a header, as they do to GitLab.
 */
const ALLOWED_HEADERS = ['accept', 'authorization', 'content-type', 'private-token', 'x-graphql-yoga-csrf'];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Yoga's `cors` option for an allow-list of browser origins (`CORS_ORIGINS`). An origin on the list gets itself
 * back in `Access-Control-Allow-Origin`; any other origin, and every origin when the list is empty, gets no CORS
 * headers at all, so the browser keeps its page out.
 */
export function corsForOrigins(origins: readonly string[]): YogaServerOptions<object, object>['cors'] {
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      credentials: false,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    };
  };
}
