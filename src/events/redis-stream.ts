/**
 * How events are laid out in Redis: one stream of the retained events (entry id = cursor), and one key per
 * recent `deliveryId` whose value is the cursor of its event. The append script does the dedupe check, the
 * `XADD ... MAXLEN` and the dedupe key in one atomic step, so two replicas receiving the same delivery store it
 * once, and replaying an append whose answer was lost stores nothing twice.
 */
import type { Redis, Result } from 'ioredis';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** KEYS: dedupe key, stream key. ARGV: TTL seconds, MAXLEN, deliveryId, event JSON. */
    appendSystemHookEvent(
      dedupeKey: string,
      streamKey: string,
      ttlSeconds: number,
      maxLength: number,
      deliveryId: string,
      event: string,
    ): Result<[number, string], Context>;
  }
}

const APPEND_SCRIPT = `
local cursor = redis.call('GET', KEYS[1])
if cursor then return {0, cursor} end
cursor = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'd', ARGV[3], 'e', ARGV[4])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[1])
return {1, cursor}
`;

export function defineAppendScript(redis: Redis): void {
  redis.defineCommand('appendSystemHookEvent', { numberOfKeys: 2, lua: APPEND_SCRIPT });
}

export interface StreamKeys {
  stream: string;
  delivery(deliveryId: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  return { stream: `${prefix}:stream`, delivery: (deliveryId) => `${prefix}:delivery:${deliveryId}` };
}

/** A stream entry as Redis returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

/** The event stored in an entry, with the entry id as its cursor; `null` for an entry that is not ours. */
export function eventOfEntry([id, fields]: StreamEntry): SystemHookEventSource | null {
  const json = fieldOf(fields, 'e');
  if (json === undefined) return null;
  try {
    const input = JSON.parse(json) as SystemHookEventInput;
    return typeof input === 'object' && input !== null && typeof input.deliveryId === 'string'
      ? { ...input, cursor: id }
      : null;
  } catch {
    return null;
  }
}

export function fieldOf<T>(fields: readonly T[], name: string): T | undefined {
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === name) return fields[index + 1];
  }
  return undefined;
}

/** The JSON stored for an event: everything but the cursor, which is the entry id. */
export function serializeEvent(event: SystemHookEventInput | SystemHookEventSource): string {
  const { cursor: _cursor, ...input } = event as SystemHookEventSource;
  return JSON.stringify(input);
}
