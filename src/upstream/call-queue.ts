/**
 * The gateway's own queue of attempts waiting for a connection to GitLab. At most `concurrency` attempts (the
 * pool's connections) are in flight, so that undici's pool never queues one, and at most `maxQueued` wait: one
 * more fails at once with `GATEWAY_OVERLOADED`, and so does one that has waited `maxWaitMs`. Time spent here is
 * the gateway's load, not GitLab's: the transport asks the circuit breaker only once an attempt leaves the queue.
 *
 * The wait is bounded below the call's deadline so that an attempt that leaves the queue still has time for
 * GitLab to answer: under overload, attempts sent with a sliver of their deadline left would each time out,
 * hold a connection meanwhile, and hand the next one an even thinner sliver, so that no call succeeded.
 */

import { UpstreamError } from './errors.ts';

/** Frees the place an attempt took; calling it again does nothing. */
export type LeaveQueue = () => void;

export interface CallQueue {
  /**
   * A place for one attempt: at once when one is free, else when an attempt before it leaves. A `priority`
   * attempt waits ahead of the others. Throws `GATEWAY_OVERLOADED` when `maxQueued` attempts already wait, and
   * rejects with `signal`'s reason when it aborts first.
   */
  enter(signal: AbortSignal, priority?: boolean): LeaveQueue | Promise<LeaveQueue>;
}

export interface CallQueueOptions {
  /** Attempts in flight at once: the pool's connections. */
  concurrency: number;
  /** Attempts that may wait for a place; `0` waits for none. */
  maxQueued: number;
  /** Longest wait for a place, in milliseconds. */
  maxWaitMs: number;
}

interface Waiter {
  admit: () => void;
}

export function createCallQueue({ concurrency, maxQueued, maxWaitMs }: CallQueueOptions): CallQueue {
  let inFlight = 0;
  const waiting: Waiter[] = [];

  const place = (): LeaveQueue => {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = waiting.shift();
      // The place passes straight to the next attempt, so that none arriving meanwhile takes it out of turn.
      if (next) next.admit();
      else inFlight -= 1;
    };
  };

  return {
    enter(signal, priority = false) {
      if (inFlight < concurrency && waiting.length === 0) {
        inFlight += 1;
        return place();
      }
      if (waiting.length >= maxQueued) {
        throw new UpstreamError(
          'GATEWAY_OVERLOADED',
          `The gateway already has ${maxQueued} calls waiting for one of its ${concurrency} connections to GitLab`,
        );
      }
      if (signal.aborted) return Promise.reject(signal.reason);
      return new Promise<LeaveQueue>((resolve, reject) => {
        const stopWaiting = (reason: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const at = waiting.indexOf(waiter);
          if (at !== -1) waiting.splice(at, 1);
          reject(reason);
        };
        const waiter: Waiter = {
          admit: () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            resolve(place());
          },
        };
        const onAbort = () => stopWaiting(signal.reason);
        const timer = setTimeout(
          () =>
            stopWaiting(
              new UpstreamError(
                'GATEWAY_OVERLOADED',
                `The call waited ${maxWaitMs} ms for one of the gateway's ${concurrency} connections to GitLab`,
              ),
            ),
          maxWaitMs,
        );
        timer.unref();
        signal.addEventListener('abort', onAbort, { once: true });
        if (priority) waiting.unshift(waiter);
        else waiting.push(waiter);
      });
    },
  };
}
