/**
 * The client's wiring: options, one undici `Pool` for the GitLab origin, and the hooks APIs of every scope over
 * one transport (`transport.ts`: attempts, deadline, retries, breaker).
 */

import { Pool } from 'undici';
import { parseBaseUrl } from './base-url.ts';
import { createCallQueue } from './call-queue.ts';
import { type CircuitBreakerOptions, createCircuitBreaker } from './circuit-breaker.ts';
import { type HookScope, type HookScopeTypes, type ParentArgs, SYSTEM_HOOKS } from './hook-scope.ts';
import { createHooksApi } from './hooks-api.ts';
import type { UpstreamInstrumentation } from './instrumentation.ts';
import { integerOptions } from './options.ts';
import { type RetryOptions, retryPolicy } from './retry.ts';
import { createTransport, sendOverPool } from './transport.ts';
import type { GitLabHooksApi, HooksApi } from './types.ts';

export interface GitLabClientOptions {
  /**
   * The GitLab's base URL (`GITLAB_URL`), for example `https://gitlab.example.com`, or with a relative root
   * `https://x.example/gitlab`. http or https, no user info, no query, no fragment. REST lives at
   * `${baseUrl}/api/v4`.
   */
  baseUrl: string;
  /**
   * Deadline of one call, from before connecting to the last byte of the answer, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Most connections open to GitLab at once; further calls queue.
   * @default 16
   */
  connections?: number;
  /**
   * Most calls waiting for a connection while all `connections` are busy; one more fails at once with
   * `GATEWAY_OVERLOADED`, as does a call that has waited half its `timeoutMs` (the other half is left for GitLab
   * to answer). Neither counts against the circuit breaker: the wait is the gateway's load, not GitLab's failure.
   * `0` lets no call wait.
   * @default 256
   */
  maxQueued?: number;
  /**
   * Deadline of establishing a connection (TCP and TLS), in milliseconds.
   * @default 5_000
   */
  connectTimeoutMs?: number;
  /**
   * How long an idle connection is kept for reuse, in milliseconds. Below the 5 s that common servers keep
   * idle connections, so the client never sends on a socket the server is closing.
   * @default 4_000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Largest answer body accepted, in bytes. A larger one fails the call with `UPSTREAM_UNAVAILABLE` and its
   * connection is destroyed.
   * @default 8_388_608 (8 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Deadline of one attempt's response headers, in milliseconds: an attempt that gets none by then is given
   * up and, where the retry policy allows, tried again within what is left of `timeoutMs`. Equal to
   * `timeoutMs`, a silent GitLab is waited for until the call's deadline and never retried.
   * @default timeoutMs
   */
  attemptTimeoutMs?: number;
  /**
   * Which failed calls are tried again, and how (see `retry.ts`: GETs and PUTs on transient faults, DELETEs
   * only when GitLab never got them, POSTs never).
   * @default { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 2_000 }
   */
  retry?: RetryOptions;
  /**
   * A circuit breaker for this origin: after consecutive failures, calls fail fast with
   * `UPSTREAM_UNAVAILABLE` for a cool-down, then one probe decides. `false`, or a `failureThreshold` of 0 (as
   * `UPSTREAM_BREAKER_FAILURES=0` says), for none. The gateway's configuration turns it on; a bare client has
   * none, so that it reports every fault as GitLab gave it.
   * @default false
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  /**
   * Told about every call, attempt, retry and breaker change, for metrics, logs and traces
   * (`src/observability/`). @default none
   */
  instrumentation?: UpstreamInstrumentation | undefined;
}

/** The hooks APIs of one GitLab, over one connection pool. */
export interface GitLabClient extends GitLabHooksApi {
  /** The GitLab origin every call (and every credential) goes to, e.g. `https://gitlab.example.com`. */
  readonly origin: string;
  /** Closes the pool once calls in flight have finished. */
  close(): Promise<void>;
}

