import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCircuitBreaker } from '../../src/upstream/circuit-breaker.ts';
import { errorFromResponse, errorFromTransport, UpstreamError } from '../../src/upstream/errors.ts';
import { type Method, RETRY_DEFAULTS, retryDelay, retryPolicy } from '../../src/upstream/retry.ts';

/** A transport failure as the client maps it, from an undici or Node error code. */
const transport = (code: string) => errorFromTransport(Object.assign(new Error(code), { code }));
const status = (code: number, headers: Record<string, string> = {}) => errorFromResponse(code, headers, '');

const policy = retryPolicy();
/** `random` pinned to the top of its range, so that the delay is the backoff bound itself. */
const highest = () => 0.999_999;
const decide = (method: Method, error: UpstreamError, attempt = 0, remainingMs = 10_000) =>
  retryDelay(policy, method, error, attempt, remainingMs, highest);

describe('retry policy: which failures are retried, per method', () => {
  const cases: [string, UpstreamError, Record<Method, boolean>][] = [
    ['502', status(502), { GET: true, PUT: true, DELETE: false, POST: false }],
    ['503', status(503), { GET: true, PUT: true, DELETE: false, POST: false }],
    ['504', status(504), { GET: true, PUT: true, DELETE: false, POST: false }],
    ['500', status(500), { GET: false, PUT: false, DELETE: false, POST: false }],
    ['a refused connection', transport('ECONNREFUSED'), { GET: true, PUT: true, DELETE: true, POST: false }],
    [
      'a connect timeout',
      transport('UND_ERR_CONNECT_TIMEOUT'),
      { GET: true, PUT: true, DELETE: true, POST: false },
    ],
    ['a lost connection', transport('UND_ERR_SOCKET'), { GET: true, PUT: true, DELETE: false, POST: false }],
    ['a reset', transport('ECONNRESET'), { GET: true, PUT: true, DELETE: false, POST: false }],
    [
      'no headers in time',
      transport('UND_ERR_HEADERS_TIMEOUT'),
      { GET: true, PUT: true, DELETE: false, POST: false },
    ],
    [
      'a body that stalls',
      transport('UND_ERR_BODY_TIMEOUT'),
      { GET: false, PUT: false, DELETE: false, POST: false },
    ],
    [
      '429 with Retry-After: 1',
      status(429, { 'retry-after': '1' }),
      { GET: true, PUT: true, DELETE: true, POST: false },
    ],
    ['429 without Retry-After', status(429), { GET: false, PUT: false, DELETE: false, POST: false }],
    ['401', status(401), { GET: false, PUT: false, DELETE: false, POST: false }],
    ['404', status(404), { GET: false, PUT: false, DELETE: false, POST: false }],
    ['422', status(422), { GET: false, PUT: false, DELETE: false, POST: false }],
    ['a redirect', status(302), { GET: false, PUT: false, DELETE: false, POST: false }],
  ];
  for (const [name, error, expected] of cases) {
    it(`after ${name}: ${Object.entries(expected)
      .map(([method, retried]) => `${method} ${retried ? 'retried' : 'not retried'}`)
      .join(', ')}`, () => {
      for (const [method, retried] of Object.entries(expected) as [Method, boolean][]) {
        assert.equal(decide(method, error) !== undefined, retried, method);
      }
    });
  }
});

