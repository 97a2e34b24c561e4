import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CIRCUIT_BREAKER_DEFAULTS, createCircuitBreaker } from '../../src/upstream/circuit-breaker.ts';
import { createGitLabClient, GITLAB_CLIENT_DEFAULTS } from '../../src/upstream/client.ts';
import { integerOptions } from '../../src/upstream/options.ts';
import { RETRY_DEFAULTS, retryPolicy } from '../../src/upstream/retry.ts';

const defaults = { count: 3, delayMs: 100 };
const positive = { prefix: 'Option ', min: 1 } as const;
const nonNegative = { prefix: 'Option ', min: 0 } as const;

describe('integerOptions', () => {
  it('fills in the defaults of options left out, and keeps the ones given', () => {
    assert.deepEqual(integerOptions({}, defaults, positive), defaults);
    assert.deepEqual(integerOptions({ count: 7, delayMs: undefined }, defaults, positive), {
      count: 7,
      delayMs: 100,
    });
  });

  it('ignores keys that are not options of the group', () => {
    assert.deepEqual(integerOptions({ count: 1, other: 'x' } as { count: number }, defaults, positive), {
      count: 1,
      delayMs: 100,
    });
  });

  const refused: [string, number, typeof positive | typeof nonNegative, string][] = [
    ['zero where positive', 0, positive, 'Option count must be a positive integer'],
    ['a negative', -1, nonNegative, 'Option count must be a non-negative integer'],
    ['a fraction', 1.5, positive, 'Option count must be a positive integer'],
    ['NaN', Number.NaN, positive, 'Option count must be a positive integer'],
    ['infinity', Number.POSITIVE_INFINITY, nonNegative, 'Option count must be a non-negative integer'],
    ['an unsafe integer', 2 ** 53, positive, 'Option count must be a positive integer'],
    ['a string', '5' as unknown as number, positive, 'Option count must be a positive integer'],
  ];
  for (const [name, value, rule, message] of refused) {
    it(`refuses ${name} with a RangeError naming the option`, () => {
      assert.throws(() => integerOptions({ count: value }, defaults, rule), { name: 'RangeError', message });
    });
  }

  it('accepts zero where zero turns a feature off', () => {
    assert.equal(integerOptions({ count: 0 }, defaults, nonNegative).count, 0);
  });
});

describe('the option groups share the one check', () => {
  it('names the group of the option it refuses', () => {
    assert.throws(() => retryPolicy({ retries: -1 }), { message: /^GitLab client option retry\.retries / });
    assert.throws(() => createCircuitBreaker('https://x', { coolDownMs: 0 }), {
      message: /^GitLab client option circuitBreaker\.coolDownMs /,
    });
    assert.throws(() => createGitLabClient({ baseUrl: 'https://x.example', attemptTimeoutMs: 0 }), {
      message: /^GitLab client option attemptTimeoutMs /,
    });
    assert.throws(() => createGitLabClient({ baseUrl: 'https://x.example', maxQueued: -1 }), {
      message: /^GitLab client option maxQueued must be a non-negative integer/,
    });
  });

  it('exports the defaults the configuration reads', () => {
    assert.deepEqual(GITLAB_CLIENT_DEFAULTS, {
      timeoutMs: 10_000,
      connections: 16,
      connectTimeoutMs: 5_000,
      keepAliveTimeoutMs: 4_000,
      maxResponseBytes: 8 * 1024 * 1024,
      maxQueued: 256,
    });
    assert.deepEqual(retryPolicy(), RETRY_DEFAULTS);
    assert.deepEqual(CIRCUIT_BREAKER_DEFAULTS, { failureThreshold: 5, coolDownMs: 10_000 });
  });
});
