import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptSignal } from '../../src/upstream/call-deadline.ts';
import type { CircuitBreaker, CircuitPermit } from '../../src/upstream/circuit-breaker.ts';
import { createCircuitBreaker } from '../../src/upstream/circuit-breaker.ts';
import { errorFromResponse, UpstreamError } from '../../src/upstream/errors.ts';
import type { Answer } from '../../src/upstream/response-body.ts';
import { type Method, retryPolicy } from '../../src/upstream/retry.ts';
import {
  type Call,
  createTransport,
  type PreparedRequest,
  type TransportSettings,
} from '../../src/upstream/transport.ts';
import type { CallOptions } from '../../src/upstream/types.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { listenOnlySignal, privateToken } from './fixtures.ts';

/** What one scripted attempt does: answer, fail, or wait for its signal to abort. */
type Step = 'answer' | 'silent' | Error;

const OK: Answer = { status: 200, headers: {}, json: { id: 1 } };

/** A transport over a scripted `send`: attempt n does `steps[n]` (the last step repeats). */
function scripted(steps: Step[], settings: Partial<TransportSettings> = {}) {
  const attempts: { request: PreparedRequest; signal: AttemptSignal }[] = [];
  const send = async (_call: Call, request: PreparedRequest, signal: AttemptSignal): Promise<Answer> => {
    const step = steps[Math.min(attempts.length, steps.length - 1)];
    attempts.push({ request, signal });
    if (step === 'answer') return OK;
    if (step === 'silent') {
      // The interval stands for the socket a real attempt holds, which keeps the process alive.
      const socket = setInterval(() => {}, 1_000);
      return new Promise<never>((_resolve, reject) => {
        const onAbort = () => {
          clearInterval(socket);
          reject(signal.signal.reason);
        };
        signal.signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    throw step;
  };
  const transport = createTransport({
    send,
    timeoutMs: 2_000,
    attemptTimeoutMs: 2_000,
    retry: retryPolicy({ baseDelayMs: 1, maxDelayMs: 1 }),
    ...settings,
  });
  return { transport, attempts };
}

const call = (method: Method): Call => ({
  method,
  path: '/hooks/1',
  route: `${method} /hooks/:hook_id`,
  expects: 'json',
});
const transportError = (code: string) => Object.assign(new Error(code), { code });
const status = (code: number) => errorFromResponse(code, {}, '');

describe('transport: attempts per method', () => {
  const cases: [string, () => Error, Record<Method, number>][] = [
    ['a 502', () => status(502), { GET: 3, PUT: 3, DELETE: 1, POST: 1 }],
    ['a 500', () => status(500), { GET: 1, PUT: 1, DELETE: 1, POST: 1 }],
    ['a 404', () => status(404), { GET: 1, PUT: 1, DELETE: 1, POST: 1 }],
    ['a refused connection', () => transportError('ECONNREFUSED'), { GET: 3, PUT: 3, DELETE: 3, POST: 1 }],
    ['a lost connection', () => transportError('UND_ERR_SOCKET'), { GET: 3, PUT: 3, DELETE: 1, POST: 1 }],
    ['a stalled body', () => transportError('UND_ERR_BODY_TIMEOUT'), { GET: 1, PUT: 1, DELETE: 1, POST: 1 }],
  ];
  for (const [name, failure, expected] of cases) {
    it(`after ${name} every time: ${Object.entries(expected)
      .map(([method, count]) => `${method} ${count}`)
      .join(', ')}`, async () => {
      for (const [method, count] of Object.entries(expected) as [Method, number][]) {
        const { transport, attempts } = scripted([failure()]);
        await assert.rejects(transport.request(call(method), {}), UpstreamError);
        assert.equal(attempts.length, count, method);
      }
    });
  }

  it('answers from the first attempt that succeeds', async () => {
    const { transport, attempts } = scripted([status(503), transportError('ECONNRESET'), 'answer']);
    assert.equal(await transport.request(call('GET'), {}), OK);
    assert.equal(attempts.length, 3);
  });

  it('retries an attempt whose headers are late, within the one deadline', async () => {
    const { transport, attempts } = scripted(['silent', 'answer'], {
      timeoutMs: 2_000,
      attemptTimeoutMs: 30,
    });
    assert.equal(await transport.request(call('GET'), {}), OK);
    assert.equal(attempts.length, 2);
  });

  it('reports the failure that called for a retry when the deadline cuts the retry short', async () => {
    const first = status(502);
    const { transport, attempts } = scripted([first, 'silent'], { timeoutMs: 100 });
    await assert.rejects(transport.request(call('GET'), {}), (error) => error === first);
    assert.equal(attempts.length, 2);
  });

  it('reports UPSTREAM_TIMEOUT when the first attempt outlasts the deadline', async () => {
    const { transport } = scripted(['silent'], { timeoutMs: 30 });
    await assert.rejects(transport.request(call('GET'), {}), { code: 'UPSTREAM_TIMEOUT' });
  });
});

describe('transport: the caller’s signal', () => {
  it('makes no attempt for a signal that has already aborted, and rejects with its reason', async () => {
    const caller = listenOnlySignal();
    const reason = new Error('gone');
    caller.abort(reason);
    const { transport, attempts } = scripted(['answer']);
    await assert.rejects(
      transport.request(call('GET'), { signal: caller.signal }),
      (error) => error === reason,
    );
    assert.equal(attempts.length, 0);
  });

  it('rejects with the caller’s reason when the caller aborts during an attempt', async () => {
    const caller = listenOnlySignal();
    const reason = new Error('client went away');
    const { transport, attempts } = scripted(['silent']);
    const requested = transport.request(call('GET'), { signal: caller.signal });
    await waitUntil('the attempt is sent', () => attempts.length === 1);
    caller.abort(reason);
    await assert.rejects(requested, (error) => error === reason);
    assert.equal(attempts.length, 1);
  });

  const outcomes: [string, Step[], (abort: () => void) => void][] = [
    ['a success', ['answer'], () => {}],
    ['a failure', [status(404)], () => {}],
    ['retries that all fail', [status(502)], () => {}],
    ['the caller’s abort', ['silent'], (abort) => setTimeout(abort, 10)],
  ];
  for (const [name, steps, during] of outcomes) {
    it(`lets go of the caller’s signal after ${name}`, async () => {
      const caller = listenOnlySignal();
      const { transport } = scripted(steps);
      const done = transport.request(call('GET'), { signal: caller.signal }).catch(() => {});
      assert.equal(caller.listeners, 1);
      during(() => caller.abort());
      await done;
      assert.equal(caller.listeners, 0);
    });
  }
});

/** A breaker that admits every attempt and records how each permit was ended. */
function recordingBreaker() {
  const permits: string[][] = [];
  const breaker: CircuitBreaker = {
    state: 'closed',
    enter(): CircuitPermit {
      const calls: string[] = [];
      permits.push(calls);
      return {
        success: () => calls.push('success'),
        failure: () => calls.push('failure'),
        release: () => calls.push('release'),
        settleWith: (error) =>
          calls.push(error instanceof UpstreamError ? `settleWith ${error.code}` : 'settleWith other'),
      };
    },
  };
  return { breaker, permits };
}

describe('transport: breaker permits', () => {
  it('ends every permit exactly once: failures by what they were, the answer as a success', async () => {
    const { breaker, permits } = recordingBreaker();
    const { transport } = scripted([status(502), transportError('ECONNREFUSED'), 'answer'], { breaker });
    await transport.request(call('GET'), {});
    assert.deepEqual(permits, [
      ['settleWith UPSTREAM_UNAVAILABLE'],
      ['settleWith UPSTREAM_UNAVAILABLE'],
      ['success'],
    ]);
  });

  it('ends the permit with the caller’s reason (nothing against GitLab) when the caller aborts', async () => {
    const { breaker, permits } = recordingBreaker();
    const caller = listenOnlySignal();
    const { transport, attempts } = scripted(['silent'], { breaker });
    const requested = transport.request(call('GET'), { signal: caller.signal });
    await waitUntil('the attempt is sent', () => attempts.length === 1);
    caller.abort(new Error('gone'));
    await assert.rejects(requested);
    assert.deepEqual(permits, [['settleWith other']]);
  });

  it('ends the permit of an attempt cut by the deadline as a timeout', async () => {
    const { breaker, permits } = recordingBreaker();
    const { transport } = scripted(['silent'], { breaker, timeoutMs: 30 });
    await assert.rejects(transport.request(call('POST'), {}));
    assert.deepEqual(permits, [['settleWith UPSTREAM_TIMEOUT']]);
  });

  it('fails fast without an attempt while the breaker is open', async () => {
    const breaker = createCircuitBreaker('https://gitlab.example', { failureThreshold: 1 });
    breaker.enter().failure();
    const { transport, attempts } = scripted(['answer'], { breaker });
    await assert.rejects(transport.request(call('GET'), {}), { circuitOpen: true });
    assert.equal(attempts.length, 0);
  });
});

describe('transport: what every attempt sends', () => {
  it('sends the same headers and body on every attempt, with the token to redact', async () => {
    const { transport, attempts } = scripted([status(503), 'answer']);
    const options: CallOptions = { credential: privateToken, headers: { 'x-request-id': 'r-1' } };
    await transport.request({ ...call('PUT'), body: { url: 'https://example.com' } }, options);
    assert.equal(attempts.length, 2);
    for (const { request } of attempts) {
      assert.equal(request.body, '{"url":"https://example.com"}');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['private-token'], privateToken.token);
      assert.equal(request.headers['x-request-id'], 'r-1');
      assert.deepEqual(request.redact, [privateToken.token]);
    }
  });

  it('refuses a bad extra header with a TypeError before any attempt', async () => {
    const { transport, attempts } = scripted(['answer']);
    await assert.rejects(
      transport.request(call('GET'), { headers: { authorization: 'Bearer x' } }),
      TypeError,
    );
    assert.equal(attempts.length, 0);
  });
});
