import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin, type YogaLogger } from 'graphql-yoga';
import { isScopedEventSubscription } from '../../events/subscriptions.ts';
import { FlushClock, GroupedStream } from '../grouped-stream.ts';
import { type ResultErrorMask, SubscriptionGroups } from '../subscription-groups.ts';

export interface GroupedSubscriptionsOptions {
  /** How the gateway masks an error in a result, as Yoga's `maskedErrors` does for every other result. */
  maskError: ResultErrorMask;
  /**
   * How long a subscriber woken by an event waits for more before its flush is written, in milliseconds (0 to
   * `MAX_FLUSH_WINDOW_MS`); 0 flushes at the end of the event loop's turn.
   * @default DEFAULT_FLUSH_WINDOW_MS (4)
   */
  flushWindowMs?: number | undefined;
}

/**
 * The default flush window. With 100 SSE subscribers the cost is one socket write per subscriber and flush,
 * whatever the flush carries; a few milliseconds gather several deliveries into each (2,133 deliveries/s
 * in-process against 1,005 flushing at each turn's end, on the same machine: docs/performance.md), for that
 * much latency.
 */
export const DEFAULT_FLUSH_WINDOW_MS = 4;

/**
 * Subscriptions whose events are served by the grouped fan-out (`subscription-groups.ts`, `grouped-stream.ts`):
 * Yoga and graphql-ws still parse, validate, limit and authorize the subscribe request, and run the field's
 * `subscribe` (credential check, caps, resume position) as graphql-js's `subscribe` would; only the mapping of
 * each event to a result, graphql-js's MapSourceToResponseEvent, runs once per group instead of once per
 * subscriber. A source that is not the event stores' (a test's iterable) is mapped per subscriber, as before.
 */
export function useGroupedSubscriptions(options: GroupedSubscriptionsOptions): Plugin {
  let logger: YogaLogger | undefined;
  const clock = new FlushClock(options.flushWindowMs ?? DEFAULT_FLUSH_WINDOW_MS);
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
    return new GroupedStream(groups.join(args, source.scope), source, request, clock);
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
