/**
 * What every incoming request leaves behind: its `x-request-id` (made by the gateway, echoed, and logged beside the
 * client's own),
 * one `http_server_request_duration_seconds` observation, its GraphQL errors by code, one access line, and with
 * tracing its spans: `POST /graphql` (SERVER, continuing an incoming `traceparent`, or only linked to it when
 * `TRUST_INCOMING_TRACE_CONTEXT=false`), the operation (`query`,
 * `mutation`, `subscription`), and `graphql.parse`, `graphql.validate`, `graphql.execute`, `graphql.subscribe`.
 *
 * The request's record starts in Yoga's `request` instrumentation, which wraps every request before any plugin
 * (Yoga's own health check, CORS and GraphiQL answer before the gateway's plugins see a request), and ends in
 * `onResponse`, which sees every response.
 *
 * Spans find their parents through the record, never through an ambient context: OpenTelemetry's
 * AsyncLocalStorage context manager runs a hook on every promise of every request, traced or not
 * (docs/performance.md). The record holds the context the request's GitLab calls start their spans in, and the
 * upstream instrumentation reads it from the call's `tally`, which is this record.
 */

import {
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { type ExecutionArgs, type ExecutionResult, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin, type YogaServerOptions } from 'graphql-yoga';
import { systemHookEventInfo } from '../events/catalogue.ts';
import type { RequestScope } from '../graphql/context.ts';
import { type GatewayErrorCode, isExpectedFailure } from '../graphql/errors.ts';
import type { SystemHookReceiverOptions } from '../http/receiver.ts';
import { isProbe } from '../http/routes.ts';
import { errorCodeLabel, methodLabel, type RouteLabel, routeOf } from './labels.ts';
import { describeError, type Logger, traceFields } from './logger.ts';
import { REQUEST_ID_HEADER, requestIdsOf } from './request-id.ts';
import {
  ATTR_CLIENT_REQUEST_ID,
  ATTR_GRAPHQL_ERROR_CODES,
  ATTR_GRAPHQL_ERROR_COUNT,
  ATTR_GRAPHQL_OPERATION_NAME,
  ATTR_GRAPHQL_OPERATION_TYPE,
  ATTR_REQUEST_ID,
  ATTR_WEBHOOK_EVENT_NAME,
  ATTR_WEBHOOK_OUTCOME,
} from './semconv.ts';
import type { Telemetry } from './telemetry.ts';
import { roundMs } from './upstream.ts';

/** The longest operation name an access line carries; the name is the client's, and may be anything. */
const MAX_OPERATION_NAME_LENGTH = 100;

/** One request while it is served. */
class RequestRecord implements RequestScope {
  upstreamCalls = 0;
  upstreamMs = 0;
  operationType: string | undefined = undefined;
  operationName: string | undefined = undefined;
  errorCodes: GatewayErrorCode[] | undefined = undefined;
  /** The SERVER span, and the operation's span once the operation has begun. */
  span: Span | undefined = undefined;
  operationSpan: Span | undefined = undefined;
  /** The context of the running phase (`graphql.execute`, `graphql.subscribe`): the parent of GitLab calls. */
  traceParent: Context | undefined = undefined;

  readonly requestId: string;
  readonly clientRequestId: string | undefined;

  constructor(
    headers: Headers,
    readonly started: number,
    readonly method: string,
    readonly route: RouteLabel,
  ) {
    ({ requestId: this.requestId, clientRequestId: this.clientRequestId } = requestIdsOf(headers));
  }

  addErrorCode(code: GatewayErrorCode): void {
    this.errorCodes ??= [];
    if (!this.errorCodes.includes(code)) this.errorCodes.push(code);
  }
}

type YogaLogging = YogaServerOptions<object, object>['logging'];
type LogMethod = (...args: unknown[]) => void;

export interface RequestTelemetry {
  /** The Yoga plugin; first in the gateway's list, so that its hooks see the request before the others. */
  readonly plugin: Plugin;
  /** The request's scope, for the context (undefined for a request the plugin did not see: WebSocket). */
  scopeOf(request: Request): RequestScope | undefined;
  /** Yoga's `logging` option: Yoga's own lines through the gateway's logger, when there is one. */
  yogaLogging(logging: boolean): YogaLogging;
  /** The receiver's counting hooks, when anything counts. */
  readonly receiverHooks: Pick<SystemHookReceiverOptions, 'onRefused' | 'onAccepted'> | undefined;
}

const headersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

export function createRequestTelemetry(telemetry: Telemetry): RequestTelemetry {
  const { logger, metrics, tracing } = telemetry;
  const records = new WeakMap<Request, RequestRecord>();
  /** The request each error of a result came from, for Yoga's lines about the errors it masks. */
  const failedIn = new WeakMap<object, RequestRecord>();

  const begin = (request: Request): RequestRecord => {
    const record = new RequestRecord(
      request.headers,
      performance.now(),
      methodLabel(request.method),
      routeOf(request.url),
    );
    records.set(request, record);
    return record;
  };

  const finish = (record: RequestRecord, response: Response) => {
    response.headers.set(REQUEST_ID_HEADER, record.requestId);
    const durationMs = performance.now() - record.started;
    const status = response.status;
    metrics?.serverRequest(record.method, record.route, status, durationMs / 1000);
    if (logger) logAccess(logger, record, status, durationMs);
    if (record.span) endServerSpan(record.span, record, status);
  };

  const spans = tracing && createSpanHooks(telemetry, begin, records);

  // Before Yoga masks them (its plugin comes after this one), each error of a result is tied to its request: Yoga
  // logs the errors it masks without one, and its log line finds the request here. One handler serves every
  // execution.
  const tieErrors = logger && {
    onExecuteDone({
      args,
      result,
    }: {
      args: ExecutionArgs;
      result: ExecutionResult | AsyncIterable<unknown>;
    }) {
      if (isAsyncIterable(result) || result.errors === undefined) return;
      const record = recordOf(records, args.contextValue as object | undefined);
      if (record) for (const error of result.errors) failedIn.set(error, record);
    },
  };

  // Hooks are registered only for what reads them: without a logger, metrics or tracing, a request costs its id,
  // two clock reads and a WeakMap entry.
  const noteOperations = logger !== undefined || spans !== undefined;
  const countsErrors = logger !== undefined || metrics !== undefined;
  const plugin: Plugin = {
    instrumentation: spans?.instrumentation ?? {
      request({ request }, wrapped) {
        begin(request);
        return wrapped();
      },
    },
    onResponse({ request, response }) {
      const record = records.get(request);
      if (record) finish(record, response);
    },
    ...(noteOperations && {
      onExecute({ args }) {
        noteOperation(records, args);
        return tieErrors;
      },
      onSubscribe({ args }) {
        noteOperation(records, args);
      },
    }),
    onExecutionResult: spans?.onExecutionResult,
    ...(countsErrors && {
      onResultProcess({ request, result }) {
        if (isAsyncIterable(result)) return;
        const record = records.get(request);
        if (!Array.isArray(result)) countErrors(result, record);
        else for (const single of result) countErrors(single, record);
      },
    }),
  };

  /** The errors of one result, by code: in the metric and on the request's record. */
  const countErrors = (result: ExecutionResult, record: RequestRecord | undefined) => {
    if (result.errors === undefined) return;
    for (const error of result.errors) {
      const code = errorCodeLabel(error.extensions?.code);
      metrics?.graphqlError(code);
      record?.addErrorCode(code);
    }
  };

  return {
    plugin,
    // A GraphQL-over-WebSocket operation has no HTTP request of its own, so no record: with tracing it gets one
    // that is never logged, for its spans to find their parent in.
    scopeOf: (request) => records.get(request) ?? (spans ? detachedRecord(records, request) : undefined),
    yogaLogging: (logging) =>
      logging && logger
        ? yogaLogger(logger, telemetry.yogaDebug ? 'debug' : 'trace', (error) => {
            const record = typeof error === 'object' && error !== null ? failedIn.get(error) : undefined;
            return record && { ...traceFields(record.span), request_id: record.requestId };
          })
        : logging,
    receiverHooks: metrics || tracing ? receiverHooks(telemetry, records) : undefined,
  };
}

type PhaseName = 'graphql.parse' | 'graphql.validate' | 'graphql.execute' | 'graphql.subscribe';

/** The record of the request an operation belongs to. */
function recordOf(
  records: WeakMap<Request, RequestRecord>,
  graphqlContext: object | undefined,
): RequestRecord | undefined {
  const request = (graphqlContext as { request?: Request } | undefined)?.request;
  return request && records.get(request);
}

/** A record for a request the `request` instrumentation did not see (WebSocket): spans only, never logged. */
function detachedRecord(records: WeakMap<Request, RequestRecord>, request: Request): RequestRecord {
  const record = new RequestRecord(request.headers, performance.now(), 'GET', 'other');
  records.set(request, record);
  return record;
}

/** The operation of a request, for its access line and its span, as soon as it is known. */
function noteOperation(records: WeakMap<Request, RequestRecord>, args: ExecutionArgs): void {
  const record = recordOf(records, args.contextValue as object | undefined);
  const span = record?.operationSpan;
  if ((record === undefined || record.operationType !== undefined) && span === undefined) return;
  const operation = getOperationAST(args.document, args.operationName);
  const type = operation?.operation ?? 'unknown';
  const name = operation?.name?.value.slice(0, MAX_OPERATION_NAME_LENGTH);
  if (record && record.operationType === undefined) {
    record.operationType = type;
    record.operationName = name;
  }
  if (span) {
    // The semantic conventions name the span by type only: the name is the client's and unbounded.
    span.updateName(type);
    span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
    if (name !== undefined) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, name);
  }
}

