/**
 * The observability part of `npm run bench`: what metrics and tracing cost the gateway in CPU per request.
 *
 * Three gateways run side by side (`side-by-side.ts`) in front of one embedded GitLab, identical but for their
 * telemetry: none, `METRICS=true` (scraped every 5 s, three times Prometheus's default rate), and metrics plus
 * tracing with every request sampled (`OTEL_TRACES_SAMPLER=always_on`), exported over OTLP/HTTP JSON to a local
 * sink in a process of its own that counts the spans. Each round loads the three at once with `systemHook(id)`
 * (the cheapest request, so the one where a fixed cost per request weighs most), 150 requests/s each over 10
 * connections; a variant's overhead is the median over the rounds of its CPU per request over the plain
 * gateway's, compared with the budget.
 */
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { type BenchChild, graphqlPostHeaders, startChild, startSeededGitLab } from './children.ts';
import { formatTable, formatTargets, type Target } from './report.ts';
import { shapes } from './shapes.ts';
import {
  median,
  overheadPerRound,
  percent,
  percentRange,
  roundsSideBySide,
  startVariants,
} from './side-by-side.ts';

const HOOKS = 250;
const CONNECTIONS = 10;
/** Requests per second each gateway is sent during a round: together well within what the machine serves. */
const RATE = 150;
const SCRAPE_INTERVAL_MS = 5_000;
const SHAPE = 'systemHook(id)';
/** Metrics on may cost at most this much CPU per request; metrics and tracing together, the second. */
const METRICS_BUDGET = 0.05;
const TRACING_BUDGET = 0.1;

const VARIANTS = ['off', 'metrics', 'metrics + tracing', 'metrics + tracing 1 %'] as const;
type Variant = (typeof VARIANTS)[number];

export interface ObservabilityFigures {
  meta: {
    date: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
    shape: string;
    secondsPerRound: number;
    rounds: number;
    warmSeconds: number;
  };
  /** CPU per request of each variant, one value per round, in microseconds. */
  cpuMicrosPerRequest: Record<Variant, number[]>;
  /** Each variant's CPU per request over the plain gateway's in the same round, minus 1: per round, and median. */
  overhead: Record<Exclude<Variant, 'off'>, { perRound: number[]; median: number }>;
  /** Spans the sink received per request the traced gateway served (after it flushed on stopping). */
  spansPerRequest: number;
  /** Scrapes made, and the requests the last scrape of each metrics gateway counted over those it served. */
  scrapes: number;
  countedPerServed: Partial<Record<Variant, number>>;
  targets: Target[];
}

export interface ObservabilityPartOptions {
  seconds: number;
  /** Where each gateway writes its CPU profile (`--profile`), or undefined. */
  profileDir: string | undefined;
  log: (line: string) => void;
}

