import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallDeadline,
  type CallDeadlineOptions,
  startCallDeadline,
  withAttemptTimeout,
} from '../../src/upstream/call-deadline.ts';
import { errorFromResponse, transportCode, UpstreamError } from '../../src/upstream/errors.ts';
import { listenOnlySignal, serialized, TOKEN } from './fixtures.ts';

/** Waits for `signal` to abort. The deadline's timer does not keep the process alive, so this does. */
async function aborted(signal: AbortSignal): Promise<void> {
  const alive = setInterval(() => {}, 1_000);
  try {
    await once(signal, 'abort');
  } finally {
    clearInterval(alive);
  }
}

/** A deadline that is disposed when the test ends, whatever happens in it. */
function deadlineFor(t: TestContext, options: CallDeadlineOptions): CallDeadline {
  const deadline = startCallDeadline(options);
  t.after(() => deadline.dispose());
  return deadline;
}

function assertTimeout(error: unknown): void {
  assert.ok(error instanceof UpstreamError);
  assert.equal(error.code, 'UPSTREAM_TIMEOUT');
}

const badGateway = () => errorFromResponse(502, {}, '');
const reset = () => Object.assign(new Error(`socket hang up near ${TOKEN}`), { code: 'ECONNRESET' });

describe('call deadline: who ended the call, and what it reports', () => {
  it('aborts its signal with a TimeoutError when the deadline passes, and reports UPSTREAM_TIMEOUT', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 20 });
    await aborted(deadline.signal);
    assert.equal((deadline.signal.reason as Error).name, 'TimeoutError');
    const error = deadline.explain(deadline.signal.reason);
    assertTimeout(error);
    assert.match((error as Error).message, /within 20 ms/);
  });

  it('rejects with the caller’s reason when the caller aborts before the deadline', (t) => {
    // The deadline's timer is a mock, so that it can pass at once.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const caller = listenOnlySignal();
    const deadline = deadlineFor(t, { timeoutMs: 40, caller: caller.signal });
    const reason = new Error('client went away');
    caller.abort(reason);
    assert.equal(deadline.signal.reason, reason);
    assert.equal(deadline.explain(new Error('whatever the transport threw')), reason);
    t.mock.timers.tick(60);
    assert.equal(
      deadline.explain(deadline.signal.reason),
      reason,
      'the deadline passing later changes nothing',
    );
  });

  it('reports the timeout when the deadline passed before the caller aborted', async (t) => {
    const caller = listenOnlySignal();
    const deadline = deadlineFor(t, { timeoutMs: 10, caller: caller.signal });
    await aborted(deadline.signal);
    caller.abort(new Error('too late'));
    assertTimeout(deadline.explain(deadline.signal.reason));
  });

  it('starts aborted, with the caller’s reason, when the caller’s signal already is', (t) => {
    const caller = listenOnlySignal();
    const reason = new Error('gone before the call');
    caller.abort(reason);
    const deadline = deadlineFor(t, { timeoutMs: 1_000, caller: caller.signal });
    assert.equal(deadline.signal.aborted, true);
    assert.equal(deadline.explain(deadline.signal.reason), reason);
    assert.equal(caller.listeners, 0, 'nothing to listen to on an aborted signal');
  });

  it('keeps an UpstreamError as it is, even once the deadline has passed', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 5 });
    const error = badGateway();
    assert.equal(deadline.explain(error), error);
    await aborted(deadline.signal);
    assert.equal(deadline.explain(error), error);
  });

  it('maps a transport failure while the call runs, with the secrets kept out', (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 1_000, redact: [TOKEN] });
    const error = deadline.explain(reset());
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(transportCode(error), 'ECONNRESET');
    assert.ok(!serialized(error).includes(TOKEN));
  });

  it('counts the time left down from the start', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 1_000 });
    const first = deadline.remainingMs();
    await sleep(20);
    const later = deadline.remainingMs();
    assert.ok(first <= 1_000 && first > 990, `${first}`);
    assert.ok(later <= first - 15, `${later} after ${first}`);
  });
});

