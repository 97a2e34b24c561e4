import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { GatewayConfig } from '../config/index.ts';
import { instrumentWebSocket } from '../observability/instrument-gateway.ts';
import type { Logger } from '../observability/logger.ts';
import type { Telemetry } from '../observability/telemetry.ts';
import { createHostAllowList } from './allowed-hosts.ts';
import { edgeRouteOf, type Gateway } from './gateway.ts';
import { createOriginPolicy } from './origin-policy.ts';
import { ROUTES } from './routes.ts';
import {
  createGraphQLWebSocket,
  type GraphQLWebSocketOptions,
  type GraphQLWebSocketServer,
} from './websocket.ts';

/**
 * The gateway's HTTP edge, the one `npm start`, the tests and the benchmark serve through: the `node:http`
 * server with explicit timeouts and a connection cap, the `Host` allow-list on every request and upgrade,
 * WebSocket upgrades on the GraphQL path only, the system hook receiver served here without Yoga
 * (`edge-receiver.ts`), and a shutdown that drains.
 */

/** The edge's settings when nothing else is said; `src/config/index.ts` reads each from its variable. */
export const GATEWAY_SERVER_DEFAULTS = {
  /** Loopback: only this machine can connect until the operator says otherwise. */
  host: '127.0.0.1',
  /** `npm start`'s `PORT`; the edge itself takes any free port when given none (tests, the benchmark). */
  port: 4000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 4096,
  shutdownGraceMs: 10_000,
} as const;

export interface GatewayServerOptions {
  /** `HOST`: the address to listen on. @default '127.0.0.1' */
  host?: string | undefined;
  /** `PORT`; 0 for any free port. @default 0 */
  port?: number | undefined;
  /**
   * `ALLOWED_HOSTS`: names the gateway answers to besides IP literals, `localhost`, `*.localhost` and a `host`
   * that is a name (`src/http/allowed-hosts.ts`). Any other `Host` is refused with 421, on HTTP and on upgrades.
   * @default none
   */
  allowedHosts?: readonly string[] | undefined;
  /**
   * `CORS_ORIGINS`: browser origins that may open a WebSocket besides the gateway's own. A browser sends
   * `Origin` with every upgrade and no CORS preflight guards it, so any other origin is refused (403): a page
   * elsewhere must not open a socket that runs with `GITLAB_TOKEN`. Clients that send no `Origin` pass.
   * @default none
   */
  corsOrigins?: readonly string[] | undefined;
  /** `HTTP_HEADERS_TIMEOUT_MS`: how long a client may take to send a request's headers. @default 10000 */
  headersTimeoutMs?: number | undefined;
  /**
   * `HTTP_REQUEST_TIMEOUT_MS`: how long a client may take to send a whole request, headers and body. Node counts
   * it until the request is received, not while the answer is written, so SSE streams and WebSockets outlive it.
   * @default 30000
   */
  requestTimeoutMs?: number | undefined;
  /** `HTTP_KEEP_ALIVE_TIMEOUT_MS`: how long an idle keep-alive connection stays open. @default 5000 */
  keepAliveTimeoutMs?: number | undefined;
  /**
   * `HTTP_MAX_CONNECTIONS`: connections open at once, WebSockets and SSE streams included; Node closes one more
   * as soon as it is accepted. @default 4096
   */
  maxConnections?: number | undefined;
  /** How long requests in flight may take to finish once `close` is called, before they are cut. @default 10000 */
  shutdownGraceMs?: number | undefined;
  /** Where refusals are logged (never with the header values that caused them). @default none */
  logger?: Logger | undefined;
  /** GraphQL over WebSocket on `/graphql`, with these bounds. @default none: every upgrade is answered 404 */
  websocket?: GraphQLWebSocketOptions | undefined;
  /**
   * Aborted once `close` starts. Give the controller whose signal is the gateway's `draining`, so that `/ready`
   * answers 503 while the edge drains. @default one of the edge's own (`GatewayServer.draining`)
   */
  draining?: AbortController | undefined;
}

