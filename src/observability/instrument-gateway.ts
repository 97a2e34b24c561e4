/**
 * The one place observability is wired into the gateway. The layers offer seams (Yoga's plugins and `logging`,
 * the context's request scope, the loader's `onBatch`, the subscriptions' observer, the receiver's outcome
 * hooks, the WebSocket server's watcher) and `instrumentGateway` fills every one from one `Telemetry`, around one
 * `RequestRecords`: the access log, the spans and the GraphQL metrics read each request's operation there. The
 * upstream client's seam is filled where the client is made (`createUpstreamInstrumentation`).
 *
 * An empty `Telemetry` still gives the request plugin: request ids are always kept or made, echoed and sent to
 * GitLab, whatever else is on.
 */

import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { SubscriptionObserver } from '../events/subscriptions.ts';
import type { RequestScope } from '../graphql/context.ts';
import type { HeaderReader } from '../http/request-headers.ts';
import type { Route } from '../http/routes.ts';
import type { GraphQLWebSocketOptions } from '../http/websocket.ts';
import { type ReceiverHooks, receiverHooks } from './receiver-telemetry.ts';
import { type RequestRecord, RequestRecords } from './request-record.ts';
import { createSpanHooks, startIncomingServerSpan } from './request-spans.ts';
import type { Telemetry } from './telemetry.ts';
import { useGraphQLMetrics } from './use-graphql-metrics.ts';
import { recordAnswer, useRequestTelemetry } from './use-request-telemetry.ts';
import { ErrorRequests, type YogaLogging, yogaLogger } from './yoga-logger.ts';

/** What GraphQL over WebSocket reports through: its errors, and its open sockets. */
export type WebSocketInstrumentation = Pick<GraphQLWebSocketOptions, 'logger' | 'watchConnections'>;

export interface GatewayInstrumentationOptions {
  /**
   * Whether operation names are a bounded set (trusted documents): only then are they a label of the GraphQL
   * metrics. @default false
   */
  namedOperations?: boolean | undefined;
}

export interface GatewayInstrumentation {
  /** Yoga plugins, first in the gateway's list so that they see each request before the others do. */
  readonly plugins: readonly Plugin[];
  /** The context factory's seams. */
  readonly context: {
    /** The request's scope: its id, sent to GitLab, and where its GitLab calls are counted. */
    requestScope: (request: Request) => RequestScope | undefined;
    /** The hook loader's options to merge: its batch sizes, with metrics. */
    loader: { onBatch?: (size: number) => void };
    /** Told when subscriptions start and end, with metrics. */
    subscriptions: SubscriptionObserver | undefined;
  };
  /** The receiver's outcome hooks, when anything reads them. */
  readonly receiver: ReceiverHooks | undefined;
  /** Yoga's `logging` option: Yoga's own lines through the gateway's logger, when there is one. */
  yogaLogging(logging: boolean): YogaLogging;
  /** For the WebSocket server the edge makes for this gateway. */
  readonly webSocket: WebSocketInstrumentation;
  /** For the routes the edge serves itself, without Yoga (the receiver): the same record, line, metric and span. */
  readonly edge: EdgeInstrumentation;
}

/** What a request the edge answers itself leaves, as `useRequestTelemetry` does for Yoga's. */
export interface EdgeInstrumentation {
  /** The record of a request on `route` that has just arrived: its ids, and with tracing its SERVER span. */
  open(request: IncomingMessage, headers: HeaderReader, route: Route): RequestRecord;
  /** Once it is answered with `status`: its duration in the metric, its access line, the end of its span. */
  close(record: RequestRecord, status: number): void;
}

/** What GraphQL over WebSocket reports through, from a gateway's telemetry. */
export function instrumentWebSocket({ logger, metrics }: Telemetry): WebSocketInstrumentation {
  return {
    logger,
    watchConnections: metrics && ((connections) => metrics.watchWebSockets(connections)),
  };
}

export function instrumentGateway(
  telemetry: Telemetry,
  options: GatewayInstrumentationOptions = {},
): GatewayInstrumentation {
  const { logger, metrics, tracing } = telemetry;
  const records = new RequestRecords();
  const spans = tracing && createSpanHooks(tracing, records);
  const errors = logger && new ErrorRequests(records);
  return {
    plugins: [
      useRequestTelemetry(telemetry, records, { spans, errors }),
      ...(metrics ? [useGraphQLMetrics(metrics, records, { namedOperations: options.namedOperations })] : []),
    ],
    context: {
      // A GraphQL-over-WebSocket operation has no HTTP request of its own, so no record: with tracing it gets one
      // that is never logged, for its spans to find their parent in.
      requestScope: (request) => records.of(request) ?? (spans ? records.detached(request) : undefined),
      loader: metrics ? { onBatch: metrics.loaderBatch } : {},
      subscriptions: metrics?.subscriptions,
    },
    receiver: metrics || tracing ? receiverHooks(telemetry, records) : undefined,
    yogaLogging: (logging) =>
      logging && logger && errors
        ? yogaLogger(logger, telemetry.yogaDebug ? 'debug' : 'trace', (error) => errors.fieldsOf(error))
        : logging,
    webSocket: instrumentWebSocket(telemetry),
    edge: {
      open(request, headers, route) {
        const record = records.openIncoming(request, headers, route);
        if (tracing) startIncomingServerSpan(tracing, request, record);
        return record;
      },
      close: (record, status) => recordAnswer(telemetry, record, status),
    },
  };
}
