/**
 * Subscribers for the events benchmark, in a process of their own: reading the streams of up to a thousand
 * subscriptions then costs neither the gateway's CPU nor that of the benchmark process, which posts the
 * deliveries. Each subscription has its own loopback connection: over SSE a plain `POST /graphql` with
 * `Accept: text/event-stream` (`node:http`), over WebSocket a `graphql-transport-ws` socket (`ws`) with one
 * `subscribe`. Subscriptions belong to a named group, so that the benchmark can keep several servers' subscribers
 * open at once and ask about one.
 *
 * Frames are counted, not parsed, so that the client side does not limit the figure: over SSE each chunk up to
 * its last complete frame is searched for `event: next` (and `"errors":[`, a result that is an error), over
 * WebSocket each message for `"type":"next"`. While latency is recorded, the time of sending that each delivery
 * id carries (`bench-<sent at>-`) is read with a string search and compared with the chunk's arrival.
 *
 * Commands (see `SubscribersCommand`): open subscriptions (reading, or paused: never read), report counts, record
 * latency, let a paused subscription read what was kept from it, close a group or all.
 */
import { Agent, type IncomingMessage, request } from 'node:http';
import WebSocket from 'ws';
import {
  type DrainResult,
  type LatencySummary,
  now,
  type SubscriberCounts,
  type SubscribersCommand,
} from './events-load.ts';
import { summarize } from './load.ts';
import { sampleProcess, serveBenchmark } from './protocol.ts';

export interface SubscribersProcessOptions {
  /** An administrator's token: only administrators may subscribe. */
  adminToken: string;
}

const SSE_NEXT = 'event: next\n';
const WS_NEXT = '"type":"next"';
const ERRORS = '"errors":[';
// The delivery id, not the cursor or anything else that may carry it.
const SENT_AT = '"deliveryId":"bench-';
const OPEN_CONCURRENCY = 50;
const MAX_KEPT_ERRORS = 5;
const MAX_KEPT_ERROR_CHARS = 500;
const WS_PROTOCOL = 'graphql-transport-ws';

/** Occurrences of `needle` in `text` before `end`. */
function occurrences(text: string, needle: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1 && at < end; at = text.indexOf(needle, at + needle.length))
    count += 1;
  return count;
}

/** What the subscriptions of one process share: where errors and latencies go. */
interface Sink {
  errors: string[];
  /** Null while latency is not recorded. */
  latencies: number[] | null;
}

function keepError(sink: Sink, text: string): void {
  if (sink.errors.length < MAX_KEPT_ERRORS) sink.errors.push(text.slice(0, MAX_KEPT_ERROR_CHARS));
}

/** Each delivery's time of sending in `text` (before `end`), as a latency to `arrived`. */
function recordLatencies(sink: Sink, text: string, end: number, arrived: number): void {
  const latencies = sink.latencies;
  if (latencies === null) return;
  for (let at = text.indexOf(SENT_AT); at !== -1 && at < end; at = text.indexOf(SENT_AT, at + 1)) {
    const from = at + SENT_AT.length;
    const to = text.indexOf('-', from);
    if (to !== -1) latencies.push(arrived - Number(text.slice(from, to)));
  }
}

class Subscription {
  events = 0;
  /** Characters of stream read (the streams are ASCII: bytes). */
  bytes = 0;
  ended = false;
  /** The last `next` frame or message, to read the error codes a stream ends with. */
  last = '';
  private carry = '';
  close: () => void = () => {};
  resume: () => void = () => {};

  constructor(
    readonly paused: boolean,
    private readonly sink: Sink,
  ) {}

  /** A chunk of an SSE stream: every complete frame in it, with what was left of the last chunk. */
  sseChunk(chunk: string): void {
    this.bytes += chunk.length;
    const text = this.carry + chunk;
    const end = text.lastIndexOf('\n\n') + 2;
    if (end === 1) {
      this.carry = text;
      return;
    }
    this.carry = text.slice(end);
    const next = occurrences(text, SSE_NEXT, end);
    if (next === 0) return;
    const errors = occurrences(text, ERRORS, end);
    this.events += next - errors;
    const lastFrame = text.lastIndexOf(SSE_NEXT, end);
    this.last = text.slice(lastFrame, end);
    if (errors > 0) keepError(this.sink, text.slice(text.indexOf(ERRORS), end));
    recordLatencies(this.sink, text, end, now());
  }

  /** One WebSocket message: a `next` counts; anything else but the `connection_ack` is kept as an error. */
  wsMessage(message: string): void {
    this.bytes += message.length;
    if (message.includes(WS_NEXT) && !message.includes(ERRORS)) {
      this.events += 1;
      recordLatencies(this.sink, message, message.length, now());
      return;
    }
    this.last = message;
    if (!message.includes('"connection_ack"')) keepError(this.sink, message);
  }
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as SubscribersProcessOptions;
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const groups = new Map<string, Subscription[]>();
  const sink: Sink = { errors: [], latencies: null };
  const groupOf = (name: string) => {
    let group = groups.get(name);
    if (!group) {
      group = [];
      groups.set(name, group);
    }
    return group;
  };

