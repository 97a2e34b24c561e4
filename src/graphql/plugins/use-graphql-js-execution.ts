import { execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Runs operations with graphql-js's own `execute`, the reference implementation.
 *
 * Replaces Yoga's default executor (graphql-tools'), whose extras this schema does not use: `@defer`/`@stream`
 * and checking an abort signal at every field, which Yoga's request signal (a `Proxy`) makes dearer still. The
 * difference in CPU per request is measured in docs/performance.md. Subscriptions still run through Yoga's own
 * executor (this hook is not called for them; graphql-js's `subscribe` measured no different there). It can go
 * when the default executor costs the same for a schema without those features.
 *
 * graphql-js takes no abort signal. A client that goes away still stops the work that matters: the upstream calls
 * carry the request's signal (see `context.ts`), abort, and the resolvers waiting on them fail at once.
 */
export function useGraphQLJsExecution(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(execute);
    },
  };
}
