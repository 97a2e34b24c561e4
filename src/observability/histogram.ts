/**
 * A Prometheus histogram for the request path: an observation finds its label set by the identity of the label
 * object it is given (the gateway and its GraphQL phase metrics make each label object once) and adds to a few
 * numbers; the registry reads the counts only when scraped, through the metric interface prom-client's
 * `Registry` takes. prom-client's own `Histogram` checks and hashes the labels on every observation, a cost
 * paid several times per request (docs/performance.md).
 *
 * What it exports is what a prom-client `Histogram` with the same name, help, labels and buckets exports: the
 * cumulative `_bucket` series with `le` (and `+Inf`), `_sum` and `_count`, one set per label set observed.
 */

import type { Registry } from 'prom-client';

export interface HistogramOptions<Label extends string> {
  name: string;
  help: string;
  labelNames: readonly Label[];
  /** Upper bounds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One label set's counts. */
class Series {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    buckets: number,
  ) {
    this.counts = new Float64Array(buckets + 1);
  }
}

/** What prom-client's registry reads from a metric at scrape time. */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class FastHistogram<Label extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly Label[];
  private readonly bounds: readonly number[];
  private byObject = new WeakMap<object, Series>();
  private readonly byKey = new Map<string, Series>();

  constructor(options: HistogramOptions<Label>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.bounds = [...options.buckets];
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** Records `value` under `labels`, which must name every label and no other; reuse the object to go fast. */
  observe(labels: Readonly<Record<Label, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`${this.name}: not a finite value: ${value}`);
    const series = this.byObject.get(labels) ?? this.seriesOf(labels);
    const bounds = this.bounds;
    const counts = series.counts;
    let slot = 0;
    while (slot < bounds.length && value > (bounds[slot] as number)) slot++;
    counts[slot] = (counts[slot] as number) + 1;
    series.sum += value;
    series.count += 1;
  }

  /** For prom-client's registry: the series, as a prom-client `Histogram` exports them. */
  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    const values: MetricValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.byKey.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le: bound, ...series.labels }, value: cumulative, metricName: bucketName });
      });
      values.push(
        { labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucketName },
        { labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` },
        { labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** For prom-client's registry (`resetMetrics`): forgets every series. */
  reset(): void {
    this.byKey.clear();
    this.byObject = new WeakMap();
  }

  /** The slow path: the label object is new; its values may still name a series already seen. */
  private seriesOf(labels: Readonly<Record<Label, string>>): Series {
    const names = Object.keys(labels);
    if (names.length !== this.labelNames.length || !this.labelNames.every((name) => name in labels))
      throw new Error(
        `${this.name}: labels must be exactly ${this.labelNames.join(', ')}; got ${names.join(', ')}`,
      );
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.byKey.get(key);
    if (series === undefined) {
      const copy: Record<string, string> = {};
      for (const name of this.labelNames) copy[name] = String(labels[name]);
      series = new Series(copy, this.bounds.length);
      this.byKey.set(key, series);
    }
    this.byObject.set(labels, series);
    return series;
  }
}