/** A listening edge, serving one gateway. */
export interface GatewayServer {
  /** The `node:http` server, for listeners such as a request counter. */
  readonly server: Server;
  readonly port: number;
  /** Where this machine reaches the gateway, such as `http://127.0.0.1:4000` (a wildcard `host` is loopback). */
  readonly url: string;
  /** Aborted once `close` starts (`GatewayServerOptions.draining`'s signal). */
  readonly draining: AbortSignal;
  /** GraphQL over WebSocket, when `websocket` was given: its open connections, for the metrics gauge. */
  readonly webSocket: GraphQLWebSocketServer | undefined;
  /**
   * Drains and stops, in this order: new upgrades are refused (503), every WebSocket is closed, the deliveries
   * being received are answered (so that they reach the store before it closes), `endStreams` runs (closing the
   * event store ends the SSE responses), the server stops accepting connections, idle connections are closed as
   * they become idle, and whatever still runs when the grace period since `close` ends is cut.
   */
  close(options?: { endStreams?: () => Promise<void> }): Promise<void>;
}

/** How often connections that became idle during shutdown are closed. */
const IDLE_SWEEP_MS = 50;
/** Node checks the timeouts of requests being received at this interval (its default is 30 s). */
const MAX_TIMEOUT_CHECK_MS = 1_000;
/** How long a refused upgrade's answer may take to leave before its socket is destroyed anyway. */
const REFUSAL_FLUSH_MS = 1_000;
/** At most one line per this interval says that connections were dropped at the cap. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** The refusal of a `Host` that is none of the gateway's names: it names the setting and echoes nothing. */
const HOST_REFUSAL =
  'Misdirected request: this gateway does not answer to that host name. Its operator can allow it with ALLOWED_HOSTS.\n';

const HOST_REFUSAL_LINE = "Refused a request: its Host is none of the gateway's names (ALLOWED_HOSTS)";

/**
 * The edge's options as the configuration describes them (`npm start`, the benchmark), reporting through
 * `telemetry` (refusals in its log, the WebSocket's errors and sockets).
 */
export function gatewayServerOptions(config: GatewayConfig, telemetry: Telemetry = {}): GatewayServerOptions {
  return {
    ...config.server,
    corsOrigins: config.corsOrigins,
    logger: telemetry.logger,
    websocket: webSocketOptions(config, telemetry),
  };
}

/** GraphQL over WebSocket as the configuration describes it, reporting through `telemetry` (its errors, its sockets). */
export function webSocketOptions(config: GatewayConfig, telemetry: Telemetry = {}): GraphQLWebSocketOptions {
  return {
    maxMessageBytes: config.limits.maxRequestBodyBytes,
    trustedDocuments: config.trustedDocuments,
    ...instrumentWebSocket(telemetry),
  };
}

