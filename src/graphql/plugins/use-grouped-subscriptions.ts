import {
  createSourceEventStream,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
} from 'graphql';
import {
  createGraphQLError,
  isAsyncIterable,
  mapAsyncIterator,
  type Plugin,
  type YogaLogger,
} from 'graphql-yoga';
import { isScopedEventSubscription } from '../../events/subscriptions.ts';
import { FlushClock, GroupedStream } from '../grouped-stream.ts';
import { SSE_HEADERS, SseWriter } from '../sse-writer.ts';
import { type ResultErrorMask, SubscriptionGroups, sseTextOf } from '../subscription-groups.ts';

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

  // The SSE subscriptions whose response the gateway's own writer may take (`sse-writer.ts`), by request.
  const sseStreams = new WeakMap<Request, GroupedStream>();

  /**
   * The error that ended a stream, as Yoga's result would carry it: masked by envelop's masked-errors plugin with
   * Yoga's mask, which logs the fault when it changed it (Yoga's own SSE writer then finds it masked already).
   * What graphql-ws is given over WebSocket.
   */
  const streamError = (error: unknown): unknown => {
    const masked = options.maskError(error as GraphQLError);
    if (masked !== error) logger?.error(error);
    return masked;
  };

  /**
   * The frame's data for the error that ended a stream, as Yoga writes it: masked (`streamError`), without the
   * errors' internal extensions. An abort cuts the response, as Yoga's writer does.
   */
  const sseErrorText = (error: unknown): string | undefined => {
    if (isAbortError(error)) return undefined;
    const masked = streamError(error) as Error;
    const reported =
      masked instanceof GraphQLError ? masked : createGraphQLError(masked.message, { originalError: masked });
    return sseTextOf({ errors: [reported] }, (failed) => logger?.error(failed));
  };

  async function subscribe(args: ExecutionArgs) {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    if (!isScopedEventSubscription(source)) {
      return mapAsyncIterator(source, (event) => execute({ ...args, rootValue: event }));
    }
    const request = (args.contextValue as { request?: Request } | undefined)?.request;
    const group = groups.join(args, source.scope);
    const stream = new GroupedStream(group, source, request, clock, streamError);
    if (request !== undefined && !stream.writesToSocket) sseStreams.set(request, stream);
    return stream;
  }

  return {
    onYogaInit({ yoga }) {
      logger = yoga.logger;
    },
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe);
    },
    // After Yoga's own result processors (its plugins come first): when Yoga chose its SSE writer for a grouped
    // subscription served by the node edge, the gateway's writer serves the live phase instead.
    onResultProcess({ request, result, resultProcessor, serverContext, setResultProcessor }) {
      const stream = sseStreams.get(request);
      if (stream === undefined) return;
      sseStreams.delete(request);
      if (resultProcessor === undefined || !isAsyncIterable(result)) return;
      const node = serverContext as { req?: NodeRequest; res?: unknown } | undefined;
      if (!isNodeResponse(node?.res)) return;
      // whatwg-node read the body with a 'data' listener, and an 'error' listener holding the promise of its
      // chunks, that it leaves on the request once it has ended: they would hold the whole `Request` (and so its
      // context), and the body, for as long as the connection lasts. With no 'error' listener, Node does not
      // emit the error a request is destroyed with.
      if (node?.req?.readableEnded === true) node.req.removeAllListeners('data').removeAllListeners('error');
      const writer = new SseWriter(stream, sseErrorText);
      setResultProcessor(
        (_result, fetchAPI) =>
          new fetchAPI.Response(writer as unknown as BodyInit, { status: 200, headers: { ...SSE_HEADERS } }),
        'text/event-stream',
      );
    },
  };
}

/** What is used of the node edge's `serverContext.req` (an `IncomingMessage`). */
interface NodeRequest {
  readonly readableEnded?: boolean;
  removeAllListeners(event: 'data' | 'error'): NodeRequest;
}

/** A Node `ServerResponse` (the node edge's `serverContext.res`), not another adapter's context. */
function isNodeResponse(value: unknown): boolean {
  const candidate = value as { write?: unknown; once?: unknown; writeHead?: unknown } | undefined;
  return (
    typeof candidate?.write === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.writeHead === 'function'
  );
}

/** Yoga's test for an aborted request (`isAbortError`), whose stream it cuts rather than answers. */
function isAbortError(error: unknown): boolean {
  const candidate = error as { constructor?: { name?: string }; name?: string } | null;
  return (
    typeof error === 'object' &&
    candidate?.constructor?.name === 'DOMException' &&
    (candidate.name === 'AbortError' || candidate.name === 'TimeoutError')
  );
}