/** The defaults of `GitLabClientOptions`' limits; the gateway's configuration reads them from here. */
export const GITLAB_CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  connections: 16,
  connectTimeoutMs: 5_000,
  keepAliveTimeoutMs: 4_000,
  maxResponseBytes: 8 * 1024 * 1024,
  maxQueued: 256,
} as const;

const OPTION = { prefix: 'GitLab client option ', min: 1 } as const;

/** A server's keep-alive hint is honoured up to this. */
const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;
/** Subtracted from a server's keep-alive hint, for the time a request spends in transit. */
const KEEP_ALIVE_THRESHOLD_MS = 1_000;
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * A client of one GitLab's hooks APIs. Each call carries the caller's credential to this GitLab only,
 * is bounded by `timeoutMs` and `maxResponseBytes`, and fails with an `UpstreamError`, except when the
 * caller's own signal aborts it: that rejects with the signal's reason. Invalid ids, page numbers or keys
 * reject with a `RangeError` before any request. Throws a `TypeError` (a `BaseUrlError`) for a base URL it
 * will not use, and a `RangeError` for a limit that is not a positive integer.
 */
export function createGitLabClient(options: GitLabClientOptions): GitLabClient {
  const base = parseBaseUrl(options.baseUrl);
  const { maxQueued: queueDefault, ...positive } = GITLAB_CLIENT_DEFAULTS;
  const limits = integerOptions(options, positive, OPTION);
  const { attemptTimeoutMs } = integerOptions(options, { attemptTimeoutMs: limits.timeoutMs }, OPTION);
  const { maxQueued } = integerOptions(options, { maxQueued: queueDefault }, { ...OPTION, min: 0 });
  const retry = retryPolicy(options.retry);
  const instrumentation = options.instrumentation;
  const onStateChange = instrumentation?.circuitChanged?.bind(instrumentation);
  const breaker =
    options.circuitBreaker && options.circuitBreaker.failureThreshold !== 0
      ? createCircuitBreaker(base.origin, { onStateChange, ...options.circuitBreaker })
      : undefined;
  instrumentation?.attach?.({
    origin: new URL(base.origin),
    pathPrefix: base.prefix,
    circuitState: breaker && (() => breaker.state),
  });

  // No redirect interceptor is composed in, so a 3xx comes back as an answer and is never followed.
  const pool = new Pool(base.origin, {
    connections: limits.connections,
    pipelining: 1,
    connectTimeout: limits.connectTimeoutMs,
    // The per-call deadline normally fires first; these bound a call even if a signal were lost.
    headersTimeout: limits.timeoutMs,
    bodyTimeout: limits.timeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(KEEP_ALIVE_MAX_TIMEOUT_MS, limits.keepAliveTimeoutMs),
    keepAliveTimeoutThreshold: KEEP_ALIVE_THRESHOLD_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    maxResponseSize: limits.maxResponseBytes,
  });
  const transport = createTransport({
    send: sendOverPool(pool, base.prefix, limits.maxResponseBytes),
    timeoutMs: limits.timeoutMs,
    attemptTimeoutMs: Math.min(limits.timeoutMs, attemptTimeoutMs),
    retry,
    breaker,
    // Half the deadline: an attempt that leaves the queue has at least the other half for GitLab to answer.
    queue: createCallQueue({
      concurrency: limits.connections,
      maxQueued,
      maxWaitMs: Math.max(1, Math.floor(limits.timeoutMs / 2)),
    }),
    instrumentation,
  });

  let closing: Promise<void> | undefined;
  return {
    ...createHooksApi(transport, SYSTEM_HOOKS, undefined),
    hooks<T extends HookScopeTypes>(scope: HookScope<T>, ...parent: ParentArgs<T>): HooksApi<T> {
      // The system hooks' calls are this object's own methods, so a copy that replaces one of them (a test
      // double spreading a client) is served through the copy.
      if ((scope as HookScope) === SYSTEM_HOOKS) return this as unknown as HooksApi<T>;
      return createHooksApi(transport, scope, parent[0] as T['parent']);
    },
    origin: base.origin,
    close() {
      closing ??= pool.close();
      return closing;
    },
  };
}
