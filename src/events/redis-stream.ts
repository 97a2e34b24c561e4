/**
 * How events are laid out in Redis: one stream of the retained events (entry id = cursor), and one key per
 * recent `deliveryId` whose value is the cursor of its event. The append script does the dedupe check, the
 * `XADD ... MAXLEN` and the dedupe key in one atomic step, so two replicas receiving the same delivery store it
 * once, and replaying an append whose answer was lost stores nothing twice.
 *
 * The stream is bounded in body bytes as well as in count, as each replica's log is: a list holds
 * `<entry id> <body bytes>` for each entry, in the stream's order, and a key their sum; the append script trims
 * the oldest entries while the sum is over the bound. (Entries written before sizes were kept leave by count.)
 * A second list holds `<entry id> <event name>` and a hash the entries per name, so that the history counts by
 * type without reading entries; both scripts forget the names of entries that left, whoever trimmed them, so a
 * replica of an earlier version (which keeps no names) can share the stream.
 * Replay pages are bounded in bytes by a script too, so that a resuming subscriber never holds more than a page.
 */
import type { Redis, Result } from 'ioredis';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /**
     * KEYS: dedupe key, stream, sizes list, bytes total, names list, names hash. ARGV: TTL seconds, MAXLEN,
     * deliveryId, event JSON, the stream's byte bound, the event's body bytes, its event name.
     */
    appendSystemHookEvent(...args: AppendArguments): Result<[number, string], Context>;
    /**
     * KEYS: stream. ARGV: `forward` or `backward`, the first id (`-`, `+`, `<id>`, or `(<id>` to start past it),
     * the most entries, the most bytes after the first entry, the fewest entries kept whatever their bytes.
     * Answers whether the stream ended within the page, and the entries, nearest first.
     */
    systemHookEventRange(
      streamKey: string,
      direction: 'forward' | 'backward',
      start: string,
      count: number,
      maxBytes: number,
      minEntries: number,
    ): Result<[number, StreamEntry[]], Context>;
    /**
     * KEYS: stream. ARGV: an id. What resuming after it means: 1, a place (an entry, or see `PLACE_SCRIPT`); 0,
     * behind the retained entries (it may have been one); -1, never one of this stream's.
     */
    systemHookEventPlace(streamKey: string, id: string): Result<1 | 0 | -1, Context>;
    /**
     * KEYS: stream, sizes list, names list, names hash. The stream's length, `[name, count, ...]`, and its head:
     * the last id Redis generated for it (`0-0` for no stream).
     */
    systemHookEventCount(
      streamKey: string,
      sizesKey: string,
      namesKey: string,
      countsKey: string,
    ): Result<[number, string[], string], Context>;
  }
}

/**
 * Lua shared by the append and count scripts: forgets the names of entries that have left the stream, whoever
 * trimmed them (a replica of an earlier version trims without knowing the names). The oldest retained id is the
 * sizes list's head when the list matches the stream, else read from the stream. KEYS: stream, sizes list, names
 * list, names hash.
 */
const FORGET_TRIMMED_NAMES = `
local function precedes(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local function forgetTrimmedNames(stream, sizes, names, counts)
  local length = redis.call('XLEN', stream)
  local oldest = nil
  if length > 0 and redis.call('LLEN', sizes) == length then
    oldest = string.match(redis.call('LINDEX', sizes, 0), '^(%S+) ')
  elseif length > 0 then
    oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
  end
  while true do
    local head = redis.call('LINDEX', names, 0)
    if not head then return end
    local id, name = string.match(head, '^(%S+) (.*)$')
    if oldest and not precedes(id, oldest) then return end
    redis.call('LPOP', names)
    if redis.call('HINCRBY', counts, name, -1) <= 0 then redis.call('HDEL', counts, name) end
  end
end
`;

const APPEND_SCRIPT = `${FORGET_TRIMMED_NAMES}
local cursor = redis.call('GET', KEYS[1])
if cursor then return {0, cursor} end
cursor = redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[2], '*', 'd', ARGV[3], 'e', ARGV[4])
redis.call('SET', KEYS[1], cursor, 'EX', ARGV[1])
redis.call('RPUSH', KEYS[3], cursor .. ' ' .. ARGV[6])
redis.call('RPUSH', KEYS[5], cursor .. ' ' .. ARGV[7])
redis.call('HINCRBY', KEYS[6], ARGV[7], 1)
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
forgetTrimmedNames(KEYS[2], KEYS[3], KEYS[5], KEYS[6])
return {1, cursor}
`;

