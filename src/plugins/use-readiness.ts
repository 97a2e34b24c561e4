import type { Plugin } from 'graphql-yoga';

export interface ReadinessOptions {
  /**
   * The path answered: 200 when `check` resolves to true, 503 when it resolves to false or fails.
   * @default '/ready'
   */
  endpoint?: string;
  /** Whether the gateway can serve now. */
  check: (request: Request) => Promise<boolean>;
}

/**
 * A readiness endpoint. Replaces Yoga's `useReadinessCheck`, which tests a `URLPattern` against a freshly parsed
 * URL for every request, not only for readiness probes (see docs/performance.md), where comparing the path inside
 * the request's URL text is enough. It can go when Yoga's plugin matches its endpoint without parsing each URL.
 */
export function useReadiness({ endpoint = '/ready', check }: ReadinessOptions): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (!hasPath(request.url, endpoint)) return;
      return check(request).then(
        (ready) => endResponse(new fetchAPI.Response(null, { status: ready ? 200 : 503 })),
        () => endResponse(new fetchAPI.Response(null, { status: 503 })),
      );
    },
  };
}

/** Whether the absolute URL `url` has exactly the path `path`, whatever its query or fragment. */
function hasPath(url: string, path: string): boolean {
  const authority = url.indexOf('//');
  const start = url.indexOf('/', authority === -1 ? 0 : authority + 2);
  if (start === -1 || !url.startsWith(path, start)) return false;
  const end = start + path.length;
  return end === url.length || url[end] === '?' || url[end] === '#';
}
