import { CREDENTIAL_WATCH_DEFAULTS } from '../events/credential-watch.ts';
import { DEFAULT_DEDUPE_WINDOW_SECONDS, DEFAULT_EVENT_RETENTION } from '../events/event-store.ts';
import { parseRedisUrl } from '../events/redis-url.ts';
import {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  parseSecretTokens,
  parseSigningSecrets,
} from '../events/verification.ts';
import { INTROSPECTION_DEFAULT } from '../graphql/plugins/use-introspection-switch.ts';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../graphql/plugins/use-request-limits.ts';
import { readTrustedDocumentsFile, type TrustedDocuments } from '../graphql/plugins/use-trusted-documents.ts';
import { parseAllowedHosts } from '../http/allowed-hosts.ts';
import { parseCorsOrigins } from '../http/origin-policy.ts';
import {
  DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES,
  DEFAULT_MAX_WEBHOOK_BODY_BYTES,
  DEFAULT_WEBHOOK_READ_TIMEOUT_MS,
} from '../http/receiver.ts';
import { GATEWAY_SERVER_DEFAULTS } from '../http/server.ts';
import type { ObservabilityConfig } from '../observability/index.ts';
import { isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS } from '../observability/logger.ts';
import { METRICS_SERVER_DEFAULTS } from '../observability/metrics-server.ts';
import { OTEL_VARIABLES, type OtelVariable, parseTracingEnvironment } from '../observability/otel-env.ts';
import { BaseUrlError, parseBaseUrl } from '../upstream/base-url.ts';
import { CIRCUIT_BREAKER_DEFAULTS } from '../upstream/circuit-breaker.ts';
import { GITLAB_CLIENT_DEFAULTS } from '../upstream/client.ts';
import { RETRY_DEFAULTS } from '../upstream/retry.ts';
import { type Credential, isWellFormedToken } from '../upstream/types.ts';
import { ConfigError, EnvironmentReader, type IntegerVariable } from './env-reader.ts';

export { ConfigError } from './env-reader.ts';

/**
 * The gateway's configuration, read once from the environment, in sections shaped as their consumers take them:
 * `server` is what `startGatewayServer` takes, `upstream` what `createGitLabClient` takes beside its base URL and
 * instrumentation, `events` what the receiver, the event store and the subscriptions take, each in the units it
 * counts in. Every variable, its default and what it accepts is listed in docs/configuration.md (a test holds
 * that page to what this module reads). Defaults are not restated here: they are imported from the modules they
 * configure.
 */
export interface GatewayConfig {
  /** The HTTP edge: `HOST`, `PORT`, `ALLOWED_HOSTS`, `HTTP_*` timeouts and the connection cap. */
  server: ServerConfig;
  /** `GITLAB_URL`, normalized; unset: `npm start` adds the embedded GitLab (`usesEmbeddedGitLab`, `src/dev/`). */
  gitlabUrl: string | undefined;
  /** `GITLAB_TOKEN`: credential for requests that bring none. @default none */
  gitlabToken: Credential | undefined;
  /** The GitLab client's bounds, retries and circuit breaker (`UPSTREAM_*`). */
  upstream: UpstreamConfig;
  /** `INTROSPECTION`: whether `__schema`/`__type` queries are answered. @default INTROSPECTION_DEFAULT (true) */
  introspection: boolean;
  /** The manifest named by `TRUSTED_DOCUMENTS_FILE`: only its documents run. @default unset: any document runs */
  trustedDocuments: TrustedDocuments | undefined;
  /** `MAX_QUERY_*`, `MAX_REQUEST_BODY_BYTES`, `MAX_BATCH_OPERATIONS`, `MAX_UPSTREAM_CALLS`. @default DEFAULT_REQUEST_LIMITS */
  limits: RequestLimits;
  /**
   * `CORS_ORIGINS`: browser origins allowed to call cross-origin and to open a WebSocket, comma-separated (the
   * gateway's and the edge's `corsOrigins`). @default none
   */
  corsOrigins: string[];
  /** System hook events: the receiver's secrets and bounds, the shared store, the subscribers' checks. */
  events: EventsConfig;
  /** Logs, metrics and traces. */
  observability: ObservabilityConfig;
}