/**
 * A page of entries in either direction, from a bound that may be exclusive (`(<id>`), cut once the entries past
 * the first add up to more than a bound in bytes, though never below a number of entries: a replay keeps the
 * cursor's own entry and one event, a history page one event.
 */
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
  if index > tonumber(ARGV[5]) and bytes > tonumber(ARGV[4]) then
    local page = {}
    for kept = 1, index - 1 do page[kept] = entries[kept] end
    return {0, page}
  end
end
return {#entries < tonumber(ARGV[3]) and 1 or 0, entries}
`;

/** Lua: the stream's `XINFO STREAM` fields by name (Redis 7 has `entries-added`), or nil for no stream. */
const STREAM_INFO = `
local function streamInfo(stream)
  if redis.call('EXISTS', stream) == 0 then return nil end
  local info = redis.call('XINFO', 'STREAM', stream)
  local fields = {}
  for index = 1, #info, 2 do fields[info[index]] = info[index + 1] end
  return fields
end
`;

/**
 * Whether an id is a place to resume after. An entry is. So are the two places a list names while it shows no
 * entry: the start, `0-0`, while no entry has ever left the stream (no stream, or as many entries as were
 * added), and the last id Redis generated, while nothing came after it. An id behind the oldest entry may have
 * been one, and resuming there would skip what left (0); any other id was never this stream's (-1).
 */
const PLACE_SCRIPT = `${FORGET_TRIMMED_NAMES}${STREAM_INFO}
local info = streamInfo(KEYS[1])
if not info then return ARGV[1] == '0-0' and 1 or 0 end
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 1 then return 1 end
if ARGV[1] == info['last-generated-id'] then return 1 end
if ARGV[1] == '0-0' and info['entries-added'] == info['length'] then return 1 end
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if not oldest or precedes(ARGV[1], oldest[1]) then return 0 end
return -1
`;

/**
 * The stream's length, its entries counted by event name (`HGETALL`, flat), and its head, in one step so that
 * the count and the head agree. KEYS: as forgetTrimmedNames.
 */
const COUNT_SCRIPT = `${FORGET_TRIMMED_NAMES}${STREAM_INFO}
forgetTrimmedNames(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local info = streamInfo(KEYS[1])
local head = info and info['last-generated-id'] or '0-0'
return {redis.call('XLEN', KEYS[1]), redis.call('HGETALL', KEYS[4]), head}
`;

export function defineStreamScripts(redis: Redis): void {
  redis.defineCommand('appendSystemHookEvent', { numberOfKeys: 6, lua: APPEND_SCRIPT });
  redis.defineCommand('systemHookEventRange', { numberOfKeys: 1, lua: RANGE_SCRIPT });
  redis.defineCommand('systemHookEventPlace', { numberOfKeys: 1, lua: PLACE_SCRIPT });
  redis.defineCommand('systemHookEventCount', { numberOfKeys: 4, lua: COUNT_SCRIPT });
}

export interface StreamKeys {
  stream: string;
  /** `<entry id> <body bytes>` of each entry, in the stream's order. */
  sizes: string;
  /** The sum of the sizes. */
  bytes: string;
  /** `<entry id> <event name>` of each entry, in the stream's order (entries of earlier versions have none). */
  names: string;
  /** Event name to how many of the entries in `names` have it, for counting by type without reading entries. */
  nameCounts: string;
  delivery(deliveryId: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  return {
    stream: `${prefix}:stream`,
    sizes: `${prefix}:stream-sizes`,
    bytes: `${prefix}:stream-bytes`,
    names: `${prefix}:stream-names`,
    nameCounts: `${prefix}:stream-name-counts`,
    delivery: (deliveryId) => `${prefix}:delivery:${deliveryId}`,
  };
}

type AppendArguments = [
  dedupeKey: string,
  streamKey: string,
  sizesKey: string,
  bytesKey: string,
  namesKey: string,
  nameCountsKey: string,
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
    keys.nameCounts,
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
