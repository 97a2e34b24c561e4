/**
 * One subscriber of a group: its own events (its `types` filter and resume position are the store's
 * subscription's), answered with its group's shared bytes, a flush at a time.
 *
 * A flush is what is pending for the subscriber once the flush window has passed: it wakes on its next event,
 * waits for the window's end (`FlushClock`: a few milliseconds, or the end of the turn of the event loop; one
 * timer shared by every subscriber woken meanwhile, so that the receiver's deliveries of that time travel
 * together), then takes every event that is ready without waiting. Over SSE the flush is one `next` frame holding
 * every event's data: the gateway's own writer (`sse-writer.ts`), which this stream pumps (`pumpTo`), writes
 * its bytes, made once for the members of the group that take the same events (`sseFrame`); served without a
 * Node response, it is one result for Yoga's SSE writer, whose own `stringify` returns the same text. Over
 * WebSocket it is written straight to the socket as one `next` message per event, in one buffer of frames
 * (`SocketSink`), and the stream yields no result. The stream's end, and the error that ended it, come after
 * the events that came before it: through Yoga's writer as a result, or told to the gateway's SSE writer or
 * WebSocket operation (`src/http/websocket.ts`), which count and mask the error as Yoga's wrappers would
 * (over WebSocket through `failure`).
 */
import type { ExecutionResult } from 'graphql';
import type { ScopedEventSubscription } from '../events/subscriptions.ts';
import type { SystemHookEventSource } from '../events/types.ts';
import { serializedResult } from './plugins/use-serializable-results.ts';
import type { SubscriptionGroup } from './subscription-groups.ts';

/** A WebSocket operation's way to its socket (`src/http/websocket.ts`). */
export interface SocketSink {
  /**
   * Sends each payload (a `next` message's payload JSON, in UTF-8) as one message, in order and in one socket
   * write; resolves true once they are written, false when the operation is to stop (the socket closed, or it
   * was closed for not reading).
   */
  send(payloads: readonly Buffer[]): Promise<boolean>;
  /**
   * The operation is this grouped subscription, which writes its events through this sink: the socket's side
   * drives it itself, rather than through the iterator wrappers of Yoga's and envelop's result.
   */
  claim(stream: GroupedStream): void;
}

const sinks = new WeakMap<Request, SocketSink>();

/** The WebSocket side says where the operation of `request` writes its events. */
export function setSocketSink(request: Request, sink: SocketSink): void {
  sinks.set(request, sink);
}

/** Text a flush carries at most, in UTF-16 units; always at least one event. */
const FLUSH_MAX_CHARS = 1 << 20;

/** Between the data of two events in one flush: the end of one SSE frame and the start of the next. */
export const SSE_FRAME_BOUNDARY = '\n\nevent: next\ndata: ';

/** The flush as one result: checked per event by the group already, and its text made. */
const flushOf = (texts: readonly string[]): ExecutionResult =>
  serializedResult(texts.join(SSE_FRAME_BOUNDARY));

/** The longest flush window a gateway may be given, in milliseconds: beyond it, it is latency, not coalescing. */
export const MAX_FLUSH_WINDOW_MS = 100;

/**
 * When the flushes of one gateway's subscribers happen: at the end of the current turn of the event loop
 * (window 0), or `windowMs` after the first subscriber woke; either way one timer for every subscriber woken
 * meanwhile, so that the deliveries the receiver accepted in that time travel together.
 */
export class FlushClock {
  private pending: Promise<void> | undefined;

  constructor(private readonly windowMs: number) {
    if (!(Number.isFinite(windowMs) && windowMs >= 0 && windowMs <= MAX_FLUSH_WINDOW_MS)) {
      throw new RangeError(
        `The subscription flush window must be 0 to ${MAX_FLUSH_WINDOW_MS} milliseconds, not ${windowMs}`,
      );
    }
  }

