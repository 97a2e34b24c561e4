import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { EventStoreConfig, GatewayConfig } from '../config/index.ts';
import type { EventStore } from '../events/event-store.ts';
import { createMemoryEventStore } from '../events/memory-event-store.ts';
import { createRedisEventStore } from '../events/redis-event-store.ts';
import { createContextFactory, type GatewayContext } from '../graphql/context.ts';
import { maskGatewayError } from '../graphql/errors.ts';
import type { HookLoaderOptions } from '../graphql/loaders/hook-by-id.ts';
import { createDocumentCache, useValidationCache } from '../graphql/plugins/use-document-cache.ts';
import { useGraphQLJsExecution } from '../graphql/plugins/use-graphql-js-execution.ts';
import { useGroupedSubscriptions } from '../graphql/plugins/use-grouped-subscriptions.ts';
import { useIntrospectionSwitch } from '../graphql/plugins/use-introspection-switch.ts';
import { useNoStore } from '../graphql/plugins/use-no-store.ts';
import { cachedProbe, type ReadinessReport, useReadiness } from '../graphql/plugins/use-readiness.ts';
import {
  type RequestLimits,
  requestLimits,
  useRequestLimits,
} from '../graphql/plugins/use-request-limits.ts';
import { useRoute } from '../graphql/plugins/use-route.ts';
import { useSerializableResults } from '../graphql/plugins/use-serializable-results.ts';
import {
  DOCUMENT_ID_PARAM,
  type TrustedDocuments,
  useTrustedDocuments,
} from '../graphql/plugins/use-trusted-documents.ts';
import { schema } from '../graphql/schema/index.ts';
import { type ConfiguredTelemetry, createTelemetry, type Telemetry } from '../observability/index.ts';
import { instrumentGateway } from '../observability/instrument-gateway.ts';
import type { Logger } from '../observability/logger.ts';
import { createGitLabClient, type GitLabClient } from '../upstream/client.ts';
import { isUpstreamError } from '../upstream/errors.ts';
import type { Credential, GitLabHooksApi } from '../upstream/types.ts';
import { createEdgeReceiver, type EdgeRoute } from './edge-receiver.ts';
import { createGraphiQLRenderer, type GraphiQLWebhookExample, graphiqlOptions } from './graphiql.ts';
import { createOriginPolicy } from './origin-policy.ts';
import { createReceiverCore, fetchReceiver, type SystemHookReceiverOptions } from './receiver.ts';
import { ROUTES } from './routes.ts';