function logAccess(logger: Logger, record: RequestRecord, status: number, durationMs: number): void {
  // Probes come every few seconds from every load balancer: their lines are for debugging only.
  const level = isProbe(record.route) ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    {
      ...traceFields(record.span),
      request_id: record.requestId,
      client_request_id: record.clientRequestId,
      method: record.method,
      route: record.route,
      status,
      duration_ms: roundMs(durationMs),
      operation_type: record.operationType,
      operation_name: record.operationName,
      error_codes: record.errorCodes,
      upstream_calls: record.upstreamCalls,
      upstream_ms: roundMs(record.upstreamMs),
    },
    'request',
  );
}

function endServerSpan(span: Span, record: RequestRecord, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (record.errorCodes) span.setAttribute(ATTR_GRAPHQL_ERROR_CODES, record.errorCodes);
  // A 4xx is the client's doing: a server span's status stays unset for it (semantic conventions).
  if (status >= 500) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Runs `run` and tells `done` how it ended, whether it returns a value or a promise, or throws. */
function settle<T>(run: () => T, done: (error: unknown) => void): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    done(error ?? new Error('undefined thrown'));
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        done(undefined);
        return value;
      },
      (error: unknown) => {
        done(error ?? new Error('undefined rejection'));
        throw error;
      },
    ) as T;
  }
  done(undefined);
  return result;
}

