import {
  type EmbeddedGitLabConfig,
  EmbeddedGitLabConfigError,
  loadEmbeddedGitLabConfig,
} from '../embedded-gitlab/config.ts';
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
import { EnvironmentReader, type IntegerVariable } from './env-reader.ts';

export { ConfigError } from './env-reader.ts';

/**
 * The gateway's configuration, read once from the environment. Every variable, its default and what it accepts
 * is listed in docs/configuration.md (a test holds that page to what this module reads). Defaults are not
 * restated here: they are imported from the modules they configure.
 */
export interface GatewayConfig {
  /** `PORT`, @default 4000 */
  port: number;
  /** `HOST`, @default '127.0.0.1' (set `0.0.0.0` to serve other machines) */
  host: string;
  /** The HTTP edge: `ALLOWED_HOSTS`, `HTTP_*` timeouts and the connection cap. */
  server: ServerConfig;
  /** `GITLAB_URL`, normalized; unset: the embedded GitLab is started and used. */
  gitlabUrl: string | undefined;
  /** `GITLAB_TOKEN`: credential for requests that bring none. @default none */
  gitlabToken: Credential | undefined;
  /** `UPSTREAM_TIMEOUT_MS`: deadline of each GitLab call. @default GITLAB_CLIENT_DEFAULTS.timeoutMs */
  upstreamTimeoutMs: number;
  /** `UPSTREAM_CONNECTIONS`: sockets kept to GitLab. @default GITLAB_CLIENT_DEFAULTS.connections */
  upstreamConnections: number;
  /** `UPSTREAM_MAX_QUEUED`: calls that may wait for a connection to GitLab. @default GITLAB_CLIENT_DEFAULTS.maxQueued */
  upstreamMaxQueued: number;
  /** `UPSTREAM_ATTEMPT_TIMEOUT_MS`: wait for one attempt's response headers before a retry. @default upstreamTimeoutMs */
  upstreamAttemptTimeoutMs: number;
  /** `UPSTREAM_RETRIES`: retries of a GET, or of a PUT or DELETE where safe; POSTs never. @default RETRY_DEFAULTS.retries */
  upstreamRetries: number;
  /** `UPSTREAM_BREAKER_FAILURES`: consecutive failures that open the circuit breaker; 0 for none. @default CIRCUIT_BREAKER_DEFAULTS.failureThreshold */
  upstreamBreakerFailures: number;
  /** `UPSTREAM_BREAKER_COOLDOWN_MS`: how long an open breaker fails fast before a probe. @default CIRCUIT_BREAKER_DEFAULTS.coolDownMs */
  upstreamBreakerCooldownMs: number;
  /** The embedded GitLab's settings (`EMBEDDED_GITLAB_*`); only when `GITLAB_URL` is unset. */
  embedded: EmbeddedGitLabConfig | undefined;
  /** `INTROSPECTION`: whether `__schema`/`__type` queries are answered. @default true */
  introspection: boolean;
  /** The manifest named by `TRUSTED_DOCUMENTS_FILE`: only its documents run. @default unset: any document runs */
  trustedDocuments: TrustedDocuments | undefined;
  /** `MAX_QUERY_*`, `MAX_REQUEST_BODY_BYTES`, `MAX_BATCH_OPERATIONS`, `MAX_UPSTREAM_CALLS`. @default DEFAULT_REQUEST_LIMITS */
  limits: RequestLimits;
  /** `CORS_ORIGINS`: browser origins allowed to call cross-origin, comma-separated. @default none */
  corsOrigins: string[];
  /** System hook events: the receiver's secrets and bounds, the shared store, the subscribers' checks. */
  events: EventsConfig;
  /** Logs, metrics and traces. */
  observability: ObservabilityConfig;
}

