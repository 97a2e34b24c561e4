import {
  createYoga,
  type Plugin,
  useExecutionCancellation,
  useReadinessCheck,
  type YogaServerInstance,
} from 'graphql-yoga';
import { createContextFactory, type GatewayContext } from './context.ts';
import type { HookLoaderOptions } from './loaders/hook-by-id.ts';
import { schema } from './schema/index.ts';
import { isUpstreamError } from './upstream/errors.ts';
import type { Credential, SystemHooksApi } from './upstream/types.ts';

export interface GatewayOptions {
  /** The upstream GitLab the gateway resolves against. */
  api: SystemHooksApi;
  /** Credential for requests that bring none (`GITLAB_TOKEN`). @default none: such requests are refused */
  defaultCredential?: Credential | undefined;
  /** Headers GraphiQL starts with, such as the embedded GitLab's admin token. @default none */
  graphiqlHeaders?: Record<string, string> | undefined;
  loader?: HookLoaderOptions | undefined;
  /** Yoga's logger; `false` for silence (tests). @default true */
  logging?: boolean | undefined;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

const EXAMPLE_QUERY = `# System hooks of the GitLab behind this gateway. Press the run button (or Ctrl-Enter).
query SystemHooks {
  systemHooks(first: 20) {
    count
    nodes {
      id
      url
      name
      pushEvents
      urlVariables { key }
      createdAt
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

/**
 * GitLab is ready when it answers its API: an unauthenticated list is refused with 401, which proves it is up
 * without using anyone's credential.
 */
function useUpstreamReadiness(api: SystemHooksApi): Plugin {
  return useReadinessCheck({
    endpoint: '/ready',
    check: async ({ request }) => {
      try {
        await api.listHooks({ page: 1, perPage: 1 }, { signal: request.signal });
        return true;
      } catch (error) {
        return isUpstreamError(error) && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN');
      }
    },
  });
}

/** The gateway's Yoga instance: GraphQL and GraphiQL at `/graphql`, `/health`, `/ready`. It never listens. */
export function createGateway(options: GatewayOptions): Gateway {
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory(options),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    maskedErrors: true,
    logging: options.logging ?? true,
    graphiql: {
      title: 'GitLab System Hooks',
      defaultQuery: EXAMPLE_QUERY,
      headers: JSON.stringify(options.graphiqlHeaders ?? {}, null, 2),
    },
    plugins: [useExecutionCancellation(), useUpstreamReadiness(options.api)],
  });
}
