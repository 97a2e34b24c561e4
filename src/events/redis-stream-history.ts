/**
 * The history of the Redis event store: the shared stream itself, so that every replica lists the same events,
 * whichever received them. Positions are stream entry ids. Scans go through `XRANGE`/`XREVRANGE` a page at a
 * time, each page bounded in entries and in bytes as a replay page is; counts come from the names that the append
 * script keeps beside the stream, read in one step with the stream's head (the last id Redis generated for it).
 */
import { type Redis, ReplyError } from 'ioredis';
import { systemHookEventInfo } from './catalogue.ts';
import { compareStreamIds, type ParsedCursor, parseCursor } from './cursor.ts';
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
  /**
   * Why a local cursor (`<store id>.<n>`, handed out during an outage) names no place in the stream: the error
   * `subscribe` gives for it where the replica's log does not hold it.
   */
  refuseLocalCursor: (cursor: Extract<ParsedCursor, { kind: 'local' }>) => Error;
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
      if (parsed.kind === 'local') throw options.refuseLocalCursor(parsed);
      // As a replay answers for the same id, so that the list and the subscription agree on every cursor.
      const place = await call(() => client.systemHookEventPlace(keys.stream, parsed.id));
      if (place === 1) return parsed.id;
      if (place === 0) throw new EventCursorExpiredError();
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

    async snapshot(types) {
      const [length, names, head] = await call(() =>
        client.systemHookEventCount(keys.stream, keys.sizes, keys.names, keys.nameCounts),
      );
      return { head, headCursor: head, count: await countOf(types, length, names) };
    },

    compare: compareStreamIds,
  };

  async function countOf(
    types: ReadonlySet<string> | null,
    length: number,
    names: string[],
  ): Promise<number> {
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
  }
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
