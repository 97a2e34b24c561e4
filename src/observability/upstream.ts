/**
 * The upstream client's instrumentation: what each GitLab call and attempt becomes in metrics, spans and logs.
 *
 * - Metrics: one `http_client_request_duration_seconds` observation per attempt, one
 *   `gateway_upstream_call_duration_seconds` per logical call, `gateway_upstream_retries_total` per retry, the
 *   breaker's openings and its state at scrape.
 * - Spans, inside a traced request only: `GitLab GET /hooks/:hook_id` per logical call (retries and breaker
 *   refusals as events) and one CLIENT span per attempt, `GET /api/v4/hooks/:hook_id`, whose context goes to
 *   GitLab in `traceparent`.
 * - Logs: each attempt at `debug` with GitLab's correlation id; breaker changes at `warn`.
 *
 * Labels and span names are the route's template, worked out once per route: never the raw path.
 */

import {
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { CircuitState } from '../upstream/circuit-breaker.ts';
import { UpstreamError } from '../upstream/errors.ts';
import type {
  AttemptObserver,
  CallObserver,
  InstrumentedClient,
  ObservedCall,
  UpstreamInstrumentation,
} from '../upstream/instrumentation.ts';
import { firstHeader, type ResponseHeaders } from '../upstream/json.ts';
import type { CallOptions } from '../upstream/types.ts';
import { attemptErrorType, callOutcome, retryReason } from './labels.ts';
import { traceFields } from './logger.ts';
import { entryOf } from './metrics.ts';
import { REQUEST_ID_HEADER, wellFormedRequestId } from './request-id.ts';
import {
  ATTR_CIRCUIT_STATE,
  ATTR_GITLAB_CORRELATION_ID,
  ATTR_UPSTREAM_ATTEMPTS,
  ATTR_UPSTREAM_OUTCOME,
  ATTR_URL_TEMPLATE,
} from './semconv.ts';
import type { Telemetry } from './telemetry.ts';

/** The instrumentation `telemetry` calls for, or `undefined` when it reports nothing (the client then does no work for it). */
export function createUpstreamInstrumentation(telemetry: Telemetry): UpstreamInstrumentation | undefined {
  const { logger, metrics, tracing } = telemetry;
  return logger || metrics || tracing ? new UpstreamReporter(telemetry) : undefined;
}

type CallLabels = Record<'http_request_method' | 'url_template' | 'outcome', string>;
type AttemptLabels = Record<
  'http_request_method' | 'url_template' | 'http_response_status_code' | 'error_type' | 'server_address',
  string
>;

/** What is the same for every call of one route: its names and its label objects, made once each. */
class RouteReport {
  readonly method: string;
  /** `/api/v4/hooks/:hook_id` */
  readonly template: string;
  /** The logical call's span: `GitLab GET /hooks/:hook_id`. */
  readonly callSpanName: string;
  /** Each attempt's span: `GET /api/v4/hooks/:hook_id`. */
  readonly attemptSpanName: string;
  private readonly attemptLabels = new Map<number | string, AttemptLabels>();
  private readonly callLabels = new Map<string, CallLabels>();
  private readonly retryLabels = new Map<string, Record<string, string>>();

  constructor(
    readonly route: string,
    method: string,
    pathPrefix: string,
    private readonly serverAddress: string,
  ) {
    this.method = method;
    this.template = `${pathPrefix}${route.slice(route.indexOf(' ') + 1)}`;
    this.callSpanName = `GitLab ${route}`;
    this.attemptSpanName = `${method} ${this.template}`;
  }

  /** By the status GitLab answered, or by the error type of an attempt that got no answer. */
  attempt(status: number | undefined, errorType: string): AttemptLabels {
    const key = status ?? errorType;
    return (
      this.attemptLabels.get(key) ??
      entryOf(this.attemptLabels, key, () => ({
        http_request_method: this.method,
        url_template: this.template,
        http_response_status_code: status === undefined ? '' : String(status),
        error_type: status === undefined ? errorType : '',
        server_address: this.serverAddress,
      }))
    );
  }

  call(outcome: string): CallLabels {
    return (
      this.callLabels.get(outcome) ??
      entryOf(this.callLabels, outcome, () => ({
        http_request_method: this.method,
        url_template: this.template,
        outcome,
      }))
    );
  }

  retry(reason: string): Record<string, string> {
    return (
      this.retryLabels.get(reason) ??
      entryOf(this.retryLabels, reason, () => ({ url_template: this.template, reason }))
    );
  }
}

class UpstreamReporter implements UpstreamInstrumentation {
  private origin = '';
  private serverAddress = '';
  private serverPort = 0;
  private pathPrefix = '/api/v4';
  private circuitState: (() => CircuitState) | undefined;
  private readonly routes = new Map<string, RouteReport>();

  constructor(readonly telemetry: Telemetry) {}

  attach(client: InstrumentedClient): void {
    this.origin = client.origin.origin;
    this.serverAddress = client.origin.hostname;
    this.serverPort = Number(client.origin.port) || (client.origin.protocol === 'https:' ? 443 : 80);
    this.pathPrefix = client.pathPrefix;
    this.circuitState = client.circuitState;
    if (client.circuitState) this.telemetry.metrics?.watchCircuit(this.serverAddress, client.circuitState);
  }

  circuitChanged(state: CircuitState): void {
    const { metrics, logger } = this.telemetry;
    const fields = { server_address: this.serverAddress, circuit_state: state };
    if (state === 'open') {
      metrics?.circuitOpened.inc({ server_address: this.serverAddress });
      logger?.warn(fields, 'GitLab circuit breaker open: calls to GitLab fail fast until a probe succeeds');
    } else if (state === 'closed') {
      logger?.warn(fields, 'GitLab circuit breaker closed: GitLab answers again');
    } else {
      logger?.info(fields, 'GitLab circuit breaker half-open: one call goes through as a probe');
    }
  }

  startCall(call: ObservedCall, options: CallOptions): CallObserver {
    const route =
      this.routes.get(call.route) ??
      entryOf(
        this.routes,
        call.route,
        () => new RouteReport(call.route, call.method, this.pathPrefix, this.serverAddress),
      );
    return new ObservedGitLabCall(
      this,
      route,
      call.path,
      options.headers?.[REQUEST_ID_HEADER],
      options.tally?.traceParent as Context | undefined,
    );
  }

  /** The attributes every attempt span starts with. */
  attemptAttributes(route: RouteReport, path: string, attempt: number) {
    return {
      [ATTR_HTTP_REQUEST_METHOD]: route.method,
      [ATTR_SERVER_ADDRESS]: this.serverAddress,
      [ATTR_SERVER_PORT]: this.serverPort,
      [ATTR_URL_FULL]: `${this.origin}${this.pathPrefix}${path}`,
      [ATTR_URL_TEMPLATE]: route.template,
      ...(attempt > 0 && { [ATTR_HTTP_REQUEST_RESEND_COUNT]: attempt }),
    };
  }

  currentCircuitState(): CircuitState | undefined {
    return this.circuitState?.();
  }
}

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The trace context headers (`traceparent`, and `baggage` when on) that tell GitLab which trace a call is in. */
function propagationHeaders(propagator: TextMapPropagator, context: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(context, headers, headerSetter);
  return headers;
}

/**
 * One logical call and, in turn, each of its attempts (they never overlap): one object per call, whatever the
 * number of attempts.
 */
class ObservedGitLabCall implements CallObserver, AttemptObserver {
  headers: Record<string, string> | undefined = undefined;
  /** The current attempt, 0 for the first; -1 before any. */
  private attempt = -1;
  private attemptStarted = 0;
  private respondedAt = 0;
  private status: number | undefined = undefined;
  private correlationId: string | undefined = undefined;
  private readonly span: Span | undefined;
  /** The call's span in a context, the parent of its attempts' spans. */
  private readonly spanContext: Context | undefined;
  private attemptSpan: Span | undefined = undefined;

  constructor(
    private readonly reporter: UpstreamReporter,
    private readonly route: RouteReport,
    private readonly path: string,
    private readonly requestId: string | undefined,
    parent: Context | undefined,
  ) {
    const tracer = reporter.telemetry.tracing?.tracer;
    // Only inside a traced request: a call outside one (a readiness probe) would start a trace of its own. Inside
    // one the sampler left out, no span is made, and the attempts carry the request's context.
    const parentSpan = parent && trace.getSpan(parent);
    if (parentSpan && !parentSpan.isRecording()) this.spanContext = parent;
    else if (tracer && parent && parentSpan) {
      this.span = tracer.startSpan(
        route.callSpanName,
        {
          kind: SpanKind.INTERNAL,
          attributes: { [ATTR_HTTP_REQUEST_METHOD]: route.method, [ATTR_URL_TEMPLATE]: route.template },
        },
        parent,
      );
      this.spanContext = trace.setSpan(parent, this.span);
    }
  }

  startAttempt(attempt: number): AttemptObserver {
    this.attempt = attempt;
    this.attemptStarted = performance.now();
    this.respondedAt = 0;
    this.status = undefined;
    this.correlationId = undefined;
    const tracing = this.reporter.telemetry.tracing;
    const parent = this.spanContext;
    if (parent && tracing && this.span === undefined) {
      this.headers = propagationHeaders(tracing.propagator, parent);
    } else if (parent && tracing) {
      this.attemptSpan = tracing.tracer.startSpan(
        this.route.attemptSpanName,
        {
          kind: SpanKind.CLIENT,
          attributes: this.reporter.attemptAttributes(this.route, this.path, attempt),
        },
        parent,
      );
      this.headers = propagationHeaders(tracing.propagator, trace.setSpan(parent, this.attemptSpan));
    }
    return this;
  }

  responded(status: number, headers: ResponseHeaders): void {
    this.status = status;
    this.respondedAt = performance.now();
    this.correlationId = wellFormedRequestId(firstHeader(headers[REQUEST_ID_HEADER]));
    const span = this.attemptSpan;
    if (!span) return;
    // The attempt's span ends with the response headers, as the conventions ask; the body is the call's.
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (this.correlationId) span.setAttribute(ATTR_GITLAB_CORRELATION_ID, this.correlationId);
    if (status >= 400) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    this.attemptSpan = undefined;
  }

  finish(error: unknown): void {
    const ended = this.respondedAt || performance.now();
    const errorType = error === undefined ? '' : attemptErrorType(error);
    const { metrics, logger } = this.reporter.telemetry;
    metrics?.clientRequestDuration.observe(
      this.route.attempt(this.status, errorType),
      (ended - this.attemptStarted) / 1000,
    );
    const span = this.attemptSpan;
    if (span) {
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      this.attemptSpan = undefined;
    }
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        {
          // The call's span; in a request the sampler left out, the request's.
          ...traceFields(this.span ?? (this.spanContext && trace.getSpan(this.spanContext))),
          request_id: this.requestId,
          route: this.route.route,
          attempt: this.attempt,
          status: this.status,
          error_type: this.status === undefined ? errorType || undefined : undefined,
          duration_ms: roundMs(ended - this.attemptStarted),
          gitlab_correlation_id: this.correlationId,
        },
        'GitLab attempt',
      );
    }
  }

  circuitOpen(): void {
    this.span?.addEvent('circuit_open');
  }

  retrying(error: unknown, delayMs: number): void {
    const reason = retryReason(error);
    this.reporter.telemetry.metrics?.upstreamRetries.inc(this.route.retry(reason));
    this.span?.addEvent('retry', { attempt: this.attempt + 1, delay_ms: Math.round(delayMs), reason });
  }

  end(error: unknown, durationMs: number): void {
    const outcome = error instanceof UpstreamError && error.circuitOpen ? 'circuit_open' : callOutcome(error);
    this.reporter.telemetry.metrics?.upstreamCallDuration.observe(
      this.route.call(outcome),
      durationMs / 1000,
    );
    const span = this.span;
    if (!span) return;
    span.setAttribute(ATTR_UPSTREAM_ATTEMPTS, this.attempt + 1);
    span.setAttribute(ATTR_UPSTREAM_OUTCOME, outcome);
    const circuit = this.reporter.currentCircuitState();
    if (circuit) span.setAttribute(ATTR_CIRCUIT_STATE, circuit);
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }
}

/** Milliseconds to the microsecond, for log lines. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
