/**
 * The gateway's logs, metrics and traces, made from its configuration. `createConfiguredGateway` builds one
 * `ConfiguredTelemetry` and hands its parts to the upstream client and the gateway; the entry point serves
 * `registry` on the metrics listener and calls `close()` last, which exports the spans still queued.
 */

import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { ObservabilityConfig } from '../config.ts';
import type { UpstreamInstrumentation } from '../upstream/instrumentation.ts';
import type { Logger } from './logger.ts';
import { createGatewayMetrics } from './metrics.ts';
import type { Telemetry } from './telemetry.ts';
import { createTracing } from './tracing.ts';
import { createUpstreamInstrumentation } from './upstream.ts';

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
