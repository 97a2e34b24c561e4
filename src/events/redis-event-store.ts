/**
 * The event store shared by several gateway replicas through Redis (`REDIS_URL`).
 *
 * Layout: one Redis stream holds the last `retention` events (`XADD ... MAXLEN`), and at most `maxRetainedBytes`
 * of their bodies; its entry ids are the cursors, the same on every replica. A key per `deliveryId`
 * (`SET ... EX`, the dedupe window, 24 h by default) holds the cursor of its event; one Lua script checks it, adds
 * the entry, trims the stream and sets the key atomically (`redis-stream.ts`).
 *
 * Fan-out: each process runs one `XREAD BLOCK` loop on a connection of its own and appends what it reads to its
 * local `EventLog`, which its subscriptions read; there is never a Redis connection per subscriber. An event
 * appended by this process reaches its own subscribers the same way, so every replica delivers the stream in
 * stream order. `after` resolves in the local log when it can, else by replaying the stream (`XRANGE`) up to
 * where the local log takes over, passing over at the seam what the replay already gave.
 *
 * Guaranteed:
 * - An event is accepted (`append` resolves) once it is in Redis, or, when Redis is unreachable, once it is in
 *   this process's log and outage queue. `append` never waits on Redis longer than `commandTimeoutMs`.
 * - Each subscription sees each `deliveryId` at most once, in its replica's order, including across an outage
 *   and a Redis restart: the replica remembers the ids it delivered (`maxDedupeEntries`, 24 h) and passes over
 *   their copies when they come back through the stream.
 * - During an outage the replica keeps accepting and serves its own subscribers; `status()` says it is degraded.
 *   When Redis is back, the events accepted meanwhile are written to the stream in order (so the other replicas
 *   receive them then), and so are the events this replica had written but not yet read back when the connection
 *   dropped, in case Redis lost them: writing one twice is harmless, its dedupe key makes the second a no-op.
 * - A duplicate sent to another replica is recognised through its Redis key while the key lives (24 h, or until
 *   Redis loses its data), and by each replica for the events it has delivered.
 *
 * Not guaranteed:
 * - Order across replicas after an outage: each replica delivers its own outage events first, the others' after.
 * - Cursors handed out during an outage (`<store id>.<n>`) resume only on the replica that handed them out, from
 *   its local log; elsewhere they are `EVENT_CURSOR_EXPIRED`. A stream cursor whose entry Redis has trimmed or
 *   lost (a restart without persistence) is `EVENT_CURSOR_EXPIRED` unless this replica still retains it.
 * - Resuming from a stream cursor this replica no longer retains needs Redis; while Redis is unreachable such a
 *   subscribe fails with `EventStoreUnavailableError`.
 * - The outage queue lives in memory: events accepted during an outage are lost to the other replicas if this
 *   process ends before Redis is back. It holds at most `maxQueuedEvents` and `maxQueuedBytes`; past that,
 *   `append` refuses with `EventStoreUnavailableError` (the receiver answers 503) rather than accept what it
 *   might lose. Events already acknowledged are never dropped to make room.
 * - If this replica cannot read the stream while the others write more than `retention` events to it, those
 *   events are gone before it reads them; it then ends its subscriptions and forgets its log (cursors into it
 *   become `EVENT_CURSOR_EXPIRED`) instead of passing over the gap silently.
 */
import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import { compareStreamIds, isStreamId, localCursor, newStoreId, parseCursor } from './cursor.ts';
import {
  EventCursorExpiredError,
  EventStoreUnavailableError,
  InvalidEventCursorError,
  SubscriberTooSlowError,
} from './errors.ts';
import { EventLog, type ReplayPrefix } from './event-log.ts';
import {
  type AppendResult,
  DEFAULT_MAX_LOCAL_DEDUPE_ENTRIES,
  type EventStore,
  type EventStoreOptions,
  type EventStoreStatus,
  type SubscribeOptions,
  storeSettings,
} from './event-store.ts';
import { RecentDeliveries } from './recent-deliveries.ts';
import {
  appendArguments,
  defineStreamScripts,
  eventOfEntry,
  fieldOf,
  type StreamEntry,
  type StreamKeys,
  streamKeys,
} from './redis-stream.ts';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

