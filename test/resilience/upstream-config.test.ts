import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const UPSTREAM = { GITLAB_URL: 'https://gitlab.example.com' };

describe('retry and circuit breaker configuration', () => {
  it('retries twice, waits the whole deadline per attempt, and opens the breaker after 5 failures for 10 s', () => {
    const config = loadConfig({ ...UPSTREAM, UPSTREAM_TIMEOUT_MS: '3000' });
    assert.equal(config.upstreamRetries, 2);
    assert.equal(config.upstreamAttemptTimeoutMs, 3_000);
    assert.equal(config.upstreamBreakerFailures, 5);
    assert.equal(config.upstreamBreakerCooldownMs, 10_000);
    assert.equal(config.upstreamMaxQueued, 256);
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
    assert.equal(config.upstreamRetries, 0);
    assert.equal(config.upstreamAttemptTimeoutMs, 2_500);
    assert.equal(config.upstreamBreakerFailures, 0);
    assert.equal(config.upstreamBreakerCooldownMs, 500);
    assert.equal(config.upstreamMaxQueued, 0);
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
