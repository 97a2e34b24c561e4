/**
 * The gateway as the benchmark runs it: configured from `loadConfig`'s defaults and built by the same
 * `createConfiguredGateway` as `npm start`, served by `node:http`, minus the listening port and logging.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { createConfiguredGateway } from '../../src/server.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

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
  const server = createServer(gateway);
  let served = 0;
  server.on('request', () => served++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    measure: () => sampleProcess(served),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
    },
  };
});
