import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayConfig } from './config.ts';
import { createContextFactory, type GatewayContext } from './context.ts';
import { maskGatewayError } from './errors.ts';
import type { HookLoaderOptions } from './loaders/hook-by-id.ts';
import { corsForOrigins } from './plugins/cors.ts';
import { type RequestLimits, requestLimitOptions } from './plugins/request-limits.ts';
import { useDocumentCache } from './plugins/use-document-cache.ts';
import { useGraphQLJsExecution } from './plugins/use-graphql-js-execution.ts';
import { useIntrospectionSwitch } from './plugins/use-introspection-switch.ts';
import { useReadiness } from './plugins/use-readiness.ts';
import {
  DOCUMENT_ID_PARAM,
  type TrustedDocuments,
  useTrustedDocuments,
} from './plugins/use-trusted-documents.ts';
import { schema } from './schema/index.ts';
import { createGitLabClient, type GitLabClient } from './upstream/client.ts';
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
  /** Whether introspection (`__schema`, `__type`) is answered (`INTROSPECTION`). @default true */
  introspection?: boolean | undefined;
  /**
   * Trusted-documents mode (`TRUSTED_DOCUMENTS_FILE`): only these documents run, named by hash.
   * @default none: any valid document runs
   */
  trustedDocuments?: TrustedDocuments | undefined;
  /** Bounds on requests and documents (`MAX_*` variables); any left out keeps its default. @default DEFAULT_REQUEST_LIMITS */
  limits?: Partial<RequestLimits> | undefined;
  /**
   * Browser origins allowed to call the gateway cross-origin (`CORS_ORIGINS`), such as
   * `https://app.example.com`. Yoga's default would answer every origin's preflight, letting any page send
   * requests that run with the server-side `GITLAB_TOKEN`; GraphiQL is served by the gateway itself.
   * @default none: no CORS headers for any origin
   */
  corsOrigins?: readonly string[] | undefined;
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
  return useReadiness({
    endpoint: '/ready',
    check: async (request) => {
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
  // The options never change for a gateway, and the page is large (GraphiQL's code is inlined): build it once.
  let graphiqlPage: Promise<string> | undefined;
  const limits = requestLimitOptions(options.limits);
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory(options),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    maskedErrors: { maskError: maskGatewayError },
    logging: options.logging ?? true,
    graphiql: {
      title: 'GitLab System Hooks',
      defaultQuery: EXAMPLE_QUERY,
      headers: JSON.stringify(options.graphiqlHeaders ?? {}, null, 2),
    },
    // GraphiQL's scripts, styles, fonts and editor workers come inlined in the page, from the installed
    // package, instead of from Yoga's default CDN: it works offline and behind a firewall.
    // Imported on the first page view: the package is a 9 MB module that costs about 95 MB of RSS once loaded,
    // which a gateway that only answers API calls never needs.
    renderGraphiQL: (graphiqlOptions) => {
      graphiqlPage ??= import('@graphql-yoga/render-graphiql')
        .then((module) => module.renderGraphiQL(graphiqlOptions))
        .catch((error: unknown) => {
          // A failed load is not kept: the next page view tries again.
          graphiqlPage = undefined;
          throw error;
        });
      return graphiqlPage;
    },
    extraParamNames: options.trustedDocuments ? [DOCUMENT_ID_PARAM] : undefined,
    // Replaced by useDocumentCache, below.
    parserAndValidationCache: false,
    maxRequestBodySize: limits.maxRequestBodySize,
    batching: limits.batching,
    cors: corsForOrigins(options.corsOrigins ?? []),
    plugins: [
      useDocumentCache(),
      ...limits.plugins,
      useGraphQLJsExecution(),
      useUpstreamReadiness(options.api),
      useIntrospectionSwitch({ enabled: options.introspection }),
      ...(options.trustedDocuments ? [useTrustedDocuments({ documents: options.trustedDocuments })] : []),
    ],
  });
}

/**
 * The upstream client and the gateway as the configuration describes them: what `npm start` serves, and what
 * the benchmark measures. The caller owns both (and closes the client).
 */
export function createConfiguredGateway(
  config: GatewayConfig,
  gitlabUrl: string,
  extra: Pick<GatewayOptions, 'graphiqlHeaders' | 'logging'> = {},
): { gateway: Gateway; client: GitLabClient } {
  const client = createGitLabClient({
    baseUrl: gitlabUrl,
    timeoutMs: config.upstreamTimeoutMs,
    connections: config.upstreamConnections,
    attemptTimeoutMs: config.upstreamAttemptTimeoutMs,
    retry: { retries: config.upstreamRetries },
    circuitBreaker: config.upstreamBreakerFailures > 0 && {
      failureThreshold: config.upstreamBreakerFailures,
      coolDownMs: config.upstreamBreakerCooldownMs,
    },
  });
  const gateway = createGateway({
    api: client,
    defaultCredential: config.gitlabToken,
    introspection: config.introspection,
    trustedDocuments: config.trustedDocuments,
    limits: config.limits,
    corsOrigins: config.corsOrigins,
    ...extra,
  });
  return { gateway, client };
}