/** The edge's settings, as `GatewayServerOptions` names them. */
export interface ServerConfig {
  /** `HOST`: the address to listen on (`0.0.0.0` serves other machines). @default GATEWAY_SERVER_DEFAULTS.host */
  host: string;
  /** `PORT`. @default GATEWAY_SERVER_DEFAULTS.port (4000) */
  port: number;
  /** `ALLOWED_HOSTS`: host names answered besides IP literals, `localhost` and a named `HOST`. @default none */
  allowedHosts: string[];
  /** `HTTP_HEADERS_TIMEOUT_MS`. @default GATEWAY_SERVER_DEFAULTS.headersTimeoutMs */
  headersTimeoutMs: number;
  /** `HTTP_REQUEST_TIMEOUT_MS`: receiving a whole request, not answering it. @default GATEWAY_SERVER_DEFAULTS.requestTimeoutMs */
  requestTimeoutMs: number;
  /** `HTTP_KEEP_ALIVE_TIMEOUT_MS`. @default GATEWAY_SERVER_DEFAULTS.keepAliveTimeoutMs */
  keepAliveTimeoutMs: number;
  /** `HTTP_MAX_CONNECTIONS`. @default GATEWAY_SERVER_DEFAULTS.maxConnections */
  maxConnections: number;
}

/** The GitLab client's settings, as `GitLabClientOptions` names them. */
export interface UpstreamConfig {
  /** `UPSTREAM_TIMEOUT_MS`: deadline of each GitLab call. @default GITLAB_CLIENT_DEFAULTS.timeoutMs */
  timeoutMs: number;
  /** `UPSTREAM_CONNECTIONS`: sockets kept to GitLab. @default GITLAB_CLIENT_DEFAULTS.connections */
  connections: number;
  /** `UPSTREAM_MAX_QUEUED`: calls that may wait for a connection to GitLab. @default GITLAB_CLIENT_DEFAULTS.maxQueued */
  maxQueued: number;
  /** `UPSTREAM_ATTEMPT_TIMEOUT_MS`: wait for one attempt's response headers before a retry. @default timeoutMs */
  attemptTimeoutMs: number;
  retry: {
    /** `UPSTREAM_RETRIES`: retries of a GET, or of a PUT or DELETE where safe; POSTs never. @default RETRY_DEFAULTS.retries */
    retries: number;
  };
  circuitBreaker: {
    /** `UPSTREAM_BREAKER_FAILURES`: consecutive failures that open the breaker; 0 for none. @default CIRCUIT_BREAKER_DEFAULTS.failureThreshold */
    failureThreshold: number;
    /** `UPSTREAM_BREAKER_COOLDOWN_MS`: how long an open breaker fails fast before a probe. @default CIRCUIT_BREAKER_DEFAULTS.coolDownMs */
    coolDownMs: number;
  };
}

export interface EventsConfig {
  /** The receiver's secrets and bounds, as `SystemHookReceiverOptions` names them. */
  receiver: ReceiverConfig;
  /** Where events are kept: this process, or shared through Redis. */
  store: EventStoreConfig;
  /** The subscriptions' credential checks and caps, as `GatewayEvents` names them. */
  subscriptions: SubscriptionsConfig;
}

export interface ReceiverConfig {
  /** `WEBHOOK_SECRET_TOKENS`: accepted `X-Gitlab-Token` values. @default none */
  secretTokens: string[];
  /** `WEBHOOK_SIGNING_SECRETS`: accepted Standard Webhooks secrets (`whsec_...`). @default none */
  signingSecrets: string[];
  /** `WEBHOOK_SIGNATURE_TOLERANCE_SECONDS`: how far `webhook-timestamp` may be from now. @default DEFAULT_SIGNATURE_TOLERANCE_SECONDS (300) */
  signatureToleranceSeconds: number;
  /** `MAX_WEBHOOK_BODY_BYTES`: the largest delivery body. @default DEFAULT_MAX_WEBHOOK_BODY_BYTES (1 MiB) */
  maxBodyBytes: number;
  /** `WEBHOOK_READ_TIMEOUT_MS`: how long a delivery's body may take to arrive. @default DEFAULT_WEBHOOK_READ_TIMEOUT_MS (15 s) */
  readTimeoutMs: number;
  /** `MAX_CONCURRENT_WEBHOOK_BODIES`: delivery bodies read at once. @default DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES (32) */
  maxConcurrentBodies: number;
}

export interface EventStoreConfig {
  /** `REDIS_URL`: share events, deduplication and retention between replicas. @default unset: one process */
  redisUrl: string | undefined;
  /** `EVENT_RETENTION`: how many recent events are kept for `after`. @default DEFAULT_EVENT_RETENTION (1000) */
  retention: number;
  /**
   * `EVENT_DEDUPE_WINDOW_SECONDS`: how long a delivery id is recognised; at least twice the signature tolerance.
   * @default DEFAULT_DEDUPE_WINDOW_SECONDS (86400)
   */
  dedupeWindowSeconds: number;
}

