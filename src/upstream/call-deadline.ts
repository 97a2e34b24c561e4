/**
 * The time bounds of one call: one deadline over all its attempts, the caller's abort, and each attempt's
 * own header timeout. Like Hive Gateway's `useUpstreamTimeout` and `useUpstreamCancel`, it knows nothing of
 * retries beyond remembering which failure a retry answers, so that a retry it cuts short reports that.
 */

import { setTimeout as wait } from 'node:timers/promises';
import { errorFromTransport, UpstreamError } from './errors.ts';

/** One call's deadline and the caller's abort, as one signal. */
export interface CallDeadline {
  /** Aborted by the deadline (with a `TimeoutError`) or by the caller (with the caller's reason). */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline; negative once it has passed. */
  remainingMs(): number;
  /**
   * What the call rejects with after an attempt threw `thrown`. An `UpstreamError` stays as it is. Once
   * `signal` has aborted: the caller's reason when the caller went first (the client going away is not
   * GitLab's fault), else the failure a retry was answering, else `timedOut()`: by default an `UPSTREAM_TIMEOUT`.
   * Anything else is a transport failure, mapped with the secrets kept out.
   */
  explain(thrown: unknown, timedOut?: () => UpstreamError): unknown;
  /**
   * Waits `ms` before a retry that answers `cause`. When the deadline or the caller cuts the wait, rejects
   * with what `explain` says, which is then `cause` rather than a timeout; so does a later attempt that the
   * deadline cuts short.
   */
  sleep(ms: number, cause: UpstreamError): Promise<void>;
  /** Stops the timer and stops listening to the caller's signal. Call it once the call has ended. */
  dispose(): void;
}

export interface CallDeadlineOptions {
  timeoutMs: number;
  /**
   * The caller's signal. It is only listened to (`aborted`, `reason`, one 'abort' listener that `dispose`
   * removes), never handed to `AbortSignal.any` or undici: Yoga's lazy request signal stops following the
   * request once something converts it (see `createContextFactory`).
   */
  caller?: AbortSignal | undefined;
  /** Strings kept out of every mapped error (the caller's token). */
  redact?: readonly string[] | undefined;
}

export function startCallDeadline(options: CallDeadlineOptions): CallDeadline {
  const { timeoutMs, caller } = options;
  const redact = options.redact ?? [];
  const started = performance.now();
  // One controller, one timer and one listener per call, all released by `dispose`: cheaper than
  // `AbortSignal.timeout` with `AbortSignal.any`, and it leaves the caller's signal as it is.
  const controller = new AbortController();
  let stoppedBy: 'deadline' | 'caller' | undefined;
  let retrying: UpstreamError | undefined;

  const stop = (by: 'deadline' | 'caller', reason: unknown) => {
    if (controller.signal.aborted) return;
    stoppedBy = by;
    controller.abort(reason);
  };
  const timer = setTimeout(
    () => stop('deadline', new DOMException(`The call's deadline of ${timeoutMs} ms passed`, 'TimeoutError')),
    timeoutMs,
  );
  // Like `AbortSignal.timeout`'s timer, the deadline alone does not keep the process alive.
  timer.unref();
  const onCallerAbort = () => stop('caller', caller?.reason);
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });

  const explain = (thrown: unknown, timedOut?: () => UpstreamError): unknown => {
    if (thrown instanceof UpstreamError) return thrown;
    if (!controller.signal.aborted) return errorFromTransport(thrown, { redact });
    if (stoppedBy === 'caller') return controller.signal.reason;
    return (
      retrying ??
      timedOut?.() ??
      new UpstreamError('UPSTREAM_TIMEOUT', `GitLab did not answer within ${timeoutMs} ms`)
    );
  };

  return {
    signal: controller.signal,
    remainingMs: () => timeoutMs - (performance.now() - started),
    explain,
    async sleep(ms, cause) {
      retrying = cause;
      try {
        await wait(ms, undefined, { signal: controller.signal });
      } catch {
        throw explain(controller.signal.reason);
      }
    },
    dispose() {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/** What one attempt runs under. */
export interface AttemptSignal {
  /** Aborted by the call's signal, or when the response headers are late. */
  readonly signal: AbortSignal;
  /** The response headers are in: the attempt's header timeout no longer applies. */
  headersReceived(): void;
}

/**
 * Runs one attempt with its own header timeout, `attemptTimeoutMs`. Late headers abort the attempt with
 * undici's own code for them (`UND_ERR_HEADERS_TIMEOUT`), so that the error maps to `UPSTREAM_TIMEOUT` and the
 * retry policy knows it for a timeout before the headers; the call itself goes on. When no more time is left
 * than the attempt would get, the call's deadline is the attempt's timeout and the call's signal its own.
 */
export async function withAttemptTimeout<T>(
  deadline: CallDeadline,
  attemptTimeoutMs: number,
  run: (attempt: AttemptSignal) => Promise<T>,
): Promise<T> {
  if (attemptTimeoutMs >= deadline.remainingMs()) {
    return run({ signal: deadline.signal, headersReceived: () => {} });
  }
  // undici's own headersTimeout runs on a timer wheel of about half a second, too coarse for an attempt of a
  // few hundred milliseconds; so the attempt gets its own timer and follows the call's signal until it ends.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(headersTimedOut(attemptTimeoutMs)), attemptTimeoutMs);
  const onCallAbort = () => controller.abort(deadline.signal.reason);
  deadline.signal.addEventListener('abort', onCallAbort, { once: true });
  try {
    return await run({ signal: controller.signal, headersReceived: () => clearTimeout(timer) });
  } finally {
    clearTimeout(timer);
    deadline.signal.removeEventListener('abort', onCallAbort);
  }
}

function headersTimedOut(ms: number): Error {
  const error = new Error(`GitLab sent no response headers within ${ms} ms`);
  error.name = 'TimeoutError';
  return Object.assign(error, { code: 'UND_ERR_HEADERS_TIMEOUT' });
}
