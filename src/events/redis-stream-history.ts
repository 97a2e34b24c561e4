/**
 * The history of the Redis event store: the shared stream itself, so that every replica lists the same events,
 * whichever received them. Positions are stream entry ids. Scans go through `XRANGE`/`XREVRANGE` a page at a
 * time, each page bounded in entries and in bytes as a replay page is; counts come from the names that the append
 * script keeps beside the stream.
 */
import { type Redis, ReplyError } from 'ioredis';
import { systemHookEventInfo } from './catalogue.ts';
import { compareStreamIds, parseCursor } from './cursor.ts';
import { EventCursorExpiredError, EventStoreUnavailableError, InvalidEventCursorError } from './errors.ts';
import type { HistorySource, ScannedEvent } from './event-history.ts';
import { eventOfEntry, type StreamEntry, type StreamKeys } from './redis-stream.ts';
import type { SystemHookEventSource } from './types.ts';

/** The most entries one `XRANGE` of a scan reads, as a replay page does. */
const SCAN_PAGE = 200;

export interface StreamHistoryOptions {
  client: Redis;
  keys: StreamKeys;
  /** The most bytes of entries a page holds besides its first (it holds at least one). */
  pageBytes: number;
  /** Whether Redis is usable now; while it is not, the history fails rather than show a partial list. */
  usable: () => boolean;
  /** Whether a local cursor (`<store id>.<n>`) is this store's own, handed out during an outage. */
  ownLocalCursor: (storeId: string) => boolean;
  /** Redis did not answer: it is unreachable for the moment. */
  onUnreachable: () => void;
}

export function streamHistory(options: StreamHistoryOptions): HistorySource<string> {
  const { client, keys } = options;

  /** Runs a command of the history, with Redis's failures as the store's. */
  async function call<T>(command: () => Promise<T>): Promise<T> {
    if (!options.usable())
      throw new EventStoreUnavailableError('Redis is unreachable, and the history is read from it.');
    try {
      return await command();
    } catch (error) {
      if (error instanceof ReplyError) throw new EventStoreUnavailableError('Redis refused to list events.');
      options.onUnreachable();
      throw new EventStoreUnavailableError('Redis became unreachable while listing events.');
    }
  }

  async function scanPages(
    direction: 'forward' | 'backward',
    start: string,
    limit: number,
    accept: (event: SystemHookEventSource) => boolean,
  ): Promise<ScannedEvent<string>[]> {
    const found: ScannedEvent<string>[] = [];
    let next = start;
    // The first page as large as the answer, the next ones a replay page: most scans need one page.
    let count = Math.min(SCAN_PAGE, Math.max(limit, 1));
    while (found.length < limit) {
      const [ended, entries] = await call(() =>
        client.systemHookEventRange(keys.stream, direction, next, count, options.pageBytes, 1),
      );
      collect(entries, limit, accept, found);
      const last = entries.at(-1);
      if (ended === 1 || last === undefined) break;
      next = `(${last[0]}`;
      count = SCAN_PAGE;
    }
    return found;
  }

  return {
    async positionOf(cursor) {
      const parsed = parseCursor(cursor);
      if (parsed.kind === 'local') {
        // This replica's outage cursor names no place in the stream; any other is no cursor of this store.
        if (options.ownLocalCursor(parsed.storeId)) throw new EventCursorExpiredError();
        throw new InvalidEventCursorError();
      }
      const atOrBefore = await call(() => client.systemHookEventAtOrBefore(keys.stream, parsed.id));
      if (atOrBefore === parsed.id) return parsed.id;
      // Entries leave from the oldest end only, so an id at or past the oldest entry that is not an entry was
      // never one of this stream's. An id before every entry may have been one: it has left the retention.
      if (atOrBefore === null) throw new EventCursorExpiredError();
      throw new InvalidEventCursorError();
    },

    scan(direction, from, limit, accept) {
      const start =
        from === null
          ? direction === 'forward'
            ? '-'
            : '+'
          : `${from.inclusive ? '' : '('}${from.position}`;
      return scanPages(direction, start, limit, accept);
    },

    async count(types) {
      const [length, names] = await call(() =>
        client.systemHookEventCount(keys.stream, keys.sizes, keys.names, keys.nameCounts),
      );
      if (types === null) return length;
      const wanted = (name: string) => types.has(systemHookEventInfo(name)?.type ?? 'UNKNOWN');
      let named = 0;
      let count = 0;
      for (let index = 0; index + 1 < names.length; index += 2) {
        const entries = Number(names[index + 1]);
        named += entries;
        if (wanted(names[index] as string)) count += entries;
      }
      if (named === length) return count;
      // Entries written before the names were counted: read them all, a page at a time, keeping none.
      count = 0;
      await scanPages('forward', '-', 1, (event) => {
        if (wanted(event.eventName)) count += 1;
        return false;
      });
      return count;
    },

    compare: compareStreamIds,
  };
}

function collect(
  entries: readonly StreamEntry[],
  limit: number,
  accept: (event: SystemHookEventSource) => boolean,
  found: ScannedEvent<string>[],
): void {
  for (const entry of entries) {
    if (found.length >= limit) return;
    const event = eventOfEntry(entry);
    if (event !== null && accept(event)) found.push({ event, position: entry[0] });
  }
}
