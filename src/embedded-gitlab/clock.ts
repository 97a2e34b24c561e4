/**
 * The embedded GitLab's clock for what depends on time passing: the delivery log's 7-day window, the test and
 * resend rate limits and the auto-disabling backoff. A test passes its own to move time without sleeping.
 */

/** The current time in epoch milliseconds. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

const DAY_MS = 86_400_000;

/** Rails' `n.days.ago.beginning_of_day` in UTC, GitLab's default time zone. */
export function daysAgoBeginningOfDay(now: number, days: number): number {
  const then = now - days * DAY_MS;
  return then - (((then % DAY_MS) + DAY_MS) % DAY_MS);
}
