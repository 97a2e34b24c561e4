/**
 * A real Prometheus (Debian's `prometheus` package) for tests: its own configuration and data directory in a
 * temporary folder, a free loopback port, scraping the targets it is given every `scrapeIntervalMs`. Queries go
 * through its HTTP API, as a dashboard's would.
 *
 * ```ts
 * const prometheus = await startPrometheus({ targets: ['127.0.0.1:9464'] });
 * const [sample] = await prometheus.waitFor('sum(gateway_build_info)', (samples) => samples.length > 0);
 * await prometheus.close();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.ts';
import { waitUntil } from './wait-until.ts';

const BINARY = process.env.PROMETHEUS ?? 'prometheus';
const START_TIMEOUT_MS = 20_000;

/** One sample of an instant query: its labels and value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** An instant query's samples; throws when Prometheus answers with an error. */
  query(promql: string): Promise<PromSample[]>;
  /** Queries every 200 ms until `done` accepts the samples (returned), or throws after `timeoutMs`. */
  waitFor(
    promql: string,
    done: (samples: PromSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  /** The series matching a selector, as the series API lists them. */
  series(selector: string): Promise<Record<string, string>[]>;
  close(): Promise<void>;
}

function configuration(targets: readonly string[], intervalMs: number): string {
  return [
    'global:',
    `  scrape_interval: ${intervalMs}ms`,
    `  scrape_timeout: ${intervalMs}ms`,
    'scrape_configs:',
    '  - job_name: gateway',
    '    static_configs:',
    `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    '',
  ].join('\n');
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus answered ${response.status}: ${body.error}`);
  return body.data;
}

async function waitUntilReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const ready = () =>
    fetch(`${url}/-/ready`).then(
      (response) => response.body?.cancel().then(() => response.ok) ?? response.ok,
      () => false,
    );
  const served = await waitUntil(`${BINARY} is ready`, async () => exited || (await ready()), {
    withinMs: START_TIMEOUT_MS,
    everyMs: 100,
  }).then(
    () => !exited,
    () => false,
  );
  if (served) return;
  child.kill('SIGKILL');
  throw new Error(`${BINARY} did not become ready at ${url}:\n${output()}`);
}

export async function startPrometheus(options: {
  /** `host:port` of each metrics listener to scrape (at `/metrics`). */
  targets: readonly string[];
  /** @default 250 */
  scrapeIntervalMs?: number;
}): Promise<PrometheusServer> {
  const directory = await mkdtemp(join(tmpdir(), 'prometheus-test-'));
  const configFile = join(directory, 'prometheus.yml');
  await writeFile(configFile, configuration(options.targets, options.scrapeIntervalMs ?? 250));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4_000);
  });
  const failed = once(child, 'error').then(([error]) => {
    throw (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? new Error(`${BINARY} is not installed: apt-get install prometheus (or set PROMETHEUS to its path)`)
      : error;
  });
  failed.catch(() => {});
  try {
    await Promise.race([waitUntilReady(child, url, () => output), failed]);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const query = async (promql: string): Promise<PromSample[]> => {
    const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `${url}/api/v1/query?query=${encodeURIComponent(promql)}`,
    );
    return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  };

  return {
    url,
    query,
    async waitFor(promql, done, timeoutMs = 15_000) {
      let samples: PromSample[] = [];
      await waitUntil(
        () => `${promql} reaches the expected value: ${JSON.stringify(samples)}`,
        async () => {
          samples = await query(promql);
          return done(samples);
        },
        { withinMs: timeoutMs, everyMs: 200 },
      );
      return samples;
    },
    series: (selector) =>
      api<Record<string, string>[]>(`${url}/api/v1/series?match[]=${encodeURIComponent(selector)}`),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
