// First: sets NODE_ENV before anything below loads graphql-js.
import './node-env.ts';
import { ConfigError, type GatewayConfig, loadConfig, usesEmbeddedGitLab } from './config/index.ts';
import type { EmbeddedUpstream } from './dev/embedded-upstream.ts';
import { type ConfiguredGateway, createConfiguredGateway } from './http/gateway.ts';
import { ROUTES } from './http/routes.ts';
import { type GatewayServer, gatewayServerOptions, startGatewayServer } from './http/server.ts';
import { createLogger, type LogFormat, type Logger } from './observability/logger.ts';
import { type MetricsServer, startMetricsServer } from './observability/metrics-server.ts';

/** The configuration, and the embedded GitLab to start when `GITLAB_URL` is unset (`src/dev/`, loaded only then). */
async function configure(env: NodeJS.ProcessEnv): Promise<{
  config: GatewayConfig;
  startUpstream?: (logger: Logger) => Promise<EmbeddedUpstream>;
}> {
  if (!usesEmbeddedGitLab(env)) return { config: loadConfig(env) };
  const dev = await import('./dev/embedded-upstream.ts');
  const loaded = dev.loadEmbeddedUpstreamConfig(env);
  return { config: loaded.config, startUpstream: (logger) => dev.startEmbeddedUpstream(loaded, logger) };
}

/** Says where everything listens, once the gateway serves. */
function announce(
  config: GatewayConfig,
  logger: Logger,
  served: { edge: GatewayServer; configured: ConfiguredGateway; gitlabUrl: string; metrics?: MetricsServer },
): void {
  const { edge, configured, gitlabUrl, metrics } = served;
  const { host: listenHost } = config.server;
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const url = `http://${host}:${edge.port}${ROUTES.graphql}`;
  logger.info(
    { url, upstream: gitlabUrl },
    `Gateway listening on ${url}: open it in a browser for GraphiQL; upstream GitLab ${gitlabUrl}`,
  );
  if (configured.events) {
    const receiver = `${edge.url}${ROUTES.receiver}`;
    logger.info(
      { url: receiver },
      `System hook receiver: GitLab delivers events to POST ${receiver}; subscribe at ${url} over SSE or WebSocket`,
    );
  }
  if (metrics) logger.info({ url: metrics.url }, `Prometheus metrics on ${metrics.url}`);
  const tracing = config.observability.tracing;
  if (tracing) {
    logger.info(
      { collector: new URL(tracing.endpoint).host, sampler: tracing.sampler },
      `Traces exported as OTLP/HTTP JSON to ${new URL(tracing.endpoint).host}`,
    );
  }
}

/** `LOG_FORMAT` once read, so that a failure to start is logged as the other lines are. */
let logFormat: LogFormat | undefined;

/** Configuration, then the upstream (real or embedded), then the gateway served until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const { config, startUpstream } = await configure(process.env);
  logFormat = config.observability.logFormat;
  const logger = createLogger({ level: config.observability.logLevel, format: logFormat });
  const upstream = await startUpstream?.(logger);
  const gitlabUrl = config.gitlabUrl ?? upstream?.url;
  if (gitlabUrl === undefined)
    throw new ConfigError(['GITLAB_URL is unset and the embedded GitLab is not configured']);

  // Aborted when the edge starts to close: `/ready` answers 503 while what is in flight drains.
  const draining = new AbortController();
  const configured = createConfiguredGateway(config, gitlabUrl, {
    logger,
    draining: draining.signal,
    ...upstream?.gatewayOptions,
  });
  const edge = await startGatewayServer(configured.gateway, {
    ...gatewayServerOptions(config, configured.telemetry),
    draining,
  });
  await upstream?.seedReceiverHook(`${edge.url}${ROUTES.receiver}`);
  const { metrics } = configured.telemetry;
  const metricsServer =
    metrics && config.observability.metrics
      ? await startMetricsServer({ registry: metrics.registry, ...config.observability.metrics })
      : undefined;
  announce(config, logger, { edge, configured, gitlabUrl, metrics: metricsServer });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal}: stopping`);
    // Unready first (the edge aborts `draining`): load balancers stop sending while what is in flight drains.
    // Ending every subscription lets their SSE responses finish, so that the server can close.
    await edge.close({ endStreams: async () => configured.events?.close() });
    await configured.client.close();
    await metricsServer?.close();
    // Last, so that the spans of the requests drained above are exported.
    await configured.telemetry.close();
    await upstream?.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A bad configuration is told to the person starting the gateway, one problem a line, before logging (whose
  // level is part of the configuration) exists; any other failure to start is a log line, on stderr.
  if (error instanceof ConfigError) console.error(error.message);
  else
    createLogger({ destination: 'stderr', format: logFormat }).fatal(
      { err: error },
      'The gateway failed to start',
    );
  process.exit(1);
});
