import type { Plugin } from 'graphql-yoga';

/**
 * Serves one path outside GraphQL with a fetch-API handler, every method, before the plugins after it see the
 * request (so that CSRF prevention and the GraphQL body limit, which are about GraphQL, do not apply to it).
 *
 * Matching compares the path inside the request's URL text, without parsing the URL: it costs nothing on the
 * requests it does not serve, which is nearly all of them.
 */
export function useRoute(path: string, handle: (request: Request) => Promise<Response>): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (!hasPath(request.url, path)) return;
      return handle(request).then(endResponse);
    },
  };
}

/** Whether the absolute URL `url` has exactly the path `path`, whatever its query or fragment. */
export function hasPath(url: string, path: string): boolean {
  const authority = url.indexOf('//');
  const start = url.indexOf('/', authority === -1 ? 0 : authority + 2);
  if (start === -1 || !url.startsWith(path, start)) return false;
  const end = start + path.length;
  return end === url.length || url[end] === '?' || url[end] === '#';
}