export interface SubscriptionsConfig {
  /**
   * `EVENT_AUTH_RECHECK_SECONDS`, in milliseconds: how often a subscriber's credential is checked again.
   * @default CREDENTIAL_WATCH_DEFAULTS.recheckMs (300 s)
   */
  authRecheckMs: number;
  /**
   * `EVENT_AUTH_MAX_STALENESS_SECONDS`, in milliseconds: how old a subscriber's last confirmed check may grow
   * while rechecks fail before its streams end. @default 2 × authRecheckMs
   */
  authMaxStalenessMs: number;
  /** `MAX_SUBSCRIPTIONS`: subscriptions open at once. @default CREDENTIAL_WATCH_DEFAULTS.maxSubscriptions (1000) */
  maxSubscriptions: number;
  /** `MAX_SUBSCRIPTIONS_PER_CREDENTIAL`. @default CREDENTIAL_WATCH_DEFAULTS.maxSubscriptionsPerCredential (100) */
  maxSubscriptionsPerCredential: number;
}

const UPSTREAM_TIMEOUT_MS: IntegerVariable = {
  env: 'UPSTREAM_TIMEOUT_MS',
  min: 1,
  max: 600_000,
  default: GITLAB_CLIENT_DEFAULTS.timeoutMs,
};

/** The GitLab client's integer variables, by their key in `GitLabClientOptions`. */
const UPSTREAM_VARIABLES = {
  timeoutMs: UPSTREAM_TIMEOUT_MS,
  connections: {
    env: 'UPSTREAM_CONNECTIONS',
    min: 1,
    max: 1024,
    default: GITLAB_CLIENT_DEFAULTS.connections,
  },
  maxQueued: {
    env: 'UPSTREAM_MAX_QUEUED',
    min: 0,
    max: 100_000,
    default: GITLAB_CLIENT_DEFAULTS.maxQueued,
  },
} satisfies Record<string, IntegerVariable>;

const UPSTREAM_RETRY_VARIABLES = {
  retries: { env: 'UPSTREAM_RETRIES', min: 0, max: 10, default: RETRY_DEFAULTS.retries },
} satisfies Record<string, IntegerVariable>;

const UPSTREAM_BREAKER_VARIABLES = {
  failureThreshold: {
    env: 'UPSTREAM_BREAKER_FAILURES',
    min: 0,
    max: 1000,
    default: CIRCUIT_BREAKER_DEFAULTS.failureThreshold,
  },
  coolDownMs: {
    env: 'UPSTREAM_BREAKER_COOLDOWN_MS',
    min: 1,
    max: 3_600_000,
    default: CIRCUIT_BREAKER_DEFAULTS.coolDownMs,
  },
} satisfies Record<string, IntegerVariable>;

/** The receiver's integer variables, by their key in `ReceiverConfig`. */
const RECEIVER_VARIABLES = {
  signatureToleranceSeconds: {
    env: 'WEBHOOK_SIGNATURE_TOLERANCE_SECONDS',
    min: 1,
    max: 86_400,
    default: DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  },
  // GitLab refuses to send a payload over 25 MiB.
  maxBodyBytes: {
    env: 'MAX_WEBHOOK_BODY_BYTES',
    min: 1024,
    max: 26_214_400,
    default: DEFAULT_MAX_WEBHOOK_BODY_BYTES,
  },
  // Above GitLab's own 10 s, which it may be configured to raise (its `webhook_timeout`, up to 5 minutes).
  readTimeoutMs: {
    env: 'WEBHOOK_READ_TIMEOUT_MS',
    min: 1000,
    max: 300_000,
    default: DEFAULT_WEBHOOK_READ_TIMEOUT_MS,
  },
  maxConcurrentBodies: {
    env: 'MAX_CONCURRENT_WEBHOOK_BODIES',
    min: 1,
    max: 10_000,
    default: DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES,
  },
} satisfies Record<string, IntegerVariable>;

/** The event store's integer variables, by their key in `EventStoreConfig`. */
const STORE_VARIABLES = {
  retention: { env: 'EVENT_RETENTION', min: 1, max: 100_000, default: DEFAULT_EVENT_RETENTION },
  dedupeWindowSeconds: {
    env: 'EVENT_DEDUPE_WINDOW_SECONDS',
    min: 600,
    max: 604_800,
    default: DEFAULT_DEDUPE_WINDOW_SECONDS,
  },
} satisfies Record<string, IntegerVariable>;