export const DEFAULT_REDIS_KEY_PREFIX = 'system-hook-events';
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;
export const DEFAULT_MAX_QUEUED_EVENTS = 10_000;
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export interface RedisEventStoreOptions extends EventStoreOptions {
  /**
   * `REDIS_URL` (`redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS) or ioredis options. The
   * store sets its own timeouts, retries and queueing on top (see the module's header). Never logged.
   */
  redis: string | RedisOptions;
  /**
   * Prefix of the store's Redis keys; replicas that share events use the same.
   * @default DEFAULT_REDIS_KEY_PREFIX ('system-hook-events')
   */
  keyPrefix?: string | undefined;
  /**
   * How long a Redis command may take before Redis counts as unreachable for the moment, in milliseconds.
   * @default DEFAULT_REDIS_COMMAND_TIMEOUT_MS (1000)
   */
  commandTimeoutMs?: number | undefined;
  /**
   * The most events accepted during an outage that wait for Redis; past it `append` refuses.
   * @default DEFAULT_MAX_QUEUED_EVENTS (10,000)
   */
  maxQueuedEvents?: number | undefined;
  /**
   * The most body bytes those events may add up to.
   * @default DEFAULT_MAX_QUEUED_BYTES (64 MiB)
   */
  maxQueuedBytes?: number | undefined;
  /** Called when Redis becomes unreachable (`false`) or usable again (`true`); for logs. */
  onRedisStateChange?: ((reachable: boolean) => void) | undefined;
  /**
   * The most bytes of entries a replay page holds besides its first event (it holds at least one), so that a
   * resuming subscriber holds no more than that at a time.
   * @default 4 MiB
   */
  replayPageBytes?: number | undefined;
}

/** How long one `XREAD` blocks; also how soon the reader notices `close()`. */
const BLOCK_MS = 1000;
/** At most this many entries per `XREAD` (and never more than the retention: a full batch means "check for a gap"). */
const READ_COUNT = 500;
const REPLAY_PAGE = 200;
/**
 * A replay page also stops past this many bytes of entries (always holding at least one): a resuming subscriber
 * holds one page at a time, whatever the size of the events.
 */
const REPLAY_PAGE_BYTES = 4 * 1024 * 1024;
const FLUSH_BATCH = 100;
const PROBE_INTERVAL_MS = 250;
const RECONNECT_CAP_MS = 2000;
const CLOSE_FLUSH_TIMEOUT_MS = 2000;

/** What this process knows of a `deliveryId`. */
interface DeliveryState {
  /** The event's cursor; `null` while the append that claimed it waits for Redis. */
  cursor: string | null;
  /** Whether this process's log has the event (so a copy read from the stream is passed over). */
  delivered: boolean;
  /** Settles with the cursor when the claiming append does; for a duplicate that arrives meanwhile. */
  settled?: Promise<string>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function connectionOptions(commandTimeoutMs: number): RedisOptions {
  return {
    // Fail fast instead of queueing or resending: an append that cannot reach Redis goes to the outage queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 2000),
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), RECONNECT_CAP_MS),
    lazyConnect: false,
    // Appends arriving together go to Redis in one write: about twice the appends per second under load.
    enableAutoPipelining: true,
  };
}

