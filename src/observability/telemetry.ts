import type { Logger } from './logger.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';

/**
 * What a gateway reports through, each part optional: without a logger nothing is logged, without metrics
 * nothing is counted, without tracing no span is made (and no trace context is kept per request). Request ids
 * are always on.
 */
export interface Telemetry {
  /** Access lines, GitLab attempts (debug), breaker changes (warn), unexpected errors. @default none */
  logger?: Logger | undefined;
  /** `DEBUG=1`: graphql-yoga's own debug lines are written at `debug` rather than `trace`. @default false */
  yogaDebug?: boolean | undefined;
  /** The Prometheus families (`METRICS=true`). @default none */
  metrics?: GatewayMetrics | undefined;
  /** Spans, exported over OTLP (`OTEL_EXPORTER_OTLP_*`). @default none */
  tracing?: Tracing | undefined;
}
