/**
 * `ApplicationRateLimiter` for the two webhook endpoints that deliver on request (gitlab-webhooks-api §1.3,
 * §1.5): `web_hook_test` and `web_hook_event_resend`, each 5 a minute, scoped to the hook's project or group
 * and the user, not the hook. Fixed windows aligned to the epoch, as its `period_key` is.
 */
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import { createThrottle } from './throttle.ts';

export type RateLimitedAction = 'web_hook_test' | 'web_hook_event_resend';

/** `application_rate_limiter.rb`: `threshold: 5, interval: 1.minute` for both. */
const LIMIT = 5;
const PERIOD_SECONDS = 60;
const MESSAGE = 'This endpoint has been requested too many times. Try again later.';

export class WebHookRateLimiter {
  readonly #throttle;

  constructor(clock: Clock) {
    this.#throttle = createThrottle({ limit: LIMIT, periodSeconds: PERIOD_SECONDS }, clock);
  }

  /**
   * `check_rate_limit!(action, scope: [hook.parent, current_user])`: counts the request and throws GitLab's
   * `429 {"message":{"error": ...}}` when it is over the limit. `Retry-After` (the seconds left in the window)
   * is this server's addition, so that a client knows when to try again.
   */
  check(action: RateLimitedAction, parent: string, userId: number): void {
    const throttled = this.#throttle.hit(action, `${parent}:${userId}`);
    if (throttled === null) return;
    const retryAfter = throttled.headers['retry-after'] ?? String(PERIOD_SECONDS);
    throw new ApiError(429, { message: { error: MESSAGE } }, { 'retry-after': retryAfter });
  }
}
