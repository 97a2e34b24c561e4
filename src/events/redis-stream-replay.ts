/**
 * Resuming from a stream cursor this replica no longer retains: the stream is replayed after it (`XRANGE`, a page
 * at a time, each page bounded in bytes), and then the local log takes over at the head it had when the replay
 * began, passing over at the seam what the replay already gave.
 */
import { type Redis, ReplyError } from 'ioredis';
import { compareStreamIds, isStreamId } from './cursor.ts';
import { EventStoreUnavailableError, InvalidEventCursorError, SubscriberTooSlowError } from './errors.ts';
import type { ReplayPrefix } from './event-log.ts';
import { eventOfEntry, type StreamKeys } from './redis-stream.ts';
import type { SystemHookEventSource } from './types.ts';

/** Entries per replay page, besides the cursor's own. */
const REPLAY_PAGE = 200;

export interface ReplayPage {
  events: SystemHookEventSource[];
  /** The id of the last entry read (or of the cursor when none followed it). */
  lastId: string;
  /** Whether the stream ended within this page. */
  complete: boolean;
  /** The local log's head when this page was read. */
  logHead: number;
  /** The cursor under which this process delivered a delivery id, if it did. */
  deliveredHereAs: (deliveryId: string) => string | null;
}

/**
 * The page of events after `id`: `null` when `id` is behind the stream's retained entries (resuming there would
 * skip what left), `'never'` when it was never a place of the stream.
 */
export type PageReader = (id: string) => Promise<ReplayPage | null | 'never'>;

export interface PageReaderOptions {
  client: Redis;
  keys: StreamKeys;
  /** The most bytes of entries a page holds besides its first event (it holds at least one). */
  pageBytes: number;
  /** The local log's head now. */
  logHead: () => number;
  deliveredHereAs: (deliveryId: string) => string | null;
  /** Redis did not answer: it is unreachable for the moment. */
  onUnreachable: () => void;
}

/** Reads replay pages. */
export function createPageReader(options: PageReaderOptions): PageReader {
  return (id) => readPage(options, id);
}

/**
 * The cursor's own entry is asked for too, to tell a trimmed position from the end of the stream. An id that is
 * no entry may still be a place (the start, the head a list named): asked after the page is read, so that a
 * yes means the page missed nothing.
 */
async function readPage(options: PageReaderOptions, id: string): Promise<ReplayPage | null | 'never'> {
  const { client, keys, pageBytes } = options;
  // The cursor's own entry, and at least one event after it.
  let [ended, entries] = await replayCall(options, () =>
    client.systemHookEventRange(keys.stream, 'forward', id, REPLAY_PAGE + 1, pageBytes, 2),
  );
  if (entries[0]?.[0] === id) entries = entries.slice(1);
  else {
    const place = await replayCall(options, () => client.systemHookEventPlace(keys.stream, id));
    if (place !== 1) return place === 0 ? null : 'never';
  }
  const events: SystemHookEventSource[] = [];
  for (const entry of entries) {
    const event = eventOfEntry(entry);
    if (event) events.push(event);
  }
  return {
    events,
    lastId: entries.at(-1)?.[0] ?? id,
    complete: ended === 1,
    logHead: options.logHead(),
    deliveredHereAs: options.deliveredHereAs,
  };
}

/** Runs a command of the replay, with Redis's failures as the store's. */
async function replayCall<T>(options: PageReaderOptions, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    // An answer is no outage: Redis refused the command (parseCursor lets through no id it would refuse).
    if (error instanceof ReplyError) {
      if (/invalid stream id/i.test((error as Error).message)) throw new InvalidEventCursorError();
      throw new EventStoreUnavailableError('Redis refused to replay events.');
    }
    options.onUnreachable();
    throw new EventStoreUnavailableError('Redis became unreachable while replaying events.');
  }
}

/**
 * The replayed part of a subscription resumed from Redis, a page at a time, and what the local log must then
 * pass over: entries the replay already gave (stream ids up to the last replayed one), and local copies
 * (outage events) of replayed entries, which can only sit in the log before the head it had at the last page.
 */
export class StreamReplay implements ReplayPrefix {
  private next: ReplayPage | null;
  private lastId: string;
  private complete = false;
  private endSequence = Number.POSITIVE_INFINITY;
  private localCopies: Set<string> | null = new Set();

  constructor(
    private readonly pageAfter: PageReader,
    first: ReplayPage,
  ) {
    this.next = first;
    this.lastId = first.lastId;
  }

  async nextPage(): Promise<SystemHookEventSource[]> {
    if (this.complete) return [];
    const page = this.next ?? (await this.pageAfter(this.lastId));
    this.next = null;
    // A page's last entry that has left since: the subscriber read more slowly than the stream was trimmed.
    if (page === null || page === 'never') throw new SubscriberTooSlowError();
    this.lastId = page.lastId;
    for (const event of page.events) {
      const here = page.deliveredHereAs(event.deliveryId);
      if (here !== null && !isStreamId(here)) this.localCopies?.add(event.deliveryId);
    }
    if (page.complete) {
      this.complete = true;
      this.endSequence = page.logHead;
    }
    return page.events.length > 0 ? page.events : page.complete ? [] : this.nextPage();
  }

  alreadyGiven(event: SystemHookEventSource, sequence: number): boolean {
    if (isStreamId(event.cursor)) return compareStreamIds(event.cursor, this.lastId) <= 0;
    if (this.localCopies === null) return false;
    if (sequence >= this.endSequence) {
      this.localCopies = null;
      return false;
    }
    return this.localCopies.has(event.deliveryId);
  }
}
