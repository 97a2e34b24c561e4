/**
 * How events are laid out in Redis: one stream of the retained events (entry id = cursor), and one key per
 * recent `deliveryId` whose value is the cursor of its event. The append script does the dedupe check, the
 * `XADD ... MAXLEN` and the dedupe key in one atomic step, so two replicas receiving the same delivery store it
 * once, and replaying an append whose answer was lost stores nothing twice.
 *
 * The stream is bounded in body bytes as well as in count, as each replica's log is: a list holds
 * `<entry id> <body bytes> <event name>` for each entry, in the stream's order, and a key their sum; the append script trims
 * the oldest entries while the sum is over the bound. (Entries written before sizes were kept leave by count.)
 * A hash counts the entries by event name, kept with the list, so that the history counts by type without
 * reading the entries.
 * Replay pages are bounded in bytes by a script too, so that a resuming subscriber never holds more than a page.
 */
import type { Redis, Result } from 'ioredis';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /**
     * KEYS: dedupe key, stream, sizes list, bytes total, names. ARGV: TTL seconds, MAXLEN, deliveryId, event
     * JSON, the stream's byte bound, the event's body bytes, its event name.
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
    /**
     * KEYS: stream. ARGV: `forward` or `backward`, the first id (`-`, `+`, `<id>`, or `(<id>` to start past it),
     * the most entries, the most bytes after the first entry. Answers whether the stream ended within the page,
     * and the entries, nearest first.
     */
    systemHookEventRange(
      streamKey: string,
      direction: 'forward' | 'backward',
      start: string,
      count: number,
      maxBytes: number,
    ): Result<[number, StreamEntry[]], Context>;
    /** KEYS: stream. ARGV: an id. The id of the newest entry at or before it, or null. */
    systemHookEventAtOrBefore(streamKey: string, id: string): Result<string | null, Context>;
    /** KEYS: stream, names. The stream's length, and `[name, count, ...]` of its entries. */
    systemHookEventCount(streamKey: string, namesKey: string): Result<[number, string[]], Context>;
  }
}

const APPEND_SCRIPT = `
local cursor = redis.call('GET', KEYS[1])
if cursor then return {0, cursor} end
cursor = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'd', ARGV[3], 'e', ARGV[4])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[1])
redis.call('RPUSH', KEYS[3], cursor .. ' ' .. ARGV[6] .. ' ' .. ARGV[7])
redis.call('HINCRBY', KEYS[5], ARGV[7], 1)
local total = redis.call('INCRBY', KEYS[4], ARGV[6])
local function forget(listed)
  local id, size, name = string.match(listed, '^(%S+) (%d+) ?(.*)$')
  if name ~= '' and redis.call('HINCRBY', KEYS[5], name, -1) <= 0 then redis.call('HDEL', KEYS[5], name) end
  total = redis.call('DECRBY', KEYS[4], size)
  return id
end
local length = redis.call('XLEN', KEYS[2])
local listed = redis.call('LLEN', KEYS[3])
while listed > length do
  forget(redis.call('LPOP', KEYS[3]))
  listed = listed - 1
end
if listed == length then
  while total > tonumber(ARGV[5]) and length > 1 do
    redis.call('XDEL', KEYS[2], forget(redis.call('LPOP', KEYS[3])))
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

/** A history page: as the replay page, in either direction, from a bound that may be exclusive (`(<id>`). */
const RANGE_SCRIPT = `
local entries
if ARGV[1] == 'forward' then
  entries = redis.call('XRANGE', KEYS[1], ARGV[2], '+', 'COUNT', ARGV[3])
else
  entries = redis.call('XREVRANGE', KEYS[1], ARGV[2], '-', 'COUNT', ARGV[3])
end
local bytes = 0
for index = 2, #entries do
  for _, value in ipairs(entries[index][2]) do bytes = bytes + string.len(value) end
  if bytes > tonumber(ARGV[4]) then
    local page = {}
    for kept = 1, index - 1 do page[kept] = entries[kept] end
    return {0, page}
  end
end
return {#entries < tonumber(ARGV[3]) and 1 or 0, entries}
`;

/** The id of the newest entry at or before an id, without its fields; false when there is none. */
const AT_OR_BEFORE_SCRIPT = `
local entries = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', 1)
if #entries == 0 then return false end
return entries[1][1]
`;

/** The stream's length and its entries counted by event name (`HGETALL`, flat). */
const COUNT_SCRIPT = `
return {redis.call('XLEN', KEYS[1]), redis.call('HGETALL', KEYS[2])}
`;

export function defineStreamScripts(redis: Redis): void {
  redis.defineCommand('appendSystemHookEvent', { numberOfKeys: 5, lua: APPEND_SCRIPT });
  redis.defineCommand('systemHookEventPage', { numberOfKeys: 1, lua: PAGE_SCRIPT });
  redis.defineCommand('systemHookEventRange', { numberOfKeys: 1, lua: RANGE_SCRIPT });
  redis.defineCommand('systemHookEventAtOrBefore', { numberOfKeys: 1, lua: AT_OR_BEFORE_SCRIPT });
  redis.defineCommand('systemHookEventCount', { numberOfKeys: 2, lua: COUNT_SCRIPT });
}

export interface StreamKeys {
  stream: string;
  /** `<entry id> <body bytes> <event name>` of each entry, in the stream's order. */
  sizes: string;
  /** The sum of the sizes. */
  bytes: string;
  /** A hash of event name to how many entries of the stream have it, for counting by type without reading them. */
  names: string;
  delivery(deliveryId: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  return {
    stream: `${prefix}:stream`,
    sizes: `${prefix}:stream-sizes`,
    bytes: `${prefix}:stream-bytes`,
    names: `${prefix}:stream-names`,
    delivery: (deliveryId) => `${prefix}:delivery:${deliveryId}`,
  };
}

type AppendArguments = [
  dedupeKey: string,
  streamKey: string,
  sizesKey: string,
  bytesKey: string,
  namesKey: string,
  ttlSeconds: number,
  maxLength: number,
  deliveryId: string,
  event: string,
  maxBytes: number,
  bodyBytes: number,
  eventName: string,
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
    keys.names,
    bounds.ttlSeconds,
    bounds.maxLength,
    event.deliveryId,
    serializeEvent(event),
    bounds.maxBytes,
    event.bodyBytes,
    event.eventName,
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
