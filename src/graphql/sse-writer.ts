/**
 * The live phase of a grouped SSE subscription served through the node edge: the gateway's own writer on the
 * Node `ServerResponse`, once Yoga has run the subscribe request (parsing, validation, limits, authorization,
 * the field's `subscribe`: credential check, caps, resume position) and made its response (its status and
 * headers, which Yoga's and the gateway's `onResponse` hooks see as before).
 *
 * Yoga's SSE writer would serve it through a web `ReadableStream` pulled by whatwg-node, through envelop's and
 * promise-helpers' iterator wrappers, which hold the subscribe request's context and so its `Request` for as long
 * as the stream lasts (about 20 KB an idle subscription, docs/performance.md). This writer holds only what the
 * live phase needs: the response it writes to, the subscriber's `GroupedStream` (its group and its events, with
 * their position, `types` filter and credential rechecks) and its ping timer.
 *
 * The bytes are Yoga's (`graphql-yoga`'s `getSSEProcessor`): `:\n\n` first and as a ping every 12 s (300 ms with
 * `NODE_ENV=test`, as Yoga does) while the response is not waiting to drain, each flush as one `next` frame
 * whose data is every event's joined by the frame boundary, the error that ended the stream as one more `next`
 * frame of `{"errors":[...]}` masked as Yoga masks it, and `event: complete\ndata:\n\n` at the end. A flush is
 * taken only once the previous one was written (after `drain` when the response's buffer is full), so that a
 * subscriber that does not read falls behind and is dropped as before.
 *
 * whatwg-node hands a response whose body is a Node `Readable` to the `ServerResponse` with `pipe` and destroys
 * the body when the response closes: this writer is such a `Readable` whose `pipe` starts it on that response
 * (no Node pipe, no buffering in between), and whose destruction (the client gone, the edge cutting the
 * connection) ends the subscription.
 */
import { Readable } from 'node:stream';
import type { SystemHookEventSource } from '../events/types.ts';
import { type FlushTarget, type GroupedStream, reportStreamError } from './grouped-stream.ts';

const WRITTEN = Promise.resolve(true);
const NOT_WRITTEN = Promise.resolve(false);

/** The data of the frame that reports the error that ended a stream; undefined to cut the response instead. */
export type SseErrorText = (error: unknown) => string | undefined;

/** The response headers Yoga's SSE writer sends, in its order. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'no-cache',
  'Content-Encoding': 'none',
});

const PING = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');

/** Yoga's ping interval, shortened as Yoga shortens it when `NODE_ENV` is `test`. */
const pingIntervalMs = () => (process.env.NODE_ENV === 'test' ? 300 : 12_000);

/** What the writer needs of the response: a Node `Writable` (a `ServerResponse`). */
type Out = NodeJS.WritableStream & { writableNeedDrain?: boolean; destroy?(error?: Error): void };

/** What is used of the response's events. */
interface Listened {
  listeners(event: string): ((...args: unknown[]) => void)[];
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  on(event: 'close' | 'error', listener: (this: Listened) => void): unknown;
}

/** The writer of each response it took over, for the one 'close' and 'error' listener they share. */
const writers = new WeakMap<Listened, SseWriter>();

function responseClosed(this: Listened): void {
  writers.get(this)?.destroy();
}

/**
 * The response's listeners that whatwg-node leaves for as long as it lasts, replaced once this writer serves it:
 * they would hold the request's abort controller (its 'close' and 'error' listener `closeEventListener`, with
 * the 'finish' listener that removes it), and the whole web `Response` with its headers (the 'close' listener
 * that destroys its body, added right before `pipe`): about 3 KB an idle subscription. The writer follows the
 * response's close itself, and nothing follows the request's signal once the subscription detached from it.
 * Only listeners recognized by their code go: another whatwg-node would leave its own in place, which costs
 * memory, not behaviour.
 */
function takeOver(response: Listened, writer: SseWriter): void {
  const closeListeners = response.listeners('close');
  const aborts = closeListeners.find((listener) => listener.name === 'closeEventListener');
  const last = closeListeners.at(-1);
  const destroysBody = last !== aborts && /\.destroy\(\)/.test(String(last)) ? last : undefined;
  if (aborts === undefined && destroysBody === undefined) return;
  writers.set(response, writer);
  if (aborts !== undefined) {
    response.removeListener('close', aborts);
    response.removeListener('error', aborts);
    // In its place, so that an error the response emits (a write after its end) ends the writer, as a close
    // does, rather than the process.
    response.on('error', responseClosed);
    for (const listener of response.listeners('finish')) {
      if (String(listener).includes("removeListener('close', closeEventListener)"))
        response.removeListener('finish', listener);
    }
  }
  if (destroysBody !== undefined) {
    response.removeListener('close', destroysBody);
    response.on('close', responseClosed);
  }
}

/** The shared ping: one function for every writer, each timer given its writer. */
function ping(writer: SseWriter): void {
  writer.ping();
}

export class SseWriter extends Readable implements FlushTarget {
  private out: Out | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Set once the subscription has ended or the response has gone: nothing more is written. */
  private over = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly stream: GroupedStream,
    private readonly errorText: SseErrorText,
  ) {
    super();
  }

  /** whatwg-node's hand-over of the response: the stream starts on it. */
  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    if (this.out !== undefined || this.over) return destination;
    this.out = destination as Out;
    destination.write(PING);
    // It ends the subscription itself when the response closes (`_destroy`), so the request's signal can go.
    this.stream.detachSignal();
    // Node keeps the head it wrote as `_header`, built line by line: a tree of about 30 string pieces (1 KB),
    // which reading a character of it flattens into one string.
    const head = (destination as { _header?: unknown })._header;
    if (typeof head === 'string') head.charCodeAt(0);
    takeOver(destination as unknown as Listened, this);
    this.timer = setInterval(ping, pingIntervalMs(), this);
    this.stream.pumpTo(this);
    return destination;
  }

  override _read(): void {}

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.over) {
      this.stop();
      // The client went away, or the edge cut the connection: the subscription ends, its cap is released.
      this.stream.return().catch(() => {});
    }
    this.drained?.();
    callback(error);
  }

  /** @internal for the ping timer */
  ping(): void {
    if (!this.over && this.out !== undefined && this.out.writableNeedDrain !== true) this.out.write(PING);
  }

  /** The stream's pump writes each flush: the next is taken once this one was written (after `drain`). */
  writeFlush(stream: GroupedStream, first: SystemHookEventSource): Promise<boolean> {
    const out = this.out as Out;
    if (this.over) return NOT_WRITTEN;
    if (out.write(stream.sseFrame(first))) return WRITTEN;
    return this.drain(out);
  }

  /** The stream ended: its error as one more frame (or the response cut, for an abort), then the end. */
  ended(failure: { error: unknown } | undefined): void {
    if (this.over) return;
    const out = this.out as Out;
    if (failure !== undefined) {
      reportStreamError(this.stream);
      const text = this.errorText(failure.error);
      if (text === undefined) {
        this.stop();
        out.destroy?.();
        return;
      }
      out.write(`event: next\ndata: ${text}\n\n`);
    }
    this.stop();
    out.write(COMPLETE);
    out.end();
  }

  /** Until the response has written what it holds (true), or has gone (`_destroy` settles it then: false). */
  private drain(out: Out): Promise<boolean> {
    return new Promise((resolve) => {
      const drained = () => {
        this.drained = undefined;
        resolve(!this.over);
      };
      this.drained = drained;
      out.once('drain', drained);
    });
  }

  /** Nothing more is written: the ping stops. */
  private stop(): void {
    this.over = true;
    clearInterval(this.timer);
  }
}
