/**
 * What the client tells an observer about its calls, for metrics, logs and traces, without knowing any of them:
 * the seam `src/observability/` plugs into. Without an instrumentation the transport does none of this work.
 *
 * A logical call (`GitLab GET /hooks/:hook_id`) is one or more attempts, each an HTTP request; between them the
 * retry policy may wait, and the circuit breaker may refuse an attempt. Every method is called synchronously
 * from the transport and must not throw.
 */

import type { CircuitState } from './circuit-breaker.ts';
import type { ResponseHeaders } from './json.ts';
import type { Method } from './retry.ts';
import type { CallOptions } from './types.ts';

/** One logical call, as the transport describes it to an observer (never its body). */
export interface ObservedCall {
  method: Method;
  /** Below `/api/v4`, encoded, with its query: `/hooks/12`, `/hooks?page=1&per_page=20`. */
  path: string;
  /** The route, the same for every id: `GET /hooks/:hook_id`. */
  route: string;
}

/** The client an instrumentation is attached to. */
export interface InstrumentedClient {
  /** The GitLab origin, such as `https://gitlab.example.com`. */
  origin: URL;
  /** Path before every route: `/api/v4`, or `/gitlab/api/v4` under a relative root. */
  pathPrefix: string;
  /** The circuit breaker's state, read when asked; `undefined` when the client has no breaker. */
  circuitState: (() => CircuitState) | undefined;
}

export interface UpstreamInstrumentation {
  /** Called once by the client being built, before any call. */
  attach?(client: InstrumentedClient): void;
  /**
   * A logical call starts. `options` are the caller's (its `x-request-id` is in `headers`); the observer
   * returned follows the call to its end, and `undefined` observes nothing.
   */
  startCall(call: ObservedCall, options: CallOptions): CallObserver | undefined;
  /** The breaker moved to `state`: opened (also again, after a failed probe), let a probe through, or closed. */
  circuitChanged?(state: CircuitState): void;
}

export interface CallObserver {
  /**
   * Attempt `attempt` (0 for the first) is about to be sent. The observer it returns is told how it went.
   */
  startAttempt(attempt: number): AttemptObserver;
  /** The breaker refused the next attempt; the call fails with `error` without GitLab being asked. */
  circuitOpen(error: unknown): void;
  /** After `error`, the call waits `delayMs` and tries again. */
  retrying(error: unknown, delayMs: number): void;
  /** The call ended after `durationMs`: answered when `error` is `undefined`, else with `error`. */
  end(error: unknown, durationMs: number): void;
}

export interface AttemptObserver {
  /** Headers this attempt sends besides the call's own, such as `traceparent`. @default none */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** GitLab's response headers are in (before the body is read). */
  responded(status: number, headers: ResponseHeaders): void;
  /** The attempt is over: its answer read when `error` is `undefined`, else failed with `error`. */
  finish(error: unknown): void;
}
