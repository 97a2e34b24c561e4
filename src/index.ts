// First: sets NODE_ENV before anything below loads graphql-js.
import './node-env.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.ts';
import { describeToken } from './embedded-gitlab/config.ts';
import { createEmbeddedGitLab, type EmbeddedGitLab } from './embedded-gitlab/index.ts';
import { EXAMPLE_HOOKS } from './example-hooks.ts';
import { createConfiguredGateway } from './server.ts';

/** Wires configuration, the upstream (real or embedded) and the gateway, then listens until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);

  let embedded: EmbeddedGitLab | undefined;
  let gitlabUrl = config.gitlabUrl;
  let graphiqlHeaders: Record<string, string> | undefined;
  if (gitlabUrl === undefined && config.embedded) {
    embedded = createEmbeddedGitLab(config.embedded);
    gitlabUrl = await embedded.listen();
    await embedded.seed(EXAMPLE_HOOKS);
    graphiqlHeaders = { 'PRIVATE-TOKEN': config.embedded.adminToken };
    console.log(
      `Embedded GitLab listening on ${gitlabUrl}/api/v4 (no GITLAB_URL set), ${EXAMPLE_HOOKS.length} example hooks`,
    );
    console.log(
      `  admin token: ${describeToken(config.embedded.adminToken, config.embedded.adminTokenFrom)}`,
    );
    console.log(`  user token:  ${describeToken(config.embedded.userToken, config.embedded.userTokenFrom)}`);
  }
  if (gitlabUrl === undefined)
    throw new ConfigError(['GITLAB_URL is unset and the embedded GitLab is not configured']);

  const { gateway, client } = createConfiguredGateway(config, gitlabUrl, { graphiqlHeaders });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  console.log(
    `Gateway listening on http://${host}:${port}/graphql (GraphiQL in a browser), upstream ${gitlabUrl}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await client.close();
    await embedded?.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
