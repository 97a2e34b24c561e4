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
  /** System hook events on: the receiver's `WEBHOOK_SECRET_TOKENS`, and `REDIS_URL` for the shared store. */
  events?: { secretToken: string; redisUrl?: string };
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayProcessOptions;
  const config = loadConfig({
    GITLAB_URL: options.gitlabUrl,
    UPSTREAM_CONNECTIONS: options.upstreamConnections?.toString(),
    WEBHOOK_SECRET_TOKENS: options.events?.secretToken,
    REDIS_URL: options.events?.redisUrl,
  });
  const { gateway, client, events, telemetry } = createConfiguredGateway(config, options.gitlabUrl, {
    logging: false,
  });
  // As `npm start` stops: the event store first (it ends the SSE streams), the upstream client, the telemetry.
  const served = await serveHandler(gateway, async () => {
    await events?.close();
    await client.close();
    await telemetry.close();
  });
  return {
    ...served,
    measure: () => ({ ...served.measure(), eventSubscribers: events?.status().subscribers }),
  };
});