describe('call deadline: the wait before a retry', () => {
  it('waits the delay when nothing cuts it', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 1_000 });
    const started = performance.now();
    await deadline.sleep(30, badGateway());
    assert.ok(performance.now() - started >= 25);
  });

  it('reports the failure that called for the retry when the deadline cuts the wait', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 20 });
    const cause = badGateway();
    const started = performance.now();
    await assert.rejects(deadline.sleep(5_000, cause), (error) => error === cause);
    assert.ok(performance.now() - started < 1_000, 'the wait ended at the deadline');
  });

  it('reports the failure being retried when the deadline cuts the retried attempt', async (t) => {
    const deadline = deadlineFor(t, { timeoutMs: 30 });
    const cause = badGateway();
    await deadline.sleep(1, cause);
    await aborted(deadline.signal);
    assert.equal(deadline.explain(deadline.signal.reason), cause);
  });

  it('rejects with the caller’s reason when the caller aborts during the wait', async (t) => {
    const caller = listenOnlySignal();
    const deadline = deadlineFor(t, { timeoutMs: 5_000, caller: caller.signal });
    const reason = new Error('client went away');
    // The wait starts as sleep() is called.
    const waiting = deadline.sleep(5_000, badGateway());
    caller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
  });
});

describe('call deadline: the caller’s signal is only listened to, and let go', () => {
  const scenarios: [string, (deadline: CallDeadline, abort: () => void) => Promise<void>][] = [
    ['a success', async () => {}],
    [
      'a failure',
      async (deadline) => {
        deadline.explain(reset());
      },
    ],
    [
      'a timeout',
      async (deadline) => {
        await aborted(deadline.signal);
      },
    ],
    [
      'the caller’s abort',
      async (_deadline, abort) => {
        abort();
      },
    ],
    [
      'a retry wait',
      async (deadline) => {
        await deadline.sleep(1, badGateway());
      },
    ],
  ];
  for (const [name, run] of scenarios) {
    it(`removes its listener from the caller’s signal after ${name}`, async () => {
      const caller = listenOnlySignal();
      const deadline = startCallDeadline({ timeoutMs: 20, caller: caller.signal });
      assert.equal(caller.listeners, 1);
      await run(deadline, () => caller.abort());
      deadline.dispose();
      assert.equal(caller.listeners, 0);
    });
  }
});

/** A deadline whose signal counts listeners, to see what an attempt leaves on it. */
function stubDeadline(remainingMs: number) {
  const call = listenOnlySignal();
  const deadline = {
    signal: call.signal,
    remainingMs: () => remainingMs,
    explain: (thrown: unknown) => thrown,
    sleep: async () => {},
    dispose: () => {},
  } satisfies CallDeadline;
  return { deadline, call };
}

/** An attempt that ends only when its signal aborts, rejecting with the signal's reason. */
const silent = ({ signal }: { signal: AbortSignal }) =>
  new Promise<never>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

describe('attempt timeout', () => {
  it('aborts an attempt whose headers are late with UND_ERR_HEADERS_TIMEOUT, leaving the call running', async () => {
    const { deadline, call } = stubDeadline(10_000);
    const started = performance.now();
    await assert.rejects(withAttemptTimeout(deadline, 20, silent), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UND_ERR_HEADERS_TIMEOUT');
      assert.equal(error.name, 'TimeoutError');
      return true;
    });
    assert.ok(performance.now() - started < 1_000);
    assert.equal(deadline.signal.aborted, false);
    assert.equal(call.listeners, 0, 'the attempt let go of the call’s signal');
  });

  it('maps a late-headers abort to a retryable UPSTREAM_TIMEOUT', async () => {
    const deadline = startCallDeadline({ timeoutMs: 5_000 });
    const thrown = await withAttemptTimeout(deadline, 10, silent).catch((error: unknown) => error);
    const error = deadline.explain(thrown);
    deadline.dispose();
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(transportCode(error), 'UND_ERR_HEADERS_TIMEOUT');
  });

  it('no longer applies once the headers are in', async (t) => {
    // The attempt's timer is a mock, so that its time can pass at once.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { deadline, call } = stubDeadline(10_000);
    const answer = await withAttemptTimeout(deadline, 10, async (attempt) => {
      attempt.headersReceived();
      t.mock.timers.tick(40);
      assert.equal(attempt.signal.aborted, false);
      return 'body';
    });
    assert.equal(answer, 'body');
    assert.equal(call.listeners, 0);
  });

  it('passes the call’s abort on to the attempt, with the call’s reason', async () => {
    const { deadline, call } = stubDeadline(10_000);
    const reason = new Error('client went away');
    // The attempt runs, listening to the call's signal, as withAttemptTimeout() is called.
    const attempt = withAttemptTimeout(deadline, 5_000, silent);
    call.abort(reason);
    await assert.rejects(attempt, (error) => error === reason);
    assert.equal(call.listeners, 0);
  });

  it('runs on the call’s own signal when the call has no more time left than the attempt would get', async () => {
    const { deadline, call } = stubDeadline(100);
    await withAttemptTimeout(deadline, 100, async (attempt) => {
      assert.equal(attempt.signal, deadline.signal);
    });
    assert.equal(call.listeners, 0);
  });
});