export interface GatewayOptions {
  /** The upstream GitLab the gateway resolves against. */
  api: GitLabHooksApi;
  /** Credential for requests that bring none (`GITLAB_TOKEN`). @default none: such requests are refused */
  defaultCredential?: Credential | undefined;
  /** Headers GraphiQL starts with, such as the embedded GitLab's admin token. @default none */
  graphiqlHeaders?: Record<string, string> | undefined;
  /**
   * A project and group whose webhooks GraphiQL's starting document reads, and a hook of the project it tests
   * (`npm start` seeds them). @default none: the document reads system hooks only
   */
  graphiqlWebhookExample?: GraphiQLWebhookExample | undefined;
  /**
   * The global ID of a hook that delivers to this gateway's own receiver: GraphiQL then also shows a
   * subscription and the mutation that makes GitLab deliver a test event to it. A function is asked at each
   * GraphiQL page view, for a hook that can only be made once the gateway listens (`npm start`). @default none
   */
  graphiqlReceiverHookId?: string | (() => string | undefined) | undefined;
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
  /**
   * System hook events: the receiver on `POST /webhooks/system-hooks` and the `systemHookEventReceived`
   * subscription. @default none: the receiver answers 404 and subscribing fails with `EVENTS_DISABLED`
   */
  events?: GatewayEvents | undefined;
  /**
   * Logs, metrics and traces (`src/observability/`); give the same parts to the upstream client's
   * `instrumentation`. Request ids are kept or made, echoed and sent to GitLab whatever is given.
   * @default none: no access log, no metrics, no spans
   */
  telemetry?: Telemetry | undefined;
  /**
   * Aborted when the process starts to shut down: `/ready` answers 503 from then on, so that load balancers stop
   * sending new requests while those in flight finish. @default none
   */
  draining?: AbortSignal | undefined;
  /**
   * How long `/ready` reuses its GitLab probe's answer, in milliseconds; probes meanwhile share it instead of
   * each calling GitLab. `createConfiguredGateway` (npm start) uses `READINESS_PROBE_CACHE_MS`.
   * @default 0: every probe asks GitLab, except that probes share the one in flight
   */
  readinessCacheMs?: number | undefined;
  /**
   * Whether subscribers whose answers to an event are the same bytes share one execution and serialization of
   * it, and get their pending events in one write per flush (docs/events.md). Off, every subscriber's events are
   * executed and written on their own, as Yoga and graphql-ws do; the tests compare the two, the benchmark
   * measures both. @default true
   */
  groupSubscriptions?: boolean | undefined;
  /**
   * With grouping, how long a subscriber woken by an event waits for more before its pending events are
   * written, in milliseconds, from 0 (the end of the event loop's turn) to 100: a few milliseconds of latency
   * that gather the deliveries of that time into one write per subscriber. Out of range, `createGateway`
   * throws (unless grouping is off, when there is no window). @default DEFAULT_FLUSH_WINDOW_MS (4)
   */
  subscriptionFlushWindowMs?: number | undefined;
  /**
   * Yoga plugins of the embedder's, run after the gateway's own (the benchmark measures another executor this
   * way). They see every request and document that reaches Yoga, so they are code the operator vouches for;
   * deliveries the edge serves itself (`edgeRouteOf`) never reach Yoga. @default none
   */
  plugins?: readonly Plugin[] | undefined;
}

/** How long `npm start`'s `/ready` reuses its GitLab probe. */
export const READINESS_PROBE_CACHE_MS = 2_000;

export interface GatewayEvents {
  /** Where accepted deliveries go and subscriptions read them (in memory, or shared through Redis). */
  store: EventStore;
  /** The receiver's secrets and bounds (`WEBHOOK_*`, `MAX_WEBHOOK_BODY_BYTES`). */
  receiver: Omit<SystemHookReceiverOptions, 'store'>;
  /** How often a subscriber's credential is checked again, in milliseconds (`EVENT_AUTH_RECHECK_SECONDS`). */
  authRecheckMs: number;
  /**
   * How old, in milliseconds, a subscriber's last confirmed check may grow while rechecks fail (GitLab 5xx, 429,
   * timeouts, the circuit breaker open) before its streams end with `EVENT_CREDENTIAL_UNCONFIRMED`
   * (`EVENT_AUTH_MAX_STALENESS_SECONDS`); more than `authRecheckMs`.
   * @default 2 × authRecheckMs
   */
  authMaxStalenessMs?: number | undefined;
  /** Subscriptions open at once, over SSE and WebSocket together (`MAX_SUBSCRIPTIONS`). @default 1000 */
  maxSubscriptions?: number | undefined;
  /** Subscriptions of one credential open or starting at once (`MAX_SUBSCRIPTIONS_PER_CREDENTIAL`). @default 100 */
  maxSubscriptionsPerCredential?: number | undefined;
}

export type Gateway = YogaServerInstance<Record<string, never>, GatewayContext>;

/** What `/ready` reports of GitLab: `busy` when the gateway's own load kept its probe from asking. */
const GITLAB_STATES = { up: 'up', down: 'down', busy: 'not checked (gateway busy)' } as const;

/**
 * GitLab is ready when it answers its API: an unauthenticated list is refused with 401, which proves it is up
 * without using anyone's credential. A gateway that is shutting down is not ready, whatever GitLab says. The
 * gateway's own load does not make it unready: the probe waits ahead of every other call for a connection, and
 * when even it finds none, GitLab is not judged (the circuit breaker, which the probe meets too, says whether the
 * calls that reach GitLab fail).
 */