describe('retry policy: how long to wait', () => {
  it('draws the backoff below a bound that doubles per attempt, up to maxDelayMs', () => {
    const bounds = [0, 1, 2, 3, 4, 5].map((attempt) =>
      retryDelay({ ...policy, retries: 10 }, 'GET', status(502), attempt, 60_000, highest),
    );
    assert.deepEqual(bounds, [99, 199, 399, 799, 999, 999]);
    assert.equal(
      retryDelay(policy, 'GET', status(502), 0, 60_000, () => 0),
      0,
      'full jitter reaches zero',
    );
  });

  it('stops after `retries` retries', () => {
    assert.notEqual(decide('GET', status(502), RETRY_DEFAULTS.retries - 1), undefined);
    assert.equal(decide('GET', status(502), RETRY_DEFAULTS.retries), undefined);
    assert.equal(retryDelay(retryPolicy({ retries: 0 }), 'GET', status(502), 0, 10_000), undefined);
  });

  it('waits exactly a Retry-After up to the cap, and gives up beyond it', () => {
    assert.equal(decide('GET', status(429, { 'retry-after': '2' })), 2_000);
    assert.equal(decide('GET', status(503, { 'retry-after': '1' })), 1_000);
    assert.equal(decide('GET', status(429, { 'retry-after': '3' })), undefined);
    assert.equal(decide('GET', status(503, { 'retry-after': '3' })), undefined);
  });

  it('never waits past the deadline of the call', () => {
    assert.equal(decide('GET', status(429, { 'retry-after': '1' }), 0, 900), undefined);
    assert.equal(decide('GET', status(502), 1, 150), undefined, 'a bound of 199 ms does not fit in 150 ms');
  });

  it('refuses option values that are not non-negative integers', () => {
    assert.throws(() => retryPolicy({ retries: -1 }), RangeError);
    assert.throws(() => retryPolicy({ baseDelayMs: 1.5 }), RangeError);
  });
});

describe('circuit breaker state machine', () => {
  function breaker(threshold = 3, coolDownMs = 1_000) {
    let now = 0;
    const instance = createCircuitBreaker(
      'https://gitlab.example',
      { failureThreshold: threshold, coolDownMs },
      () => now,
    );
    return { instance, advance: (ms: number) => (now += ms) };
  }
  const fail = (b: ReturnType<typeof breaker>) => b.instance.enter().failure();

  it('opens after the threshold of consecutive failures and fails fast with UPSTREAM_UNAVAILABLE', () => {
    const b = breaker();
    fail(b);
    fail(b);
    assert.equal(b.instance.state, 'closed');
    fail(b);
    assert.equal(b.instance.state, 'open');
    assert.throws(
      () => b.instance.enter(),
      (error) => error instanceof UpstreamError && error.code === 'UPSTREAM_UNAVAILABLE' && error.circuitOpen,
    );
  });

  it('resets the count on a success', () => {
    const b = breaker();
    fail(b);
    fail(b);
    b.instance.enter().success();
    fail(b);
    fail(b);
    assert.equal(b.instance.state, 'closed');
  });

  it('half-opens after the cool-down with exactly one probe, which closes it on success', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) fail(b);
    b.advance(999);
    assert.equal(b.instance.state, 'open');
    b.advance(1);
    assert.equal(b.instance.state, 'half-open');
    const probe = b.instance.enter();
    assert.throws(() => b.instance.enter(), 'a second attempt fails fast while the probe is out');
    probe.success();
    assert.equal(b.instance.state, 'closed');
    b.instance.enter().success();
  });

  it('reopens for a full cool-down when the probe fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) fail(b);
    b.advance(1_000);
    b.instance.enter().failure();
    assert.equal(b.instance.state, 'open');
    b.advance(999);
    assert.equal(b.instance.state, 'open');
    b.advance(1);
    assert.equal(b.instance.state, 'half-open');
  });

  it('frees the probe slot when the probe ends without a verdict (the caller went away)', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) fail(b);
    b.advance(1_000);
    b.instance.enter().release();
    assert.equal(b.instance.state, 'half-open');
    b.instance.enter().success();
    assert.equal(b.instance.state, 'closed');
  });

  it('says how long until the probe in its error', () => {
    const b = breaker(1, 5_000);
    fail(b);
    b.advance(1_500);
    assert.throws(
      () => b.instance.enter(),
      (error) =>
        error instanceof UpstreamError && error.retryAfterSeconds === 4 && /open/.test(error.message),
    );
  });
});
