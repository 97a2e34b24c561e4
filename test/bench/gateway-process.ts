/**
 * The gateway as the benchmark runs it: configured from `loadConfig`'s defaults and built by the same
 * `createConfiguredGateway` as `npm start`, served through the same edge (`startGatewayServer`), minus the
 * listening port and logging. With
 * `METRICS=true` in `env` it serves `/metrics` on a port of its own, as `npm start` does; the command
 * `'metrics-url'` answers where.
 */
import { loadConfig } from '../../src/config/index.ts';
import { createConfiguredGateway } from '../../src/http/gateway.ts';
import { gatewayServerOptions, startGatewayServer } from '../../src/http/server.ts';
import { type MetricsServer, startMetricsServer } from '../../src/observability/metrics-server.ts';
import { useGraphQLJitExecution } from './graphql-jit-executor.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

export interface GatewayProcessOptions {
  gitlabUrl: string;
  /** `UPSTREAM_CONNECTIONS`, the undici pool size; unset: its default. */
  upstreamConnections?: number;
  /** System hook events on: the receiver's `WEBHOOK_SECRET_TOKENS`, and `REDIS_URL` for the shared store. */
  events?: { secretToken: string; redisUrl?: string };
  /** More variables for `loadConfig` (`METRICS`, `OTEL_*`, ...). */
  env?: Record<string, string>;
  /** `graphql-jit`: queries run compiled, as before their removal (`graphql-jit-executor.ts`). @default graphql-js */
  executor?: 'graphql-jit';
  /** `false`: every subscriber's events executed and written on their own, as before issue 20. @default true */
  groupSubscriptions?: boolean;
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessOptions;
  const config = loadConfig({
    GITLAB_URL: options.gitlabUrl,
    UPSTREAM_CONNECTIONS: options.upstreamConnections?.toString(),
    WEBHOOK_SECRET_TOKENS: options.events?.secretToken,
    REDIS_URL: options.events?.redisUrl,
    ...options.env,
  });
  const { gateway, client, events, telemetry } = createConfiguredGateway(config, options.gitlabUrl, {
    logging: false,
    groupSubscriptions: options.groupSubscriptions,
    plugins: options.executor === 'graphql-jit' ? [useGraphQLJitExecution()] : undefined,
  });
  const metricsOptions = config.observability.metrics;
  const metricsServer: MetricsServer | undefined =
    telemetry.metrics && metricsOptions
      ? await startMetricsServer({ registry: telemetry.metrics.registry, ...metricsOptions })
      : undefined;
  const edge = await startGatewayServer(gateway, {
    ...gatewayServerOptions(config),
    host: '127.0.0.1',
    port: 0,
  });
  let served = 0;
  edge.server.on('request', () => served++);
  return {
    url: edge.url,
    measure: () => ({ ...sampleProcess(served), eventSubscribers: events?.status().subscribers }),
    // As `npm start` stops: the edge (the event store ends the SSE streams), the upstream client, the telemetry.
    close: async () => {
      await edge.close({ endStreams: async () => events?.close() });
      await metricsServer?.close();
      await client.close();
      await telemetry.close();
    },
    command: async (command: unknown) => {
      if (command === 'metrics-url') return metricsServer?.url;
      throw new Error(`unknown command ${JSON.stringify(command)}`);
    },
  };
});
