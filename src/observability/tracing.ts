/**
 * Tracing with the OpenTelemetry SDK, assembled by hand (no `sdk-node`): one `TracerProvider` with the sampler
 * the `OTEL_*` variables name, a batch processor exporting OTLP/HTTP JSON, W3C trace context (and optionally
 * baggage) propagation. Nothing is registered globally, not even a context manager: the gateway's plugin and
 * upstream instrumentation take the tracer they are given and pass each span's parent explicitly, through the
 * request's record (`request-record.ts`, `request-spans.ts`).
 *
 * A collector that is down never reaches a request: spans wait in the batch processor's bounded queue (new
 * ones dropped while it is full) and are exported in the background; failed exports are logged at most once a
 * minute, with how many failed since the last line.
 */

import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from './logger.ts';

/** `OTEL_TRACES_SAMPLER`'s values the gateway accepts. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** `OTEL_PROPAGATORS`' values the gateway accepts (`none` is the empty list). */
export const PROPAGATORS = ['tracecontext', 'baggage'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

/** Tracing as the `OTEL_*` variables describe it (`config.ts` reads and checks them). */
export interface TracingConfig {
  /** Where spans are POSTed: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  endpoint: string;
  /** `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`, decoded; never logged. */
  headers: Record<string, string>;
  /** `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`: the longest one export may take, in milliseconds. */
  timeoutMs: number;
  /** `OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`, else the package name. */
  serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, decoded. */
  resourceAttributes: Record<string, string>;
  /** `OTEL_TRACES_SAMPLER`. */
  sampler: SamplerName;
  /** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers, from 0 to 1. */
  samplerRatio: number;
  /** `OTEL_PROPAGATORS`. */
  propagators: PropagatorName[];
  /**
   * `TRUST_INCOMING_TRACE_CONTEXT`: whether a caller's `traceparent` is continued (its trace parents the request,
   * and with a `parentbased_*` sampler its sampled flag decides); `false`, each request starts its own trace, linked
   * to the caller's, and the sampler alone decides. @default true
   */
  trustIncoming: boolean;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Reads an incoming `traceparent` and writes the one sent to GitLab. */
  readonly propagator: TextMapPropagator;
  /** Whether an incoming `traceparent` parents the request and decides its sampling (`TRUST_INCOMING_TRACE_CONTEXT`). */
  readonly trustIncoming: boolean;
  /** Exports what was recorded, within a few seconds even when the collector is down, and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The gateway's version, for `service.version`. */
  version: string;
  /** Where failed exports are reported. @default none */
  logger?: Logger | undefined;
  /**
   * Export to this instead of OTLP, one span at a time as each ends (tests read an `InMemorySpanExporter`).
   * @default an OTLP/HTTP JSON exporter behind a batch processor
   */
  exporter?: SpanExporter | undefined;
}

/** How long shutdown waits for the last spans to be exported: a collector that is down is not waited for. */
const SHUTDOWN_FLUSH_MS = 3_000;
/** At most one line about failed exports this often. */
const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;
const TRACER_NAME = 'gitlab-system-hooks-gateway';

export function createTracing(config: TracingConfig, options: TracingOptions): Tracing {
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({
        exporter: reportingExporter(
          new OTLPTraceExporter({
            url: config.endpoint,
            headers: config.headers,
            timeoutMillis: config.timeoutMs,
          }),
          new URL(config.endpoint).host,
          options.logger,
        ),
        exportTimeoutMillis: config.timeoutMs,
      });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    sampler: samplerOf(config),
    spanProcessors: [processor],
  });
  let stopping: Promise<void> | undefined;
  return {
    tracer: provider.getTracer(TRACER_NAME, options.version),
    propagator: propagatorOf(config.propagators),
    trustIncoming: config.trustIncoming,
    shutdown() {
      stopping ??= Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref()),
      ]);
      return stopping;
    },
  };
}

function samplerOf({ sampler, samplerRatio }: TracingConfig): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplerRatio) });
  }
}

function propagatorOf(names: readonly PropagatorName[]): TextMapPropagator {
  const propagators = names.map((name) =>
    name === 'baggage' ? new W3CBaggagePropagator() : new W3CTraceContextPropagator(),
  );
  return new CompositePropagator({ propagators });
}

/**
 * `inner` with its failures logged: the first at once, then at most one line a minute counting the failures in
 * between, and one line when exports succeed again. The reason is the error's message, cut short; the
 * exporter's headers (which may hold an API key) are never in it. `collector` names the collector (its host).
 */
export function reportingExporter(
  inner: SpanExporter,
  collector: string,
  logger: Logger | undefined,
): SpanExporter {
  return new ReportingExporter(inner, collector, logger);
}

class ReportingExporter implements SpanExporter {
  /** Failures since the last line about them. */
  private failures = 0;
  private lastLoggedAt = Number.NEGATIVE_INFINITY;
  /** Whether the last line said that exports fail. */
  private failing = false;

  constructor(
    private readonly inner: SpanExporter,
    private readonly collector: string,
    private readonly logger: Logger | undefined,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.succeeded();
      else this.failed(result.error, spans.length);
      done(result);
    });
  }

  private failed(error: Error | undefined, spans: number): void {
    this.failures += 1;
    const now = performance.now();
    if (now - this.lastLoggedAt < EXPORT_FAILURE_LOG_INTERVAL_MS) return;
    this.lastLoggedAt = now;
    this.failing = true;
    this.logger?.warn(
      {
        collector: this.collector,
        reason: (error?.message ?? 'unknown').slice(0, 200),
        failed_exports: this.failures,
        spans_dropped: spans,
      },
      'Trace export failed; spans are dropped while the collector cannot be reached',
    );
    this.failures = 0;
  }

  private succeeded(): void {
    if (!this.failing) return;
    // The interval still runs from the last failure line: a collector that comes and goes logs at most two
    // lines a minute.
    this.failing = false;
    this.failures = 0;
    this.logger?.info({ collector: this.collector }, 'Trace export works again');
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
