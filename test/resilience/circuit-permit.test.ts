import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCircuitBreaker } from '../../src/upstream/circuit-breaker.ts';
import {
  errorFromResponse,
  errorFromTransport,
  malformedAnswer,
  UpstreamError,
} from '../../src/upstream/errors.ts';

const status = (code: number) => errorFromResponse(code, {}, '');
const transport = (code: string) => errorFromTransport(Object.assign(new Error(code), { code }));

type Verdict = 'counts against GitLab' | 'proves GitLab up' | 'shows nothing';

/**
 * What `permit.settleWith(error)` told a breaker that opens at two failures: after one failure, a failure
 * opens it; a success resets the count, so one more failure leaves it closed; a release leaves the count at
 * one, so one more failure opens it.
 */
function verdictOf(error: unknown): Verdict {
  const breaker = createCircuitBreaker('https://gitlab.example', { failureThreshold: 2 }, () => 0);
  breaker.enter().failure();
  const isOpen = () => breaker.state === 'open';
  breaker.enter().settleWith(error);
  if (isOpen()) return 'counts against GitLab';
  breaker.enter().failure();
  return isOpen() ? 'shows nothing' : 'proves GitLab up';
}

describe('circuit permit: which failures count against GitLab', () => {
  const cases: [string, unknown, Verdict][] = [
    ['a 500', status(500), 'counts against GitLab'],
    ['a 502', status(502), 'counts against GitLab'],
    ['a 503', status(503), 'counts against GitLab'],
    ['a 504', status(504), 'counts against GitLab'],
    ['a 400', status(400), 'proves GitLab up'],
    ['a 401', status(401), 'proves GitLab up'],
    ['a 403', status(403), 'proves GitLab up'],
    ['a 404', status(404), 'proves GitLab up'],
    ['a 422', status(422), 'proves GitLab up'],
    ['a 429', status(429), 'proves GitLab up'],
    ['a redirect', status(302), 'proves GitLab up'],
    ['a malformed success', malformedAnswer(200, 'JSON'), 'proves GitLab up'],
    ['a refused connection', transport('ECONNREFUSED'), 'counts against GitLab'],
    ['a lost connection', transport('UND_ERR_SOCKET'), 'counts against GitLab'],
    ['a reset', transport('ECONNRESET'), 'counts against GitLab'],
    ['an unknown host', transport('ENOTFOUND'), 'counts against GitLab'],
    ['a connect timeout', transport('UND_ERR_CONNECT_TIMEOUT'), 'counts against GitLab'],
    ['late headers', transport('UND_ERR_HEADERS_TIMEOUT'), 'counts against GitLab'],
    ['a stalled body', transport('UND_ERR_BODY_TIMEOUT'), 'counts against GitLab'],
    ['an answer over the size limit', transport('UND_ERR_RES_EXCEEDED_MAX_SIZE'), 'proves GitLab up'],
    [
      'the call’s deadline',
      new UpstreamError('UPSTREAM_TIMEOUT', 'GitLab did not answer within 10 ms'),
      'counts against GitLab',
    ],
    ['the caller’s abort', new DOMException('This operation was aborted', 'AbortError'), 'shows nothing'],
    ['the caller’s own reason', new Error('client went away'), 'shows nothing'],
    ['a programming error', new TypeError('x is not a function'), 'shows nothing'],
  ];
  for (const [name, error, verdict] of cases) {
    it(`${name} ${verdict}`, () => {
      assert.equal(verdictOf(error), verdict);
    });
  }
});

describe('circuit permit: one verdict per attempt', () => {
  it('ignores whatever follows the first verdict', () => {
    const breaker = createCircuitBreaker('https://gitlab.example', { failureThreshold: 1 }, () => 0);
    const permit = breaker.enter();
    permit.settleWith(status(404));
    permit.settleWith(status(502));
    permit.failure();
    assert.equal(breaker.state, 'closed');
  });

  it('frees the half-open probe slot when the caller’s abort ends the probe', () => {
    let now = 0;
    const breaker = createCircuitBreaker(
      'https://gitlab.example',
      { failureThreshold: 1, coolDownMs: 10 },
      () => now,
    );
    breaker.enter().failure();
    now = 10;
    breaker.enter().settleWith(new DOMException('This operation was aborted', 'AbortError'));
    assert.equal(breaker.state, 'half-open');
    breaker.enter().success();
    assert.equal(breaker.state, 'closed');
  });
});
