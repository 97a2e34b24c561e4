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
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { localCursor, newStoreId, parseCursor } from './cursor.ts';
import { EventCursorExpiredError, EventStoreUnavailableError, InvalidEventCursorError } from './errors.ts';
import { EventLog } from './event-log.ts';
import {
  type AppendResult,
  DEFAULT_MAX_LOCAL_DEDUPE_ENTRIES,
  type EventStore,
  type EventStoreOptions,
  type EventStoreStatus,
  type EventSubscription,
  type SubscribeOptions,
  storeSettings,
} from './event-store.ts';
import { RecentDeliveries } from './recent-deliveries.ts';
import { RedisLink } from './redis-link.ts';
import { OutageQueue } from './redis-outage-queue.ts';
import {
  type AppendBounds,
  appendArguments,
  defineStreamScripts,
  eventOfEntry,
  fieldOf,
  type StreamEntry,
  type StreamKeys,
  streamKeys,
} from './redis-stream.ts';
import { BLOCK_MS, StreamReader } from './redis-stream-reader.ts';
import { createPageReader, type PageReader, StreamReplay } from './redis-stream-replay.ts';
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

/** At most this many entries per `XREAD` (and never more than the retention: a full batch means "check for a gap"). */
const READ_COUNT = 500;
/**
 * A replay page also stops past this many bytes of entries (always holding at least one): a resuming subscriber
 * holds one page at a time, whatever the size of the events.
 */
const REPLAY_PAGE_BYTES = 4 * 1024 * 1024;
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

const closeTimeout = () => sleep(CLOSE_FLUSH_TIMEOUT_MS, undefined, { ref: false });

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
    // Appends arriving together go to Redis in one write, rather than one write per append.
    enableAutoPipelining: true,
  };
}

/**
 * The store composes its parts: the `RedisLink` says whether Redis is usable, the `OutageQueue` holds what
 * waits for it, the `StreamReader` feeds the local `EventLog` from the stream, and `StreamReplay` resumes from
 * cursors the log no longer holds. What is left here is the dedupe state: which deliveries this process has
 * claimed, written and delivered.
 */
class RedisEventStore implements EventStore {
  private readonly settings: ReturnType<typeof storeSettings>;
  private readonly storeId = newStoreId();
  private readonly log: EventLog;
  private readonly seen: RecentDeliveries<DeliveryState>;
  private readonly keys: StreamKeys;
  private readonly client: Redis;
  private readonly readerConnection: Redis;
  /** What the append script bounds the stream with. */
  private readonly bounds: AppendBounds;
  private readonly link: RedisLink;
  private readonly queue: OutageQueue;
  private readonly reader: StreamReader;
  private readonly pageAfter: PageReader;
  /** Written to Redis by this process, not yet read back from the stream. */
  private readonly inFlight = new Map<string, SystemHookEventInput>();
  private localSequence = 0;
  private closed = false;

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
    this.keys = streamKeys(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX);
    this.bounds = {
      ttlSeconds: Math.ceil(this.settings.dedupeWindowMs / 1000),
      maxLength: this.settings.retention,
      maxBytes: this.settings.maxRetainedBytes,
    };
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
    const ours = connectionOptions(commandTimeoutMs);
    this.client =
      typeof options.redis === 'string'
        ? new Redis(options.redis, ours)
        : new Redis({ ...options.redis, ...ours });
    // The reader's XREAD blocks on purpose: no command timeout, but a client-side bound just past the block.
    this.readerConnection = this.client.duplicate({
      enableAutoPipelining: false,
      commandTimeout: undefined,
      blockingTimeout: BLOCK_MS,
      blockingTimeoutGrace: commandTimeoutMs,
    });
    defineStreamScripts(this.client);
    this.link = new RedisLink({
      client: this.client,
      reader: this.readerConnection,
      positioned: () => this.reader.positioned,
      onUnreachable: () => {
        this.reader.checkForGapNext();
        this.takeBackInFlight();
      },
      onReachable: () => void this.queue.flush(),
      onStateChange: options.onRedisStateChange,
    });
    this.queue = new OutageQueue({
      client: this.client,
      keys: this.keys,
      bounds: this.bounds,
      link: this.link,
      maxEvents: options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS,
      maxBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    });
    this.pageAfter = createPageReader({
      client: this.client,
      keys: this.keys,
      pageBytes: options.replayPageBytes ?? REPLAY_PAGE_BYTES,
      logHead: () => this.log.head,
      deliveredHereAs: (deliveryId) => this.seen.get(deliveryId)?.cursor ?? null,
      onUnreachable: () => this.link.markUnreachable(),
    });
    this.reader = new StreamReader({
      client: this.client,
      reader: this.readerConnection,
      keys: this.keys,
      readCount: Math.min(READ_COUNT, this.settings.retention),
      link: this.link,
      onEntry: (entry) => this.deliverEntry(entry),
      onPositioned: () => {
        this.link.reportChange();
        void this.queue.flush();
      },
      onGap: () => this.log.discardAll(new EventCursorExpiredError()),
    });
  }

  // Appending.

  async append(input: SystemHookEventInput): Promise<AppendResult> {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed.');
    const known = this.seen.get(input.deliveryId);
    if (known) return { duplicate: true, cursor: known.cursor ?? (await known.settled) ?? '' };
    // Serialized before anything is claimed, also when it is to wait for Redis: an event that cannot be
    // serialized is refused here, changing nothing, rather than fail later in the flush.
    const args = appendArguments(this.keys, input, this.bounds);
    if (!this.link.usable() || this.queue.length > 0) return this.acceptLocally(input);
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
      this.link.markUnreachable();
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
    if (!this.queue.fits(input.bodyBytes)) {
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
  }

  private markDelivered(deliveryId: string, cursor: string): void {
    const state = this.seen.get(deliveryId);
    if (state === undefined) this.seen.set(deliveryId, { cursor, delivered: true });
    else {
      state.cursor = cursor;
      state.delivered = true;
    }
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

  /** An entry the reader read: delivered here unless this process delivered it already. */
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
  ): Promise<EventSubscription> {
    if (!this.link.usable())
      throw new EventStoreUnavailableError(
        'Redis is unreachable, and this replica does not retain the cursor.',
      );
    const position = this.log.head;
    const first = await this.pageAfter(after);
    if (first === null) throw new EventCursorExpiredError();
    const replay = new StreamReplay(this.pageAfter, first);
    return this.log.subscribe({
      position,
      accept,
      signal,
      prefix: replay,
      skip: (event, sequence) => replay.alreadyGiven(event, sequence),
    });
  }

  status(): EventStoreStatus {
    const degraded: string[] = [];
    if (!this.link.usable())
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
    if (this.queue.length > 0 && this.link.usable()) await Promise.race([this.queue.flush(), closeTimeout()]);
    this.closed = true;
    this.link.close();
    const reading = this.reader.stop();
    this.log.endAll();
    this.readerConnection.disconnect();
    await reading;
    await Promise.race([this.client.quit().catch(() => {}), closeTimeout()]);
    this.client.disconnect();
  }
}

/** The event store for `REDIS_URL`: see the module's header for what it guarantees. */
export function createRedisEventStore(options: RedisEventStoreOptions): EventStore {
  return new RedisEventStore(options);
}