function useUpstreamReadiness(options: GatewayOptions): Plugin {
  const { api, draining } = options;
  const events = options.events?.store;
  const ask = async (): Promise<keyof typeof GITLAB_STATES> => {
    try {
      await api.listHooks({ page: 1, perPage: 1 }, { priority: true });
      return 'up';
    } catch (error) {
      if (!isUpstreamError(error)) return 'down';
      // 401 and 403 answer the missing credential; 429 throttles the gateway's own address: GitLab answers.
      if (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN' || error.code === 'RATE_LIMITED') {
        return 'up';
      }
      return error.code === 'GATEWAY_OVERLOADED' ? 'busy' : 'down';
    }
  };
  // Probes share the one in flight, so that probing cannot crowd out the calls a probe goes ahead of; and a
  // shared probe belongs to no single prober: it runs to the client's deadline rather than to one's signal.
  const probe = cachedProbe(ask, options.readinessCacheMs ?? 0);
  return useReadiness({
    endpoint: ROUTES.ready,
    check: async (): Promise<ReadinessReport> => {
      if (draining?.aborted) return { ready: false, checks: { gateway: 'shutting down' } };
      const gitlab = await probe();
      // A degraded event store (Redis away) still serves this replica's subscribers: reported, not unready.
      const status = events?.status();
      return {
        ready: gitlab !== 'down',
        checks: {
          gitlab: GITLAB_STATES[gitlab],
          ...(status && { events: status.healthy ? 'up' : `degraded: ${status.degraded.join('; ')}` }),
        },
      };
    },
  });
}

/** The edge's own route for each gateway that receives events (`edgeRouteOf`). */
const edgeRoutes = new WeakMap<Gateway, EdgeRoute>();

/**
 * The receiver the edge serves for `gateway` in its `node:http` listener, without Yoga; none when the gateway
 * receives no events (Yoga then answers the path 404). The Yoga route serves the same receiver core to whatever
 * reaches Yoga without the edge (`gateway.fetch`, a test's own server).
 */
export function edgeRouteOf(gateway: Gateway): EdgeRoute | undefined {
  return edgeRoutes.get(gateway);
}

/** The gateway's Yoga instance: GraphQL and GraphiQL at `/graphql`, `/health`, `/ready`. It never listens. */
export function createGateway(options: GatewayOptions): Gateway {
  const limits = requestLimits(options.limits);
  const instrumentation = instrumentGateway(options.telemetry ?? {}, {
    namedOperations: options.trustedDocuments !== undefined,
  });
  const origins = createOriginPolicy(options.corsOrigins ?? []);
  const { events } = options;
  // One receiver, and so one count of the bodies being read, for both ways in.
  const receive =
    events && createReceiverCore({ ...events.receiver, ...instrumentation.receiver, store: events.store });
  const gateway = createYoga<Record<string, never>, GatewayContext>({
    schema,
    context: createContextFactory({
      ...options,
      loader: { ...options.loader, ...instrumentation.context.loader },
      maxUpstreamCalls: limits.maxUpstreamCalls,
      events: options.events && {
        store: options.events.store,
        recheckMs: options.events.authRecheckMs,
        maxStalenessMs: options.events.authMaxStalenessMs,
        maxSubscriptions: options.events.maxSubscriptions,
        maxSubscriptionsPerCredential: options.events.maxSubscriptionsPerCredential,
        observer: instrumentation.context.subscriptions,
      },
      requestScope: instrumentation.context.requestScope,
    }),
    graphqlEndpoint: ROUTES.graphql,
    healthCheckEndpoint: ROUTES.health,
    landingPage: false,
    maskedErrors: { maskError: maskGatewayError },
    logging: instrumentation.yogaLogging(options.logging ?? true),
    graphiql: () => {
      const hookId = options.graphiqlReceiverHookId;
      return graphiqlOptions({
        headers: options.graphiqlHeaders,
        webhookExample: options.graphiqlWebhookExample,
        receiverHookId: typeof hookId === 'function' ? hookId() : hookId,
      });
    },
    renderGraphiQL: createGraphiQLRenderer(),
    extraParamNames: options.trustedDocuments ? [DOCUMENT_ID_PARAM] : undefined,
    // Parsing cached by size and count; validation by useValidationCache (use-document-cache.ts).
    parserAndValidationCache: createDocumentCache(),
    // Replaced by useRequestLimits.
    maxRequestBodySize: false,
    batching: limits.maxBatchOperations > 0 ? { limit: limits.maxBatchOperations } : false,
    cors: origins.cors,
    plugins: [
      ...instrumentation.plugins,
      useNoStore(),
      // Answers on its path before anything GraphQL sees the request.
      ...(receive ? [useRoute(ROUTES.receiver, fetchReceiver(receive))] : []),
      useValidationCache(),
      useRequestLimits(limits),
      useGraphQLJsExecution(),
      ...(options.groupSubscriptions === false
        ? []
        : [
            useGroupedSubscriptions({
              maskError: (error) => maskGatewayError(error, 'Unexpected error.'),
              flushWindowMs: options.subscriptionFlushWindowMs,
            }),
          ]),
      useUpstreamReadiness(options),
      useIntrospectionSwitch({ enabled: options.introspection }),
      useSerializableResults(),
      ...(options.trustedDocuments ? [useTrustedDocuments({ documents: options.trustedDocuments })] : []),
      ...(options.plugins ?? []),
    ],
  });
  if (receive) {
    const logger = options.telemetry?.logger;
    edgeRoutes.set(
      gateway,
      createEdgeReceiver({ receive, instrumentation: instrumentation.edge, origins, logger }),
    );
  }
  return gateway;
}

