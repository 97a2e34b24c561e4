/**
 * The one way a test waits: for a condition to hold, or for a promise to settle, each within a bound that fails
 * the test with what it was waiting for. A test that must show that something did not happen waits for the
 * event that would have come first instead of sleeping.
 *
 * ```ts
 * await waitUntil('every gateway-side socket closed', () => proxy.openConnections === 0);
 * await waitUntil(() => `3 events; got ${subscriber.events.length}`, () => subscriber.events.length >= 3, {
 *   withinMs: 5_000,
 * });
 * const answer = await within(connection.closed, 'the server closed the connection');
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The longest a test waits for something that should happen at once. */
export const WAIT_MS = 3_000;

export interface WaitOptions {
  /** How long the condition may take before the test fails. @default WAIT_MS */
  withinMs?: number;
  /** How often the condition is checked again. @default 10 */
  everyMs?: number;
}

/** What is waited for, in the failure's message; a function is called only then, to show the state at the end. */
export type WaitedFor = string | (() => string);

const nameOf = (what: WaitedFor) => (typeof what === 'function' ? what() : what);

/** Resolves once `condition` holds (checked at once, then every `everyMs`); rejects after `withinMs`. */
export async function waitUntil(
  what: WaitedFor,
  condition: () => boolean | Promise<boolean>,
  { withinMs = WAIT_MS, everyMs = 10 }: WaitOptions = {},
): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${withinMs} ms: ${nameOf(what)}`);
    await sleep(everyMs);
  }
}

/** `promise`, or a rejection naming `what` once `withinMs` passed first. */
export async function within<T>(
  promise: Promise<T>,
  what: WaitedFor,
  { withinMs = WAIT_MS }: Pick<WaitOptions, 'withinMs'> = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${withinMs} ms: ${nameOf(what)}`)), withinMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
