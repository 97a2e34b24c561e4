/**
 * The event store of a gateway without Redis: one process, everything in memory, lost when the process ends.
 * Cursors are local (`<store id>.<n>`, the place after the store's n-th event; `.0` its start); one from an
 * earlier process is reported as expired, by the list and the subscription alike.
 *
 * Every `deliveryId` inside the dedupe window is remembered, whatever their number, up to `maxDedupeEntries`;
 * past that, `append` refuses new deliveries (`EventStoreUnavailableError`) until older ids leave the window.
 * Forgetting one instead would let a captured signed delivery be accepted again within its tolerance. A restart
 * forgets them all: a signed delivery from before it is accepted again while its timestamp is within the
 * tolerance.
 */
import { localCursor, newStoreId, parseCursor } from './cursor.ts';
import { EventCursorExpiredError, EventStoreUnavailableError, InvalidEventCursorError } from './errors.ts';
import { readHistory } from './event-history.ts';
import { EventLog } from './event-log.ts';
import {
  type AppendResult,
  DEFAULT_MAX_DEDUPE_ENTRIES,
  type EventStore,
  type EventStoreOptions,
  type SubscribeOptions,
  storeSettings,
} from './event-store.ts';
import { logHistory } from './log-history.ts';
import { RecentDeliveries } from './recent-deliveries.ts';
import type { SystemHookEventInput, SystemHookEventSource } from './types.ts';

export function createMemoryEventStore(options: EventStoreOptions = {}): EventStore {
  const settings = storeSettings(options, DEFAULT_MAX_DEDUPE_ENTRIES);
  const storeId = newStoreId();
  const log = new EventLog(settings.retention, settings.maxRetainedBytes);
  const seen = new RecentDeliveries<string>({
    maxEntries: settings.maxDedupeEntries,
    windowMs: settings.dedupeWindowMs,
    now: settings.now,
    isRetained: (cursor) => log.sequenceOf(cursor) !== undefined,
    whenFull: 'refuse',
  });
  /** Events appended; the n-th has the cursor `<store id>.<n>`, and sits at n - 1 in the log. */
  let appended = 0;
  let closed = false;

  /**
   * The log position right after a cursor's place, for `subscribe` and the history alike. Another store's cursor
   * (an earlier process's, docs/errors.md) or a stream id names events this process never had: expired, since
   * resuming there would skip whatever came between.
   */
  function positionAfter(after: string): number {
    const cursor = parseCursor(after);
    if (cursor.kind !== 'local' || cursor.storeId !== storeId) throw new EventCursorExpiredError();
    if (cursor.sequence > appended) throw new InvalidEventCursorError();
    // The start resumes while nothing has left the log; an event's place while the event is retained.
    if (cursor.sequence === 0 ? log.oldest > 0 : cursor.sequence - 1 < log.oldest)
      throw new EventCursorExpiredError();
    return cursor.sequence;
  }

  const history = logHistory(
    log,
    (cursor) => positionAfter(cursor) - 1,
    () => localCursor(storeId, appended),
  );

  return {
    async append(input: SystemHookEventInput): Promise<AppendResult> {
      if (closed) throw new EventStoreUnavailableError('The event store is closed.');
      const known = seen.get(input.deliveryId);
      if (known !== undefined) return { duplicate: true, cursor: known };
      const event: SystemHookEventSource = { ...input, cursor: localCursor(storeId, appended + 1) };
      if (!seen.set(event.deliveryId, event.cursor))
        throw new EventStoreUnavailableError(
          'The event store remembers as many delivery ids as it may within the dedupe window; try again later.',
        );
      appended += 1;
      log.append(event);
      return { duplicate: false, cursor: event.cursor };
    },

    async subscribe({ after, accept, signal }: SubscribeOptions = {}) {
      if (closed) throw new EventStoreUnavailableError('The event store is closed.');
      const position = after == null ? log.head : positionAfter(after);
      return log.subscribe({ position, accept, signal });
    },

    async history(request) {
      if (closed) throw new EventStoreUnavailableError('The event store is closed.');
      return readHistory(history, request);
    },

    status() {
      return {
        backend: 'memory',
        healthy: true,
        degraded: [],
        subscribers: log.subscriberCount,
        retained: log.size,
        awaitingRedis: 0,
      };
    },

    async close() {
      closed = true;
      log.endAll();
    },
  };
}