/** Serves `gateway` on a port of its own, from the first request on, until `close`. */
export async function startGatewayServer(
  gateway: Gateway,
  options: GatewayServerOptions = {},
): Promise<GatewayServer> {
  const host = options.host ?? GATEWAY_SERVER_DEFAULTS.host;
  const headersTimeout = options.headersTimeoutMs ?? GATEWAY_SERVER_DEFAULTS.headersTimeoutMs;
  const graceMs = options.shutdownGraceMs ?? GATEWAY_SERVER_DEFAULTS.shutdownGraceMs;
  const { logger } = options;
  const hosts = createHostAllowList({ allowedHosts: options.allowedHosts, listenHost: host });
  const origins = createOriginPolicy(options.corsOrigins ?? []);
  const draining = options.draining ?? new AbortController();
  const webSocket = options.websocket && createGraphQLWebSocket(gateway, options.websocket);
  const receiver = edgeRouteOf(gateway);
  /** Upgraded sockets are no longer the HTTP server's connections: `closeAllConnections` would not cut them. */
  const upgraded = new Set<Duplex>();
  /**
   * The answers of the deliveries the edge is receiving. A shutdown lets them reach the store before it closes:
   * GitLab does not retry a system hook, so a delivery answered 503 on the way out would be lost.
   */
  const deliveries = new Set<ServerResponse>();
  let deliveriesSettled: (() => void) | undefined;
  function deliveryClosed(this: ServerResponse): void {
    deliveries.delete(this);
    if (deliveries.size === 0) deliveriesSettled?.();
  }

  const server = createServer(
    {
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? GATEWAY_SERVER_DEFAULTS.requestTimeoutMs,
      // A timeout is enforced only when Node next checks: at most a second late, and sooner for short ones.
      connectionsCheckingInterval: Math.max(
        1,
        Math.min(MAX_TIMEOUT_CHECK_MS, Math.floor(headersTimeout / 2)),
      ),
    },
    (request, response) => {
      if (!hosts.allowsHost(request.headers.host)) {
        logger?.info({ status: 421 }, HOST_REFUSAL_LINE);
        response
          .writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
          .end(HOST_REFUSAL);
        return;
      }
      if (receiver && isReceiverPath(request.url) && receiver(request, response)) {
        deliveries.add(response);
        response.once('close', deliveryClosed);
        return;
      }
      return gateway(request, response);
    },
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? GATEWAY_SERVER_DEFAULTS.keepAliveTimeoutMs;
  server.maxConnections = options.maxConnections ?? GATEWAY_SERVER_DEFAULTS.maxConnections;
  server.on('drop', droppedLogger(server, logger));

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hosts.allowsHost(request.headers.host)) {
      logger?.info({ status: 421, upgrade: true }, HOST_REFUSAL_LINE);
      return refuseUpgrade(socket, 421, HOST_REFUSAL);
    }
    if (draining.signal.aborted) {
      return refuseUpgrade(socket, 503, 'The gateway is starting or shutting down: connect again.\n');
    }
    if (!webSocket || pathOf(request) !== ROUTES.graphql) {
      return refuseUpgrade(socket, 404, `WebSocket upgrades are served on ${ROUTES.graphql} only.\n`);
    }
    if (
      !origins.allowsUpgrade(request.headers.origin, (origin) => hosts.ownsOrigin(origin, socket as Socket))
    ) {
      logger?.debug({ status: 403 }, 'Refused an upgrade: its Origin is not allowed (CORS_ORIGINS)');
      return refuseUpgrade(
        socket,
        403,
        'This origin may not open a WebSocket here. The operator can allow it with CORS_ORIGINS.\n',
      );
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    webSocket.handleUpgrade(request, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  /** Until no delivery is being received, or `ms` have passed (a body that stalls ends at its read timeout). */
  const settleDeliveries = (ms: number) =>
    deliveries.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          deliveriesSettled = () => {
            clearTimeout(timer);
            resolve();
          };
        });

  let closing: Promise<void> | undefined;
  const stop = async (endStreams: (() => Promise<void>) | undefined) => {
    const deadline = performance.now() + graceMs;
    const graceLeft = () => Math.max(0, deadline - performance.now());
    draining.abort();
    await webSocket?.close();
    await settleDeliveries(graceLeft());
    await endStreams?.();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // A keep-alive connection becomes idle when its last answer ends (an SSE stream a moment after the store
    // closed it): close such connections as they come, rather than wait for the client to let go.
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    // Requests still running after the grace period are cut rather than waited for without end, and so are
    // WebSockets whose clients never answered the closing handshake.
    const cut = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
    }, graceLeft());
    await drained;
    clearInterval(sweep);
    clearTimeout(cut);
  };

  return {
    server,
    port,
    url: `http://${local.includes(':') ? `[${local}]` : local}:${port}`,
    draining: draining.signal,
    webSocket,
    close(closeOptions = {}) {
      closing ??= stop(closeOptions.endStreams);
      return closing;
    },
  };
}

/**
 * Answers an upgrade the gateway does not take, and destroys its socket at once: Node has dropped every timeout
 * of an upgrading socket, so one left open would stay open for as long as its client likes.
 */
function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  // Node took its own error listener off when it handed the socket over; a client gone meanwhile is no error.
  socket.on('error', () => {});
  (socket as Socket).setTimeout(REFUSAL_FLUSH_MS, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Whether a request target is the receiver's path, whatever its query; without a regular expression or a URL. */
function isReceiverPath(url: string | undefined): boolean {
  const path = ROUTES.receiver;
  if (url === undefined || !url.startsWith(path)) return false;
  return url.length === path.length || url[path.length] === '?' || url[path.length] === '#';
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Says, at most once per interval and with a count, that connections were dropped at `HTTP_MAX_CONNECTIONS`. */
function droppedLogger(server: Server, logger: Logger | undefined): () => void {
  let dropped = 0;
  let lastLine = Number.NEGATIVE_INFINITY;
  return () => {
    dropped++;
    const now = Date.now();
    if (!logger || now - lastLine < DROP_LOG_INTERVAL_MS) return;
    logger.warn(
      { dropped, max_connections: server.maxConnections },
      `Dropped ${dropped} connection(s): ${server.maxConnections} are open (HTTP_MAX_CONNECTIONS)`,
    );
    dropped = 0;
    lastLine = now;
  };
}