  /** Resolves at the next flush. */
  next(): Promise<void> {
    this.pending ??= new Promise((resolve) => {
      const flush = () => {
        this.pending = undefined;
        resolve();
      };
      if (this.windowMs > 0) setTimeout(flush, this.windowMs);
      else setImmediate(flush);
    });
    return this.pending;
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** What a flush holds of each event: its SSE text, or its WebSocket payload's bytes. */
type FlushPart = string | Buffer;

const sseText = (group: SubscriptionGroup, event: SystemHookEventSource) => group.answer(event).sse;
const wsPayload = (group: SubscriptionGroup, event: SystemHookEventSource) => group.wsPayload(event);

/**
 * Where a pumped stream's flushes go (`GroupedStream.pumpTo`): the gateway's own SSE writer, or a WebSocket
 * operation's sink (`WsPump`).
 */
export interface FlushTarget {
  /**
   * Writes the flush that starts with `first` (`stream.sseFrame`, `stream.webSocketFlush`); resolves true once it
   * is written and the next may come, false when the subscriber is to stop.
   */
  writeFlush(stream: GroupedStream, first: SystemHookEventSource): Promise<boolean>;
  /** The stream ended: with `failure` when an error ended it (its source closed already), else undefined. */
  ended(failure: { error: unknown } | undefined): void;
}

/** A WebSocket operation's pump: its sink, and how the stream's `next()` settles at the end. */
class WsPump implements FlushTarget {
  constructor(
    private readonly sink: SocketSink,
    private readonly resolve: (result: IteratorResult<ExecutionResult>) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  writeFlush(stream: GroupedStream, first: SystemHookEventSource): Promise<boolean> {
    return this.sink.send(stream.webSocketFlush(first));
  }

  ended(failure: { error: unknown } | undefined): void {
    if (failure === undefined) this.resolve(DONE);
    else this.reject(failure.error);
  }
}

export class GroupedStream implements AsyncIterableIterator<ExecutionResult> {
  private left = false;
  private readonly sink: SocketSink | undefined;
  /** Over WebSocket: the pump's end, once started. */
  private pumped: Promise<IteratorResult<ExecutionResult>> | undefined;
  /** Where the pump writes, once started; and the event that woke it for the flush to come. */
  private target: FlushTarget | undefined;
  private first: SystemHookEventSource | undefined;

  constructor(
    private readonly group: SubscriptionGroup,
    private readonly events: ScopedEventSubscription,
    request: Request | undefined,
    private readonly clock: FlushClock,
    /**
     * Over WebSocket, the error the client is told of when `error` ended the stream: masked as Yoga's masked
     * errors would mask it in the wrappers the socket's side does not use.
     */
    private readonly maskError: (error: unknown) => unknown,
  ) {
    this.sink = request && sinks.get(request);
    this.sink?.claim(this);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.sink !== undefined && !this.left) return this.pump(this.sink);
    return this.nextFlush();
  }

  private async nextFlush(): Promise<IteratorResult<ExecutionResult>> {
    if (this.left) return DONE;
    const texts = await this.nextSseFlush();
    return texts === undefined ? DONE : { done: false, value: flushOf(texts) };
  }

  /** The SSE writer ends the stream itself when its client goes (`return()`): the request's signal is let go. */
  detachSignal(): void {
    this.events.detachSignal?.();
  }

  /** Whether the operation writes its events to a WebSocket itself (`setSocketSink`). */
  get writesToSocket(): boolean {
    return this.sink !== undefined;
  }

  /**
   * Over WebSocket, what the client is told of the error that ended the stream: counted and masked as the
   * wrappers of Yoga's result would have (for the socket's side, which drives this stream itself).
   */
  failure(error: unknown): unknown {
    reportStreamError(this);
    return this.maskError(error);
  }

  /**
   * Over SSE: the data of every frame of the next flush, or undefined once the subscription has ended (or the
   * subscriber left). What ended it with an error is thrown, once, with the source closed, as graphql-js's own
   * mapping does. Yoga's writer reads it through `next()`; the gateway's own (`sse-writer.ts`) is pumped
   * (`pumpTo`).
   */
  async nextSseFlush(): Promise<string[] | undefined> {
    if (this.left) return undefined;
    try {
      const texts = await this.takeFlush();
      if (texts === undefined) this.leave();
      return texts;
    } catch (error) {
      await this.return();
      throw error;
    }
  }

  /**
   * Over SSE, for the gateway's own writer (`sse-writer.ts`): the flush that starts with `first` as the bytes of
   * its one `next` frame, shared with the members of the group that take the same events.
   */
  sseFrame(first: SystemHookEventSource): Buffer {
    const events: SystemHookEventSource[] = [];
    const texts = this.flushFrom(first, sseText, events);
    return this.group.frameOf(events, () =>
      Buffer.from(`event: next\ndata: ${texts.join(SSE_FRAME_BOUNDARY)}\n\n`),
    );
  }

  /** Over WebSocket: the payloads of the flush that starts with `first`, one `next` message each. */
  webSocketFlush(first: SystemHookEventSource): Buffer[] {
    return this.flushFrom(first, wsPayload);
  }

  /** The SSE texts of the next flush; undefined once the subscription has ended (or the subscriber left). */
  private async takeFlush(): Promise<string[] | undefined> {
    const first = await this.events.next();
    if (first.done || this.left) return undefined;
    await this.clock.next();
    if (this.left) return undefined;
    return this.flushFrom(first.value, sseText);
  }

  /**
   * The parts of a flush that starts with `first`: it and every event ready after it, up to `FLUSH_MAX_CHARS`
   * (counted in UTF-16 units or bytes, as the parts come).
   */
  private flushFrom<Part extends FlushPart>(
    first: SystemHookEventSource,
    part: (group: SubscriptionGroup, event: SystemHookEventSource) => Part,
    taken?: SystemHookEventSource[],
  ): Part[] {
    const parts = [part(this.group, first)];
    taken?.push(first);
    let size = (parts[0] as Part).length;
    while (size < FLUSH_MAX_CHARS) {
      const event = this.events.nextReady();
      if (event === undefined) break;
      const next = part(this.group, event);
      parts.push(next);
      taken?.push(event);
      size += next.length;
    }
    return parts;
  }

  /** Over WebSocket: writes every flush itself (`pumpTo`), and settles only when the subscription ends. */
  private pump(sink: SocketSink): Promise<IteratorResult<ExecutionResult>> {
    this.pumped ??= new Promise((resolve, reject) => this.pumpTo(new WsPump(sink, resolve, reject)));
    return this.pumped;
  }

  /**
   * Writes every flush to `target` until the subscription ends, then tells it how. The same steps as
   * `takeFlush`, as callbacks rather than an async loop, so that an idle subscription waits on the store's one
   * pending promise rather than on a chain of suspended async calls. Call once.
   */
  pumpTo(target: FlushTarget): void {
    this.target = target;
    this.waitForEvent();
  }

  private waitForEvent(): void {
    this.events.next().then(this.woken.bind(this), this.pumpFailed.bind(this));
  }

  private woken(step: IteratorResult<SystemHookEventSource>): void {
    if (step.done || this.left) {
      this.pumpEnded();
      return;
    }
    this.first = step.value;
    this.clock.next().then(this.flushNow.bind(this));
  }

  private flushNow(): void {
    const first = this.first as SystemHookEventSource;
    this.first = undefined;
    if (this.left) {
      this.pumpEnded();
      return;
    }
    let sent: Promise<boolean>;
    try {
      sent = (this.target as FlushTarget).writeFlush(this, first);
    } catch (error) {
      this.pumpFailed(error);
      return;
    }
    sent.then(this.sent.bind(this), this.pumpFailed.bind(this));
  }

  private sent(written: boolean): void {
    if (written) this.waitForEvent();
    else this.pumpEnded();
  }

  private pumpEnded(): void {
    this.leave();
    (this.target as FlushTarget).ended(undefined);
  }

  /** As `nextFlush` does: the source is closed, then the error reported. */
  private pumpFailed(error: unknown): void {
    const target = this.target as FlushTarget;
    const report = () => target.ended({ error });
    this.return().then(report, report);
  }

  private leave(): void {
    if (this.left) return;
    this.left = true;
    this.group.leave();
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.leave();
    await this.events.return?.();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }
}

/**
 * Told when a stream whose live phase the gateway's own SSE writer or WebSocket side serves ends with an error.
 * Envelop counts such an error (`onSubscribeError`) in the iterator wrappers they let go of, so they report it
 * here instead; one listener may serve many streams (the metrics give one per operation label set).
 */
export interface StreamErrorListener {
  streamFailed(): void;
}

const errorListeners = new WeakMap<object, StreamErrorListener>();

/** Listens for the error that ends `stream`, when it is a grouped stream; a weak entry, nothing per stream else. */
export function listenForStreamError(stream: unknown, listener: StreamErrorListener): void {
  if (stream instanceof GroupedStream) errorListeners.set(stream, listener);
}

/** @internal for `sse-writer.ts` and `failure`: the stream ended with an error that no wrapper of envelop's saw. */
export function reportStreamError(stream: GroupedStream): void {
  errorListeners.get(stream)?.streamFailed();
}