function endSpan(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    if (error instanceof Error) span.setAttribute(ATTR_ERROR_TYPE, error.name);
  }
  span.end();
}

const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/** The hooks that make a traced request's spans. */
function createSpanHooks(
  telemetry: Telemetry,
  begin: (request: Request) => RequestRecord,
  records: WeakMap<Request, RequestRecord>,
) {
  const { tracer, propagator, trustIncoming } = telemetry.tracing as NonNullable<Telemetry['tracing']>;

  /** The request's SERVER span, under the caller's trace when it sent one; none for probes. */
  const startServerSpan = (request: Request, record: RequestRecord): Span | undefined => {
    if (isProbe(record.route)) return undefined;
    const incoming = propagator.extract(ROOT_CONTEXT, request.headers, headersGetter);
    // Untrusted, the caller's trace neither parents the request nor decides its sampling (its sampled flag would
    // force every request of its own to be traced): the request starts a trace of its own, linked to the caller's.
    const callers = trustIncoming ? undefined : trace.getSpanContext(incoming);
    const parent = trustIncoming ? incoming : ROOT_CONTEXT;
    const known = record.route !== 'other';
    // The attributes are set once the sampler has kept the span (none of the samplers reads them): a request
    // left out costs no attribute object.
    const span = tracer.startSpan(
      known ? `${record.method} ${record.route}` : record.method,
      callers && isSpanContextValid(callers)
        ? { kind: SpanKind.SERVER, links: [{ context: callers }] }
        : SERVER_SPAN,
      parent,
    );
    if (span.isRecording()) {
      span.setAttributes({
        [ATTR_HTTP_REQUEST_METHOD]: record.method,
        [ATTR_URL_SCHEME]: request.url.startsWith('https:') ? 'https' : 'http',
        [ATTR_REQUEST_ID]: record.requestId,
        ...(record.clientRequestId !== undefined && { [ATTR_CLIENT_REQUEST_ID]: record.clientRequestId }),
        // The route is the path of a known route; another path is the client's, and stays out.
        ...(known && { [ATTR_HTTP_ROUTE]: record.route, [ATTR_URL_PATH]: record.route }),
        ...userAgent(request.headers),
      });
    }
    record.span = span;
    return span;
  };

  /**
   * A phase's span under the operation's, or a root span over WebSocket, where there is no request span. Parse
   * and validate are synchronous and parent nothing: they have a span only inside a traced request's operation.
   * Execute and subscribe parent the GitLab calls made while they run.
   */
  const phase = <T>(name: PhaseName, graphqlContext: object, run: () => T): T => {
    const record = recordOf(records, graphqlContext);
    // A request the sampler left out makes no span below its own: its GitLab calls carry its context.
    if (record?.span && !record.span.isRecording()) return run();
    const operation = record?.operationSpan;
    const parentsCalls = name === 'graphql.execute' || name === 'graphql.subscribe';
    if (!operation && !parentsCalls) return run();
    const span = tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL },
      operation ? trace.setSpan(ROOT_CONTEXT, operation) : ROOT_CONTEXT,
    );
    if (record && parentsCalls) record.traceParent = trace.setSpan(ROOT_CONTEXT, span);
    return settle(run, (error) => endSpan(span, error));
  };

  const instrumentation: NonNullable<Plugin['instrumentation']> = {
    request({ request }, wrapped) {
      const record = begin(request);
      const span = startServerSpan(request, record);
      // A span the sampler left out needs no ending on failure: nothing of it is kept.
      if (span === undefined || !span.isRecording()) return wrapped();
      return settle(wrapped, (error) => {
        // A response ends the span in `onResponse`; only a request that failed without one ends here.
        if (error !== undefined && record.span) endSpan(record.span, error);
      });
    },
    operation({ request }, wrapped) {
      const record = records.get(request);
      if (record?.span === undefined) return wrapped();
      if (!record.span.isRecording()) {
        // Not sampled: every span under it would be left out too (each sampler decides alike for a whole trace),
        // so none is made; GitLab is still told the trace and that it is not sampled.
        record.traceParent ??= trace.setSpan(ROOT_CONTEXT, record.span);
        return wrapped();
      }
      const span = tracer.startSpan(
        'GraphQL Operation',
        { kind: SpanKind.INTERNAL },
        trace.setSpan(ROOT_CONTEXT, record.span),
      );
      // One operation per request, or the operations of a batch one after the other as Yoga starts them: a
      // batch's phases find the operation that started last.
      record.operationSpan = span;
      return settle(wrapped, (error) => endSpan(span, error));
    },
    parse: ({ context }, wrapped) => phase('graphql.parse', context, wrapped),
    validate: ({ context }, wrapped) => phase('graphql.validate', context, wrapped),
    execute: ({ context }, wrapped) => phase('graphql.execute', context, wrapped),
    subscribe: ({ context }, wrapped) => phase('graphql.subscribe', context, wrapped),
  };

  /** The operation's errors, on its span. */
  const onExecutionResult: Plugin['onExecutionResult'] = ({ result, context }) => {
    const span = recordOf(records, context)?.operationSpan;
    if (!span || result === undefined || isAsyncIterable(result)) return;
    const errors = (result as ExecutionResult).errors;
    if (!errors?.length) return;
    span.setAttribute(ATTR_GRAPHQL_ERROR_COUNT, errors.length);
    span.setAttribute(ATTR_GRAPHQL_ERROR_CODES, [
      ...new Set(errors.map((error) => errorCodeLabel(error.extensions?.code))),
    ]);
    span.setStatus({ code: SpanStatusCode.ERROR });
  };

  return { instrumentation, onExecutionResult };
}

