/**
 * Where accepted deliveries go and where subscriptions read them: the contract both stores keep (in memory for
 * one process, `createMemoryEventStore`; shared through Redis for several replicas, `createRedisEventStore`).
 *
 * - `append` stores an event once per `deliveryId`: a repeated delivery answers `{ duplicate: true }` with the
 *   first one's cursor and reaches no subscriber again.
 * - Each subscription sees events in one order, each at most once; `after` resumes behind a cursor without a gap
 *   or a repeat at the seam between the replayed and the live events.
 * - Memory does not grow with slow subscribers: every subscription reads the one retained buffer through a
 *   position of its own, and one that falls behind the buffer's start is dropped (`SubscriberTooSlowError`).
 */
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

/** `EVENT_RETENTION`'s default: how many recent events are kept for `after`. */
export const DEFAULT_EVENT_RETENTION = 1000;
/** Retained events are also bounded in bytes (of their bodies), so that a run of large payloads cannot hog memory. */
export const DEFAULT_MAX_RETAINED_BYTES = 64 * 1024 * 1024;
/**
 * `EVENT_DEDUPE_WINDOW_SECONDS`' default: how long a `deliveryId` is recognised after its event, at least (also
 * for as long as the event is retained).
 */
export const DEFAULT_DEDUPE_WINDOW_SECONDS = 24 * 60 * 60;
/**
 * The in-memory store's hard cap on the `deliveryId`s inside the window (about 200 bytes each with a UUID id,
 * so about 50 MB): it never forgets one inside the window, since a signed delivery replayed within its tolerance
 * would then be published again, and refuses new deliveries instead (the receiver answers 503). That is a
 * sustained 2.9 deliveries a second over the default 24 h; a busier gateway needs a shorter window, or Redis.
 */
export const DEFAULT_MAX_DEDUPE_ENTRIES = 250_000;
/**
 * The Redis store's own memory of the ids it delivered (for passing over their copies in the stream), oldest
 * forgotten first past it: the shared Redis keys recognise repeats for the whole window.
 */
export const DEFAULT_MAX_LOCAL_DEDUPE_ENTRIES = 50_000;

export interface EventStoreOptions {
  /**
   * How many recent events are kept for `after` and for subscribers that lag (`EVENT_RETENTION`).
   * @default DEFAULT_EVENT_RETENTION (1000)
   */
  retention?: number | undefined;
  /**
   * The most body bytes the retained events may add up to; the oldest are evicted first.
   * @default DEFAULT_MAX_RETAINED_BYTES (64 MiB)
   */
  maxRetainedBytes?: number | undefined;
  /**
   * How long a `deliveryId` is recognised as a duplicate, at least; a retained event's always is.
   * @default DEFAULT_DEDUPE_WINDOW_SECONDS (24 h)
   */
  dedupeWindowSeconds?: number | undefined;
  /**
   * The most `deliveryId`s the process remembers (never fewer than `retention`). In memory, a hard cap on those
   * inside the window: past it, `append` refuses new deliveries rather than forget one. With Redis, this
   * process's own memory of what it delivered, whose oldest entries go first.
   * @default DEFAULT_MAX_DEDUPE_ENTRIES (250,000) in memory, DEFAULT_MAX_LOCAL_DEDUPE_ENTRIES (50,000) with Redis
   */
  maxDedupeEntries?: number | undefined;
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

/** The options with their defaults applied (`maxDedupeEntries`: the store's own), and the checks both stores make. */
export function storeSettings(options: EventStoreOptions, defaultMaxDedupeEntries: number) {
  const retention = options.retention ?? DEFAULT_EVENT_RETENTION;
  if (!Number.isSafeInteger(retention) || retention < 1)
    throw new RangeError('retention must be a positive integer');
  return {
    retention,
    maxRetainedBytes: options.maxRetainedBytes ?? DEFAULT_MAX_RETAINED_BYTES,
    dedupeWindowMs: (options.dedupeWindowSeconds ?? DEFAULT_DEDUPE_WINDOW_SECONDS) * 1000,
    maxDedupeEntries: Math.max(options.maxDedupeEntries ?? defaultMaxDedupeEntries, retention),
    now: options.now ?? Date.now,
  };
}

export interface AppendResult {
  /** True when the `deliveryId` was seen before; the event was not stored or published again. */
  duplicate: boolean;
  /** The event's cursor; for a duplicate, the first delivery's (which may have left the retention since). */
  cursor: string;
}

export interface SubscribeOptions {
  /** Replay the retained events after this cursor, then continue live. */
  after?: string | null | undefined;
  /** Which events this subscriber wants; the others are skipped before they cost it anything. */
  accept?: ((event: SystemHookEventSource) => boolean) | undefined;
  /** Ends the iteration (it returns `done`) when aborted. */
  signal?: AbortSignal | undefined;
}

/**
 * A subscription to the store's events. Besides iterating, the fan-out takes the events that are ready now
 * without a promise each (`nextReady`), so that one flush carries every event a subscriber has pending.
 */
export interface EventSubscription extends AsyncIterableIterator<SystemHookEventSource> {
  /**
   * The next event if it can be had without waiting, else undefined; `next()` then says what follows (an event
   * still to come, the end, or the failure that ended the subscription). Never called while a `next()` is pending.
   */
  nextReady(): SystemHookEventSource | undefined;
}

export interface EventStoreStatus {
  backend: 'memory' | 'redis';
  /** False while a part works in a degraded way (Redis unreachable, events waiting to be forwarded). */
  healthy: boolean;
  /** What is degraded, one short sentence each; empty when healthy. Never a URL or a secret. */
  degraded: string[];
  /** Subscriptions currently open in this process. */
  subscribers: number;
  /** Events this process holds for `after` and for slow subscribers. */
  retained: number;
  /** Events accepted while Redis was unreachable and not yet written to it; 0 in memory. */
  awaitingRedis: number;
}

export interface EventStore {
  /**
   * Stores an accepted delivery and hands it to the subscribers; resolves once it is stored, without waiting
   * for any subscriber. Rejects with `EventStoreUnavailableError` when the store cannot take it.
   */
  append(event: SystemHookEventInput): Promise<AppendResult>;
  /**
   * Opens a subscription. Rejects with `InvalidEventCursorError` for an `after` that is not a cursor, and with
   * `EventCursorExpiredError` for one whose event is no longer retained. The iterator ends with
   * `SubscriberTooSlowError` when the subscriber falls behind the retained events.
   */
  subscribe(options?: SubscribeOptions): Promise<EventSubscription>;
  status(): EventStoreStatus;
  /** Ends every subscription (they return `done`) and releases what the store holds. */
  close(): Promise<void>;
}
