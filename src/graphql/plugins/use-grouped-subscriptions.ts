import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin, type YogaLogger } from 'graphql-yoga';
import { isScopedEventSubscription } from '../../events/subscriptions.ts';
import { GroupedStream } from '../grouped-stream.ts';
import { type ResultErrorMask, SubscriptionGroups } from '../subscription-groups.ts';

export interface GroupedSubscriptionsOptions {
  /** How the gateway masks an error in a result, as Yoga's `maskedErrors` does for every other result. */
  maskError: ResultErrorMask;
}

/**
 * Subscriptions whose events are served by the grouped fan-out (`subscription-groups.ts`, `grouped-stream.ts`):
 * Yoga and graphql-ws still parse, validate, limit and authorize the subscribe request, and run the field's
 * `subscribe` (credential check, caps, resume position) as graphql-js's `subscribe` would; only the mapping of
 * each event to a result, graphql-js's MapSourceToResponseEvent, runs once per group instead of once per
 * subscriber. A source that is not the event stores' (a test's iterable) is mapped per subscriber, as before.
 */
export function useGroupedSubscriptions(options: GroupedSubscriptionsOptions): Plugin {
  let logger: YogaLogger | undefined;
  const groups = new SubscriptionGroups({
    maskError: options.maskError,
    onUnserializable: (error) => logger?.error(error),
  });

  async function subscribe(args: ExecutionArgs) {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    if (!isScopedEventSubscription(source)) {
      return mapAsyncIterator(source, (event) => execute({ ...args, rootValue: event }));
    }
    const request = (args.contextValue as { request?: Request } | undefined)?.request;
    return new GroupedStream(groups.join(args, source.scope), source, request);
  }

  return {
    onYogaInit({ yoga }) {
      logger = yoga.logger;
    },
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe);
    },
  };
}
