import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from '../../src/observability/histogram.ts';
import { propertyRuns } from '../helpers/property.ts';

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1, 10];
const LABEL_NAMES = ['method', 'route'] as const;
type Labels = Record<(typeof LABEL_NAMES)[number], string>;

function pair() {
  const slow = new Registry();
  const fast = new Registry();
  const options = { name: 'x_seconds', help: 'A test histogram.', labelNames: LABEL_NAMES, buckets: BUCKETS };
  return {
    slow,
    fast,
    slowHistogram: new Histogram({ ...options, labelNames: [...LABEL_NAMES], registers: [slow] }),
    fastHistogram: new FastHistogram({ ...options, registers: [fast] }),
  };
}

describe('FastHistogram', () => {
  it('exports what prom-client’s Histogram exports for the same observations', async () => {
    const labelSets: Labels[] = [
      { method: 'GET', route: '/graphql' },
      { method: 'POST', route: '/graphql' },
      { method: 'POST', route: 'other' },
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.nat({ max: labelSets.length - 1 }),
            fc.oneof(fc.constantFrom(...BUCKETS, 0, 20), fc.double({ min: 0, max: 20, noNaN: true })),
            fc.boolean(),
          ),
          { maxLength: 60 },
        ),
        async (observations) => {
          const { slow, fast, slowHistogram, fastHistogram } = pair();
          for (const [set, value, freshObject] of observations) {
            const labels = labelSets[set] as Labels;
            slowHistogram.observe(labels, value);
            // The same label set as the same object or as a new one: both land in one series.
            fastHistogram.observe(freshObject ? { ...labels } : labels, value);
          }
          assert.equal(await fast.metrics(), await slow.metrics());
        },
      ),
      propertyRuns(100),
    );
  });

  it('refuses labels that are missing or unknown, and values that are not finite', () => {
    const { fastHistogram } = pair();
    assert.throws(() => fastHistogram.observe({ method: 'GET' } as Labels, 1), /labels must be exactly/);
    assert.throws(
      () => fastHistogram.observe({ method: 'GET', route: '/', extra: 'x' } as Labels, 1),
      /labels must be exactly/,
    );
    assert.throws(() => fastHistogram.observe({ method: 'GET', route: '/' }, Number.NaN), /not a finite/);
    assert.throws(() => fastHistogram.observe({ method: 'GET', route: '/' }, Infinity), /not a finite/);
  });

  it('forgets every series on reset, also for label objects seen before', async () => {
    const { fast, fastHistogram } = pair();
    const labels = { method: 'GET', route: '/graphql' };
    fastHistogram.observe(labels, 0.002);
    fast.resetMetrics();
    assert.doesNotMatch(await fast.metrics(), /x_seconds_count/);
    fastHistogram.observe(labels, 0.002);
    assert.match(await fast.metrics(), /x_seconds_count\{method="GET",route="\/graphql"\} 1\n/);
  });
});
