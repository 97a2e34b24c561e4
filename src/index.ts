// First: sets NODE_ENV before anything below loads graphql-js.
import './node-env.ts';
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type GatewayConfig, loadConfig } from './config.ts';
import { describeToken } from './embedded-gitlab/config.ts';
import { createEmbeddedGitLab, type EmbeddedGitLab } from './embedded-gitlab/index.ts';
import { EXAMPLE_HOOKS } from './example-hooks.ts';
import { createConfiguredGateway, SYSTEM_HOOK_RECEIVER_PATH } from './server.ts';
import { attachGraphQLWebSocket } from './websocket.ts';

/** How long requests in flight may take to finish once the gateway is told to stop. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The embedded GitLab `npm start` runs without `GITLAB_URL`, seeded with examples. */
interface EmbeddedUpstream {
  gitlab: EmbeddedGitLab;
  url: string;
  adminToken: string;
  /** The `X-Gitlab-Token` of the hook that delivers to the gateway's own receiver. */
  receiverToken: string;
}

async function startEmbeddedGitLab(config: GatewayConfig): Promise<EmbeddedUpstream | undefined> {
  if (config.gitlabUrl !== undefined || !config.embedded) return undefined;
  const gitlab = createEmbeddedGitLab(config.embedded);
  const url = await gitlab.listen();
  await gitlab.seed(EXAMPLE_HOOKS);
  console.log(
    `Embedded GitLab listening on ${url}/api/v4 (no GITLAB_URL set), ${EXAMPLE_HOOKS.length} example hooks`,
  );
  console.log(`  admin token: ${describeToken(config.embedded.adminToken, config.embedded.adminTokenFrom)}`);
  console.log(`  user token:  ${describeToken(config.embedded.userToken, config.embedded.userTokenFrom)}`);
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
async function seedReceiverHook(upstream: EmbeddedUpstream, url: string): Promise<string> {
  const [id] = await upstream.gitlab.seed([
    {
      url,
      name: 'This gateway',
      description: "Delivers to the gateway's own receiver, so that its events appear in subscriptions.",
      token: upstream.receiverToken,
    },
  ]);
  console.log(`  hook ${id} delivers to the gateway's receiver, ${url}`);
  return `gid://gitlab/SystemHook/${id}`;
}

/** Wires configuration, the upstream (real or embedded) and the gateway, then listens until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const embedded = await startEmbeddedGitLab(config);
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
  const receiverHookId = embedded && (await seedReceiverHook(embedded, receiverUrl(server, config.host)));
  const configured = createConfiguredGateway(config, gitlabUrl, {
    graphiqlHeaders: embedded && { 'PRIVATE-TOKEN': embedded.adminToken },
    graphiqlReceiverHookId: receiverHookId,
    receiverTokens: embedded ? [embedded.receiverToken] : [],
  });
  handle = configured.gateway;
  const sockets = attachGraphQLWebSocket(server, configured.gateway, {
    allowedOrigins: config.corsOrigins,
    maxMessageBytes: config.limits.maxRequestBodyBytes,
    trustedDocuments: config.trustedDocuments,
  });

  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(
    `Gateway listening on http://${host}:${port}/graphql (GraphiQL in a browser), upstream ${gitlabUrl}`,
  );
  if (configured.events) {
    console.log(
      `  system hook receiver: POST ${SYSTEM_HOOK_RECEIVER_PATH}; subscriptions over SSE and WebSocket`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await sockets.close();
    // Ending every subscription first lets their SSE responses finish, so that the server can close.
    await configured.events?.close();
    server.closeIdleConnections();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // Requests still running after the grace period are cut rather than waited for without end.
    setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    await drained;
    await configured.client.close();
    await embedded?.gitlab.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
