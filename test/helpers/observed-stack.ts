/**
 * A gateway with its telemetry turned on and read in process: log lines captured as JSON objects, the metrics
 * registry's exposition text, and spans in an `InMemorySpanExporter`. In front of the embedded GitLab, or of
 * any upstream URL (a fault proxy, a scripted server).
 *
 * ```ts
 * const stack = await startObservedStack({ metrics: true, tracing: true, logLevel: 'debug' });
 * await stack.requestText('{ systemHooks(first: 1) { count } }');
 * assert.ok(stack.logs.some((line) => line.msg === 'request'));
 * await stack.close();
 * ```
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { EmbeddedGitLabOptions } from '../../src/embedded-gitlab/index.ts';
import { createMemoryEventStore } from '../../src/events/memory-event-store.ts';
import type { GatewayEvents, GatewayOptions } from '../../src/http/gateway.ts';
import type { GraphQLWebSocketOptions } from '../../src/http/websocket.ts';
import { GATEWAY_VERSION } from '../../src/observability/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../src/observability/logger.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../../src/observability/metrics.ts';
import type { Telemetry } from '../../src/observability/telemetry.ts';
import { createTracing, type TracingConfig } from '../../src/observability/tracing.ts';
import { createUpstreamInstrumentation } from '../../src/observability/upstream.ts';
import type { GitLabClientOptions } from '../../src/upstream/client.ts';
import { type GatewayHandle, type Stack, startGateway, startStack } from './stack.ts';

/** A log line as the gateway wrote it. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A logger whose lines are kept, parsed, and as the text written. */
export function captureLogs(level: LogLevel = 'debug'): {
  logger: Logger;
  lines: LogLine[];
  text: () => string;
} {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  });
  return { logger, lines, text: () => raw.join('') };
}

/** Tracing as the defaults of the `OTEL_*` variables describe it, into memory. */
export const IN_MEMORY_TRACING: TracingConfig = {
  endpoint: 'http://127.0.0.1:4318/v1/traces',
  headers: {},
  timeoutMs: 1_000,
  serviceName: 'gitlab-system-hooks-gateway',
  resourceAttributes: {},
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  propagators: ['tracecontext'],
  trustIncoming: true,
};

export interface ObservedOptions {
  /** Capture logs at this level. @default 'debug' */
  logLevel?: LogLevel;
  /** A metrics registry. @default true */
  metrics?: boolean;
  /** Spans into memory. @default true */
  tracing?: boolean;
  /** graphql-yoga's debug lines at `debug` (`DEBUG=1`). @default false: at `trace` */
  yogaDebug?: boolean;
  /** Tracing settings (sampler, propagators) for `tracing`. */
  tracingConfig?: Partial<TracingConfig>;
  upstream?: Partial<GitLabClientOptions>;
  gateway?: Partial<GatewayOptions>;
  /** GraphQL over WebSocket on the gateway's server. @default none */
  websocket?: Partial<GraphQLWebSocketOptions>;
  gitlab?: Partial<EmbeddedGitLabOptions>;
}

export interface Observed {
  telemetry: Telemetry;
  metrics: GatewayMetrics | undefined;
  logs: LogLine[];
  logText(): string;
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  /** The metrics registry's exposition text. */
  metricsText(): Promise<string>;
}

function observe(options: ObservedOptions): Observed & { upstream: Partial<GitLabClientOptions> } {
  const { logger, lines, text } = captureLogs(options.logLevel ?? 'debug');
  const metrics =
    (options.metrics ?? true)
      ? createGatewayMetrics({ version: GATEWAY_VERSION, processMetrics: false })
      : undefined;
  const exporter = new InMemorySpanExporter();
  const tracing =
    (options.tracing ?? true)
      ? createTracing(
          { ...IN_MEMORY_TRACING, ...options.tracingConfig },
          { version: GATEWAY_VERSION, exporter },
        )
      : undefined;
  const telemetry: Telemetry = { logger, metrics, tracing, yogaDebug: options.yogaDebug };
  return {
    telemetry,
    metrics,
    logs: lines,
    logText: text,
    spans: () => exporter.getFinishedSpans(),
    metricsText: async () => (metrics ? metrics.registry.metrics() : ''),
    upstream: { ...options.upstream, instrumentation: createUpstreamInstrumentation(telemetry) },
  };
}

/** The embedded GitLab and an observed gateway in front of it. */
export async function startObservedStack(options: ObservedOptions = {}): Promise<Stack & Observed> {
  const observed = observe(options);
  const stack = await startStack({
    gitlab: options.gitlab,
    upstream: observed.upstream,
    // Yoga's own lines go through the captured logger too.
    gateway: { logging: true, ...options.gateway, telemetry: observed.telemetry },
    websocket: options.websocket,
  });
  return Object.assign(stack, observed);
}

/** An observed gateway in front of `upstreamUrl`. */
export async function startObservedGateway(
  upstreamUrl: string,
  options: ObservedOptions = {},
): Promise<GatewayHandle & Observed> {
  const observed = observe(options);
  const gateway = await startGateway(upstreamUrl, {
    upstream: observed.upstream,
    gateway: { logging: true, ...options.gateway, telemetry: observed.telemetry },
    websocket: options.websocket,
  });
  return Object.assign(gateway, observed);
}

/** One sample of Prometheus exposition text: its metric name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of an exposition text (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_all, char: string) =>
        char === 'n' ? '\n' : char,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** System hook events in memory, received with `X-Gitlab-Token: token`. */
export function eventsInMemory(token: string): GatewayEvents {
  return { store: createMemoryEventStore(), receiver: { secretTokens: [token] }, authRecheckMs: 60_000 };
}
