import { execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Runs operations with graphql-js's own `execute`, the reference implementation, instead of Yoga's default
 * executor (graphql-tools'). That executor's extras, `@defer`/`@stream`, subscriptions and checking an abort
 * signal at every field, are not used by this schema, and they cost: interleaved in-process rounds measured 4% to
 * 14% less CPU per request with graphql-js, and Yoga's request signal, a `Proxy`, made the per-field checks
 * dearer still (README, Performance).
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