/** The parts of a configured gateway; its owner closes the event store and the client when it stops. */
export interface ConfiguredGateway {
  gateway: Gateway;
  client: GitLabClient;
  /** The event store, when the gateway receives system hook events. */
  events: EventStore | undefined;
  /** Logs, metrics and traces; its `registry` is what the metrics listener serves. Closed after `client`. */
  telemetry: ConfiguredTelemetry;
}

/**
 * The upstream client, the event store and the gateway as the configuration describes them: what `npm start`
 * serves, and what the benchmark measures. The caller owns them and closes them.
 * `receiverTokens` are accepted besides `WEBHOOK_SECRET_TOKENS` (the embedded GitLab's generated one).
 */
export function createConfiguredGateway(
  config: GatewayConfig,
  gitlabUrl: string,
  extra: Pick<
    GatewayOptions,
    | 'graphiqlHeaders'
    | 'graphiqlWebhookExample'
    | 'graphiqlReceiverHookId'
    | 'logging'
    | 'draining'
    | 'plugins'
    | 'groupSubscriptions'
  > & {
    receiverTokens?: readonly string[];
    /** Where logs go (`npm start`: stdout, at `LOG_LEVEL`). @default none: nothing is logged */
    logger?: Logger;
  } = {},
): ConfiguredGateway {
  const { receiverTokens = [], logger, ...options } = extra;
  const telemetry = createTelemetry(config.observability, {
    logger,
    upstreamTimeoutMs: config.upstream.timeoutMs,
  });
  const client = createGitLabClient({
    instrumentation: telemetry.upstream,
    baseUrl: gitlabUrl,
    ...config.upstream,
  });
  const receiver = {
    ...config.events.receiver,
    secretTokens: [...config.events.receiver.secretTokens, ...receiverTokens],
  };
  const receives = receiver.secretTokens.length > 0 || receiver.signingSecrets.length > 0;
  const events = receives ? createEventStore(config.events.store) : undefined;
  const gateway = createGateway({
    api: client,
    defaultCredential: config.gitlabToken,
    introspection: config.introspection,
    trustedDocuments: config.trustedDocuments,
    limits: config.limits,
    corsOrigins: config.corsOrigins,
    events: events && { store: events, receiver, ...config.events.subscriptions },
    telemetry,
    readinessCacheMs: READINESS_PROBE_CACHE_MS,
    ...options,
  });
  return { gateway, client, events, telemetry };
}

/** The event store `EVENT_RETENTION`, `EVENT_DEDUPE_WINDOW_SECONDS` and `REDIS_URL` describe: shared through Redis, or this process's own. */
function createEventStore({ redisUrl, ...options }: EventStoreConfig): EventStore {
  return redisUrl === undefined
    ? createMemoryEventStore(options)
    : createRedisEventStore({ ...options, redis: redisUrl });
}
