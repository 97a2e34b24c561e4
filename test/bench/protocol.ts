/**
 * What the benchmark's child processes (the embedded GitLab, the gateway, the bare Yoga server) and the
 * benchmark process say to each other over the IPC channel of `child_process.fork`. Each server runs in its
 * own process so that its CPU time and peak RSS are its own, not shared with the load generator.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Measured inside a child process; counters are cumulative since it started. */
export interface ProcessSample {
  /** User plus system CPU time of the whole process (JS, GC, libuv, HTTP parsing), in microseconds. */
  cpuMicros: number;
  /** Peak resident set size so far, in bytes. */
  maxRssBytes: number;
  /** HTTP requests the child's server has received. */
  served: number;
  /** Upstream requests answered (embedded GitLab only), counted from its request log. */
  upstream: number;
  /** Resident set size now, in bytes. */
  rssBytes: number;
  /** V8 heap in use now, and V8 heap committed (in use or not), in bytes. */
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Memory outside the V8 heap that JS objects hold (`Buffer`s, `ArrayBuffer`s), in bytes. */
  externalBytes: number;
  /** Open system hook event subscriptions (a gateway with events only). */
  eventSubscribers?: number;
}

/**
 * `sample` with `gc` collects garbage first, when the child runs with `--expose-gc`, so that memory figures do
 * not depend on when V8 last collected. `command` is for a child that takes commands (the SSE subscribers).
 */
export type ParentMessage =
  | { type: 'sample'; gc?: boolean }
  | { type: 'stop' }
  | { type: 'command'; id: number; command: unknown };

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'sample'; sample: ProcessSample }
  | { type: 'answer'; id: number; answer?: unknown; error?: string }
  | { type: 'failed'; message: string };

/** What a child measures about itself, given how many requests it served and answered upstream. */
export function sampleProcess(served: number, upstream = 0): ProcessSample {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    // `maxRSS` is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    served,
    upstream,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  };
}

const SETTLE_MS = 500;

/**
 * Collects garbage (with `--expose-gc`), waits, and collects again: V8 gives freed pages back to the system
 * some time after a collection, so that RSS right after one still counts much of what it freed.
 */
async function settleMemory(): Promise<void> {
  const { gc } = globalThis as { gc?: () => void };
  if (!gc) return;
  gc();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  gc();
}

/**
 * Wires a child process to the benchmark: answers `sample` with `measure()` and `stop` by closing and exiting
 * (which also writes a `--cpu-prof` profile), and exits when the benchmark process goes away.
 */
export function serveBenchmark(
  start: () => Promise<{
    url: string;
    measure(): ProcessSample;
    close(): Promise<void>;
    /** Answers a `command` message; a rejection is sent back as the answer's `error`. */
    command?(command: unknown): Promise<unknown>;
  }>,
) {
  const send = (message: ChildMessage) => process.send?.(message);
  if (!process.send) throw new Error('Run this file through the benchmark (npm run bench), not directly');
  start().then(
    ({ url, measure, close, command }) => {
      process.on('message', (message: ParentMessage) => {
        if (message.type === 'sample') {
          if (message.gc) void settleMemory().then(() => send({ type: 'sample', sample: measure() }));
          else send({ type: 'sample', sample: measure() });
        } else if (message.type === 'stop') void close().finally(() => process.exit(0));
        else if (message.type === 'command') answer(message.id, message.command);
      });
      const answer = (id: number, request: unknown) => {
        if (!command) return send({ type: 'answer', id, error: 'this child takes no commands' });
        command(request).then(
          (value) => send({ type: 'answer', id, answer: value }),
          (error: unknown) =>
            send({ type: 'answer', id, error: error instanceof Error ? error.message : String(error) }),
        );
      };
      send({ type: 'ready', url });
    },
    (error: unknown) => {
      send({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    },
  );
  // The benchmark process died or closed the channel: nobody will ever ask this process to stop.
  process.on('disconnect', () => process.exit(0));
}

/**
 * Serves `handler` on a loopback port for the benchmark, counting the requests it answers; `cleanup` runs after
 * the server has closed.
 */
export async function serveHandler(
  handler: RequestListener,
  cleanup: () => Promise<void> = async () => {},
): Promise<{ url: string; measure(): ProcessSample; close(): Promise<void> }> {
  const server = createServer(handler);
  let served = 0;
  server.on('request', () => served++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    measure: () => sampleProcess(served),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cleanup();
    },
  };
}
