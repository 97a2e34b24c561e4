// First: sets NODE_ENV before anything below loads graphql-js.
import './node-env.ts';
import { randomBytes } from 'node:crypto';
import { ConfigError, type GatewayConfig, loadConfig } from './config/index.ts';
import { EXAMPLE_HOOKS } from './dev/example-hooks.ts';
import { describeToken } from './embedded-gitlab/config.ts';
import { createEmbeddedGitLab, type EmbeddedGitLab } from './embedded-gitlab/index.ts';
import { createConfiguredGateway, SYSTEM_HOOK_RECEIVER_PATH } from './http/gateway.ts';
import { embeddedGraphiQLHeaders } from './http/graphiql.ts';
import { gatewayServerOptions, startGatewayServer } from './http/server.ts';
import { createLogger, type LogFormat, type Logger } from './observability/logger.ts';
import { startMetricsServer } from './observability/metrics-server.ts';

/** The embedded GitLab `npm start` runs without `GITLAB_URL`, seeded with examples. */
interface EmbeddedUpstream {
  gitlab: EmbeddedGitLab;
  url: string;
  adminToken: string;
  /** The variable the admin token came from; undefined when it was generated. */
  adminTokenFrom: string | undefined;
  /** The `X-Gitlab-Token` of the hook that delivers to the gateway's own receiver. */
  receiverToken: string;
}

async function startEmbeddedGitLab(
  config: GatewayConfig,
  logger: Logger,
): Promise<EmbeddedUpstream | undefined> {
  if (config.gitlabUrl !== undefined || !config.embedded) return undefined;
  const gitlab = createEmbeddedGitLab(config.embedded);
  const url = await gitlab.listen();
  await gitlab.seed(EXAMPLE_HOOKS);
  logger.info(
    { url: `${url}/api/v4`, example_hooks: EXAMPLE_HOOKS.length },
    `Embedded GitLab listening on ${url}/api/v4 (no GITLAB_URL set), ${EXAMPLE_HOOKS.length} example hooks`,
  );
  // A generated token is this development GitLab's own and is shown so that it can be used; one the operator
  // set is only named.
  const { adminToken, adminTokenFrom, userToken, userTokenFrom } = config.embedded;
  logger.info(
    `Embedded GitLab admin token: ${describeToken(adminToken, adminTokenFrom)} (GraphiQL already sends it as PRIVATE-TOKEN)`,
  );
  logger.info(
    `Embedded GitLab user token: ${describeToken(userToken, userTokenFrom)} (not an administrator: GitLab answers it 403)`,
  );
  return {
    gitlab,
    url,
    adminToken,
    adminTokenFrom,
    // The operator's own token when there is one; otherwise one only the embedded GitLab and the gateway know.
    receiverToken: config.events.receiver.secretTokens[0] ?? randomBytes(24).toString('base64url'),
  };
}

/** Seeds a hook that delivers to the gateway's own receiver; its global ID, for GraphiQL's example. */
async function seedReceiverHook(upstream: EmbeddedUpstream, url: string, logger: Logger): Promise<string> {
  const [id] = await upstream.gitlab.seed([
    {
      url,
      name: 'This gateway',
      description: "Delivers to the gateway's own receiver, so that its events appear in subscriptions.",
      token: upstream.receiverToken,
    },
  ]);
  logger.info({ hook_id: id, url }, `Embedded GitLab hook ${id} delivers to the gateway's receiver, ${url}`);
  return `gid://gitlab/SystemHook/${id}`;
}

/** `LOG_FORMAT` once read, so that a failure to start is logged as the other lines are. */
let logFormat: LogFormat | undefined;

/** Wires configuration, the upstream (real or embedded) and the gateway, then listens until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  logFormat = config.observability.logFormat;
  const logger = createLogger({ level: config.observability.logLevel, format: logFormat });
  const embedded = await startEmbeddedGitLab(config, logger);
  const gitlabUrl = config.gitlabUrl ?? embedded?.url;
  if (gitlabUrl === undefined) {
    throw new ConfigError(['GITLAB_URL is unset and the embedded GitLab is not configured']);
  }

  const draining = new AbortController();
  // GraphiQL's events example names the receiver hook, which can only be seeded once the gateway listens: the
  // page asks for its id at each view.
  let receiverHookId: string | undefined;
  const graphiql = embedded && embeddedGraphiQLHeaders(config.server.host, embedded);
  if (graphiql?.warning) logger.warn(graphiql.warning);
  const configured = createConfiguredGateway(config, gitlabUrl, {
    logger,
    draining: draining.signal,
    graphiqlHeaders: graphiql?.headers,
    graphiqlReceiverHookId: () => receiverHookId,
    receiverTokens: embedded ? [embedded.receiverToken] : [],
  });
  const edge = await startGatewayServer(configured.gateway, {
    ...gatewayServerOptions(config, logger),
    draining,
  });
  if (embedded) {
    receiverHookId = await seedReceiverHook(embedded, `${edge.url}${SYSTEM_HOOK_RECEIVER_PATH}`, logger);
  }
  const { metrics } = configured.telemetry;
  metrics?.watchWebSockets(() => edge.webSocket?.connections ?? 0);
  const metricsServer =
    metrics && config.observability.metrics
      ? await startMetricsServer({ registry: metrics.registry, ...config.observability.metrics })
      : undefined;

  const { host: listenHost } = config.server;
  const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const url = `http://${host}:${edge.port}/graphql`;
  logger.info(
    { url, upstream: gitlabUrl },
    `Gateway listening on ${url}: open it in a browser for GraphiQL; upstream GitLab ${gitlabUrl}`,
  );
  if (configured.events) {
    const receiver = `${edge.url}${SYSTEM_HOOK_RECEIVER_PATH}`;
    logger.info(
      { url: receiver },
      `System hook receiver: GitLab delivers events to POST ${receiver}; subscribe at ${url} over SSE or WebSocket`,
    );
  }
  if (metricsServer) logger.info({ url: metricsServer.url }, `Prometheus metrics on ${metricsServer.url}`);
  const tracing = config.observability.tracing;
  if (tracing) {
    logger.info(
      { collector: new URL(tracing.endpoint).host, sampler: tracing.sampler },
      `Traces exported as OTLP/HTTP JSON to ${new URL(tracing.endpoint).host}`,
    );
  }

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
    await embedded?.gitlab.close();
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
