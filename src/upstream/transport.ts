/**
 * One call to GitLab as a loop of attempts: each under the breaker and its own header timeout, retried as
 * the retry policy says, all within the call's one deadline. As undici keeps `interceptor/retry.js` apart from
 * `handler/retry-handler.js`, the loop only composes the units that decide (`call-deadline.ts`, `retry.ts`,
 * `circuit-breaker.ts`); `sendOverPool` makes one attempt.
 */

import type { Dispatcher } from 'undici';
import {
  type AttemptSignal,
  type CallDeadline,
  startCallDeadline,
  withAttemptTimeout,
} from './call-deadline.ts';
import type { CallQueue, LeaveQueue } from './call-queue.ts';
import type { CircuitBreaker, CircuitPermit } from './circuit-breaker.ts';
import { UpstreamError } from './errors.ts';
import type { AttemptObserver, CallObserver, UpstreamInstrumentation } from './instrumentation.ts';
import type { ResponseHeaders } from './json.ts';
import { requestHeaders } from './request-headers.ts';
import { type Answer, type AnswerKind, readAnswer } from './response-body.ts';
import { type Method, type RetryPolicy, retryDelay } from './retry.ts';
import type { CallOptions } from './types.ts';

/** One REST call. */
export interface Call {
  method: Method;
  /** Below `/api/v4`, already encoded. */
  path: string;
  /** The route, for messages: `GET /hooks/:hook_id`. */
  route: string;
  /** Sent as JSON when present. */
  body?: unknown;
  expects: AnswerKind;
}

/** What every attempt of a call sends besides the call itself. */
export interface PreparedRequest {
  headers: Record<string, string>;
  /** The call's body as JSON text, or `null` for none. */
  body: string | null;
  /** The caller's token, kept out of every error. */
  redact: readonly string[];
}

/** What one attempt runs under, and whom it tells that GitLab's response headers are in. */
export interface Attempt extends AttemptSignal {
  /** The response headers are in: the header timeout ends, and an observer learns the status. */
  headersReceived(status?: number, headers?: ResponseHeaders): void;
}

/** One attempt: its answer, or a transport error or an `UpstreamError` thrown. */
export type SendAttempt = (call: Call, request: PreparedRequest, attempt: Attempt) => Promise<Answer>;

export interface TransportSettings {
  send: SendAttempt;
  timeoutMs: number;
  attemptTimeoutMs: number;
  retry: RetryPolicy;
  breaker?: CircuitBreaker | undefined;
  /**
   * Where attempts wait for a connection. The breaker is asked, and an attempt's header timeout starts, only once
   * it leaves. @default none: every attempt is sent at once
   */
  queue?: CallQueue | undefined;
  /** Told about every call, attempt, retry and breaker refusal. @default none */
  instrumentation?: UpstreamInstrumentation | undefined;
}

export interface Transport {
  /**
   * The call's answer. Fails with an `UpstreamError`, except when the caller's signal aborts first: that
   * rejects with the signal's reason, also between attempts. A credential or extra header that cannot be
   * sent is a `TypeError` before any attempt.
   */
  request(call: Call, options: CallOptions): Promise<Answer>;
}

export function createTransport(settings: TransportSettings): Transport {
  return {
    async request(call, options) {
      const request = prepareRequest(call, options);
      const deadline = startCallDeadline({
        timeoutMs: settings.timeoutMs,
        caller: options.signal,
        redact: request.redact,
      });
      const observer = settings.instrumentation?.startCall(call, options);
      const tally = options.tally;
      // Timed only for someone who reads the time.
      const started = observer !== undefined || tally !== undefined ? performance.now() : 0;
      let failure: { error: unknown } | undefined;
      try {
        return await attemptUntilDone(settings, {
          call,
          request,
          deadline,
          observer,
          priority: options.priority === true,
        });
      } catch (error) {
        failure = { error };
        throw error;
      } finally {
        deadline.dispose();
        if (started !== 0) {
          const durationMs = performance.now() - started;
          if (tally) {
            tally.upstreamCalls += 1;
            tally.upstreamMs += durationMs;
          }
          observer?.end(failure?.error, durationMs);
        }
      }
    },
  };
}

/** A call under way: what it sends, the deadline that bounds all its attempts, and who watches it. */
interface RunningCall {
  call: Call;
  request: PreparedRequest;
  deadline: CallDeadline;
  observer: CallObserver | undefined;
  /** Waits ahead of other calls for a connection (`CallOptions.priority`). */
  priority: boolean;
}

