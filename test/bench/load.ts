/**
 * Load generation on loopback. Single calls go through autocannon; a plan of several dependent REST calls (the
 * direct equivalent of `nodes`) goes through a closed loop over an undici pool, since autocannon times calls one
 * by one. Latencies are kept exactly (autocannon's own histogram rounds to whole milliseconds, too coarse for a
 * 1 ms target): each run is a few seconds, so the list stays small.
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { HttpCall } from './shapes.ts';

export interface LoadResult {
  /** Completed 2xx answers. */
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Transport errors, timeouts and non-2xx answers. */
  failures: number;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** Requests per second over all connections (autocannon only). @default as fast as the server answers */
  rate?: number;
}

export function summarize(latencies: number[], seconds: number, failures: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
}

/** One HTTP call, repeated by autocannon over `connections` keep-alive connections for `seconds`. */
export async function hammer(origin: string, call: HttpCall, options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const instance = autocannon({
    url: `${origin}${call.path}`,
    method: call.method,
    headers:
      call.body === undefined ? options.headers : { ...options.headers, 'content-type': 'application/json' },
    body: call.body,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    ...(options.rate !== undefined && { overallRate: options.rate }),
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  return summarize(latencies, seconds, result.errors + result.timeouts + result.non2xx);
}

/**
 * A plan of REST calls (steps in sequence, calls of a step in parallel) repeated by `connections` workers for
 * `seconds`; latency and throughput count whole plans. Bodies are read to the end, as autocannon reads them.
 */
export async function runPlan(origin: string, plan: HttpCall[][], options: LoadOptions): Promise<LoadResult> {
  const widest = Math.max(...plan.map((step) => step.length));
  const pool = new Pool(origin, { connections: options.connections * widest, pipelining: 1 });
  const latencies: number[] = [];
  let failures = 0;
  const call = async ({ method, path, body }: HttpCall) => {
    const headers =
      body === undefined ? options.headers : { ...options.headers, 'content-type': 'application/json' };
    const response = await pool.request({ method, path, headers, body });
    await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300)
      throw new Error(`${method} ${path}: ${response.statusCode}`);
  };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      try {
        for (const step of plan) await Promise.all(step.map(call));
        latencies.push(performance.now() - begin);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return summarize(latencies, seconds, failures);
}

/**
 * Runs a plan through autocannon when it is a single call and through the closed loop otherwise. Both sides of a
 * comparison should use the same generator: pass `loop` to put a single call through the closed loop too.
 */
export function load(
  origin: string,
  plan: HttpCall[][],
  options: LoadOptions & { loop?: boolean },
): Promise<LoadResult> {
  const only = plan.length === 1 && plan[0]?.length === 1 ? plan[0][0] : undefined;
  return only && !options.loop ? hammer(origin, only, options) : runPlan(origin, plan, options);
}
