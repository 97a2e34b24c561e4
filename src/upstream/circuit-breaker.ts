/**
 * A circuit breaker for one upstream origin. Closed, it lets every attempt through and counts consecutive
 * failures (see `CircuitPermit.settleWith` for what counts). At `failureThreshold` it opens: attempts fail at
 * once with `UPSTREAM_UNAVAILABLE`, sparing a GitLab in trouble and answering callers in microseconds instead
 * of a deadline. After `coolDownMs` it is half-open: one attempt goes through as a probe while the others
 * still fail fast; the probe's success closes the breaker, its failure opens it for another cool-down.
 */

import { transportCode, UpstreamError } from './errors.ts';
import { integerOptions } from './options.ts';

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
  /**
   * Told each time the breaker opens (also again, after a failed probe), lets a probe through (`half-open`),
   * or closes; for metrics and logs. It must not throw.
   * @default none
   */
  onStateChange?: ((state: CircuitState) => void) | undefined;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * The right to make one attempt. When the attempt ends, one of its methods says how: the first call counts,
 * later ones are ignored.
 */
export interface CircuitPermit {
  /** GitLab answered (whatever the status, unless it is a failure). */
  success(): void;
  /** A 5xx, a lost or refused connection, or a timeout. */
  failure(): void;
  /** The attempt ended without telling anything about GitLab (the caller went away). */
  release(): void;
  /**
   * Ends the attempt by what it failed with. A 5xx, a lost or refused connection or a timeout count against
   * GitLab; any other answer (a 4xx, a redirect, even a malformed body) and an answer larger than the client
   * accepts prove it up; anything that is not an `UpstreamError` (the caller's own abort), and the gateway's own
   * `GATEWAY_OVERLOADED`, shows nothing.
   */
  settleWith(error: unknown): void;
}

export interface CircuitBreaker {
  readonly state: CircuitState;
  /** A permit for one attempt, or an `UpstreamError` thrown when the breaker is open. */
  enter(): CircuitPermit;
}

export const CIRCUIT_BREAKER_DEFAULTS = { failureThreshold: 5, coolDownMs: 10_000 } as const;

type Outcome = 'success' | 'failure' | 'release';

/** `now` is injectable for tests of the state machine; it must not go backwards. */
export function createCircuitBreaker(
  origin: string,
  options: CircuitBreakerOptions = {},
  now: () => number = performance.now.bind(performance),
): CircuitBreaker {
  const { failureThreshold, coolDownMs } = integerOptions(options, CIRCUIT_BREAKER_DEFAULTS, {
    prefix: 'GitLab client option circuitBreaker.',
    min: 1,
  });
  const changed = options.onStateChange;

  let failures = 0;
  let openedAt = 0;
  let opened = false;
  let probing = false;

  const state = (): CircuitState => {
    if (!opened) return 'closed';
    return now() - openedAt >= coolDownMs ? 'half-open' : 'open';
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

  const succeed = () => {
    failures = 0;
    if (opened) changed?.('closed');
    opened = false;
  };

  const fail = (isProbe: boolean) => {
    failures += 1;
    // A failed probe, or a failure while already open (an attempt admitted before it opened), restarts the
    // cool-down; in the closed state the threshold decides.
    if (!opened && failures < failureThreshold) return;
    // Only a closed breaker opening, or a probe failing, is a change of state.
    const opens = !opened || isProbe;
    opened = true;
    openedAt = now();
    if (opens) changed?.('open');
  };

  const record = (outcome: Outcome, isProbe: boolean) => {
    if (outcome === 'success') succeed();
    else if (outcome === 'failure') fail(isProbe);
  };

  return {
    get state() {
      return state();
    },
    enter() {
      const current = state();
      const isProbe = current === 'half-open';
      if (current === 'open' || (isProbe && probing)) throw openError();
      if (isProbe) {
        probing = true;
        changed?.('half-open');
      }
      return createPermit((outcome) => {
        if (isProbe) probing = false;
        record(outcome, isProbe);
      });
    },
  };
}

function createPermit(end: (outcome: Outcome) => void): CircuitPermit {
  let ended = false;
  const endWith = (outcome: Outcome) => {
    if (ended) return;
    ended = true;
    end(outcome);
  };
  return {
    success: () => endWith('success'),
    failure: () => endWith('failure'),
    release: () => endWith('release'),
    settleWith: (error) => endWith(outcomeOf(error)),
  };
}

/** The rule `settleWith` documents: what an attempt's failure says about GitLab. */
function outcomeOf(error: unknown): Outcome {
  // The gateway's own queue being full says nothing about GitLab either.
  if (!(error instanceof UpstreamError) || error.code === 'GATEWAY_OVERLOADED') return 'release';
  if (error.status !== undefined) return error.status >= 500 ? 'failure' : 'success';
  if (transportCode(error) === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'success';
  return error.code === 'UPSTREAM_TIMEOUT' || error.code === 'UPSTREAM_UNAVAILABLE' ? 'failure' : 'success';
}