/** Attempts until one answers, or a failure is not to be retried. */
async function attemptUntilDone(settings: TransportSettings, running: RunningCall): Promise<Answer> {
  const { call, deadline, observer } = running;
  for (let attempt = 0; ; attempt++) {
    if (deadline.signal.aborted) throw deadline.explain(deadline.signal.reason);
    const entered = takeConnection(settings, running);
    const leave = entered instanceof Promise ? await entered : entered;
    let failure: unknown;
    try {
      // Asked only now: an attempt that waited for a connection has told nothing about GitLab yet.
      const permit = enterBreaker(settings.breaker, observer);
      return await attemptOnce(settings, running, permit, attempt);
    } catch (error) {
      failure = error;
    } finally {
      leave();
    }
    if (!(failure instanceof UpstreamError)) throw failure;
    const delay = retryDelay(settings.retry, call.method, failure, attempt, deadline.remainingMs());
    if (delay === undefined) throw failure;
    observer?.retrying(failure, delay);
    await deadline.sleep(delay, failure);
  }
}

const NOTHING_TO_LEAVE: LeaveQueue = () => {};

/**
 * A place among the attempts in flight: at once when one is free, else a promise of one. A full queue, or a wait
 * as long as the queue allows, fails the call with `GATEWAY_OVERLOADED`: the gateway's load, which the breaker
 * never counts. So does a deadline that passes while the attempt waits, unless the attempt is a retry: then the
 * failure it answers is reported, as when the deadline cuts a retry's wait.
 */
function takeConnection(
  settings: TransportSettings,
  { deadline, observer, priority }: RunningCall,
): LeaveQueue | Promise<LeaveQueue> {
  const { queue, breaker } = settings;
  if (!queue) return NOTHING_TO_LEAVE;
  // An open breaker refuses at once, not after the wait for a connection.
  if (breaker?.state === 'open') enterBreaker(breaker, observer);
  const entered = queue.enter(deadline.signal, priority);
  if (!(entered instanceof Promise)) return entered;
  return entered.catch((thrown: unknown) => {
    throw deadline.explain(
      thrown,
      () =>
        new UpstreamError(
          'GATEWAY_OVERLOADED',
          `The call waited ${settings.timeoutMs} ms for a connection to GitLab, which all stayed busy`,
        ),
    );
  });
}

/** A permit from the breaker, if there is one; its refusal is told to the observer and thrown. */
function enterBreaker(
  breaker: CircuitBreaker | undefined,
  observer: CallObserver | undefined,
): CircuitPermit | undefined {
  try {
    return breaker?.enter();
  } catch (error) {
    observer?.circuitOpen(error);
    throw error;
  }
}

/** One attempt; its permit learns how it ended, and a failure is thrown as the call would report it. */
async function attemptOnce(
  settings: TransportSettings,
  { call, request, deadline, observer }: RunningCall,
  permit: CircuitPermit | undefined,
  attempt: number,
): Promise<Answer> {
  const watched = observer?.startAttempt(attempt);
  try {
    const answer = await withAttemptTimeout(deadline, settings.attemptTimeoutMs, (signal) =>
      watched
        ? settings.send(call, withHeaders(request, watched.headers), observedAttempt(signal, watched))
        : settings.send(call, request, signal),
    );
    permit?.success();
    watched?.finish(undefined);
    return answer;
  } catch (thrown) {
    const error = deadline.explain(thrown);
    permit?.settleWith(error);
    watched?.finish(error);
    throw error;
  }
}

/** The request with an attempt's own headers added, such as the trace context of its span. */
function withHeaders(
  request: PreparedRequest,
  headers: Readonly<Record<string, string>> | undefined,
): PreparedRequest {
  return headers === undefined ? request : { ...request, headers: { ...request.headers, ...headers } };
}

function observedAttempt(signal: AttemptSignal, watched: AttemptObserver): Attempt {
  return {
    signal: signal.signal,
    headersReceived(status, headers) {
      signal.headersReceived();
      if (status !== undefined) watched.responded(status, headers ?? {});
    },
  };
}

function prepareRequest(call: Call, options: CallOptions): PreparedRequest {
  const hasBody = call.body !== undefined;
  return {
    headers: requestHeaders(options, hasBody ? 'application/json' : undefined),
    body: hasBody ? JSON.stringify(call.body) : null,
    redact: options.credential ? [options.credential.token] : [],
  };
}

/**
 * Attempts over an undici dispatcher (the client's `Pool`) at `prefix` (`/api/v4` below the base URL), with
 * JSON answers bounded by `maxResponseBytes`.
 */
export function sendOverPool(pool: Dispatcher, prefix: string, maxResponseBytes: number): SendAttempt {
  return async (call, request, attempt) => {
    const response = await pool.request({
      method: call.method,
      path: `${prefix}${call.path}`,
      headers: request.headers,
      body: request.body,
      signal: attempt.signal,
    });
    attempt.headersReceived(response.statusCode, response.headers);
    return readAnswer(response, {
      expects: call.expects,
      route: call.route,
      maxResponseBytes,
      redact: request.redact,
    });
  };
}
