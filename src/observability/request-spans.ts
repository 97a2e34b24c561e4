/**
 * A traced request's spans: `POST /graphql` (SERVER, continuing an incoming `traceparent`, or only linked to it
 * when `TRUST_INCOMING_TRACE_CONTEXT=false`), the operation (`query`, `mutation`, `subscription`), and
 * `graphql.parse`, `graphql.validate`, `graphql.execute`, `graphql.subscribe`.
 *
 * Spans find their parents through the request's record, never through an ambient context: OpenTelemetry's
 * AsyncLocalStorage context manager runs a hook on every promise of every request, traced or not
 * (docs/performance.md). The record holds the context the request's GitLab calls start their spans in, and the
 * upstream instrumentation reads it from the call's `tally`, which is this record.
 */

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import {
  defaultTextMapGetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
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
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { errorCodeLabel } from './labels.ts';
import {
  loggedOperationName,
  type OperationInfo,
  type RequestRecord,
  type RequestRecords,
} from './request-record.ts';
import {
  ATTR_CLIENT_REQUEST_ID,
  ATTR_GRAPHQL_ERROR_CODES,
  ATTR_GRAPHQL_ERROR_COUNT,
  ATTR_GRAPHQL_OPERATION_NAME,
  ATTR_GRAPHQL_OPERATION_TYPE,
  ATTR_REQUEST_ID,
} from './semconv.ts';
import type { Tracing } from './tracing.ts';

type PhaseName = 'graphql.parse' | 'graphql.validate' | 'graphql.execute' | 'graphql.subscribe';

const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

const headersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

/** Runs `run` and tells `onSettled` how it ended, whether it returns a value or a promise, or throws. */
function afterSettled<T>(run: () => T, onSettled: (error: unknown) => void): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    onSettled(error ?? new Error('undefined thrown'));
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        onSettled(undefined);
        return value;
      },
      (error: unknown) => {
        onSettled(error ?? new Error('undefined rejection'));
        throw error;
      },
    ) as T;
  }
  onSettled(undefined);
  return result;
}

function endSpan(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    if (error instanceof Error) span.setAttribute(ATTR_ERROR_TYPE, error.name);
  }
  span.end();
}

/** Ends a request's SERVER span with its response's status and the error codes of its GraphQL results. */
export function endServerSpan(span: Span, record: RequestRecord, status: number): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (record.errorCodes) span.setAttribute(ATTR_GRAPHQL_ERROR_CODES, record.errorCodes);
  // A 4xx is the client's doing: a server span's status stays unset for it (semantic conventions).
  if (status >= 500) {
    span.setAttribute(ATTR_ERROR_TYPE, String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** The operation's type and name on its span, once it is known; named by type only (the name is unbounded). */
export function nameOperationSpan(span: Span, operation: OperationInfo): void {
  span.updateName(operation.type);
  span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, operation.type);
  const name = loggedOperationName(operation);
  if (name !== undefined) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, name);
}

function userAgent(value: string | null | undefined): Record<string, string> | undefined {
  return value == null ? undefined : { [ATTR_USER_AGENT_ORIGINAL]: value.slice(0, 256) };
}

export interface SpanHooks {
  /** Yoga's instrumentation: opens each request's record, and makes its spans. */
  instrumentation: NonNullable<Plugin['instrumentation']>;
  /** The operation's errors, on its span. */
  onExecutionResult: NonNullable<Plugin['onExecutionResult']>;
}

/** What a SERVER span is made from: the request's headers (with their getter), its scheme and its user agent. */
interface IncomingRequest<Carrier> {
  carrier: Carrier;
  getter: TextMapGetter<Carrier>;
  scheme: 'http' | 'https';
  userAgent: string | null | undefined;
}

/** The request's SERVER span, under the caller's trace when it sent one; none for probes. */
function startServerSpan<Carrier>(
  tracing: Tracing,
  request: IncomingRequest<Carrier>,
  record: RequestRecord,
): Span | undefined {
  if (record.isProbe) return undefined;
  const { tracer, propagator, trustIncoming } = tracing;
  const incoming = propagator.extract(ROOT_CONTEXT, request.carrier, request.getter);
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
      [ATTR_URL_SCHEME]: request.scheme,
      [ATTR_REQUEST_ID]: record.requestId,
      ...(record.clientRequestId !== undefined && { [ATTR_CLIENT_REQUEST_ID]: record.clientRequestId }),
      // The route is the path of a known route; another path is the client's, and stays out.
      ...(known && { [ATTR_HTTP_ROUTE]: record.route, [ATTR_URL_PATH]: record.route }),
      ...userAgent(request.userAgent),
    });
  }
  record.span = span;
  return span;
}

/** The SERVER span of a `node:http` request the edge serves itself (plain HTTP: the edge has no TLS). */
export function startIncomingServerSpan(
  tracing: Tracing,
  request: IncomingMessage,
  record: RequestRecord,
): Span | undefined {
  const { headers } = request;
  const incoming: IncomingRequest<IncomingHttpHeaders> = {
    carrier: headers,
    getter: defaultTextMapGetter,
    scheme: 'http',
    userAgent: headers['user-agent'],
  };
  return startServerSpan(tracing, incoming, record);
}

/**
 * Runs a phase under its span: under the operation's, or a root span over WebSocket, where there is no request
 * span. Parse and validate are synchronous and parent nothing: they have a span only inside a traced request's
 * operation. Execute and subscribe parent the GitLab calls made while they run.
 */
function withPhaseSpan<T>(
  tracer: Tracer,
  record: RequestRecord | undefined,
  name: PhaseName,
  run: () => T,
): T {
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
  return afterSettled(run, (error) => endSpan(span, error));
}

/** The hooks that make a traced request's spans. */
export function createSpanHooks(tracing: Tracing, records: RequestRecords): SpanHooks {
  const { tracer } = tracing;
  const phase = <T>(name: PhaseName, graphqlContext: object, run: () => T): T =>
    withPhaseSpan(tracer, records.ofContext(graphqlContext), name, run);

  const instrumentation: SpanHooks['instrumentation'] = {
    request({ request }, wrapped) {
      const record = records.open(request);
      const span = startServerSpan(
        tracing,
        {
          carrier: request.headers,
          getter: headersGetter,
          scheme: request.url.startsWith('https:') ? 'https' : 'http',
          userAgent: request.headers.get('user-agent'),
        },
        record,
      );
      // A span the sampler left out needs no ending on failure: nothing of it is kept.
      if (span === undefined || !span.isRecording()) return wrapped();
      return afterSettled(wrapped, (error) => {
        // A response ends the span in `onResponse`; only a request that failed without one ends here.
        if (error !== undefined && record.span) endSpan(record.span, error);
      });
    },
    operation({ request }, wrapped) {
      const record = records.of(request);
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
      return afterSettled(wrapped, (error) => endSpan(span, error));
    },
    parse: ({ context }, wrapped) => phase('graphql.parse', context, wrapped),
    validate: ({ context }, wrapped) => phase('graphql.validate', context, wrapped),
    execute: ({ context }, wrapped) => phase('graphql.execute', context, wrapped),
    subscribe: ({ context }, wrapped) => phase('graphql.subscribe', context, wrapped),
  };

  const onExecutionResult: SpanHooks['onExecutionResult'] = ({ result, context }) => {
    const span = records.ofContext(context)?.operationSpan;
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
