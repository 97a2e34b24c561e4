/**
 * SSE subscribers for the events benchmark, in a process of their own: reading and parsing the streams of up
 * to a thousand subscriptions then costs neither the gateway's CPU nor that of the benchmark process, which
 * posts the deliveries. Each subscription is a plain `POST /graphql` with `Accept: text/event-stream` over its
 * own loopback connection (`node:http`), parsed as it arrives: every `next` event is counted, and while latency
 * is recorded, the time it arrived is compared with the time of sending that its delivery id carries.
 *
 * Commands (see `SubscribersCommand`): open subscriptions (reading, or paused: never read), report counts, record
 * latency, let a paused subscription read what was kept from it, close them all.
 */
import { Agent, type IncomingMessage, request } from 'node:http';
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

const SENT_AT = /"deliveryId":"bench-([0-9.]+)-/;
const RESULT_PREFIX = '{"data":{"systemHookEventReceived":{';
const OPEN_CONCURRENCY = 50;
const MAX_KEPT_ERRORS = 5;

class Subscription {
  events = 0;
  bytes = 0;
  ended = false;
  last = '';
  private buffer = '';
  response: IncomingMessage | undefined;

  constructor(
    readonly paused: boolean,
    private readonly onEvent: (data: string) => void,
    private readonly onError: (data: string) => void,
  ) {}

  /** Splits the stream into SSE messages: `:` pings, `event: next`, `event: complete`. */
  receive(chunk: string): void {
    this.bytes += Buffer.byteLength(chunk);
    this.buffer += chunk;
    let start = 0;
    for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n', start)) {
      const message = this.buffer.slice(start, end);
      start = end + 2;
      if (message.startsWith('event: next\ndata: ')) {
        const data = message.slice('event: next\ndata: '.length);
        this.last = data;
        if (data.startsWith(RESULT_PREFIX)) {
          this.events += 1;
          this.onEvent(data);
        } else this.onError(data);
      }
    }
    this.buffer = this.buffer.slice(start);
  }
}

serveBenchmark(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as SubscribersProcessOptions;
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const subscriptions: Subscription[] = [];
  const errors: string[] = [];
  let latencies: number[] | null = null;

  const onEvent = (data: string) => {
    if (latencies === null) return;
    const sentAt = SENT_AT.exec(data)?.[1];
    if (sentAt !== undefined) latencies.push(now() - Number(sentAt));
  };
  const onError = (data: string) => {
    if (errors.length < MAX_KEPT_ERRORS) errors.push(data.slice(0, 500));
  };

  const open = ({ gatewayUrl, query, paused }: { gatewayUrl: string; query: string; paused: boolean }) =>
    new Promise<void>((resolve, reject) => {
      const subscription = new Subscription(paused, onEvent, onError);
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
      req.on('response', (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`a subscription was answered ${response.statusCode}`));
          return;
        }
        subscription.response = response;
        subscriptions.push(subscription);
        response.setEncoding('utf8');
        response.once('data', (chunk: string) => {
          subscription.receive(chunk);
          // Yoga's stream starts with a ping: the subscription is in the store's list from here on.
          if (paused) response.pause();
          resolve();
          response.on('data', (more: string) => subscription.receive(more));
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

  const counts = (): SubscriberCounts => {
    const reading = subscriptions.filter((s) => !s.paused);
    return {
      opened: subscriptions.length,
      open: subscriptions.filter((s) => !s.ended).length,
      min: reading.length === 0 ? 0 : Math.min(...reading.map((s) => s.events)),
      max: reading.length === 0 ? 0 : Math.max(...reading.map((s) => s.events)),
      errors,
    };
  };

  const drain = async (waitMs: number): Promise<DrainResult> => {
    const paused = subscriptions.filter((s) => s.paused);
    const bytesBefore = paused.reduce((n, s) => n + s.bytes, 0);
    for (const subscription of paused) subscription.response?.resume();
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

  const closeAll = () => {
    for (const subscription of subscriptions) subscription.response?.destroy();
    subscriptions.length = 0;
    errors.length = 0;
  };

  const command = async (input: unknown): Promise<unknown> => {
    const c = input as SubscribersCommand;
    switch (c.op) {
      case 'open': {
        let left = c.count;
        const worker = async () => {
          while (left > 0) {
            left -= 1;
            await open({ gatewayUrl: c.gatewayUrl, query: c.query, paused: c.paused === true });
          }
        };
        await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, c.count) }, worker));
        return counts();
      }
      case 'counts':
        return counts();
      case 'latency': {
        if (c.record) {
          latencies = [];
          return null;
        }
        const recorded = latencies ?? [];
        latencies = null;
        const summary = summarize(recorded, 1, 0);
        return {
          deliveries: recorded.length,
          p50Ms: summary.p50Ms,
          p99Ms: summary.p99Ms,
          maxMs: recorded.at(-1) ?? Number.NaN,
        } satisfies LatencySummary;
      }
      case 'drain':
        return drain(c.waitMs);
      case 'close':
        closeAll();
        return null;
    }
  };

  return {
    url: '',
    measure: () => sampleProcess(0),
    command,
    close: async () => {
      closeAll();
      agent.destroy();
    },
  };
});
