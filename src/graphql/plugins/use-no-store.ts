import type { Plugin } from 'graphql-yoga';

/** What an answer depends on besides its URL: the credential headers, and the origin CORS answers. */
const VARY_BY = ['Authorization', 'Private-Token', 'Origin'];

/** The headers `useNoStore` leaves on an answer that had neither: what the edge gives the answers it makes itself. */
export const NO_STORE_HEADERS = { 'cache-control': 'no-store', vary: VARY_BY.join(', ') } as const;

/**
 * Every answer is `Cache-Control: no-store` and varies by the credential headers and `Origin`. A GraphQL answer is one caller's
 * view of GitLab, and GitLab's tokens travel in `PRIVATE-TOKEN`, which HTTP's rule that shared caches never store
 * answers to requests with `Authorization` (RFC 9111) does not cover: a CDN or proxy in front could otherwise
 * serve one administrator's hooks (a `GET /graphql?query=...`) to the next caller. GraphiQL's page may carry the
 * embedded GitLab's token; SSE streams are never replayed either. Nothing the gateway answers is worth a cache's
 * copy. `Origin` is named too: a CORS answer for one allowed origin names that origin alone, and Yoga's CORS says
 * `Vary: Origin` only when it lists several.
 */
export function useNoStore(): Plugin {
  return {
    onResponse({ response }) {
      // Deleted first: a header Yoga gave in a Response's init (SSE's `no-cache`) is otherwise kept beside it.
      response.headers.delete('cache-control');
      response.headers.set('cache-control', NO_STORE_HEADERS['cache-control']);
      const vary = response.headers.get('vary');
      const named = new Set(vary?.split(',').map((name) => name.trim().toLowerCase()));
      if (named.has('*')) return;
      const missing = VARY_BY.filter((name) => !named.has(name.toLowerCase()));
      if (missing.length > 0) response.headers.set('vary', [vary, ...missing].filter(Boolean).join(', '));
    },
  };
}
