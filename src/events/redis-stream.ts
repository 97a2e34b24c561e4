/**
 * How events are laid out in Redis: one stream of the retained events (entry id = cursor), and one key per
 * recent `deliveryId` whose value is the cursor of its event. The append script does the dedupe check, the
 * `XADD ... MAXLEN` and the dedupe key in one atomic step, so two replicas receiving the same delivery store it
 * once, and replaying an append whose answer was lost stores nothing twice.
 *
 * The stream is bounded in body bytes as well as in count, as each replica's log is: a list holds
 * `<entry id> <body bytes>` for each entry, in the stream's order, and a key their sum; the append script trims
 * the oldest entries while the sum is over the bound. (Entries written before sizes were kept leave by count.)
 * Replay pages are bounded in bytes by a script too, so that a resuming subscriber never holds more than a page.
 */
import type { Redis, Result } from 'ioredis';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /**
     * KEYS: dedupe key, stream, sizes list, bytes total. ARGV: TTL seconds, MAXLEN, deliveryId, event JSON, the
     * stream's byte bound, the event's body bytes.
     */
    appendSystemHookEvent(...args: AppendArguments): Result<[number, string], Context>;
    /**
     * KEYS: stream. ARGV: the first id, the most entries, the most bytes after the first entry. Answers whether
     * the stream ended within the page, and the entries.
     */
    systemHookEventPage(
      streamKey: string,
      firstId: string,
      count: number,
      maxBytes: number,
    ): Result<[number, StreamEntry[]], Context>;
  }
}

const APPEND_SCRIPT = `
local cursor = redis.call('GET', KEYS[1])
if cursor then return {0, cursor} end
cursor = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'd', ARGV[3], 'e', ARGV[4])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[1])
redis.call('RPUSH', KEYS[3], cursor .. ' ' .. ARGV[6])
local total = redis.call('INCRBY', KEYS[4], ARGV[6])
local length = redis.call('XLEN', KEYS[2])
local listed = redis.call('LLEN', KEYS[3])
while listed > length do
  local trimmed = redis.call('LPOP', KEYS[3])
  total = redis.call('DECRBY', KEYS[4], string.match(trimmed, ' (%d+)$'))
  listed = listed - 1
end
if listed == length then
  while total > tonumber(ARGV[5]) and length > 1 do
    local id, size = string.match(redis.call('LPOP', KEYS[3]), '^(%S+) (%d+)$')
    redis.call('XDEL', KEYS[2], id)
    total = redis.call('DECRBY', KEYS[4], size)
    length = length - 1
  end
end
return {1, cursor}
`;

const PAGE_SCRIPT = `
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
local bytes = 0
for index = 2, #entries do
  for _, value in ipairs(entries[index][2]) do bytes = bytes + string.len(value) end
  if index > 2 and bytes > tonumber(ARGV[3]) then
    local page = {}
    for kept = 1, index - 1 do page[kept] = entries[kept] end
    return {0, page}
  end
end
return {#entries < tonumber(ARGV[2]) and 1 or 0, entries}
`;

export function defineStreamScripts(redis: Redis): void {
  redis.defineCommand('appendSystemHookEvent', { numberOfKeys: 4, lua: APPEND_SCRIPT });
  redis.defineCommand('systemHookEventPage', { numberOfKeys: 1, lua: PAGE_SCRIPT });
}

export interface StreamKeys {
  stream: string;
  /** `<entry id> <body bytes>` of each entry, in the stream's order. */
  sizes: string;
  /** The sum of the sizes. */
  bytes: string;
  delivery(deliveryId: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  return {
    stream: `${prefix}:stream`,
    sizes: `${prefix}:stream-sizes`,
    bytes: `${prefix}:stream-bytes`,
    delivery: (deliveryId) => `${prefix}:delivery:${deliveryId}`,
  };
}

type AppendArguments = [
  dedupeKey: string,
  streamKey: string,
  sizesKey: string,
  bytesKey: string,
  ttlSeconds: number,
  maxLength: number,
  deliveryId: string,
  event: string,
  maxBytes: number,
  bodyBytes: number,
];

/** What the append script bounds the stream with: the dedupe keys' lifetime, and the stream's length and bytes. */
export interface AppendBounds {
  ttlSeconds: number;
  maxLength: number;
  maxBytes: number;
}

/** What the append script is called with for `event`. */
export function appendArguments(
  keys: StreamKeys,
  event: SystemHookEventInput,
  bounds: AppendBounds,
): AppendArguments {
  return [
    keys.delivery(event.deliveryId),
    keys.stream,
    keys.sizes,
    keys.bytes,
    bounds.ttlSeconds,
    bounds.maxLength,
    event.deliveryId,
    serializeEvent(event),
    bounds.maxBytes,
    event.bodyBytes,
  ];
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