/** The sum of `http_server_request_duration_seconds_count` over its label sets, in a Prometheus text page. */
function countedRequests(page: string): number {
  let total = 0;
  for (const line of page.split('\n'))
    if (line.startsWith('http_server_request_duration_seconds_count'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

export async function observabilityPart(options: ObservabilityPartOptions): Promise<ObservabilityFigures> {
  const { seconds, profileDir, log } = options;
  const rounds = 7;
  const warmSeconds = Math.max(15, 5 * seconds);
  const loadAverageBefore = os.loadavg();
  const children: BenchChild[] = [];
  let scraping: Promise<void> | undefined;
  const stopScraping = new AbortController();
  try {
    const [{ gitlab, adminToken }, sink, sampledSink] = await Promise.all([
      startSeededGitLab(HOOKS),
      startChild('OTLP sink', './otlp-sink-process.ts', {}),
      startChild('OTLP sink (1 %)', './otlp-sink-process.ts', {}),
    ]);
    children.push(gitlab, sink, sampledSink);
    const metricsEnv = { METRICS: 'true', METRICS_PORT: '0' };
    const envOf: Record<Variant, Record<string, string>> = {
      off: {},
      metrics: metricsEnv,
      'metrics + tracing': {
        ...metricsEnv,
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_TRACES_SAMPLER: 'always_on',
      },
      // Sampled as docs/operations.md suggests for a busy gateway: one request in a hundred traced.
      'metrics + tracing 1 %': {
        ...metricsEnv,
        OTEL_EXPORTER_OTLP_ENDPOINT: sampledSink.url,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.01',
      },
    };
    const byVariant = await startVariants({ gitlabUrl: gitlab.url, variants: VARIANTS, envOf, profileDir });
    children.push(...byVariant.values());

    const metricsUrls = new Map<Variant, string>();
    for (const variant of ['metrics', 'metrics + tracing', 'metrics + tracing 1 %'] as const) {
      const url = await byVariant.get(variant)?.command<string | undefined>('metrics-url');
      if (!url) throw new Error(`gateway (${variant}) serves no metrics`);
      metricsUrls.set(variant, url);
    }
    let scrapes = 0;
    const lastPages = new Map<Variant, string>();
    const scrape = async () => {
      for (const [variant, url] of metricsUrls) {
        const response = await fetch(url);
        lastPages.set(variant, await response.text());
        scrapes++;
      }
    };
    scraping = (async () => {
      while (!stopScraping.signal.aborted) {
        await scrape();
        await delay(SCRAPE_INTERVAL_MS, undefined, { signal: stopScraping.signal }).catch(() => {});
      }
    })();

    const shape = shapes(HOOKS).find((candidate) => candidate.name === SHAPE);
    if (!shape) throw new Error(`no shape ${SHAPE}`);
    log(
      `Observability: ${VARIANTS.join(', ')}; warming them together for ${warmSeconds} s, then ${rounds} rounds of ${seconds} s, load average ${loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const cpu = await roundsSideBySide(byVariant, {
      call: [[{ method: 'POST' as const, path: '/graphql', body: JSON.stringify(shape.graphql) }]],
      headers: graphqlPostHeaders(adminToken),
      connections: CONNECTIONS,
      rate: RATE,
      seconds,
      rounds,
      warmSeconds,
      log,
    });
    stopScraping.abort();
    await scraping;
    await scrape();

    const countedPerServed: ObservabilityFigures['countedPerServed'] = {};
    for (const [variant, page] of lastPages) {
      const served = (await byVariant.get(variant)?.sample())?.served ?? Number.NaN;
      countedPerServed[variant] = countedRequests(page) / served;
    }
    // The traced gateway exports what it still holds when it stops, so every span it made is counted.
    const traced = byVariant.get('metrics + tracing') as BenchChild;
    const tracedServed = (await traced.sample()).served;
    await traced.stop();
    const { spans } = await sink.command<{ spans: number }>('counts');

    const overhead = {
      metrics: overheadPerRound(cpu.metrics, cpu.off),
      'metrics + tracing': overheadPerRound(cpu['metrics + tracing'], cpu.off),
      'metrics + tracing 1 %': overheadPerRound(cpu['metrics + tracing 1 %'], cpu.off),
    };
    return {
      meta: {
        date: new Date().toISOString(),
        loadAverageBefore,
        loadAverageAfter: os.loadavg(),
        shape: SHAPE,
        secondsPerRound: seconds,
        rounds,
        warmSeconds,
      },
      cpuMicrosPerRequest: cpu,
      overhead,
      spansPerRequest: spans / tracedServed,
      scrapes,
      countedPerServed,
      targets: [
        {
          target: `metrics on: CPU per request <= ${percent(METRICS_BUDGET)} over off`,
          value: percentRange(overhead.metrics.perRound),
          met: overhead.metrics.median <= METRICS_BUDGET,
        },
        {
          target: `metrics and tracing (every request, exported): CPU per request <= ${percent(TRACING_BUDGET)} over off`,
          value: percentRange(overhead['metrics + tracing'].perRound),
          met: overhead['metrics + tracing'].median <= TRACING_BUDGET,
        },
      ],
    };
  } finally {
    stopScraping.abort();
    await scraping?.catch(() => {});
    await Promise.allSettled(children.map((child) => child.stop()));
  }
}

export function renderObservability(figures: ObservabilityFigures): string {
  const { meta } = figures;
  const micros = (values: number[]) => `${median(values).toFixed(0)} µs`;
  const spread = (values: number[]) =>
    `${Math.min(...values).toFixed(0)} to ${Math.max(...values).toFixed(0)} µs`;
  const rows = [
    ['gateway', 'CPU/req (median)', 'rounds', 'over off (median)'],
    ...VARIANTS.map((variant) => [
      variant,
      micros(figures.cpuMicrosPerRequest[variant]),
      spread(figures.cpuMicrosPerRequest[variant]),
      variant === 'off' ? '' : `${(100 * figures.overhead[variant].median).toFixed(1)} %`,
    ]),
  ];
  const counted = Object.entries(figures.countedPerServed)
    .map(([variant, ratio]) => `${variant} ${ratio?.toFixed(3)}`)
    .join(', ');
  return [
    '',
    `Observability overhead: ${meta.shape} at ${CONNECTIONS} connections, ${meta.rounds} rounds of ${meta.secondsPerRound} s after ${meta.warmSeconds} s of warm-up`,
    `Load average before ${meta.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, after ${meta.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}`,
    '',
    ...formatTable(rows),
    '',
    `spans exported per request: ${figures.spansPerRequest.toFixed(2)}; /metrics scraped ${figures.scrapes} times, requests counted per request served: ${counted}`,
    '',
    ...formatTargets(figures.targets),
    '',
  ].join('\n');
}
