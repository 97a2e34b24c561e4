import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * Where the listener serves when `METRICS_HOST` and `METRICS_PORT` are unset: loopback, and 9464, the port
 * OpenTelemetry's Prometheus exporter registered, taken by convention (the gateway serves prom-client's registry).
 */
export const METRICS_SERVER_DEFAULTS = { host: '127.0.0.1', port: 9464 } as const;

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

export interface MetricsServerOptions {
  registry: Registry;
  /** `METRICS_HOST`; `METRICS_SERVER_DEFAULTS.host` is the configuration's default. */
  host: string;
  /** `METRICS_PORT`; 0 for any free port. `METRICS_SERVER_DEFAULTS.port` is the configuration's default. */
  port: number;
}

export interface MetricsServer {
  /** Where Prometheus scrapes, such as `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The metrics listener: Prometheus text at `GET /metrics` on its own address and port, never on the GraphQL
 * port, so that the gateway's callers cannot read it and it can stay on loopback (Apollo Router's choice). Any
 * other path is 404, any other method 405.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = options;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      () => response.writeHead(500).end(),
    );
  });
  // A scrape is one short request; an idle scraper's socket is not kept.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
