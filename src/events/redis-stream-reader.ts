/**
 * The one `XREAD BLOCK` loop of a Redis event store, on a connection of its own: it hands every entry of the
 * stream to the store, in stream order, from the position the stream had when the reader started. After trouble,
 * or a full batch, it checks whether entries it had not read yet were trimmed meanwhile, and says so rather than
 * pass over the gap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { compareStreamIds } from './cursor.ts';
import type { RedisLink } from './redis-link.ts';
import { fieldOf, type StreamEntry, type StreamKeys } from './redis-stream.ts';

/** How long one `XREAD` blocks; also how soon the reader notices `stop()`. */
export const BLOCK_MS = 1000;
/** How long the loop waits after a failure, or for its connections to be ready. */
const RETRY_MS = 50;

export interface StreamReaderOptions {
  /** The command connection, for `XINFO STREAM`. */
  client: Redis;
  /** The connection that blocks in `XREAD`. */
  reader: Redis;
  keys: StreamKeys;
  /** Entries per `XREAD`; a full batch means "check for a gap". */
  readCount: number;
  link: RedisLink;
  /** Each entry read, in stream order. */
  onEntry: (entry: StreamEntry) => void;
  /** The reader has its position: appends and replays may go through Redis. */
  onPositioned: () => void;
  /** Entries past the reader's position were trimmed before it read them. */
  onGap: () => void;
}

interface StreamInfo {
  /** Entries ever added (`entries-added`). */
  added: number;
  length: number;
  firstId: string | null;
  lastGeneratedId: string;
}

export class StreamReader {
  /** The reader's position in the stream; `null` until it has one. */
  private lastId: string | null = null;
  /** Redis's `entries-added` count of the stream at the reader's position, for telling a gap. */
  private addedAtLastId = 0;
  private gapCheckDue = false;
  private stopped = false;
  private readonly reading: Promise<void>;

  constructor(private readonly options: StreamReaderOptions) {
    this.reading = this.read();
  }

  get positioned(): boolean {
    return this.lastId !== null;
  }

  /** Checks for a gap before the next read: the connection dropped, so entries may have gone unread. */
  checkForGapNext(): void {
    this.gapCheckDue = true;
  }

  /** Ends the loop; resolves once it has ended (disconnect the reader's connection to end a blocked read). */
  stop(): Promise<void> {
    this.stopped = true;
    return this.reading;
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      if (!this.options.link.connectionsReady()) {
        await sleep(RETRY_MS, undefined, { ref: false });
        continue;
      }
      try {
        await this.readOnce();
      } catch {
        if (this.stopped) break;
        this.options.link.markUnreachable();
        await sleep(RETRY_MS, undefined, { ref: false });
      }
    }
  }

  private async readOnce(): Promise<void> {
    if (this.lastId === null) {
      const stream = await this.streamInfo();
      this.lastId = stream?.lastGeneratedId ?? '0-0';
      this.addedAtLastId = stream?.added ?? 0;
      this.options.onPositioned();
    }
    if (this.gapCheckDue) await this.checkForGap(this.lastId);
    const { reader, keys, readCount } = this.options;
    const reply = (await reader.xread(
      'COUNT',
      readCount,
      'BLOCK',
      BLOCK_MS,
      'STREAMS',
      keys.stream,
      this.lastId,
    )) as [string, StreamEntry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    for (const entry of entries) {
      this.lastId = entry[0];
      this.addedAtLastId += 1;
      this.options.onEntry(entry);
    }
    // A full batch means the reader is behind: the stream may have been trimmed past it meanwhile.
    if (entries.length >= readCount) this.gapCheckDue = true;
  }

  /** The stream's counters (Redis 7's `XINFO STREAM`); `null` when there is no stream yet. */
  private async streamInfo(): Promise<StreamInfo | null> {
    let info: unknown[];
    try {
      info = (await this.options.client.xinfo('STREAM', this.options.keys.stream)) as unknown[];
    } catch (error) {
      if (/no such key/i.test(String(error))) return null;
      throw error;
    }
    const first = fieldOf(info, 'first-entry') as StreamEntry | null | undefined;
    return {
      added: Number(fieldOf(info, 'entries-added')),
      length: Number(fieldOf(info, 'length')),
      firstId: first?.[0] ?? null,
      lastGeneratedId: String(fieldOf(info, 'last-generated-id') ?? '0-0'),
    };
  }

  /**
   * Were entries past the reader's position trimmed before it read them? Redis does not record trimmed ids, so
   * count: more entries were added after the reader's position than the stream holds, and its first entry comes
   * after that position. (A stream that was recreated, as by a Redis restart without persistence, has counted
   * fewer entries than the reader had read: it is counted from its start.)
   */
  private async checkForGap(lastId: string): Promise<void> {
    const stream = await this.streamInfo();
    this.gapCheckDue = false;
    if (stream === null || stream.added < this.addedAtLastId) this.addedAtLastId = 0;
    if (stream === null || stream.firstId === null || compareStreamIds(stream.firstId, lastId) <= 0) return;
    if (stream.added - this.addedAtLastId <= stream.length) return;
    this.addedAtLastId = stream.added - stream.length;
    this.options.onGap();
  }
}
