/**
 * What `npm start` adds when `GITLAB_URL` is unset, so that a newcomer has something to query: the embedded
 * GitLab (`src/embedded-gitlab/`, a separate application that only this folder imports), seeded with example
 * system hooks, an example group and project with a hook each (`example-webhooks.ts`), a project hook that
 * delivers to an example receiver on loopback (`example-receiver.ts`), and a system hook that delivers to the
 * gateway's own receiver, and GraphiQL started with its token, its project and group hooks example and an
 * events example. `src/index.ts` loads this module only then; the gateway itself knows nothing of it.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, type GatewayConfig, readConfig } from '../config/index.ts';
import {
  describeToken,
  type EmbeddedGitLabConfig,
  EmbeddedGitLabConfigError,
  loadEmbeddedGitLabConfig,
} from '../embedded-gitlab/config.ts';
import { createEmbeddedGitLab } from '../embedded-gitlab/index.ts';
import { isLoopbackHost } from '../http/allowed-hosts.ts';
import type { GatewayOptions } from '../http/gateway.ts';
import type { Logger } from '../observability/logger.ts';
import { EXAMPLE_HOOKS } from './example-hooks.ts';
import { startExampleReceiver } from './example-receiver.ts';
import { type ExampleWebhooks, seedExampleWebhooks } from './example-webhooks.ts';

/** The configuration `npm start` runs with when it adds the embedded GitLab. */
export interface EmbeddedUpstreamConfig {
  /** The gateway's. */
  config: GatewayConfig;
  /** The embedded GitLab's (`EMBEDDED_GITLAB_*`). */
  embedded: EmbeddedGitLabConfig;
}

/** The `EMBEDDED_GITLAB_*` variables, or their problems. */
function readEmbeddedGitLabConfig(env: NodeJS.ProcessEnv): {
  value: EmbeddedGitLabConfig | undefined;
  problems: string[];
} {
  try {
    return { value: loadEmbeddedGitLabConfig(env), problems: [] };
  } catch (error) {
    if (!(error instanceof EmbeddedGitLabConfigError)) throw error;
    return { value: undefined, problems: error.problems };
  }
}

/**
 * The gateway's configuration and the embedded GitLab's; throws one `ConfigError` that lists the problems of
 * both, as an operator fixes them in one go.
 */
export function loadEmbeddedUpstreamConfig(env: NodeJS.ProcessEnv): EmbeddedUpstreamConfig {
  const gateway = readConfig(env);
  const embedded = readEmbeddedGitLabConfig(env);
  const problems = [...gateway.problems, ...embedded.problems];
  if (problems.length > 0 || embedded.value === undefined) throw new ConfigError(problems);
  return { config: gateway.value, embedded: embedded.value };
}

