/**
 * The events benchmark's load: system hook deliveries posted to the gateway's receiver as GitLab posts them
 * (a push event, `X-Gitlab-Token`, a fresh `Idempotency-Key` each), and what the benchmark process and the
 * subscribers process (`subscribers-process.ts`) say to each other.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { ROUTES } from '../../src/http/routes.ts';

export type SubscribersCommand =
  /**
   * Opens `count` subscriptions in `group`, over SSE or graphql-ws, with the documents `queries` in turn; over
   * SSE it answers once each has the first bytes of its stream (from then on the gateway delivers it every
   * event), over WebSocket once each `subscribe` is sent. `paused` (SSE): they never read after those bytes.
   */
  | {
      op: 'open';
      group: string;
      transport: 'sse' | 'ws';
      gatewayUrl: string;
      queries: string[];
      count: number;
      paused?: boolean;
    }
  | { op: 'counts'; group: string }
  /** Starts recording delivery latency, or stops and answers with its summary (`LatencySummary`). */
  | { op: 'latency'; record: boolean }
  /** Lets the paused subscriptions read again, until their streams end or `waitMs` passes (`DrainResult`). */
  | { op: 'drain'; waitMs: number }
  /** Closes the subscriptions of `group`, or all. */
  | { op: 'close'; group?: string };

export interface SubscriberCounts {
  /** Subscriptions opened so far, and those whose stream is still open. */
  opened: number;
  open: number;
  /** Fewest and most `next` events received by one subscription that reads (paused ones aside). */
  min: number;
  max: number;
  /** Messages that carried errors or were no `next`, as received (the first few, of every group). */
  errors: string[];
}

export interface LatencySummary {
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DrainResult {
  /** `next` events the paused subscriptions got in all, and the bytes of stream they read. */
  events: number;
  bytes: number;
  /** Whether every stream ended, and the error codes of the last message each carried, if any. */
  ended: boolean;
  errorCodes: string[];
}

/** The clock the benchmark process writes into delivery ids: milliseconds since the epoch, fractional. */
export const now = () => performance.timeOrigin + performance.now();
/** `Idempotency-Key: bench-<sent at>-<n>`: the subscriber reads the time of sending back from `deliveryId`. */
export const deliveryIdFor = (sentAt: number, n: number) => `bench-${sentAt.toFixed(3)}-${n}`;

/** GitLab's example push event: pushes are most of a busy instance's system hook deliveries. */
const PUSH_EVENT = readFileSync(new URL('../fixtures/system-hook-events/push.json', import.meta.url));

/** The most deliveries a flood posts per second of its duration. */
const MAX_DELIVERIES_PER_SECOND = 100_000;

export interface PostResult {
  /** Deliveries answered 204 (each a new event: every delivery id is fresh). */
  accepted: number;
  /** Any other answer, or no answer. */
  failures: number;
  seconds: number;
}

/** Posts deliveries to the receiver over a pool of keep-alive connections. */
export class DeliveryPoster {
  private readonly pool: Pool;
  private sent = 0;

  constructor(
    gatewayUrl: string,
    private readonly secretToken: string,
    connections: number,
  ) {
    this.pool = new Pool(gatewayUrl, { connections, pipelining: 1 });
  }

  /** Posts one delivery; resolves whether it was accepted. The time of sending goes into its delivery id. */
  async post(): Promise<boolean> {
    const n = this.sent++;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: ROUTES.receiver,
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'System Hook',
          'x-gitlab-token': this.secretToken,
          'x-gitlab-instance': 'https://gitlab.example.com',
          'user-agent': 'GitLab/19.0.0',
          'idempotency-key': deliveryIdFor(now(), n),
        },
        body: PUSH_EVENT,
      });
      await response.body.dump();
      return response.statusCode === 204;
    } catch {
      return false;
    }
  }

  /**
   * As fast as `connections` requests at a time allow, for `seconds`, but never more than `window` events
   * ahead of the slowest subscriber (`delivered()`, counted from this call): the rate the gateway sustains with
   * every subscriber keeping up, not the rate at which it can be made to drop them.
   */
  async flood(options: {
    seconds: number;
    connections: number;
    window: number;
    delivered: () => number;
  }): Promise<PostResult> {
    let issued = 0;
    let accepted = 0;
    let failures = 0;
    const started = performance.now();
    const deadline = started + options.seconds * 1000;
    // A bound on the loop besides the clock: no more than a far faster server than this machine's could take.
    const most = Math.ceil(options.seconds * MAX_DELIVERIES_PER_SECOND);
    const worker = async () => {
      while (performance.now() < deadline && issued < most) {
        if (issued - options.delivered() >= options.window) {
          await delay(1);
          continue;
        }
        issued += 1;
        if (await this.post()) accepted += 1;
        else failures += 1;
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
    return { accepted, failures, seconds: (performance.now() - started) / 1000 };
  }

  /** One delivery every `1 / rate` seconds for `seconds`, each sent on time whether or not the last was answered. */
  async steady(options: { rate: number; seconds: number }): Promise<PostResult> {
    const total = Math.round(options.rate * options.seconds);
    const started = performance.now();
    const answers: Promise<boolean>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await delay(wait);
      answers.push(this.post());
    }
    const results = await Promise.all(answers);
    const accepted = results.filter(Boolean).length;
    return { accepted, failures: total - accepted, seconds: (performance.now() - started) / 1000 };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
