import { execute, subscribe } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Runs operations with graphql-js's own `execute`, the reference implementation.
 *
 * Replaces Yoga's default executor (graphql-tools'), whose extras this schema does not use: `@defer`/`@stream`
 * and checking an abort signal at every field, which Yoga's request signal (a `Proxy`) makes dearer still. The
 * difference in CPU per request is measured in docs/performance.md. Subscriptions run through graphql-js's
 * `subscribe` too, so that an event's answer is the one a query's field would give (graphql-tools' executor
 * wraps a scalar's refusal so that it is masked; graphql-js reports it), whether the grouped fan-out serves it
 * (`use-grouped-subscriptions.ts`, which executes with graphql-js) or not. It can go when the default executor
 * costs the same for a schema without those features and answers the same.
 *
 * graphql-js takes no abort signal. A client that goes away still stops the work that matters: the upstream calls
 * carry the request's signal (see `context.ts`), abort, and the resolvers waiting on them fail at once.
 */
export function useGraphQLJsExecution(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(execute);
    },
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe);
    },
  };
}
