import { UpstreamError } from './errors.ts';

/**
 * A circuit breaker for one upstream origin. Closed, it lets every attempt through and counts consecutive
 * failures (answers 5xx, connections refused or lost, timeouts; a 4xx or any other answer proves GitLab is
 * up and resets the count). At `failureThreshold` it opens: attempts fail at once with
 * `UPSTREAM_UNAVAILABLE`, sparing a GitLab in trouble and answering callers in microseconds instead of a
 * deadline. After `coolDownMs` it is half-open: one attempt goes through as a probe while the others still
 * fail fast; the probe's success closes the breaker, its failure opens it for another cool-down.
 */

export interface CircuitBreakerOptions {
  /**
   * Consecutive failed attempts that open the breaker.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long the breaker stays open before it lets a probe through, in milliseconds.
   * @default 10_000
   */
  coolDownMs?: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** The right to make one attempt; exactly one of its methods is called when the attempt ends. */
export interface CircuitPermit {
  /** GitLab answered (whatever the status, unless it is a failure). */
  success(): void;
  /** A 5xx, a lost or refused connection, or a timeout. */
  failure(): void;
  /** The attempt ended without telling anything about GitLab (the caller went away). */
  release(): void;
}

export interface CircuitBreaker {
  readonly state: CircuitState;
  /** A permit for one attempt, or an `UpstreamError` thrown when the breaker is open. */
  enter(): CircuitPermit;
}

export const CIRCUIT_BREAKER_DEFAULTS = { failureThreshold: 5, coolDownMs: 10_000 } as const;

/** `now` is injectable for tests of the state machine; it must not go backwards. */
export function createCircuitBreaker(
  origin: string,
  options: CircuitBreakerOptions = {},
  now: () => number = performance.now.bind(performance),
): CircuitBreaker {
  const failureThreshold = positive(options.failureThreshold, CIRCUIT_BREAKER_DEFAULTS.failureThreshold);
  const coolDownMs = positive(options.coolDownMs, CIRCUIT_BREAKER_DEFAULTS.coolDownMs);

  let failures = 0;
  let openedAt = 0;
  let opened = false;
  let probing = false;

  const state = (): CircuitState => {
    if (!opened) return 'closed';
    return now() - openedAt >= coolDownMs ? 'half-open' : 'open';
  };

  const open = () => {
    opened = true;
    openedAt = now();
  };

  const openError = () => {
    const waitMs = Math.max(0, coolDownMs - (now() - openedAt));
    return new UpstreamError(
      'UPSTREAM_UNAVAILABLE',
      `The circuit breaker for ${origin} is open after ${failureThreshold} consecutive failures; ` +
        `calls fail fast for ${Math.ceil(waitMs / 1_000)} s more`,
      { circuitOpen: true, retryAfterSeconds: Math.ceil(waitMs / 1_000) },
    );
  };

  return {
    get state() {
      return state();
    },
    enter() {
      const current = state();
      const isProbe = current === 'half-open';
      if (current === 'open' || (isProbe && probing)) throw openError();
      if (isProbe) probing = true;
      let settled = false;
      const settle = (outcome: 'success' | 'failure' | 'release') => {
        if (settled) return;
        settled = true;
        if (isProbe) probing = false;
        if (outcome === 'success') {
          failures = 0;
          opened = false;
        } else if (outcome === 'failure') {
          failures += 1;
          // A failed probe, or a failure while already open (an attempt admitted before it opened), restarts
          // the cool-down; in the closed state the threshold decides.
          if (opened || failures >= failureThreshold) open();
        }
      };
      return {
        success: () => settle('success'),
        failure: () => settle('failure'),
        release: () => settle('release'),
      };
    },
  };
}

function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError('Circuit breaker options must be positive integers');
  }
  return value;
}
