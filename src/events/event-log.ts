/**
 * One process's retained events and the subscriptions reading them: the fan-out core of both stores.
 *
 * The log is a ring of the last `retention` events (and at most `maxRetainedBytes` of bodies). A subscription
 * holds no queue of its own, only its position in the ring: publishing an event costs one pass over the
 * subscriptions waiting at the head, and a subscriber that stops reading costs nothing until the ring has moved
 * past its position, when it is dropped with `SubscriberTooSlowError`. So per-subscription memory is a few
 * fields, and the backlog a slow subscriber can have is bounded by the retention, in count and in bytes.
 */
import { SubscriberTooSlowError } from './errors.ts';
import type { EventSubscription } from './event-store.ts';
import type { SystemHookEventSource } from './types.ts';

interface Slot {
  event: SystemHookEventSource;
  /** Body bytes appended before this event, over the log's life: differences give the bytes between two places. */
  offset: number;
}

/** Events that come before the log's part of a subscription (a replay from Redis), a page at a time. */
export interface ReplayPrefix {
  /** The next events in order; an empty array once there are no more. Rejects to end the subscription. */
  nextPage(): Promise<SystemHookEventSource[]>;
}

export interface LogSubscribeOptions {
  /** The sequence number of the first log event to read. */
  position: number;
  accept?: ((event: SystemHookEventSource) => boolean) | undefined;
  signal?: AbortSignal | undefined;
  /** Replayed before the log's events. */
  prefix?: ReplayPrefix | undefined;
  /** Log events to pass over because the prefix already gave them; `sequence` is the event's in the log. */
  skip?: ((event: SystemHookEventSource, sequence: number) => boolean) | undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class EventLog {
  private readonly slots: (Slot | undefined)[];
  /** Sequence number of the oldest retained event. */
  private first = 0;
  /** Sequence number the next event gets. */
  private next = 0;
  private appendedBytes = 0;
  private readonly sequenceByCursor = new Map<string, number>();
  private readonly subscriptions = new Set<LogSubscription>();
  private readonly parked = new Set<LogSubscription>();

  constructor(
    private readonly retention: number,
    private readonly maxRetainedBytes: number,
  ) {
    this.slots = new Array(retention);
  }

  /** Sequence number of the next event: a subscription starting here sees only events appended from now on. */
  get head(): number {
    return this.next;
  }

  get oldest(): number {
    return this.first;
  }

  get size(): number {
    return this.next - this.first;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  /** The retained event with this sequence number. */
  at(sequence: number): SystemHookEventSource | undefined {
    if (sequence < this.first || sequence >= this.next) return undefined;
    return this.slots[sequence % this.retention]?.event;
  }

  /** The sequence number of the retained event with this cursor. */
  sequenceOf(cursor: string): number | undefined {
    return this.sequenceByCursor.get(cursor);
  }

  /** Retains `event` and hands it to every subscription waiting for one; returns its sequence number. */
  append(event: SystemHookEventSource): number {
    const sequence = this.next;
    if (this.makeRoom(event.bodyBytes)) this.dropOverrun();
    this.slots[sequence % this.retention] = { event, offset: this.appendedBytes };
    this.appendedBytes += event.bodyBytes;
    this.next = sequence + 1;
    this.sequenceByCursor.set(event.cursor, sequence);
    for (const subscription of this.parked) {
      if (subscription.offer(sequence, event)) this.parked.delete(subscription);
    }
    return sequence;
  }

  /** Evicts the oldest events until `bytes` more fit; true when any was evicted. */
  private makeRoom(bytes: number): boolean {
    let evicted = false;
    while (
      this.next > this.first &&
      (this.size >= this.retention || this.retainedBytes() + bytes > this.maxRetainedBytes)
    ) {
      this.evictOldest();
      evicted = true;
    }
    return evicted;
  }

  private evictOldest(): void {
    const slot = this.slots[this.first % this.retention];
    if (slot) this.sequenceByCursor.delete(slot.event.cursor);
    this.slots[this.first % this.retention] = undefined;
    this.first += 1;
  }

  /**
   * Forgets every retained event and ends every subscription with `error`: for when this process has missed
   * events, so that neither a subscription nor a cursor into the log can pass over the hole unnoticed.
   */
  discardAll(error: Error): void {
    this.endAll(error);
    while (this.next > this.first) this.evictOldest();
  }

  private retainedBytes(): number {
    const oldest = this.slots[this.first % this.retention];
    return oldest && this.size > 0 ? this.appendedBytes - oldest.offset : 0;
  }

  /** Drops the subscriptions whose next event was just evicted. */
  private dropOverrun(): void {
    // A subscription waiting at the head cannot be behind; usually every subscription is.
    if (this.parked.size === this.subscriptions.size) return;
    for (const subscription of this.subscriptions) {
      if (subscription.position < this.first) subscription.fail(new SubscriberTooSlowError());
    }
  }

  subscribe(options: LogSubscribeOptions): EventSubscription {
    const subscription = new LogSubscription(this, options);
    if (!options.signal?.aborted) this.subscriptions.add(subscription);
    return subscription;
  }

  /** @internal for `LogSubscription` */
  park(subscription: LogSubscription): void {
    this.parked.add(subscription);
  }

  /** @internal for `LogSubscription` */
  forget(subscription: LogSubscription): void {
    this.subscriptions.delete(subscription);
    this.parked.delete(subscription);
  }

  /** Ends every subscription with `error`, or (without one) as if each had returned. */
  endAll(error?: Error): void {
    for (const subscription of this.subscriptions) {
      if (error) subscription.fail(error);
      else subscription.end();
    }
  }
}

class LogSubscription implements EventSubscription {
  position: number;
  private readonly accept: ((event: SystemHookEventSource) => boolean) | undefined;
  private readonly skip: ((event: SystemHookEventSource, sequence: number) => boolean) | undefined;
  private prefix: ReplayPrefix | undefined;
  private page: SystemHookEventSource[] = [];
  private waiting: {
    resolve: (result: IteratorResult<SystemHookEventSource>) => void;
    reject: (error: Error) => void;
  } | null = null;
  private failure: Error | null = null;
  private ended = false;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.end();

  constructor(
    private readonly log: EventLog,
    options: LogSubscribeOptions,
  ) {
    this.position = options.position;
    this.accept = options.accept;
    this.skip = options.skip;
    this.prefix = options.prefix;
    this.signal = options.signal;
    if (this.signal?.aborted) this.ended = true;
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SystemHookEventSource> {
    return this;
  }

  async next(): Promise<IteratorResult<SystemHookEventSource>> {
    let event: SystemHookEventSource | undefined;
    try {
      event = (await this.nextReplayed()) ?? this.nextLogged();
    } catch (error) {
      // `accept` threw: the subscription cannot go on.
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
    if (event) return { done: false, value: event };
    if (this.failure) throw this.takeFailure();
    if (this.ended) return DONE;
    if (this.waiting) throw new Error('next() was called again before the previous call settled');
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.log.park(this);
    });
  }

  nextReady(): SystemHookEventSource | undefined {
    if (this.waiting) return undefined;
    try {
      // A replay page already loaded is ready; the next one is a Redis call, which `next()` makes.
      while (this.prefix && !this.ended && !this.failure) {
        const event = this.page.shift();
        if (event === undefined) return undefined;
        if (this.accept === undefined || this.accept(event)) return event;
      }
      return this.nextLogged();
    } catch (error) {
      // `accept` threw: `next()` reports it.
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }

  private async nextReplayed(): Promise<SystemHookEventSource | undefined> {
    while (this.prefix && !this.ended && !this.failure) {
      const event = this.page.shift();
      if (event === undefined) await this.loadPage(this.prefix);
      else if (this.accept === undefined || this.accept(event)) return event;
    }
    return undefined;
  }

  private async loadPage(prefix: ReplayPrefix): Promise<void> {
    let page: SystemHookEventSource[];
    try {
      page = await prefix.nextPage();
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.prefix !== prefix) return;
    if (page.length === 0) this.prefix = undefined;
    else this.page = page;
  }

  private nextLogged(): SystemHookEventSource | undefined {
    while (!this.ended && !this.failure && this.position < this.log.head) {
      const event = this.log.at(this.position);
      if (event === undefined) {
        this.fail(new SubscriberTooSlowError());
        return undefined;
      }
      this.position += 1;
      if (this.wants(event, this.position - 1)) return event;
    }
    return undefined;
  }

  private wants(event: SystemHookEventSource, sequence: number): boolean {
    if (this.skip?.(event, sequence)) return false;
    return this.accept === undefined || this.accept(event);
  }

  /** A parked subscription is offered the event just appended at its position; true if it took it. */
  offer(sequence: number, event: SystemHookEventSource): boolean {
    this.position = sequence + 1;
    const waiting = this.waiting;
    if (waiting === null) return true;
    let wanted: boolean;
    try {
      wanted = this.wants(event, sequence);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return true;
    }
    if (!wanted) return false;
    this.waiting = null;
    waiting.resolve({ done: false, value: event });
    return true;
  }

  private takeFailure(): Error {
    const failure = this.failure as Error;
    this.failure = null;
    this.ended = true;
    return failure;
  }

  /** Ends the subscription with `error`: the pending or next `next()` rejects with it, later ones are done. */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.release();
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting.reject(this.takeFailure());
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = null;
    this.release();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(DONE);
  }

  private release(): void {
    this.page = [];
    this.prefix = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.log.forget(this);
  }

  async return(): Promise<IteratorResult<SystemHookEventSource>> {
    this.end();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<SystemHookEventSource>> {
    this.end();
    throw error;
  }
}