/** `EVENT_AUTH_RECHECK_SECONDS`, read in seconds as documented and kept in milliseconds as the watch counts. */
const AUTH_RECHECK_SECONDS: IntegerVariable = {
  env: 'EVENT_AUTH_RECHECK_SECONDS',
  min: 1,
  max: 86_400,
  default: CREDENTIAL_WATCH_DEFAULTS.recheckMs / 1000,
};

/** The subscriptions' caps, by their key in `SubscriptionsConfig`. */
const SUBSCRIPTION_VARIABLES = {
  maxSubscriptions: {
    env: 'MAX_SUBSCRIPTIONS',
    min: 1,
    max: 1_000_000,
    default: CREDENTIAL_WATCH_DEFAULTS.maxSubscriptions,
  },
  maxSubscriptionsPerCredential: {
    env: 'MAX_SUBSCRIPTIONS_PER_CREDENTIAL',
    min: 1,
    max: 1_000_000,
    default: CREDENTIAL_WATCH_DEFAULTS.maxSubscriptionsPerCredential,
  },
} satisfies Record<string, IntegerVariable>;

/** The HTTP edge's integer variables, by their key in `ServerConfig`. */
const SERVER_VARIABLES = {
  port: { env: 'PORT', min: 0, max: 65535, default: GATEWAY_SERVER_DEFAULTS.port },
  headersTimeoutMs: {
    env: 'HTTP_HEADERS_TIMEOUT_MS',
    min: 100,
    max: 3_600_000,
    default: GATEWAY_SERVER_DEFAULTS.headersTimeoutMs,
  },
  requestTimeoutMs: {
    env: 'HTTP_REQUEST_TIMEOUT_MS',
    min: 100,
    max: 3_600_000,
    default: GATEWAY_SERVER_DEFAULTS.requestTimeoutMs,
  },
  // Not 0: Node then never closes an idle keep-alive connection.
  keepAliveTimeoutMs: {
    env: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
    min: 100,
    max: 3_600_000,
    default: GATEWAY_SERVER_DEFAULTS.keepAliveTimeoutMs,
  },
  maxConnections: {
    env: 'HTTP_MAX_CONNECTIONS',
    min: 1,
    max: 1_000_000,
    default: GATEWAY_SERVER_DEFAULTS.maxConnections,
  },
} satisfies Record<string, IntegerVariable>;

/** The request limits, by their key in `RequestLimits`. */
const LIMIT_VARIABLES = {
  maxTokens: { env: 'MAX_QUERY_TOKENS', min: 1, max: 1_000_000 },
  maxDepth: { env: 'MAX_QUERY_DEPTH', min: 1, max: 1000 },
  maxAliases: { env: 'MAX_QUERY_ALIASES', min: 0, max: 10_000 },
  maxDirectives: { env: 'MAX_QUERY_DIRECTIVES', min: 0, max: 10_000 },
  maxComplexity: { env: 'MAX_QUERY_COMPLEXITY', min: 1, max: 1_000_000 },
  maxRequestBodyBytes: { env: 'MAX_REQUEST_BODY_BYTES', min: 1024, max: 104_857_600 },
  maxBatchOperations: { env: 'MAX_BATCH_OPERATIONS', min: 0, max: 1000 },
  maxUpstreamCalls: { env: 'MAX_UPSTREAM_CALLS', min: 1, max: 100_000 },
} satisfies Record<keyof RequestLimits, Omit<IntegerVariable, 'default'>>;

function readRequestLimits(reader: EnvironmentReader): RequestLimits {
  const table = Object.fromEntries(
    Object.entries(LIMIT_VARIABLES).map(([key, variable]) => [
      key,
      { ...variable, default: DEFAULT_REQUEST_LIMITS[key as keyof RequestLimits] },
    ]),
  ) as Record<keyof RequestLimits, IntegerVariable>;
  return reader.integers(table);
}

function readGitLabUrl(reader: EnvironmentReader): string | undefined {
  const raw = reader.string('GITLAB_URL');
  if (raw === undefined) return undefined;
  try {
    return parseBaseUrl(raw).href;
  } catch (error) {
    if (!(error instanceof BaseUrlError)) throw error;
    reader.problems.push(`GITLAB_URL ${error.reason}`);
    return undefined;
  }
}

