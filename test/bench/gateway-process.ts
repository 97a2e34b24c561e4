/**
 * The gateway as the benchmark runs it: configured from `loadConfig`'s defaults and built by the same
 * `createConfiguredGateway` as `npm start`, served by `node:http`, minus the listening port and logging.
 */
import { loadConfig } from '../../src/config.ts';
import { createConfiguredGateway } from '../../src/server.ts';
import { serveBenchmark, serveHandler } from './protocol.ts';

export interface GatewayProcessOptions {
  gitlabUrl: string;
  /** `UPSTREAM_CONNECTIONS`, the undici pool size; unset: its default. */
  upstreamConnections?: number;
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessOptions;
  const config = loadConfig({
    GITLAB_URL: options.gitlabUrl,
    UPSTREAM_CONNECTIONS: options.upstreamConnections?.toString(),
  });
  const { gateway, client } = createConfiguredGateway(config, options.gitlabUrl, { logging: false });
  return serveHandler(gateway, () => client.close());
});
