/**
 * An optional stand-in for GitLab's Rack::Attack API throttles (off by default on self-managed GitLab): fixed
 * windows aligned to the epoch, counted per discriminator, answered with plain text and RateLimit headers as
 * `Gitlab::RackAttack.throttled_response_headers` builds them.
 */

export interface ThrottleOptions {
  /** Requests allowed per window. */
  limit: number;
  /** Window length in seconds. */
  periodSeconds: number;
}

export interface Throttled {
  headers: Record<string, string>;
  body: string;
}

/** `Gitlab::Throttle.rate_limiting_response_text` with no custom text configured. */
const RESPONSE_TEXT = 'Retry later\n';

export function createThrottle(options: ThrottleOptions, now: () => number = Date.now) {
  const { limit, periodSeconds: period } = options;
  let window = -1;
  const counts = new Map<string, number>();
  return {
    /** Counts the request; returns the 429 to send when it is over the limit, else null. */
    hit(name: string, discriminator: string): Throttled | null {
      const epoch = Math.floor(now() / 1000);
      const current = Math.floor(epoch / period);
      if (current !== window) {
        window = current;
        counts.clear();
      }
      const key = `${name}:${discriminator}`;
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count <= limit) return null;
      const retryAfter = period - (epoch % period);
      return {
        body: RESPONSE_TEXT,
        headers: {
          'ratelimit-name': name,
          'ratelimit-limit': String(Math.ceil((limit * 60) / period)),
          'ratelimit-observed': String(count),
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(retryAfter),
          'ratelimit-resettime': new Date((epoch + retryAfter) * 1000).toUTCString(),
          'retry-after': String(retryAfter),
        },
      };
    },
  };
}