function readGitLabToken(reader: EnvironmentReader): Credential | undefined {
  // Not trimmed: a token is used exactly as given, and one with spaces is refused.
  const token = reader.raw('GITLAB_TOKEN');
  if (token === undefined) return undefined;
  if (isWellFormedToken(token)) return { scheme: 'private-token', token };
  // The value is never quoted back: it is a secret.
  reader.problems.push('GITLAB_TOKEN must be 1 to 1024 visible ASCII characters without spaces');
  return undefined;
}

function readUpstream(reader: EnvironmentReader): UpstreamConfig {
  const integers = reader.integers(UPSTREAM_VARIABLES);
  const retry = reader.integers(UPSTREAM_RETRY_VARIABLES);
  const circuitBreaker = reader.integers(UPSTREAM_BREAKER_VARIABLES);
  const attemptTimeoutMs = reader.integer({
    env: 'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    min: 1,
    max: UPSTREAM_TIMEOUT_MS.max,
    default: integers.timeoutMs,
  });
  if (attemptTimeoutMs > integers.timeoutMs) {
    reader.problems.push(
      'UPSTREAM_ATTEMPT_TIMEOUT_MS must not exceed UPSTREAM_TIMEOUT_MS, the deadline of the whole call',
    );
  }
  return { ...integers, attemptTimeoutMs, retry, circuitBreaker };
}

