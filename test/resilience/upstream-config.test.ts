import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createGitLabClient } from '../../src/upstream/client.ts';
import type { InstrumentedClient } from '../../src/upstream/instrumentation.ts';

const UPSTREAM = { GITLAB_URL: 'https://gitlab.example.com' };

describe('retry and circuit breaker configuration', () => {
  it('retries twice, waits the whole deadline per attempt, and opens the breaker after 5 failures for 10 s', () => {
    const config = loadConfig({ ...UPSTREAM, UPSTREAM_TIMEOUT_MS: '3000' });
    assert.equal(config.upstream.retry.retries, 2);
    assert.equal(config.upstream.attemptTimeoutMs, 3_000);
    assert.equal(config.upstream.circuitBreaker.failureThreshold, 5);
    assert.equal(config.upstream.circuitBreaker.coolDownMs, 10_000);
    assert.equal(config.upstream.maxQueued, 256);
  });

  it('reads every variable, 0 turning retries, the breaker and the queue off', () => {
    const config = loadConfig({
      ...UPSTREAM,
      UPSTREAM_RETRIES: '0',
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '2500',
      UPSTREAM_BREAKER_FAILURES: '0',
      UPSTREAM_BREAKER_COOLDOWN_MS: '500',
      UPSTREAM_MAX_QUEUED: '0',
    });
    assert.equal(config.upstream.retry.retries, 0);
    assert.equal(config.upstream.attemptTimeoutMs, 2_500);
    assert.equal(config.upstream.circuitBreaker.failureThreshold, 0);
    assert.equal(config.upstream.circuitBreaker.coolDownMs, 500);
    assert.equal(config.upstream.maxQueued, 0);
  });

  it('gives the client its section as it takes it: UPSTREAM_BREAKER_FAILURES=0 builds no breaker', async () => {
    for (const [failures, breaker] of [
      ['0', false],
      ['3', true],
    ] as const) {
      const { upstream } = loadConfig({ ...UPSTREAM, UPSTREAM_BREAKER_FAILURES: failures });
      let attached: InstrumentedClient | undefined;
      const client = createGitLabClient({
        baseUrl: UPSTREAM.GITLAB_URL,
        ...upstream,
        instrumentation: {
          attach: (instrumented) => {
            attached = instrumented;
          },
          startCall: () => undefined,
        },
      });
      assert.equal(attached?.circuitState !== undefined, breaker, `UPSTREAM_BREAKER_FAILURES=${failures}`);
      await client.close();
    }
  });

  it('reports every problem at once, including an attempt timeout beyond the call deadline', () => {
    assert.throws(
      () =>
        loadConfig({
          ...UPSTREAM,
          UPSTREAM_TIMEOUT_MS: '1000',
          UPSTREAM_ATTEMPT_TIMEOUT_MS: '2000',
          UPSTREAM_RETRIES: '11',
          UPSTREAM_BREAKER_FAILURES: 'five',
          UPSTREAM_BREAKER_COOLDOWN_MS: '0',
          UPSTREAM_MAX_QUEUED: '-1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const name of [
          'UPSTREAM_ATTEMPT_TIMEOUT_MS',
          'UPSTREAM_RETRIES',
          'UPSTREAM_BREAKER_FAILURES',
          'UPSTREAM_BREAKER_COOLDOWN_MS',
          'UPSTREAM_MAX_QUEUED',
        ]) {
          assert.match(text, new RegExp(name));
        }
        return true;
      },
    );
  });
});