export interface ServerConfig {
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

export interface EventsConfig {
  /** `WEBHOOK_SECRET_TOKENS`: accepted `X-Gitlab-Token` values. @default none */
  secretTokens: string[];
  /** `WEBHOOK_SIGNING_SECRETS`: accepted Standard Webhooks secrets (`whsec_...`). @default none */
  signingSecrets: string[];
  /** `WEBHOOK_SIGNATURE_TOLERANCE_SECONDS`: how far `webhook-timestamp` may be from now. @default 300 */
  signatureToleranceSeconds: number;
  /** `MAX_WEBHOOK_BODY_BYTES`: the largest delivery body. @default DEFAULT_MAX_WEBHOOK_BODY_BYTES (1 MiB) */
  maxBodyBytes: number;
  /** `WEBHOOK_READ_TIMEOUT_MS`: how long a delivery's body may take to arrive. @default DEFAULT_WEBHOOK_READ_TIMEOUT_MS (15 s) */
  readTimeoutMs: number;
  /** `MAX_CONCURRENT_WEBHOOK_BODIES`: delivery bodies read at once. @default DEFAULT_MAX_CONCURRENT_WEBHOOK_BODIES (32) */
  maxConcurrentBodies: number;
  /** `REDIS_URL`: share events, deduplication and retention between replicas. @default unset: one process */
  redisUrl: string | undefined;
  /** `EVENT_RETENTION`: how many recent events are kept for `after`. @default DEFAULT_EVENT_RETENTION (1000) */
  retention: number;
  /** `EVENT_AUTH_RECHECK_SECONDS`: how often a subscriber's credential is checked again. @default 300 */
  authRecheckSeconds: number;
  /**
   * `EVENT_AUTH_MAX_STALENESS_SECONDS`: how old a subscriber's last confirmed check may grow while rechecks fail
   * before its streams end. @default 2 × authRecheckSeconds
   */
  authMaxStalenessSeconds: number;
  /** `MAX_SUBSCRIPTIONS`: subscriptions open at once. @default CREDENTIAL_WATCH_DEFAULTS.maxSubscriptions (1000) */
  maxSubscriptions: number;
  /** `MAX_SUBSCRIPTIONS_PER_CREDENTIAL`. @default CREDENTIAL_WATCH_DEFAULTS.maxSubscriptionsPerCredential (100) */
  maxSubscriptionsPerCredential: number;
  /**
   * `EVENT_DEDUPE_WINDOW_SECONDS`: how long a delivery id is recognised; at least twice the signature tolerance.
   * @default DEFAULT_DEDUPE_WINDOW_SECONDS (86400)
   */
  dedupeWindowSeconds: number;
}

const UPSTREAM_TIMEOUT_MS: IntegerVariable = {
  env: 'UPSTREAM_TIMEOUT_MS',
  min: 1,
  max: 600_000,
  default: GITLAB_CLIENT_DEFAULTS.timeoutMs,
};

/** The integer variables with a fixed default, by the configuration key they set. */
const GATEWAY_VARIABLES = {
  port: { env: 'PORT', min: 0, max: 65535, default: GATEWAY_SERVER_DEFAULTS.port },
  upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
  upstreamConnections: {
    env: 'UPSTREAM_CONNECTIONS',
    min: 1,
    max: 1024,
    default: GITLAB_CLIENT_DEFAULTS.connections,
  },
  upstreamMaxQueued: {
    env: 'UPSTREAM_MAX_QUEUED',
    min: 0,
    max: 100_000,
    default: GITLAB_CLIENT_DEFAULTS.maxQueued,
  },
  upstreamRetries: { env: 'UPSTREAM_RETRIES', min: 0, max: 10, default: RETRY_DEFAULTS.retries },
  upstreamBreakerFailures: {
    env: 'UPSTREAM_BREAKER_FAILURES',
    min: 0,
    max: 1000,
    default: CIRCUIT_BREAKER_DEFAULTS.failureThreshold,
  },
  upstreamBreakerCooldownMs: {
    env: 'UPSTREAM_BREAKER_COOLDOWN_MS',
    min: 1,
    max: 3_600_000,
    default: CIRCUIT_BREAKER_DEFAULTS.coolDownMs,
  },
} satisfies Record<string, IntegerVariable>;

/** The events' integer variables, by their key in `EventsConfig`. */
const EVENT_VARIABLES = {
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
  retention: { env: 'EVENT_RETENTION', min: 1, max: 100_000, default: DEFAULT_EVENT_RETENTION },
  authRecheckSeconds: {
    env: 'EVENT_AUTH_RECHECK_SECONDS',
    min: 1,
    max: 86_400,
    default: CREDENTIAL_WATCH_DEFAULTS.recheckMs / 1000,
  },
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
  dedupeWindowSeconds: {
    env: 'EVENT_DEDUPE_WINDOW_SECONDS',
    min: 600,
    max: 604_800,
    default: DEFAULT_DEDUPE_WINDOW_SECONDS,
  },
} satisfies Record<string, IntegerVariable>;

/** The HTTP edge's integer variables, by their key in `ServerConfig`. */
const SERVER_VARIABLES = {
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

function readAttemptTimeout(reader: EnvironmentReader, timeoutMs: number): number {
  const attemptTimeoutMs = reader.integer({
    env: 'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    min: 1,
    max: UPSTREAM_TIMEOUT_MS.max,
    default: timeoutMs,
  });
  if (attemptTimeoutMs > timeoutMs) {
    reader.problems.push(
      'UPSTREAM_ATTEMPT_TIMEOUT_MS must not exceed UPSTREAM_TIMEOUT_MS, the deadline of the whole call',
    );
  }
  return attemptTimeoutMs;
}

function readServer(reader: EnvironmentReader): ServerConfig {
  const integers = reader.integers(SERVER_VARIABLES);
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (integers.headersTimeoutMs > integers.requestTimeoutMs) {
    reader.problems.push('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return { allowedHosts: reader.take(parseAllowedHosts(reader.list('ALLOWED_HOSTS'))), ...integers };
}

/** `EVENT_AUTH_MAX_STALENESS_SECONDS`: past the interval, or no recheck could confirm a credential in time. */
function readAuthMaxStaleness(reader: EnvironmentReader, recheckSeconds: number): number {
  const seconds = reader.integer({
    env: 'EVENT_AUTH_MAX_STALENESS_SECONDS',
    min: 2,
    max: 2 * EVENT_VARIABLES.authRecheckSeconds.max,
    default: recheckSeconds * CREDENTIAL_WATCH_DEFAULTS.stalenessRechecks,
  });
  if (seconds <= recheckSeconds) {
    reader.problems.push(
      'EVENT_AUTH_MAX_STALENESS_SECONDS must exceed EVENT_AUTH_RECHECK_SECONDS, or no recheck could confirm a credential in time',
    );
  }
  return seconds;
}

/**
 * A signed delivery can be accepted from `tolerance` before its timestamp to `tolerance` after it, so a copy may
 * come up to twice the tolerance after the first: its id must be remembered at least that long, or the copy is
 * published again.
 */
function checkReplayWindow(
  reader: EnvironmentReader,
  events: Record<keyof typeof EVENT_VARIABLES, number>,
): void {
  if (2 * events.signatureToleranceSeconds <= events.dedupeWindowSeconds) return;
  reader.problems.push(
    `WEBHOOK_SIGNATURE_TOLERANCE_SECONDS must be at most half of EVENT_DEDUPE_WINDOW_SECONDS ` +
      `(${Math.floor(events.dedupeWindowSeconds / 2)}): a signed delivery is accepted for twice the tolerance, ` +
      'and its id must be remembered that long',
  );
}

function readEvents(reader: EnvironmentReader): EventsConfig {
  const integers = reader.integers(EVENT_VARIABLES);
  checkReplayWindow(reader, integers);
  return {
    ...integers,
    authMaxStalenessSeconds: readAuthMaxStaleness(reader, integers.authRecheckSeconds),
    secretTokens: reader.secrets('WEBHOOK_SECRET_TOKENS', parseSecretTokens),
    signingSecrets: reader.secrets('WEBHOOK_SIGNING_SECRETS', parseSigningSecrets),
    redisUrl: reader.take(parseRedisUrl(reader.string('REDIS_URL'))),
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

function readEmbeddedGitLab(
  env: NodeJS.ProcessEnv,
  reader: EnvironmentReader,
): EmbeddedGitLabConfig | undefined {
  try {
    return loadEmbeddedGitLabConfig(env);
  } catch (error) {
    if (!(error instanceof EmbeddedGitLabConfigError)) throw error;
    reader.problems.push(...error.problems);
    return undefined;
  }
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

export function loadConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const reader = new EnvironmentReader(env);
  const integers = reader.integers(GATEWAY_VARIABLES);
  const gitlabUrl = readGitLabUrl(reader);
  const config: GatewayConfig = {
    ...integers,
    host: reader.string('HOST') ?? GATEWAY_SERVER_DEFAULTS.host,
    server: readServer(reader),
    gitlabUrl,
    gitlabToken: readGitLabToken(reader),
    upstreamAttemptTimeoutMs: readAttemptTimeout(reader, integers.upstreamTimeoutMs),
    // Without GITLAB_URL (not a bad one), `npm start` runs the embedded GitLab.
    embedded: reader.string('GITLAB_URL') === undefined ? readEmbeddedGitLab(env, reader) : undefined,
    introspection: reader.boolean('INTROSPECTION', INTROSPECTION_DEFAULT),
    trustedDocuments: reader.take(readTrustedDocumentsFile(reader.string('TRUSTED_DOCUMENTS_FILE'))),
    limits: readRequestLimits(reader),
    corsOrigins: reader.take(parseCorsOrigins(reader.list('CORS_ORIGINS'))),
    events: readEvents(reader),
    observability: readObservability(reader, integers.port),
  };
  refuseCompiledQueries(reader);
  reader.assertNoProblems();
  return config;
}