  const openSse = (subscription: Subscription, gatewayUrl: string, query: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${gatewayUrl}/graphql`, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'private-token': options.adminToken,
        },
      });
      req.on('error', reject);
      req.on('response', (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`a subscription was answered ${response.statusCode}`));
          return;
        }
        subscription.close = () => response.destroy();
        subscription.resume = () => response.resume();
        response.setEncoding('utf8');
        response.once('data', (chunk: string) => {
          subscription.sseChunk(chunk);
          // Yoga's stream starts with a ping: the subscription is in the store's list from here on.
          if (subscription.paused) response.pause();
          resolve();
          response.on('data', (more: string) => subscription.sseChunk(more));
        });
        response.on('close', () => {
          subscription.ended = true;
          // A stream that ends before its first bytes would otherwise leave the command waiting for its bound.
          reject(new Error('a subscription ended before its first bytes'));
        });
        response.on('error', () => {});
      });
      req.end(JSON.stringify({ query }));
    });

  /** Resolves once `subscribe` is sent: the benchmark waits for the gateway to count the subscription. */
  const openWs = (subscription: Subscription, gatewayUrl: string, query: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/graphql`, WS_PROTOCOL, {
        perMessageDeflate: false,
      });
      subscription.close = () => socket.terminate();
      socket.once('open', () =>
        socket.send(
          JSON.stringify({ type: 'connection_init', payload: { 'PRIVATE-TOKEN': options.adminToken } }),
        ),
      );
      socket.once('message', (data) => {
        if (!String(data).includes('"connection_ack"')) {
          reject(new Error(`connection_init was answered ${String(data).slice(0, MAX_KEPT_ERROR_CHARS)}`));
          return;
        }
        socket.on('message', (message) => subscription.wsMessage(String(message)));
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
        resolve();
      });
      socket.on('close', () => {
        subscription.ended = true;
        reject(new Error('a socket closed before its subscription was sent'));
      });
      socket.on('error', reject);
    });

  const counts = (group: Subscription[]): SubscriberCounts => {
    const reading = group.filter((s) => !s.paused);
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const { events } of reading) {
      min = Math.min(min, events);
      max = Math.max(max, events);
    }
    return {
      opened: group.length,
      open: group.filter((s) => !s.ended).length,
      min: reading.length === 0 ? 0 : min,
      max,
      errors: sink.errors,
    };
  };

  const drain = async (waitMs: number): Promise<DrainResult> => {
    const paused = [...groups.values()].flat().filter((s) => s.paused);
    const bytesBefore = paused.reduce((n, s) => n + s.bytes, 0);
    for (const subscription of paused) subscription.resume();
    const deadline = Date.now() + waitMs;
    while (paused.some((s) => !s.ended) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const codes = paused.flatMap((s) => [...s.last.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1] ?? ''));
    return {
      events: paused.reduce((n, s) => n + s.events, 0),
      bytes: paused.reduce((n, s) => n + s.bytes, 0) - bytesBefore,
      ended: paused.every((s) => s.ended),
      errorCodes: codes,
    };
  };

  const close = (name: string | undefined) => {
    for (const [groupName, group] of groups) {
      if (name !== undefined && groupName !== name) continue;
      for (const subscription of group) subscription.close();
      groups.delete(groupName);
    }
    sink.errors.length = 0;
  };

  const latency = (record: boolean): LatencySummary | null => {
    if (record) {
      sink.latencies = [];
      return null;
    }
    const recorded = sink.latencies ?? [];
    sink.latencies = null;
    const summary = summarize(recorded, 1, 0);
    return {
      deliveries: recorded.length,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      maxMs: recorded.at(-1) ?? Number.NaN,
    };
  };

  const command = async (input: unknown): Promise<unknown> => {
    const c = input as SubscribersCommand;
    switch (c.op) {
      case 'open': {
        const group = groupOf(c.group);
        let opened = 0;
        const worker = async () => {
          while (opened < c.count) {
            const query = c.queries[opened % c.queries.length] as string;
            opened += 1;
            const subscription = new Subscription(c.paused === true, sink);
            group.push(subscription);
            if (c.transport === 'ws') await openWs(subscription, c.gatewayUrl, query);
            else await openSse(subscription, c.gatewayUrl, query);
          }
        };
        await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, c.count) }, worker));
        return counts(group);
      }
      case 'counts':
        return counts(groupOf(c.group));
      case 'latency':
        return latency(c.record);
      case 'drain':
        return drain(c.waitMs);
      case 'close':
        close(c.group);
        return null;
    }
  };

  return {
    url: '',
    measure: () => sampleProcess(0),
    command,
    close: async () => {
      close(undefined);
      agent.destroy();
    },
  };
});