class RedisEventStore implements EventStore {
  private readonly settings: ReturnType<typeof storeSettings>;
  private readonly storeId = newStoreId();
  private readonly log: EventLog;
  private readonly seen: RecentDeliveries<DeliveryState>;
  private readonly keys: StreamKeys;
  private readonly client: Redis;
  private readonly reader: Redis;
  /** What the append script bounds the stream with. */
  private readonly bounds: { ttlSeconds: number; maxLength: number; maxBytes: number };
  private readonly replayPageBytes: number;
  private readonly maxQueuedEvents: number;
  private readonly maxQueuedBytes: number;
  private readonly onRedisStateChange: ((reachable: boolean) => void) | undefined;
  /** Written to Redis by this process, not yet read back from the stream. */
  private readonly inFlight = new Map<string, SystemHookEventInput>();
  /** Accepted while Redis was unreachable, in order, waiting to be written to it. */
  private readonly queue: SystemHookEventSource[] = [];
  private queuedBytes = 0;
  private localSequence = 0;
  /** The reader's position in the stream; `null` until it has one. */
  private lastId: string | null = null;
  /** Set when a command failed: Redis counts as unreachable until a probe succeeds. */
  private suspect = false;
  private reportedReachable: boolean | null = null;
  private gapCheckDue = false;
  /** Redis's `entries-added` count of the stream at the reader's position, for telling a gap. */
  private addedAtLastId = 0;
  private flushing = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly reading: Promise<void>;
  private readonly readCount: number;

  constructor(options: RedisEventStoreOptions) {
    this.settings = storeSettings(options, DEFAULT_MAX_LOCAL_DEDUPE_ENTRIES);
    this.log = new EventLog(this.settings.retention, this.settings.maxRetainedBytes);
    this.seen = new RecentDeliveries<DeliveryState>({
      maxEntries: this.settings.maxDedupeEntries,
      windowMs: this.settings.dedupeWindowMs,
      now: this.settings.now,
      isRetained: (state) => state.cursor !== null && this.log.sequenceOf(state.cursor) !== undefined,
      whenFull: 'forget-oldest',
    });
    this.readCount = Math.min(READ_COUNT, this.settings.retention);
    this.keys = streamKeys(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX);
    this.bounds = {
      ttlSeconds: Math.ceil(this.settings.dedupeWindowMs / 1000),
      maxLength: this.settings.retention,
      maxBytes: this.settings.maxRetainedBytes,
    };
    this.replayPageBytes = options.replayPageBytes ?? REPLAY_PAGE_BYTES;
    this.maxQueuedEvents = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.onRedisStateChange = options.onRedisStateChange;
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
    const ours = connectionOptions(commandTimeoutMs);
    this.client =
      typeof options.redis === 'string'
        ? new Redis(options.redis, ours)
        : new Redis({ ...options.redis, ...ours });
    // The reader's XREAD blocks on purpose: no command timeout, but a client-side bound just past the block.
    this.reader = this.client.duplicate({
      enableAutoPipelining: false,
      commandTimeout: undefined,
      blockingTimeout: BLOCK_MS,
      blockingTimeoutGrace: commandTimeoutMs,
    });
    defineStreamScripts(this.client);
    for (const connection of [this.client, this.reader]) {
      // Failures show in status(); ioredis reconnects by itself. An unhandled 'error' would end the process.
      connection.on('error', () => {});
      connection.on('close', () => this.markSuspect());
      connection.on('ready', () => this.probe());
    }
    this.reading = this.read();
  }

  private connectionsReady(): boolean {
    return this.client.status === 'ready' && this.reader.status === 'ready';
  }

  /** Whether appends and replays go through Redis now. */
  private redisUsable(): boolean {
    return !this.closed && !this.suspect && this.lastId !== null && this.connectionsReady();
  }

  // Appending.

  async append(input: SystemHookEventInput): Promise<AppendResult> {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed.');
    const known = this.seen.get(input.deliveryId);
    if (known) return { duplicate: true, cursor: known.cursor ?? (await known.settled) ?? '' };
    // Serialized before anything is claimed, also when it is to wait for Redis: an event that cannot be
    // serialized is refused here, changing nothing, rather than fail later in the flush.
    const args = appendArguments(this.keys, input, this.bounds);
    if (!this.redisUsable() || this.queue.length > 0) return this.acceptLocally(input);
    const state: DeliveryState = { cursor: null, delivered: false };
    const appended = this.appendToRedis(input, args, state);
    state.settled = appended.then((result) => result.cursor);
    state.settled.catch(() => {});
    this.seen.set(input.deliveryId, state);
    return appended;
  }

