/**
 * `REDIS_URL`: where the event store shares events between replicas. It may hold a password, so a problem with it
 * never quotes it.
 */

/** Whether `text` is a `redis:` or `rediss:` URL with a host. */
export function isRedisUrl(text: string): boolean {
  // WHATWG URL parsing drops tabs and line breaks inside a URL; the raw value, which goes to the client, keeps them.
  if (/[\s\p{Cc}]/u.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** `REDIS_URL` (`undefined`: unset) as the store takes it, or the problem with it. */
export function parseRedisUrl(raw: string | undefined): { value: string | undefined; problems: string[] } {
  if (raw === undefined || isRedisUrl(raw)) return { value: raw, problems: [] };
  return {
    value: undefined,
    problems: ['REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379'],
  };
}