function userAgent(headers: Headers): Record<string, string> | undefined {
  const value = headers.get('user-agent');
  return value === null ? undefined : { [ATTR_USER_AGENT_ORIGINAL]: value.slice(0, 256) };
}

/** The receiver's outcomes, counted and put on the delivery's span. */
function receiverHooks(
  { metrics }: Telemetry,
  records: WeakMap<Request, RequestRecord>,
): Pick<SystemHookReceiverOptions, 'onRefused' | 'onAccepted'> {
  return {
    onRefused(reason, request) {
      metrics?.delivery(reason);
      records.get(request)?.span?.setAttribute(ATTR_WEBHOOK_OUTCOME, reason);
    },
    onAccepted(event, { duplicate }, request) {
      const outcome = duplicate ? 'duplicate' : 'accepted';
      metrics?.delivery(outcome);
      const span = records.get(request)?.span;
      if (!span) return;
      span.setAttribute(ATTR_WEBHOOK_OUTCOME, outcome);
      // The name is the payload's: only one of the catalogue's names is kept.
      span.setAttribute(
        ATTR_WEBHOOK_EVENT_NAME,
        systemHookEventInfo(event.eventName) ? event.eventName : 'unknown',
      );
    },
  };
}

/**
 * Yoga's own lines through the gateway's logger. Yoga logs every error it masks or that the gateway maps; an
 * expected failure (a GitLab call, the event store) is already in the request's access line as its code, so it
 * is a debug line here; anything else is an unexpected fault, logged at `error` with its stack. Yoga's debug
 * chatter goes to `debugLevel`: `trace`, unless `DEBUG=1` asked for it. `requestOf` finds the request id (and
 * trace) of an error that came out of an execution.
 */
function yogaLogger(
  logger: Logger,
  debugLevel: 'debug' | 'trace',
  requestOf: (error: unknown) => Record<string, string> | undefined,
): Record<'debug' | 'info' | 'warn' | 'error', LogMethod> {
  const yoga = logger.child({ component: 'graphql-yoga' });
  const text = (args: unknown[]) =>
    args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' ');
  const noop: LogMethod = () => {};
  return {
    debug: yoga.isLevelEnabled(debugLevel) ? (...args) => yoga[debugLevel](text(args)) : noop,
    info: (...args) => yoga.info(text(args)),
    warn: (...args) => yoga.warn(text(args)),
    error: (...args) => {
      const [error] = args;
      if (isExpectedFailure(error)) {
        if (yoga.isLevelEnabled('debug'))
          yoga.debug({ ...requestOf(error), error: describeError(error) }, 'Expected failure');
        return;
      }
      yoga.error(
        { ...requestOf(error), error: describeError(error) },
        'Unexpected error, masked as INTERNAL_SERVER_ERROR',
      );
    },
  };
}
