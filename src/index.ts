// First: sets NODE_ENV before anything below loads graphql-js.
import './node-env.ts';
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type GatewayConfig, loadConfig } from './config.ts';
import { describeToken } from './embedded-gitlab/config.ts';
import { createEmbeddedGitLab, type EmbeddedGitLab } from './embedded-gitlab/index.ts';
import { EXAMPLE_HOOKS } from './example-hooks.ts';
import { createLogger, type LogFormat, type Logger } from './observability/logger.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { createConfiguredGateway, SYSTEM_HOOK_RECEIVER_PATH } from './server.ts';
import { attachGraphQLWebSocket } from './websocket.ts';

/** How long requests in flight may take to finish once the gateway is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How often connections that became idle during shutdown are closed. */
const IDLE_SWEEP_MS = 50;

/** The embedded GitLab `npm start` runs without `GITLAB_URL`, seeded with examples. */
interface EmbeddedUpstream {
  gitlab: EmbeddedGitLab;
  url: string;
  adminToken: string;
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
    adminToken: config.embedded.adminToken,
    // The operator's own token when there is one; otherwise one only the embedded GitLab and the gateway know.
    receiverToken: config.events.secretTokens[0] ?? randomBytes(24).toString('base64url'),
  };
}

/** Where this process's receiver can be reached from this machine. */
function receiverUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}${SYSTEM_HOOK_RECEIVER_PATH}`;
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

  // The server listens before the gateway exists: the embedded GitLab's receiver hook needs the port, and
  // GraphiQL's example needs that hook. Nothing is served in between (`npm start` prints its address after).
  let handle: RequestListener | undefined;
  const server = createServer((request, response) => {
    if (handle) return handle(request, response);
    response.writeHead(503, { 'retry-after': '1' }).end();
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const receiverHookId =
    embedded && (await seedReceiverHook(embedded, receiverUrl(server, config.host), logger));
  const draining = new AbortController();
  const configured = createConfiguredGateway(config, gitlabUrl, {
    logger,
    draining: draining.signal,
    graphiqlHeaders: embedded && { 'PRIVATE-TOKEN': embedded.adminToken },
    graphiqlReceiverHookId: receiverHookId,
    receiverTokens: embedded ? [embedded.receiverToken] : [],
  });
  handle = configured.gateway;
  const sockets = attachGraphQLWebSocket(server, configured.gateway, {
    allowedOrigins: config.corsOrigins,
    maxMessageBytes: config.limits.maxRequestBodyBytes,
    trustedDocuments: config.trustedDocuments,
    logger: configured.telemetry.logger,
  });
  const { metrics } = configured.telemetry;
  metrics?.watchWebSockets(() => sockets.connections);
  const metricsServer =
    metrics && config.observability.metrics
      ? await startMetricsServer({ registry: metrics.registry, ...config.observability.metrics })
      : undefined;

  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/graphql`;
  logger.info(
    { url, upstream: gitlabUrl },
    `Gateway listening on ${url}: open it in a browser for GraphiQL; upstream GitLab ${gitlabUrl}`,
  );
  if (configured.events) {
    const receiver = receiverUrl(server, config.host);
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
    // Unready first: load balancers stop sending while what is in flight drains.
    draining.abort();
    logger.info({ signal }, `${signal}: stopping`);
    await sockets.close();
    // Ending every subscription first lets their SSE responses finish, so that the server can close.
    await configured.events?.close();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // A keep-alive connection becomes idle when its last answer ends (an SSE stream a moment after the store
    // closed it): close such connections as they come, rather than wait for the client to let go.
    server.closeIdleConnections();
    const closeIdle = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    // Requests still running after the grace period are cut rather than waited for without end.
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await drained;
    clearInterval(closeIdle);
    clearTimeout(cut);
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
