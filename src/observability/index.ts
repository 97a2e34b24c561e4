/**
 * The gateway's logs, metrics and traces, made from its configuration. `createConfiguredGateway` builds one
 * `ConfiguredTelemetry` and hands its parts to the upstream client and the gateway; the entry point serves
 * `registry` on the metrics listener and calls `close()` last, which exports the spans still queued.
 */

import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { UpstreamInstrumentation } from '../upstream/instrumentation.ts';
import type { LogFormat, Logger, LogLevel } from './logger.ts';
import { createGatewayMetrics } from './metrics.ts';
import type { Telemetry } from './telemetry.ts';
import { createTracing, type TracingConfig } from './tracing.ts';
import { createUpstreamInstrumentation } from './upstream.ts';

/** Logs, metrics and traces, as `loadConfig` reads them from the environment. */
export interface ObservabilityConfig {
  /** `LOG_LEVEL`. @default 'info', or 'debug' with `DEBUG=1` */
  logLevel: LogLevel;
  /** `LOG_FORMAT`. @default undefined: text when standard output is a terminal, JSON lines otherwise */
  logFormat?: LogFormat | undefined;
  /** `DEBUG=1`: graphql-yoga's own debug lines are logged at `debug` (else at `trace`). @default false */
  yogaDebug: boolean;
  /**
   * `METRICS=true`: where the metrics listener serves `/metrics` (`METRICS_HOST`, default `127.0.0.1`;
   * `METRICS_PORT`, default 9464). @default undefined: no metrics
   */
  metrics: { host: string; port: number } | undefined;
  /** Tracing from the standard `OTEL_*` variables; on when an OTLP endpoint is set. @default undefined: off */
  tracing: TracingConfig | undefined;
}

export type { Telemetry } from './telemetry.ts';

/** The gateway's version, from package.json, for `gateway_build_info` and `service.version`. */
export const GATEWAY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface ConfiguredTelemetry extends Telemetry {
  /** For the upstream client. */
  upstream: UpstreamInstrumentation | undefined;
  /** What the metrics listener serves; undefined without `METRICS=true`. */
  registry: Registry | undefined;
  /** Exports the spans recorded so far (a few seconds at most) and stops exporting. */
  close(): Promise<void>;
}

export interface TelemetryOptions {
  /** Where logs go. @default none: nothing is logged */
  logger?: Logger | undefined;
  /** `UPSTREAM_TIMEOUT_MS`, for the top bucket of the duration histograms. */
  upstreamTimeoutMs?: number | undefined;
}

export function createTelemetry(
  config: ObservabilityConfig,
  options: TelemetryOptions = {},
): ConfiguredTelemetry {
  const { logger } = options;
  const metrics = config.metrics
    ? createGatewayMetrics({ version: GATEWAY_VERSION, upstreamTimeoutMs: options.upstreamTimeoutMs })
    : undefined;
  const tracing = config.tracing
    ? createTracing(config.tracing, { version: GATEWAY_VERSION, logger })
    : undefined;
  const telemetry: Telemetry = { logger, metrics, tracing, yogaDebug: config.yogaDebug };
  return {
    ...telemetry,
    upstream: createUpstreamInstrumentation(telemetry),
    registry: metrics?.registry,
    close: async () => {
      await tracing?.shutdown();
    },
  };
}