/** The running embedded GitLab, and what the gateway takes from it. */
export interface EmbeddedUpstream {
  /** Its base URL, such as `http://127.0.0.1:43123`: the gateway's `GITLAB_URL`. */
  readonly url: string;
  /**
   * The gateway's options it sets: GraphiQL's headers (its admin token, where that is safe), the example
   * project and group its webhooks example reads, and the receiver hook its events example names (known once
   * `seedReceiverHook` is done), and the `X-Gitlab-Token` that hook sends, for the receiver to accept.
   */
  readonly gatewayOptions: Pick<
    GatewayOptions,
    'graphiqlHeaders' | 'graphiqlWebhookExample' | 'graphiqlReceiverHookId'
  > & {
    receiverTokens: string[];
  };
  /** The example group, project, project hook and group hook it was seeded with. */
  readonly exampleWebhooks: ExampleWebhooks;
  /** Seeds a hook that delivers to `receiverUrl`, the listening gateway's receiver. */
  seedReceiverHook(receiverUrl: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the embedded GitLab with the example hooks, and says where it listens and which tokens it takes. */
export async function startEmbeddedUpstream(
  { config, embedded }: EmbeddedUpstreamConfig,
  logger: Logger,
): Promise<EmbeddedUpstream> {
  const gitlab = createEmbeddedGitLab(embedded);
  const url = await gitlab.listen();
  await gitlab.seed(EXAMPLE_HOOKS);
  logger.info(
    { url: `${url}/api/v4`, example_hooks: EXAMPLE_HOOKS.length },
    `Embedded GitLab listening on ${url}/api/v4 (no GITLAB_URL set), ${EXAMPLE_HOOKS.length} example hooks`,
  );
  const receiver = await startExampleReceiver(logger);
  const examples = await seedExampleWebhooks(url, embedded.adminToken, receiver.url);
  logger.info(
    {
      group: examples.groupPath,
      project: examples.projectPath,
      project_hook_id: examples.projectHookId,
      group_hook_id: examples.groupHookId,
    },
    `Embedded GitLab example group ${examples.groupPath} with project ${examples.projectPath}, project hook ${examples.projectHookId} and group hook ${examples.groupHookId}`,
  );
  logger.info(
    { hook_id: examples.receiverHookId, url: receiver.url },
    `Embedded GitLab project hook ${examples.receiverHookId} delivers to the example receiver, ${receiver.url}, which accepts every delivery (allow_local_requests_from_web_hooks_and_services is on)`,
  );
  // A generated token is this development GitLab's own and is shown so that it can be used; one the operator
  // set is only named.
  const { adminToken, adminTokenFrom, userToken, userTokenFrom } = embedded;
  logger.info(
    `Embedded GitLab admin token: ${describeToken(adminToken, adminTokenFrom)} (GraphiQL already sends it as PRIVATE-TOKEN)`,
  );
  logger.info(
    `Embedded GitLab user token: ${describeToken(userToken, userTokenFrom)} (not an administrator, a member of nothing: GitLab answers its hook calls 403 or 404)`,
  );
  const graphiql = embeddedGraphiQLHeaders(config.server.host, embedded);
  if (graphiql.warning) logger.warn(graphiql.warning);
  // The operator's own token when there is one; otherwise one only the embedded GitLab and the gateway know.
  const receiverToken = config.events.receiver.secretTokens[0] ?? randomBytes(24).toString('base64url');
  let receiverHookId: string | undefined;
  return {
    url,
    exampleWebhooks: examples,
    gatewayOptions: {
      graphiqlHeaders: graphiql.headers,
      graphiqlWebhookExample: {
        projectPath: examples.projectPath,
        groupPath: examples.groupPath,
        projectHookId: `gid://gitlab/ProjectHook/${examples.receiverHookId}?project_id=${examples.projectId}`,
      },
      graphiqlReceiverHookId: () => receiverHookId,
      receiverTokens: [receiverToken],
    },
    async seedReceiverHook(receiverUrl) {
      const [id] = await gitlab.seed([
        {
          url: receiverUrl,
          name: 'This gateway',
          description: "Delivers to the gateway's own receiver, so that its events appear in subscriptions.",
          token: receiverToken,
        },
      ]);
      logger.info(
        { hook_id: id, url: receiverUrl },
        `Embedded GitLab hook ${id} delivers to the gateway's receiver, ${receiverUrl}`,
      );
      receiverHookId = `gid://gitlab/SystemHook/${id}`;
    },
    close: async () => {
      await gitlab.close();
      await receiver.close();
    },
  };
}

/** GraphiQL's headers under the embedded GitLab, or why they are left out and what to do instead. */
export interface EmbeddedGraphiQLHeaders {
  headers?: Record<string, string>;
  /** Said at start when the token is left out: why, and how to paste it. */
  warning?: string;
}

/**
 * Whether GraphiQL may start with the embedded GitLab's admin token in its headers pane. The page is served to
 * whoever asks, so only while the gateway listens on loopback (this machine alone can connect, and the Host
 * check keeps other sites' pages out), and only for a token `npm start` generated: one the operator chose in
 * `EMBEDDED_GITLAB_ADMIN_TOKEN` may open more than this development GitLab.
 */
export function embeddedGraphiQLHeaders(
  host: string,
  embedded: { adminToken: string; adminTokenFrom: string | undefined },
): EmbeddedGraphiQLHeaders {
  const paste = `paste {"PRIVATE-TOKEN": "<the token>"} into GraphiQL's headers pane`;
  if (embedded.adminTokenFrom !== undefined) {
    return {
      warning: `GraphiQL starts without the embedded GitLab's admin token: it comes from ${embedded.adminTokenFrom}, a token you chose, and the page would show it to whoever opens it; ${paste}`,
    };
  }
  if (!isLoopbackHost(host)) {
    return {
      warning: `GraphiQL starts without the embedded GitLab's admin token: HOST=${host} is not a loopback address, so anyone who can reach the gateway could read the token from the page; ${paste} (the token is printed above)`,
    };
  }
  return { headers: { 'PRIVATE-TOKEN': embedded.adminToken } };
}