  private async appendToRedis(
    input: SystemHookEventInput,
    args: ReturnType<typeof appendArguments>,
    state: DeliveryState,
  ): Promise<AppendResult> {
    let reply: [number, string];
    try {
      reply = await this.client.appendSystemHookEvent(...args);
    } catch {
      this.markSuspect();
      // The reader may have read it back before the answer was lost: then it is delivered already.
      if (state.delivered && state.cursor !== null) return { duplicate: false, cursor: state.cursor };
      // Redis may or may not have it: keep it here and write it again later, which the dedupe key makes safe.
      return this.acceptLocally(input);
    }
    const [fresh, cursor] = reply;
    state.cursor = cursor;
    if (fresh === 1 && !state.delivered) this.inFlight.set(input.deliveryId, input);
    return { duplicate: fresh === 0, cursor };
  }

  /** Delivers to this process's subscribers and queues for Redis: the way through an outage. */
  private acceptLocally(input: SystemHookEventInput): AppendResult {
    if (
      this.queue.length >= this.maxQueuedEvents ||
      this.queuedBytes + input.bodyBytes > this.maxQueuedBytes
    ) {
      this.seen.delete(input.deliveryId);
      throw new EventStoreUnavailableError(
        'Redis is unreachable and the queue of events waiting for it is full; try again later.',
      );
    }
    const event = { ...input, cursor: localCursor(this.storeId, this.localSequence) };
    this.localSequence += 1;
    this.deliverLocally(event);
    return { duplicate: false, cursor: event.cursor };
  }

  private deliverLocally(event: SystemHookEventSource): void {
    this.markDelivered(event.deliveryId, event.cursor);
    this.log.append(event);
    this.queue.push(event);
    this.queuedBytes += event.bodyBytes;
    void this.flush();
  }

  private markDelivered(deliveryId: string, cursor: string): void {
    const state = this.seen.get(deliveryId);
    if (state === undefined) this.seen.set(deliveryId, { cursor, delivered: true });
    else {
      state.cursor = cursor;
      state.delivered = true;
    }
  }

  /** Writes the outage queue to Redis, in order, while Redis is usable. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && this.redisUsable()) {
        if ((await this.flushBatch()) === 0) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Writes the first events of the queue; returns how many were written (0 when Redis failed). */
  private async flushBatch(): Promise<number> {
    const batch = this.queue.slice(0, FLUSH_BATCH);
    const pipeline = this.client.pipeline();
    for (const event of batch)
      pipeline.appendSystemHookEvent(...appendArguments(this.keys, event, this.bounds));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch {
      results = null;
    }
    let written = 0;
    while (written < batch.length && results?.[written]?.[0] === null) written += 1;
    for (const event of this.queue.splice(0, written)) this.queuedBytes -= event.bodyBytes;
    if (written < batch.length) this.markSuspect();
    return written;
  }

  // Redis's state.

  /** A command failed or a connection closed: go local until a probe succeeds. */
  private markSuspect(): void {
    if (this.closed) return;
    this.suspect = true;
    this.gapCheckDue = true;
    this.takeBackInFlight();
    this.report();
    this.probe();
  }

  /**
   * Events written to Redis but not yet read back may never be (the connection dropped, Redis restarted without
   * them): deliver them here now and write them again when Redis is back.
   */
  private takeBackInFlight(): void {
    for (const [deliveryId, input] of this.inFlight) {
      const state = this.seen.get(deliveryId);
      if (state?.cursor && !state.delivered) this.deliverLocally({ ...input, cursor: state.cursor });
    }
    this.inFlight.clear();
  }

