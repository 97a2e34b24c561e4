/**
 * What one GraphQL request may still ask of GitLab. Every call of a request carries the same credential, so
 * GitLab's answer to one of them is its answer to all:
 *
 * - The request's first call goes alone; the others wait for its answer. After a 401 (or a 403 to a read), the
 *   request's waiting and later calls fail with that same error without being sent. A 403 to a write refuses
 *   only the request's writes: a `read_api` token may read but not change.
 * - Once the first call has ended, at most `maxInFlight` calls of the request run at once, so that one request
 *   cannot hold every connection to GitLab.
 * - The request makes at most `maxCalls` calls in all; further ones are refused unsent.
 *
 * Nothing here is shared between requests: the gateway makes one guard per request.
 */

import type { CallAccess, CallGuard } from './bound-api.ts';
import { isUpstreamError } from './errors.ts';

export interface RequestGuardOptions {
  /** Calls the request may make in all (`MAX_UPSTREAM_CALLS`). */
  maxCalls: number;
  /**
   * Calls of the request in flight at once, once its first call has ended. As many as the hook loader reads at
   * once, so that a `nodes` batch is not slowed.
   * @default 8
   */
  maxInFlight?: number;
  /** The error a call beyond `maxCalls` is refused with. */
  overBudget: (maxCalls: number) => Error;
}

export const DEFAULT_REQUEST_CALLS_IN_FLIGHT = 8;

export function createRequestGuard(options: RequestGuardOptions): Required<CallGuard> {
  const { maxCalls, overBudget } = options;
  const maxInFlight = options.maxInFlight ?? DEFAULT_REQUEST_CALLS_IN_FLIGHT;
  let made = 0;
  let inFlight = 0;
  let answered = false;
  /** GitLab's refusal of the credential, which every later call of the request gets. */
  let refusedAll: unknown;
  /** GitLab's refusal of a write, which every later write gets. */
  let refusedWrites: unknown;
  const waiting: (() => void)[] = [];

  const refusalOf = (access: CallAccess) => refusedAll ?? (access === 'write' ? refusedWrites : undefined);

  const wake = (count: number) => {
    for (const resolve of waiting.splice(0, count)) resolve();
  };

  /** Throws when the call is to be refused: GitLab refused the credential, or the budget is spent. */
  const assertAllowed = (access: CallAccess) => {
    const refusal = refusalOf(access);
    if (refusal !== undefined) throw refusal;
    if (made >= maxCalls) throw overBudget(maxCalls);
  };

  /** Takes a place for a call if one is free. */
  const take = (): boolean => {
    if (inFlight >= (answered ? maxInFlight : 1)) return false;
    made += 1;
    inFlight += 1;
    // The budget is spent: every waiting call is to be refused now, not when a place frees.
    if (made >= maxCalls) wake(waiting.length);
    return true;
  };

  const wait = async (access: CallAccess): Promise<void> => {
    // A waiting call is woken when a place frees, when a refusal settles, or when the budget is spent; the
    // last two refuse it, and a call woken for a place another call took waits for the next one.
    do {
      await new Promise<void>((resolve) => waiting.push(resolve));
      assertAllowed(access);
    } while (!take());
  };

  return {
    admit(access) {
      assertAllowed(access);
      if (waiting.length === 0 && take()) return undefined;
      return wait(access);
    },
    settle(access, error) {
      inFlight -= 1;
      answered = true;
      if (isUpstreamError(error) && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) {
        if (error.code === 'UNAUTHENTICATED' || access === 'read') refusedAll ??= error;
        else refusedWrites ??= error;
        // Every waiting call learns of the refusal; those it does not concern wait again.
        wake(waiting.length);
        return;
      }
      wake(maxInFlight - inFlight);
    },
  };
}
