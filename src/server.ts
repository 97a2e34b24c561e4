import { createYoga, type Plugin, type YogaServerInstance, type YogaServerOptions } from 'graphql-yoga';
import type { GatewayConfig } from './config.ts';
import { createContextFactory, type GatewayContext } from './context.ts';
import { maskGatewayError } from './errors.ts';
import { createGraphiQLRenderer, graphiqlOptions } from './graphiql.ts';
import type { HookLoaderOptions } from './loaders/hook-by-id.ts';
import { useDocumentCache } from './plugins/use-document-cache.ts';
import { useGraphQLJsExecution } from './plugins/use-graphql-js-execution.ts';
import { useIntrospectionSwitch } from './plugins/use-introspection-switch.ts';
import { useReadiness } from './plugins/use-readiness.ts';
import { type RequestLimits, requestLimits, useRequestLimits } from './plugins/use-request-limits.ts';
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

/**
 * Headers a browser client may send cross-origin: the credential headers, JSON, and Yoga's CSRF marker. Cookies
 * are never allowed (`credentials: false`): callers authenticate with a header, as they do to GitLab.
 */
const CORS_ALLOWED_HEADERS = [
  'accept',
  'authorization',
  'content-type',
  'private-token',
  'x-graphql-yoga-csrf',
];
const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Yoga's `cors` option for an allow-list of browser origins (`CORS_ORIGINS`). An origin on the list gets itself
 * back in `Access-Control-Allow-Origin`; any other origin, and every origin when the list is empty, gets no CORS
 * headers at all, so the browser keeps its page out.
 */
function corsForOrigins(origins: readonly string[]): YogaServerOptions<object, object>['cors'] {
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      credentials: false,
      maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
    };
  };
}

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
  const limits = requestLimits(options.limits);
  return createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory(options),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    maskedErrors: { maskError: maskGatewayError },
    logging: options.logging ?? true,
    graphiql: graphiqlOptions(options.graphiqlHeaders),
    renderGraphiQL: createGraphiQLRenderer(),
    extraParamNames: options.trustedDocuments ? [DOCUMENT_ID_PARAM] : undefined,
    // Both replaced by the gateway's own plugins: useDocumentCache and useRequestLimits.
    parserAndValidationCache: false,
    maxRequestBodySize: false,
    batching: limits.maxBatchOperations > 0 ? { limit: limits.maxBatchOperations } : false,
    cors: corsForOrigins(options.corsOrigins ?? []),
    plugins: [
      useDocumentCache(),
      useRequestLimits(limits),
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