  private probe(): void {
    if (this.probeTimer !== undefined || this.closed) return;
    this.probeTimer = setInterval(() => void this.probeOnce(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  private async probeOnce(): Promise<void> {
    if (!this.connectionsReady()) return;
    try {
      await this.client.ping();
    } catch {
      return;
    }
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.suspect = false;
    this.report();
    void this.flush();
  }

  private report(): void {
    const reachable = this.redisUsable();
    if (reachable === this.reportedReachable) return;
    this.reportedReachable = reachable;
    this.onRedisStateChange?.(reachable);
  }

  // Reading the stream.

  private async read(): Promise<void> {
    while (!this.closed) {
      if (!this.connectionsReady()) {
        await sleep(50);
        continue;
      }
      try {
        await this.readOnce();
      } catch {
        if (this.closed) break;
        this.markSuspect();
        await sleep(50);
      }
    }
  }

  private async readOnce(): Promise<void> {
    if (this.lastId === null) {
      const stream = await this.streamInfo();
      this.lastId = stream?.lastGeneratedId ?? '0-0';
      this.addedAtLastId = stream?.added ?? 0;
      this.report();
      void this.flush();
    }
    if (this.gapCheckDue) await this.checkForGap(this.lastId);
    const reply = (await this.reader.xread(
      'COUNT',
      this.readCount,
      'BLOCK',
      BLOCK_MS,
      'STREAMS',
      this.keys.stream,
      this.lastId,
    )) as [string, StreamEntry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    for (const entry of entries) {
      this.lastId = entry[0];
      this.addedAtLastId += 1;
      this.deliverEntry(entry);
    }
    // A full batch means the reader is behind: the stream may have been trimmed past it meanwhile.
    if (entries.length >= this.readCount) this.gapCheckDue = true;
  }

  private deliverEntry(entry: StreamEntry): void {
    const [id, fields] = entry;
    const deliveryId = fieldOf(fields, 'd');
    if (deliveryId === undefined) return;
    const state = this.seen.get(deliveryId);
    const own = this.inFlight.get(deliveryId);
    this.inFlight.delete(deliveryId);
    if (state?.delivered) return;
    const event = own ? { ...own, cursor: id } : eventOfEntry(entry);
    if (event === null) return;
    this.markDelivered(deliveryId, id);
    this.log.append(event);
  }

  /** The stream's counters (Redis 7's `XINFO STREAM`); `null` when there is no stream yet. */
  private async streamInfo(): Promise<StreamInfo | null> {
    let info: unknown[];
    try {
      info = (await this.client.xinfo('STREAM', this.keys.stream)) as unknown[];
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
   * After trouble, or a full batch: were entries past the reader's position trimmed before it read them? Redis
   * does not record trimmed ids, so count: more entries were added after the reader's position than the stream
   * holds, and its first entry comes after that position. (A stream that was recreated, as by a Redis restart
   * without persistence, has counted fewer entries than the reader had read: it is counted from its start.)
   */
  private async checkForGap(lastId: string): Promise<void> {
    const stream = await this.streamInfo();
    this.gapCheckDue = false;
    if (stream === null || stream.added < this.addedAtLastId) this.addedAtLastId = 0;
    if (stream === null || stream.firstId === null || compareStreamIds(stream.firstId, lastId) <= 0) return;
    if (stream.added - this.addedAtLastId <= stream.length) return;
    this.addedAtLastId = stream.added - stream.length;
    this.log.discardAll(new EventCursorExpiredError());
  }

  // Subscribing.

  async subscribe({ after, accept, signal }: SubscribeOptions = {}) {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed.');
    if (after == null) return this.log.subscribe({ position: this.log.head, accept, signal });
    const cursor = parseCursor(after);
    const at = this.log.sequenceOf(after);
    if (at !== undefined) return this.log.subscribe({ position: at + 1, accept, signal });
    if (cursor.kind === 'local') {
      if (cursor.storeId === this.storeId && cursor.sequence >= this.localSequence)
        throw new InvalidEventCursorError();
      throw new EventCursorExpiredError();
    }
    return this.replayFromRedis(after, accept, signal);
  }

  /** Replays the stream after `after`, then hands over to the local log at the position it had when we began. */
  private async replayFromRedis(
    after: string,
    accept: SubscribeOptions['accept'],
    signal: AbortSignal | undefined,
  ): Promise<AsyncIterableIterator<SystemHookEventSource>> {
    if (!this.redisUsable())
      throw new EventStoreUnavailableError(
        'Redis is unreachable, and this replica does not retain the cursor.',
      );
    const position = this.log.head;
    const first = await this.pageAfter(after);
    if (first === null) throw new EventCursorExpiredError();
    const replay = new StreamReplay(this, first);
    return this.log.subscribe({
      position,
      accept,
      signal,
      prefix: replay,
      skip: (event, sequence) => replay.alreadyGiven(event, sequence),
    });
  }

  /**
   * The page of events after `id`, or `null` when `id` is no longer in the stream. `id` itself is asked for
   * too, to tell a trimmed position from the end of the stream.
   */
  async pageAfter(id: string): Promise<ReplayPage | null> {
    let ended: number;
    let entries: StreamEntry[];
    try {
      [ended, entries] = await this.client.systemHookEventPage(
        this.keys.stream,
        id,
        REPLAY_PAGE + 1,
        this.replayPageBytes,
      );
    } catch (error) {
      // An answer is no outage: Redis refused the command (parseCursor lets through no id it would refuse).
      if (error instanceof ReplyError) {
        if (/invalid stream id/i.test((error as Error).message)) throw new InvalidEventCursorError();
        throw new EventStoreUnavailableError('Redis refused to replay events.');
      }
      this.markSuspect();
      throw new EventStoreUnavailableError('Redis became unreachable while replaying events.');
    }
    if (entries[0]?.[0] !== id) return null;
    const events: SystemHookEventSource[] = [];
    for (const entry of entries.slice(1)) {
      const event = eventOfEntry(entry);
      if (event) events.push(event);
    }
    return {
      events,
      lastId: entries.at(-1)?.[0] ?? id,
      complete: ended === 1,
      logHead: this.log.head,
      deliveredHereAs: (deliveryId) => this.seen.get(deliveryId)?.cursor ?? null,
    };
  }

  status(): EventStoreStatus {
    const degraded: string[] = [];
    if (!this.redisUsable())
      degraded.push('Redis is unreachable: events reach this replica only, and wait to be written to Redis.');
    if (this.queue.length > 0)
      degraded.push(`${this.queue.length} accepted events wait to be written to Redis.`);
    return {
      backend: 'redis',
      healthy: degraded.length === 0,
      degraded,
      subscribers: this.log.subscriberCount,
      retained: this.log.size,
      awaitingRedis: this.queue.length,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0 && this.redisUsable())
      await Promise.race([this.flush(), sleep(CLOSE_FLUSH_TIMEOUT_MS)]);
    this.closed = true;
    clearInterval(this.probeTimer);
    this.log.endAll();
    this.reader.disconnect();
    await this.reading;
    await Promise.race([this.client.quit().catch(() => {}), sleep(CLOSE_FLUSH_TIMEOUT_MS)]);
    this.client.disconnect();
  }
}

interface StreamInfo {
  /** Entries ever added (`entries-added`). */
  added: number;
  length: number;
  firstId: string | null;
  lastGeneratedId: string;
}

interface ReplayPage {
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
 * The replayed part of a subscription resumed from Redis, a page at a time, and what the local log must then
 * pass over: entries the replay already gave (stream ids up to the last replayed one), and local copies
 * (outage events) of replayed entries, which can only sit in the log before the head it had at the last page.
 */
class StreamReplay implements ReplayPrefix {
  private next: ReplayPage | null;
  private lastId: string;
  private complete = false;
  private endSequence = Number.POSITIVE_INFINITY;
  private localCopies: Set<string> | null = new Set();

  constructor(
    private readonly store: RedisEventStore,
    first: ReplayPage,
  ) {
    this.next = first;
    this.lastId = first.lastId;
  }

  async nextPage(): Promise<SystemHookEventSource[]> {
    if (this.complete) return [];
    const page = this.next ?? (await this.store.pageAfter(this.lastId));
    this.next = null;
    if (page === null) throw new SubscriberTooSlowError();
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

/** The event store for `REDIS_URL`: see the module's header for what it guarantees. */
export function createRedisEventStore(options: RedisEventStoreOptions): EventStore {
  return new RedisEventStore(options);
}