function readServer(reader: EnvironmentReader): ServerConfig {
  const integers = reader.integers(SERVER_VARIABLES);
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (integers.headersTimeoutMs > integers.requestTimeoutMs) {
    reader.problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return {
    host: reader.string('HOST') ?? GATEWAY_SERVER_DEFAULTS.host,
    allowedHosts: reader.take(parseAllowedHosts(reader.list('ALLOWED_HOSTS'))),
    ...integers,
  };
}

/** `EVENT_AUTH_RECHECK_SECONDS` and `EVENT_AUTH_MAX_STALENESS_SECONDS` (past the interval, or no recheck could confirm a credential in time), in milliseconds. */
function readAuthChecks(
  reader: EnvironmentReader,
): Pick<SubscriptionsConfig, 'authRecheckMs' | 'authMaxStalenessMs'> {
  const recheckSeconds = reader.integer(AUTH_RECHECK_SECONDS);
  const stalenessSeconds = reader.integer({
    env: 'EVENT_AUTH_MAX_STALENESS_SECONDS',
    min: 2,
    max: 2 * AUTH_RECHECK_SECONDS.max,
    default: recheckSeconds * CREDENTIAL_WATCH_DEFAULTS.stalenessRechecks,
  });
  if (stalenessSeconds <= recheckSeconds) {
    reader.problems.push(
      'EVENT_AUTH_MAX_STALENESS_SECONDS must exceed EVENT_AUTH_RECHECK_SECONDS, or no recheck could confirm a credential in time',
    );
  }
  return { authRecheckMs: recheckSeconds * 1000, authMaxStalenessMs: stalenessSeconds * 1000 };
}

/**
 * A signed delivery can be accepted from `tolerance` before its timestamp to `tolerance` after it, so a copy may
 * come up to twice the tolerance after the first: its id must be remembered at least that long, or the copy is
 * published again.
 */
function checkReplayWindow(
  reader: EnvironmentReader,
  signatureToleranceSeconds: number,
  dedupeWindowSeconds: number,
): void {
  if (2 * signatureToleranceSeconds <= dedupeWindowSeconds) return;
  reader.problems.push(
    `WEBHOOK_SIGNATURE_TOLERANCE_SECONDS must be at most half of EVENT_DEDUPE_WINDOW_SECONDS ` +
      `(${Math.floor(dedupeWindowSeconds / 2)}): a signed delivery is accepted for twice the tolerance, ` +
      'and its id must be remembered that long',
  );
}

function readEvents(reader: EnvironmentReader): EventsConfig {
  const receiver = reader.integers(RECEIVER_VARIABLES);
  const store = reader.integers(STORE_VARIABLES);
  checkReplayWindow(reader, receiver.signatureToleranceSeconds, store.dedupeWindowSeconds);
  const authChecks = readAuthChecks(reader);
  return {
    receiver: {
      secretTokens: reader.secrets('WEBHOOK_SECRET_TOKENS', parseSecretTokens),
      signingSecrets: reader.secrets('WEBHOOK_SIGNING_SECRETS', parseSigningSecrets),
      ...receiver,
    },
    store: { redisUrl: reader.take(parseRedisUrl(reader.string('REDIS_URL'))), ...store },
    subscriptions: { ...authChecks, ...reader.integers(SUBSCRIPTION_VARIABLES) },
  };
}

const METRICS_PORT: IntegerVariable = {
  env: 'METRICS_PORT',
  min: 0,
  max: 65535,
  default: METRICS_SERVER_DEFAULTS.port,
};

function readObservability(reader: EnvironmentReader, port: number): ObservabilityConfig {
  // graphql-yoga's own switch, `DEBUG=1`, also turns the gateway's debug lines on (any other value belongs to
  // the `debug` package's conventions and is left alone).
  const yogaDebug = reader.string('DEBUG') === '1';
  const level = reader.string('LOG_LEVEL')?.toLowerCase() ?? (yogaDebug ? 'debug' : 'info');
  if (!isLogLevel(level)) {
    reader.problems.push(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level.slice(0, 40))}`,
    );
  }
  // Unset, the terminal decides (text for a person, JSON lines for a collector): only a forced format is kept.
  const format = reader.string('LOG_FORMAT')?.toLowerCase();
  if (format !== undefined && !isLogFormat(format)) {
    reader.problems.push(
      `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(format.slice(0, 40))}`,
    );
  }
  const metrics = reader.boolean('METRICS', false);
  const metricsHost = reader.string('METRICS_HOST') ?? METRICS_SERVER_DEFAULTS.host;
  const metricsPort = reader.integer(METRICS_PORT);
  if (metrics && metricsPort !== 0 && metricsPort === port) {
    reader.problems.push('METRICS_PORT must differ from PORT: metrics are never served on the GraphQL port');
  }
  const raw = Object.fromEntries(OTEL_VARIABLES.map((name) => [name, reader.string(name)])) as Record<
    OtelVariable,
    string | undefined
  >;
  const { tracing, problems } = parseTracingEnvironment(raw);
  reader.problems.push(...problems);
  const trustIncoming = reader.boolean('TRUST_INCOMING_TRACE_CONTEXT', true);
  return {
    logLevel: isLogLevel(level) ? level : 'info',
    ...(format !== undefined && isLogFormat(format) && { logFormat: format }),
    yogaDebug,
    metrics: metrics ? { host: metricsHost, port: metricsPort } : undefined,
    tracing: tracing && { ...tracing, trustIncoming },
  };
}

/**
 * `COMPILED_QUERIES` is gone with graphql-jit, which turned a document's literal values into generated code
 * (docs/security.md). `false` asked for what every gateway now does and is accepted; `true` asked for what no longer
 * exists, and a gateway that silently ran otherwise would mislead its operator.
 */
function refuseCompiledQueries(reader: EnvironmentReader): void {
  if (!reader.boolean('COMPILED_QUERIES', false)) return;
  reader.problems.push(
    'COMPILED_QUERIES is no longer supported: queries always run with graphql-js, since compiling client documents into code let any caller run code in the gateway (see docs/security.md); unset it',
  );
}

/**
 * Whether `npm start` adds the embedded GitLab (`src/dev/`): `GITLAB_URL` is unset, not merely invalid (an invalid
 * one is a problem to report, not a request for a stand-in).
 */
export function usesEmbeddedGitLab(env: NodeJS.ProcessEnv): boolean {
  return new EnvironmentReader(env).string('GITLAB_URL') === undefined;
}

/**
 * The configuration, and every problem found instead of a `ConfigError`: for a caller that reads more variables
 * and reports their problems together with these (`src/dev/`).
 */
export function readConfig(env: NodeJS.ProcessEnv): { value: GatewayConfig; problems: string[] } {
  const reader = new EnvironmentReader(env);
  const server = readServer(reader);
  const value: GatewayConfig = {
    server,
    gitlabUrl: readGitLabUrl(reader),
    gitlabToken: readGitLabToken(reader),
    upstream: readUpstream(reader),
    introspection: reader.boolean('INTROSPECTION', INTROSPECTION_DEFAULT),
    trustedDocuments: reader.take(readTrustedDocumentsFile(reader.string('TRUSTED_DOCUMENTS_FILE'))),
    limits: readRequestLimits(reader),
    corsOrigins: reader.take(parseCorsOrigins(reader.list('CORS_ORIGINS'))),
    events: readEvents(reader),
    observability: readObservability(reader, server.port),
  };
  refuseCompiledQueries(reader);
  return { value, problems: reader.problems };
}

/** The configuration; throws a `ConfigError` that lists every problem found. */
export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const { value, problems } = readConfig(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return value;
}
